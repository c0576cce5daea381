"""Markdown, for a pull-request comment or a CI job summary. Every text in it may come from a model or quote the
reviewed repository (titles, paths, errors), so all of it is escaped: a comment cannot load an image or carry a
link the review did not build."""

from __future__ import annotations

from manyeyes.models import ReviewResult
from manyeyes.report.summary import summary_line, verification_lines
from manyeyes.safety import plain


def to_markdown(result: ReviewResult) -> str:
    lines = ["## manyeyes review", "", summary_line(result), ""]
    if result.findings:
        lines += ["| Severity | Location | Concern | Finding | Raised by |", "|---|---|---|---|---|"]
        for f in result.findings:
            ids = ", ".join(f.rules + f.cwe)
            title = f"{f.title} ({ids})" if ids else f.title
            lines.append(
                f"| {f.severity.value} | {plain.code_span(f'{f.path}:{f.span.start_line}')} | "
                f"{'/'.join(c.value for c in f.concerns)} | {_cell(title)} | {_cell(f.source_labels())} |"
            )
        lines.append("")
    if result.not_reviewed:
        lines += ["**Not reviewed**", ""]
        lines += [f"- {plain.code_span(n.path)}: {_cell(n.reason)}" for n in result.not_reviewed]
        lines.append("")
    if result.verification:
        lines += ["**Verification**", ""] + [f"- {_cell(line)}" for line in verification_lines(result)] + [""]
    if result.failed:
        lines += ["**Agents that failed**", ""]
        lines += [
            f"- {o.concern.value} {_cell(o.target)} ({_cell(o.agent)}): {_cell(o.error or '')}" for o in result.failed
        ]
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """One table cell or list item: one line, escaped (a `|` would end the cell, `![x](url)` would load)."""
    return plain.markdown(plain.one_line(text, 500))
