"""Markdown, for a pull-request comment or a CI job summary."""

from __future__ import annotations

from manyeyes.models import ReviewResult
from manyeyes.report.summary import summary_line, verification_lines


def to_markdown(result: ReviewResult) -> str:
    lines = ["## manyeyes review", "", summary_line(result), ""]
    if result.findings:
        lines += ["| Severity | Location | Concern | Finding | Raised by |", "|---|---|---|---|---|"]
        for f in result.findings:
            ids = ", ".join(f.rules + f.cwe)
            title = f"{f.title} ({ids})" if ids else f.title
            lines.append(
                f"| {f.severity.value} | `{f.path}:{f.span.start_line}` | {'/'.join(c.value for c in f.concerns)} "
                f"| {_cell(title)} | {', '.join(f.sources)} |"
            )
        lines.append("")
    if result.not_reviewed:
        lines += ["**Not reviewed**", ""] + [f"- `{n.path}`: {n.reason}" for n in result.not_reviewed] + [""]
    if result.verification:
        lines += ["**Verification**", ""] + [f"- {_cell(line)}" for line in verification_lines(result)] + [""]
    if result.failed:
        lines += ["**Agents that failed**", ""]
        lines += [f"- {o.concern.value} `{o.target}` ({o.agent}): {_cell(o.error or '')}" for o in result.failed]
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
