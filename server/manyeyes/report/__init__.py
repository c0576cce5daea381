"""Writing a ReviewResult for people (text, Markdown) and machines (JSON, SARIF 2.1.0, GitHub workflow commands,
GitLab's code quality report)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line names FORMATS before anything heavy is imported
    from manyeyes.models import ReviewResult

FORMATS = ("text", "json", "sarif", "markdown", "github", "codeclimate")


def render(result: ReviewResult, fmt: str, *, color: bool = False, category: str = "manyeyes") -> str:
    """`category`: SARIF's run category (code scanning keeps one analysis per category)."""
    if fmt == "json":
        return result.model_dump_json(indent=2) + "\n"
    if fmt == "sarif":
        from manyeyes.report.sarif import to_sarif_json

        return to_sarif_json(result, category)
    if fmt == "github":
        from manyeyes.report.github import to_github

        return to_github(result)
    if fmt == "codeclimate":
        from manyeyes.report.codeclimate import to_codeclimate_json

        return to_codeclimate_json(result)
    if fmt == "markdown":
        from manyeyes.report.markdown import to_markdown

        return to_markdown(result)
    from manyeyes.report.text import to_text

    return to_text(result, color=color)
