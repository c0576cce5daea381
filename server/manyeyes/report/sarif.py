"""SARIF 2.1.0, in the shape GitHub code scanning accepts: rules, results, locations, partialFingerprints.

Columns are Unicode code points (declared with `columnKind`), paths are relative to %SRCROOT% (the workspace),
failed agents and unreviewed files are tool execution notifications, so CI sees an incomplete review as such.
"""

from __future__ import annotations

import json

from manyeyes import __version__
from manyeyes.models import Finding, ReviewResult, Severity, Span
from manyeyes.vocabulary import CWE_NAMES

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {
    Severity.critical: "error",
    Severity.high: "error",
    Severity.medium: "warning",
    Severity.low: "note",
    Severity.info: "note",
}
# GitHub ranks security alerts by this property (a CVSS-like score as a string).
_SECURITY_SEVERITY = {
    Severity.critical: "9.5",
    Severity.high: "8.0",
    Severity.medium: "5.5",
    Severity.low: "3.0",
    Severity.info: "1.0",
}


def to_sarif_json(result: ReviewResult) -> str:
    return json.dumps(to_sarif(result), indent=2) + "\n"


def to_sarif(result: ReviewResult) -> dict:
    rules: dict[str, dict] = {}
    results = [_result(finding, rules) for finding in result.findings]
    run = {
        "tool": {
            "driver": {
                "name": "manyeyes",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": list(rules.values()),
            }
        },
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The reviewed workspace"}}},
        "results": results,
        "invocations": [_invocation(result)],
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule(finding: Finding, identifier: str) -> dict:
    """The rule described by the rule, not by whichever finding came first: what it is about in a line, what is
    wrong in words, and where to read more."""
    tags = [c.value for c in finding.concerns] + [f"external/cwe/{c.lower()}" for c in finding.cwe]
    properties: dict = {"tags": tags}
    if any(c.value == "security" for c in finding.concerns):
        properties["security-severity"] = _SECURITY_SEVERITY[finding.severity]
    summary = rule_summary(finding)
    full = finding.explanation if finding.explanation and not finding.by_model_only else summary
    rule = {
        "id": identifier,
        "name": identifier.replace("/", "-"),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": full},
        "help": {"text": full + (f"\n\nMore: {finding.help_uri}" if finding.help_uri else "")},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
        "properties": properties,
    }
    if finding.help_uri:
        rule["helpUri"] = finding.help_uri
    return rule


def rule_summary(finding: Finding) -> str:
    """One line on what a rule is about: the weakness it names, else the first sentence of the rule's own text,
    else (a model finding that names neither) its concern."""
    cwe = next((CWE_NAMES[c] for c in finding.cwe if c in CWE_NAMES), None)
    if cwe:
        return f"{cwe} ({finding.rule_id})" if finding.rules else cwe
    if finding.explanation and not finding.by_model_only:
        return finding.explanation.split(". ", 1)[0].rstrip(".")[:200]
    return f"A {finding.concerns[0].value} problem found by a model agent; each result says what it is"


def _result(finding: Finding, rules: dict[str, dict]) -> dict:
    identifier = finding.rule_id
    if identifier not in rules:
        rules[identifier] = _rule(finding, identifier)
    message = finding.title + (f"\n\n{finding.explanation}" if finding.explanation else "")
    entry = {
        "ruleId": identifier,
        "ruleIndex": list(rules).index(identifier),
        "level": _LEVEL[finding.severity],
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                    "region": _region(finding.span),
                }
            }
        ],
        "partialFingerprints": {"manyeyesFingerprint/v1": finding.fingerprint},
        "rank": round(finding.confidence * 100, 1),  # SARIF's 0-100 priority: the confidence, as people rank
        "properties": {
            "severity": finding.severity.value,
            "confidence": finding.confidence,
            "confidenceReasons": finding.confidence_reasons,
            "concerns": [c.value for c in finding.concerns],
            "sources": [source.label for source in finding.sources],
        },
    }
    if finding.fix:
        entry["fixes"] = [
            {
                "description": {"text": finding.fix.description or "Suggested fix"},
                **({"properties": {"check": finding.fix.check_label}} if finding.fix.check_label else {}),
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                        "replacements": [
                            {
                                "deletedRegion": _region(finding.fix.span),
                                "insertedContent": {"text": finding.fix.replacement},
                            }
                        ],
                    }
                ],
            }
        ]
    return entry


def _region(span: Span) -> dict:
    region = {"startLine": span.start_line, "startColumn": span.start_col, "endLine": span.end_line}
    if span.end_col:
        region["endColumn"] = span.end_col  # absent: the region runs to the end of endLine
    return region


def _invocation(result: ReviewResult) -> dict:
    notifications = [
        {"level": "error", "message": {"text": f"{o.concern.value} agent on {o.target} failed: {o.error}"}}
        for o in result.failed
    ]
    notifications += [
        {"level": "warning", "message": {"text": f"{n.path} not reviewed: {n.reason}"}} for n in result.not_reviewed
    ]
    return {"executionSuccessful": not result.failed, "toolExecutionNotifications": notifications}
