"""SARIF 2.1.0, in the shape GitHub code scanning accepts: rules, results, locations, partialFingerprints.

Columns are Unicode code points (declared with `columnKind`), paths are relative to %SRCROOT% (the repository
root: the CLI's default workspace, wherever it runs), each rule has help in text and Markdown and a security
severity for code scanning, fingerprints leave line numbers out (they survive code moving), and
failed agents and unreviewed files are tool execution notifications, so CI sees an incomplete review as such.
"""

from __future__ import annotations

import json

from manyeyes import HOMEPAGE, __version__
from manyeyes.models import Finding, ReviewResult, Severity, Span
from manyeyes.plan.instructions import PROJECT_RULE_PREFIX
from manyeyes.safety import plain
from manyeyes.vocabulary import CWE_NAMES

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {
    Severity.critical: "error",
    Severity.high: "error",
    Severity.medium: "warning",
    Severity.low: "note",
    Severity.info: "note",
}
FINDINGS_DOC = f"{HOMEPAGE}/blob/main/docs/findings.md"  # for rules with no page of their own (a model's)
# GitHub ranks security alerts by this property (a CVSS-like score as a string).
_SECURITY_SEVERITY = {
    Severity.critical: "9.5",
    Severity.high: "8.0",
    Severity.medium: "5.5",
    Severity.low: "3.0",
    Severity.info: "1.0",
}


def to_sarif_json(result: ReviewResult, category: str = "manyeyes") -> str:
    return json.dumps(to_sarif(result, category), indent=2) + "\n"


def to_sarif(result: ReviewResult, category: str = "manyeyes") -> dict:
    """The log of one run; `category` is code scanning's analysis category (one analysis per category)."""
    by_rule: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    rules = [_rule(identifier, findings) for identifier, findings in by_rule.items()]
    index = {identifier: position for position, identifier in enumerate(by_rule)}
    baseline = "new" if result.baseline else None  # --new-only: every result reported is new to the base
    run = {
        "tool": {
            "driver": {
                "name": "manyeyes",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": HOMEPAGE,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"{category.strip('/')}/"},  # a trailing "/": a category, no run id
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root (else the workspace)"}}},
        "results": [_result(finding, index[finding.rule_id], baseline) for finding in result.findings],
        "invocations": [_invocation(result)],
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule(identifier: str, findings: list[Finding]) -> dict:
    """The rule described by the rule, not by whichever finding came first: what it is about in a line, what is
    wrong in words, where to read more, and how severe it is at worst in this run (the policy's grade of each
    finding: synthesis/policy.py), which is what code scanning ranks security alerts by."""
    first = findings[0]
    worst = max((f.severity for f in findings), key=lambda severity: severity.rank)
    tags = [c.value for c in first.concerns] + [f"external/cwe/{c.lower()}" for c in first.cwe]
    properties: dict = {"tags": tags}
    if any(c.value == "security" for f in findings for c in f.concerns):
        properties["security-severity"] = _SECURITY_SEVERITY[worst]
    summary = rule_summary(first)
    full = first.explanation if first.explanation and not first.by_model_only else summary
    help_uri = first.help_uri or FINDINGS_DOC
    return {
        "id": identifier,
        "name": identifier.replace("/", "-"),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": full},
        "help": {
            "text": f"{full}\n\nMore: {help_uri}",
            "markdown": f"{plain.markdown(full)}\n\n[More about this rule]({help_uri})",
        },
        "helpUri": help_uri,
        "defaultConfiguration": {"level": _LEVEL[worst]},
        "properties": properties,
    }


def rule_summary(finding: Finding) -> str:
    """One line on what a rule is about: the project's instruction it enforces, the weakness it names, else the
    first sentence of the rule's own text, else (a model finding that names neither) its concern."""
    if finding.rule_id.startswith(PROJECT_RULE_PREFIX):
        return f"A convention this project wrote in its review instructions ({finding.rule_id})"
    cwe = next((CWE_NAMES[c] for c in finding.cwe if c in CWE_NAMES), None)
    if cwe:
        return f"{cwe} ({finding.rule_id})" if finding.rules else cwe
    if finding.explanation and not finding.by_model_only:
        return finding.explanation.split(". ", 1)[0].rstrip(".")[:200]
    return f"A {finding.concerns[0].value} problem found by a model agent; each result says what it is"


def _result(finding: Finding, rule_index: int, baseline: str | None) -> dict:
    message = finding.title + (f"\n\n{finding.explanation}" if finding.explanation else "")
    entry = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
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
    if baseline:
        entry["baselineState"] = baseline
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
