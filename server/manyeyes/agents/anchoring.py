"""Anchoring: a model's finding is placed where its quoted code is, never where its line number says.

Models miscount lines, copy the line-number gutter, and re-indent. The quote is compared line by line with
whitespace collapsed; of all the places it matches, the one nearest the model's line wins. A quote found nowhere
means the finding is about code that is not there: it is dropped.
"""

from __future__ import annotations

import re

from manyeyes.models import Span

_GUTTER = re.compile(r"^\s*\d+\s*\|\s?")
MIN_QUOTE_CHARS = 4


def anchor(quote: str, lines: list[str], hint_line: int | None) -> Span | None:
    """The span of `quote` in `lines` (the document), nearest to hint_line; None if it is not there."""
    wanted = _quote_lines(quote)
    if not wanted or sum(len(w) for w in wanted) < MIN_QUOTE_CHARS:
        return None
    normalized = [_normalize(line) for line in lines]
    starts = [i for i in range(len(lines) - len(wanted) + 1) if _matches_at(normalized, i, wanted)]
    if not starts:
        return None
    best = min(starts, key=lambda i: abs(i + 1 - hint_line) if hint_line else i)
    return _span(lines, best, wanted)


def _quote_lines(quote: str) -> list[str]:
    raw = quote.strip("\n").split("\n")
    if all(_GUTTER.match(line) for line in raw if line.strip()):
        raw = [_GUTTER.sub("", line, count=1) for line in raw]
    normalized = [_normalize(line) for line in raw]
    while normalized and not normalized[0]:
        normalized.pop(0)
    while normalized and not normalized[-1]:
        normalized.pop()
    return normalized


def _normalize(line: str) -> str:
    return " ".join(line.split())


def _matches_at(normalized: list[str], index: int, wanted: list[str]) -> bool:
    """First and last quoted lines may be partial (a quote of part of a line); inner lines match whole."""
    for offset, want in enumerate(wanted):
        have = normalized[index + offset]
        partial = offset == 0 or offset == len(wanted) - 1
        if not (want in have if partial else want == have):
            return False
    return True


def _span(lines: list[str], index: int, wanted: list[str]) -> Span:
    end_line = index + len(wanted)
    if len(wanted) == 1:
        column = _column_of(lines[index], wanted[0])
        if column is not None:
            return Span(
                start_line=index + 1,
                start_col=column + 1,
                end_line=index + 1,
                end_col=column + len(wanted[0]) + 1,
            )
    return Span(start_line=index + 1, start_col=_indent(lines[index]) + 1, end_line=end_line, end_col=0)


def _column_of(line: str, fragment: str) -> int | None:
    """Where the fragment starts in the raw line, if it appears there verbatim."""
    position = line.find(fragment)
    return position if position >= 0 else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())
