"""SARIF 2.1.0, in the shape GitHub code scanning accepts: rules, results, locations, partialFingerprints.

Columns are Unicode code points (declared with `columnKind`), paths are relative to %SRCROOT% (the workspace),
failed agents and unreviewed files are tool execution notifications, so CI sees an incomplete review as such.
"""

from __future__ import annotations

import json

from manyeyes import __version__
from manyeyes.models import Finding, ReviewResult, Severity, Span

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


def rule_id(finding: Finding) -> str:
    if finding.rules:
        return finding.rules[0]
    if finding.cwe:
        return finding.cwe[0]
    return f"manyeyes/{finding.concerns[0].value}"


def _rule(finding: Finding, identifier: str) -> dict:
    tags = [c.value for c in finding.concerns] + [f"external/cwe/{c.lower()}" for c in finding.cwe]
    properties: dict = {"tags": tags}
    if any(c.value == "security" for c in finding.concerns):
        properties["security-severity"] = _SECURITY_SEVERITY[finding.severity]
    rule = {
        "id": identifier,
        "name": identifier.replace("/", "-"),
        "shortDescription": {"text": finding.title},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
        "properties": properties,
    }
    if finding.help_uri:
        rule["helpUri"] = finding.help_uri
    return rule


def _result(finding: Finding, rules: dict[str, dict]) -> dict:
    identifier = rule_id(finding)
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
        "properties": {
            "severity": finding.severity.value,
            "confidence": finding.confidence,
            "concerns": [c.value for c in finding.concerns],
            "sources": finding.sources,
        },
    }
    if finding.fix:
        entry["fixes"] = [
            {
                "description": {"text": finding.fix.description or "Suggested fix"},
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
