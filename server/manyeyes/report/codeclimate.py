"""GitLab's code quality report: the Code Climate issue format GitLab reads from `artifacts:reports:codequality`,
shown in the merge request's widget and diff. GitLab compares the reports of the base and the merge request by
`fingerprint`, so it is the finding's own: stable when code moves (synthesis/fingerprint.py)."""

from __future__ import annotations

import json

from manyeyes.models import Finding, ReviewResult, Severity
from manyeyes.safety import plain

_SEVERITY = {
    Severity.critical: "blocker",
    Severity.high: "critical",
    Severity.medium: "major",
    Severity.low: "minor",
    Severity.info: "info",
}
_CATEGORY = {"security": "Security", "performance": "Performance", "readability": "Style", "tests": "Bug Risk"}


def to_codeclimate_json(result: ReviewResult) -> str:
    return json.dumps([_issue(f) for f in result.findings], indent=2) + "\n"


def _issue(finding: Finding) -> dict:
    return {
        "type": "issue",
        "check_name": finding.rule_id,
        "description": plain.one_line(finding.title, 500),
        "content": {"body": plain.paragraph(finding.explanation)} if finding.explanation else {"body": ""},
        "categories": sorted({_CATEGORY.get(c.value, "Bug Risk") for c in finding.concerns}),
        "severity": _SEVERITY[finding.severity],
        "fingerprint": finding.fingerprint,
        "location": {"path": finding.path, "lines": {"begin": finding.span.start_line, "end": finding.span.end_line}},
    }
