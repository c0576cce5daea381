"""GitHub Actions workflow commands: one `::error file=...,line=...::` line per finding, which GitHub shows inline
in the pull request's diff and in the job's annotations, with no API call and no token.

Every value may come from a model or quote the reviewed repository, so each is escaped as the runner's toolkit
does (`%`, CR and LF in the message; also `:` and `,` in properties): one finding can only ever be one command,
and no text can start another (`::stop-commands::`, `::add-mask::`, ...).
"""

from __future__ import annotations

from manyeyes.models import Finding, ReviewResult, Severity
from manyeyes.report.summary import summary_line
from manyeyes.safety import plain

_COMMAND = {
    Severity.critical: "error",
    Severity.high: "error",
    Severity.medium: "warning",
    Severity.low: "notice",
    Severity.info: "notice",
}


def to_github(result: ReviewResult) -> str:
    lines = [_finding(f) for f in result.findings]
    lines += [_command("warning", f"{n.path} not reviewed: {n.reason}") for n in result.not_reviewed]
    lines += [
        _command("warning", f"the {o.concern.value} agent on {o.target} failed: {o.error}") for o in result.failed
    ]
    lines.append(plain.one_line(summary_line(result), 2000))  # a plain log line, not a command
    return "\n".join(lines) + "\n"


def _finding(finding: Finding) -> str:
    ids = ", ".join(finding.rules + finding.cwe)
    title = f"{finding.severity.value} {finding.concerns[0].value}" + (f" [{ids}]" if ids else "")
    message = finding.title + (f"\n{finding.explanation}" if finding.explanation else "")
    message += f"\nconfidence {finding.confidence_text}"
    if finding.fix and finding.fix.description:
        message += f"\nfix: {finding.fix.description}"
    span = finding.span
    properties = {
        "file": finding.path,
        "line": span.start_line,
        "endLine": span.end_line,
        "title": title,
    }
    if span.start_line == span.end_line:  # columns are honoured only on one line
        properties["col"] = span.start_col
        if span.end_col:
            properties["endColumn"] = span.end_col
    return _command(_COMMAND[finding.severity], message, properties)


def _command(name: str, message: str, properties: dict | None = None) -> str:
    props = ",".join(f"{key}={_property(str(value))}" for key, value in (properties or {}).items())
    return f"::{name}{' ' + props if props else ''}::{_data(plain.paragraph(message, 4000))}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(plain.one_line(text, 500)).replace(":", "%3A").replace(",", "%2C")
