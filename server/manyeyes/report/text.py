"""Plain text for the terminal: one block per finding, then what was not reviewed and which agents failed."""

from __future__ import annotations

from manyeyes.models import Finding, ReviewResult, Severity
from manyeyes.report.summary import summary_line, verification_lines

_COLORS = {
    Severity.critical: "\033[1;31m",
    Severity.high: "\033[31m",
    Severity.medium: "\033[33m",
    Severity.low: "\033[36m",
    Severity.info: "\033[2m",
}
_RESET = "\033[0m"


def to_text(result: ReviewResult, *, color: bool = False) -> str:
    blocks = [_finding(f, color) for f in result.findings]
    blocks.extend(_sections(result))
    blocks.append(summary_line(result))
    return "\n".join(blocks) + "\n"


def _finding(finding: Finding, color: bool) -> str:
    severity = finding.severity.value
    if color:
        severity = f"{_COLORS[finding.severity]}{severity}{_RESET}"
    ids = ", ".join(finding.rules + finding.cwe)
    concerns = "/".join(c.value for c in finding.concerns)
    head = (
        f"{finding.path}:{finding.span.start_line}:{finding.span.start_col}: {severity} {concerns}"
        f"{f' [{ids}]' if ids else ''} {finding.title}"
    )
    lines = [head, f"    confidence {finding.confidence:.2f}, raised by {', '.join(finding.sources)}"]
    if finding.explanation:
        lines.append(f"    {finding.explanation}")
    if finding.help_uri:
        lines.append(f"    more: {finding.help_uri}")
    if finding.fix:
        lines.append(f"    fix: {finding.fix.description or 'replacement available'}")
    lines.extend(f"    note: {note}" for note in finding.notes)
    return "\n".join(lines)


def _sections(result: ReviewResult) -> list[str]:
    sections = []
    if result.not_reviewed:
        sections.append("Not reviewed:\n" + "\n".join(f"  {n.path}: {n.reason}" for n in result.not_reviewed))
    if result.notes:
        sections.append("Notes:\n" + "\n".join(f"  {note}" for note in result.notes))
    if result.verification:
        sections.append("Verification:\n" + "\n".join(f"  {line}" for line in verification_lines(result)))
    if result.failed:
        sections.append(
            "Agents that failed (their part of the review is missing):\n"
            + "\n".join(f"  {o.concern.value} {o.target} ({o.agent}): {o.error}" for o in result.failed)
        )
    return sections
