"""Every conversion between the engine's data and what goes over the wire, in one place: findings as LSP types,
our `manyeyes/board` notification, and the arguments of our commands.

The engine counts columns in code points (1-based, end exclusive, end_col 0 = end of line). The client counts in
the position encoding negotiated at `initialize`: UTF-16 code units unless it offered UTF-8 or UTF-32. A line with
an emoji is where getting this wrong shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from manyeyes.safety import plain
from manyeyes.vocabulary import Severity

if TYPE_CHECKING:
    from manyeyes.models import Finding, Fix, Span, VerificationReport
    from manyeyes.progress import Board

SOURCE = "manyeyes"
_SEVERITY = {
    Severity.critical: types.DiagnosticSeverity.Error,
    Severity.high: types.DiagnosticSeverity.Error,
    Severity.medium: types.DiagnosticSeverity.Warning,
    Severity.low: types.DiagnosticSeverity.Information,
    Severity.info: types.DiagnosticSeverity.Hint,
}


def units(text: str, encoding: str) -> int:
    """Length of `text` in the client's code units."""
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def position(lines: list[str], line: int, col: int, encoding: str) -> types.Position:
    """1-based line and code point column -> LSP position; col 0 means the end of the line."""
    index = min(max(line - 1, 0), max(len(lines) - 1, 0))
    text = lines[index] if lines else ""
    characters = len(text) if col == 0 else min(col - 1, len(text))
    return types.Position(line=index, character=units(text[:characters], encoding))


def span_to_range(span: Span, lines: list[str], encoding: str) -> types.Range:
    start = position(lines, span.start_line, span.start_col, encoding)
    return types.Range(start=start, end=position(lines, span.end_line, span.end_col, encoding))


def range_to_lines(range_: types.Range) -> tuple[int, int]:
    """The 1-based inclusive lines a client range touches (a range ending at column 0 stops on the line before)."""
    end = range_.end.line if range_.end.character > 0 or range_.end.line == range_.start.line else range_.end.line - 1
    return range_.start.line + 1, max(end, range_.start.line) + 1


def diagnostic(finding: Finding, lines: list[str], encoding: str, version: int | None) -> types.Diagnostic:
    concerns = "/".join(c.value for c in finding.concerns)
    return types.Diagnostic(
        range=span_to_range(finding.span, lines, encoding),
        severity=_SEVERITY[finding.severity],
        source=SOURCE,
        code=finding.rule_id,
        code_description=types.CodeDescription(href=finding.help_uri) if _web_link(finding.help_uri) else None,
        message=f"{concerns}: {finding.title}",
        data={"fingerprint": finding.fingerprint, "version": version},
    )


def hover_markdown(finding: Finding) -> str:
    """The hover of a finding. Every text in it may have been written by a model or quote the reviewed code, so
    all of it is escaped (plain.markdown): the only link is the rule's page, and only an http(s) one."""
    ids = ", ".join(finding.rules + finding.cwe)
    parts = [
        f"**manyeyes · {finding.severity.value} · {'/'.join(c.value for c in finding.concerns)}**"
        + (f" ({plain.markdown(ids)})" if ids else ""),
        f"### {plain.markdown(finding.title)}",
    ]
    if finding.explanation:
        parts.append(plain.markdown(finding.explanation))
    sources = plain.markdown(finding.source_labels())
    parts.append(f"Confidence {plain.markdown(finding.confidence_text)} · raised by {sources}")
    if finding.evidence:
        fence = "`" * max(3, _longest_run(finding.evidence, "`") + 1)  # the quoted code cannot close its fence
        parts.append(f"Evidence:\n{fence}\n{finding.evidence}\n{fence}")
    if finding.fix is not None and finding.fix.check_label:  # a model's fix: checked, or why not
        parts.append(f"_{plain.markdown(finding.fix.check_label)}_")
    parts.extend(f"_{plain.markdown(plain.one_line(note, 500))}_" for note in finding.notes)
    if _web_link(finding.help_uri):
        parts.append(f"[More about this rule](<{finding.help_uri}>)")
    return "\n\n".join(parts)


def action_title(text: str) -> str:
    """A code action's title from text a model or a tool wrote: one line, not too long."""
    return plain.one_line(f"manyeyes: {text}", 120)


def _web_link(uri: str | None) -> bool:
    return bool(uri) and uri.startswith(("https://", "http://")) and not any(c in uri for c in " <>\n\"'`")


def _longest_run(text: str, char: str) -> int:
    longest = current = 0
    for c in text:
        current = current + 1 if c == char else 0
        longest = max(longest, current)
    return longest


def text_edit(fix: Fix, lines: list[str], encoding: str) -> types.TextEdit:
    return types.TextEdit(range=span_to_range(fix.span, lines, encoding), new_text=fix.replacement)


def negotiated_encoding(encoding: str | None) -> str:
    return encoding or types.PositionEncodingKind.Utf16


def board_payload(review_id: str, board: Board, done: bool, message: str | None) -> dict:
    return {
        "reviewId": review_id,
        "done": done,
        "message": message,
        "phase": board.phase,
        "verification": None,  # set from the run's results once verification has run
        "consensus": None,  # likewise: the tasks escalated to more voters, what each stage removed
        "instructions": [],  # likewise: the project instruction files the review read
        "percentage": board.percent,
        "findings": board.findings,
        "tokens": board.tokens,
        "costUsd": round(board.cost_usd, 6),
        "agents": [
            {
                "id": o.task_id,
                "concern": o.concern.value,
                "target": o.target,
                "agent": o.agent,
                "state": o.state,
                "findings": o.findings,
                "tokens": o.prompt_tokens + o.completion_tokens,
                "costUsd": o.cost_usd,
                "durationS": o.duration_s,
                "cached": o.cached,
                "error": o.error,
                "vote": o.vote,
                "escalated": o.escalated,
                "instructions": o.instructions,
            }
            for o in board.agents.values()
        ],
    }


def verification_json(report: VerificationReport, uri_of) -> dict:
    """What the verifier did, for the board: the rejected findings with where they were (0-based lines, as in
    LSP), so an editor can list them and open each; rejected findings are not published as diagnostics."""
    return {
        "checked": report.checked,
        "confirmed": report.confirmed,
        "rejected": [
            {"uri": uri_of(r.path), "path": r.path, "line": r.line - 1, "title": r.title, "reason": r.reason}
            for r in report.rejected
        ],
        "errors": report.errors,
        "tokens": report.prompt_tokens + report.completion_tokens,
        "costUsd": round(report.cost_usd, 6),
    }


def range_json(selection: types.Range) -> dict:
    return {
        "start": {"line": selection.start.line, "character": selection.start.character},
        "end": {"line": selection.end.line, "character": selection.end.character},
    }


def uri_argument(args: tuple, index: int, command: str) -> str:
    from manyeyes.lsp.documents import describe, file_uri_problem, uri_problem

    if len(args) <= index or not isinstance(args[index], str) or not args[index]:
        raise JsonRpcInvalidParams(f"{command} needs a document URI as argument {index + 1}")
    # A NUL or a lone surrogate would fail later as an internal error. Any scheme names an open document (an
    # untitled buffer); one that is not open is refused when the review reads it (snapshots.snapshot).
    uri = args[index]
    problem = file_uri_problem(uri) if uri.startswith("file:") else uri_problem(uri)
    if problem:
        raise JsonRpcInvalidParams(f"{command}: the URI {describe(args[index])} {problem}")
    return args[index]


def range_argument(args: tuple, index: int, command: str) -> types.Range:
    try:
        value = args[index]
        start, end = value["start"], value["end"]
        selection = types.Range(
            start=types.Position(line=int(start["line"]), character=int(start["character"])),
            end=types.Position(line=int(end["line"]), character=int(end["character"])),
        )
    except (IndexError, KeyError, TypeError, ValueError):
        raise JsonRpcInvalidParams(
            f"{command} needs a range {{start: {{line, character}}, end: ...}} as argument {index + 1}"
        ) from None
    if selection.start.line < 0 or selection.end.line < selection.start.line:
        raise JsonRpcInvalidParams(f"{command}: the range is empty or reversed")
    return selection
