"""Plain text for the terminal, for a person reading it top to bottom: the findings grouped by file (the file with
the most severe finding first), each with its line of code, what is wrong in words and the fix when there is one;
then what was not reviewed, notes, the project's instructions, verification and failed agents; then the summary.

Each finding's first line keeps the `path:line:col:` form terminals and editors turn into a link.
"""

from __future__ import annotations

from collections import defaultdict

from manyeyes.models import Finding, ReviewResult, Severity
from manyeyes.report.summary import consensus_lines, instruction_lines, summary_line, verification_lines
from manyeyes.safety import plain

_COLORS = {
    Severity.critical: "\033[1;31m",
    Severity.high: "\033[31m",
    Severity.medium: "\033[33m",
    Severity.low: "\033[36m",
    Severity.info: "\033[2m",
}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"
CODE_WIDTH = 160  # a code line longer than this is cut: minified code must not flood the terminal


def to_text(result: ReviewResult, *, color: bool = False) -> str:
    blocks = [_file_block(path, findings, color) for path, findings in _by_file(result.findings)]
    blocks.extend(_sections(result))
    blocks.append(summary_line(result))
    return "\n\n".join(blocks) + "\n"


def _by_file(findings: list[Finding]) -> list[tuple[str, list[Finding]]]:
    """Findings grouped by file, in ranked order within a file; files ordered by their first (most severe)."""
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[finding.path].append(finding)
    return list(groups.items())  # findings arrive ranked, so first appearance is the most severe


def _file_block(path: str, findings: list[Finding], color: bool) -> str:
    worst = findings[0].severity.value
    header = f"{plain.one_line(path, 300)} ({len(findings)} finding(s), worst: {worst})"
    header = f"{_BOLD}{header}{_RESET}" if color else header
    return "\n".join([header, *(_finding(f, color) for f in findings)])


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
    lines = [head, *_code(finding, color)]
    if finding.explanation:
        lines.append(f"    {finding.explanation}")
    if finding.fix:
        author = f" ({finding.fix.source.label})" if finding.fix.source else ""
        lines.append(f"    fix{author}: {finding.fix.description or 'replacement available'}")
        if finding.fix.check_label:
            lines.append(f"    {finding.fix.check_label}")
    lines.append(
        f"    confidence {finding.confidence_text}, raised by {finding.source_labels()}; id {finding.fingerprint}"
    )
    if finding.help_uri:
        lines.append(f"    more: {finding.help_uri}")
    lines.extend(f"    note: {plain.one_line(note, 500)}" for note in finding.notes)
    return "\n".join(lines)


def _code(finding: Finding, color: bool) -> list[str]:
    """The finding's first line of code, as quoted (secrets already redacted by the engine), visible characters."""
    first = finding.evidence.split("\n", 1)[0] if finding.evidence else ""
    if not first.strip():
        return []
    code = plain.one_line(first.strip(), CODE_WIDTH)
    gutter = f"{finding.span.start_line:>6} | "
    return [f"{_DIM}{gutter}{code}{_RESET}" if color else f"{gutter}{code}"]


def _sections(result: ReviewResult) -> list[str]:
    sections = []
    if result.not_reviewed:
        sections.append("Not reviewed:\n" + "\n".join(f"  {n.path}: {n.reason}" for n in result.not_reviewed))
    if result.notes:
        sections.append("Notes:\n" + "\n".join(f"  {plain.one_line(note, 500)}" for note in result.notes))
    if result.instructions:
        sections.append("Instructions:\n" + "\n".join(f"  {line}" for line in instruction_lines(result)))
    if result.consensus and consensus_lines(result):
        sections.append("Consensus:\n" + "\n".join(f"  {line}" for line in consensus_lines(result)))
    if result.verification:
        sections.append("Verification:\n" + "\n".join(f"  {line}" for line in verification_lines(result)))
    if result.failed:
        sections.append(
            "Agents that failed (their part of the review is missing):\n"
            + "\n".join(f"  {o.concern.value} {o.target} ({o.agent}): {o.error}" for o in result.failed)
        )
    return sections
