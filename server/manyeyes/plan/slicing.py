"""Slicing a document into chunks an agent can review on its own.

Code is sliced along its syntax (plan/syntax.py: Python's own parser, tree-sitter for the other common languages
and for Python this interpreter cannot parse): each top-level function or class is a chunk (a class too long to
fit is split into its methods), the code between them is grouped into line windows. A language with no grammar,
and a file whose syntax tree has errors, is cut into overlapping line windows, with a note saying why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from manyeyes.plan import syntax
from manyeyes.plan.documents import Document
from manyeyes.plan.syntax import Definition

WINDOW_OVERLAP = 10


@dataclass(frozen=True)
class Chunk:
    document: Document
    start: int  # 1-based, inclusive
    end: int
    symbol: str | None = None  # "function f", "class C", "method C.m"

    @property
    def label(self) -> str:
        return f"{self.document.path}:{self.start}-{self.end}"

    @property
    def text(self) -> str:
        return "\n".join(self.document.lines[self.start - 1 : self.end])


@dataclass
class Sliced:
    chunks: list[Chunk]
    note: str | None = None  # why the slicing fell back to line windows


def slice_document(document: Document, max_lines: int) -> Sliced:
    """Chunks of the document that intersect its focus."""
    parsed = syntax.parse(document)
    if parsed.definitions is None:
        chunks = windows(document, 1, len(document.lines), max_lines)
    else:
        chunks = _along(document, parsed.definitions, 1, len(document.lines), max_lines)
    sliced = Sliced(chunks, parsed.note)
    sliced.chunks = [c for c in sliced.chunks if document.in_focus(c.start, c.end) and _has_code(c)]
    return sliced


def windows(document: Document, start: int, end: int, size: int, symbol: str | None = None) -> list[Chunk]:
    """Line windows of at most `size` lines covering start..end, overlapping so no statement is seen only cut."""
    chunks = []
    step = max(size - WINDOW_OVERLAP, 1)
    for first in range(start, max(end, start) + 1, step):
        last = min(first + size - 1, end)
        chunks.append(Chunk(document, first, max(last, first), symbol))
        if last >= end:
            break
    return chunks


def _along(
    document: Document, definitions: Sequence[Definition], start: int, end: int, max_lines: int, owner: str = ""
) -> list[Chunk]:
    """start..end cut along its definitions: each one a chunk (or its members, when too long), the code between
    them in line windows (labelled with the enclosing class, if any)."""
    chunks: list[Chunk] = []
    gap_start = start
    enclosing = f"class {owner.rstrip('.')}" if owner else None
    for definition in definitions:
        if definition.start > gap_start:
            chunks.extend(windows(document, gap_start, definition.start - 1, max_lines, enclosing))
        chunks.extend(_definition_chunks(document, definition, max_lines, owner))
        gap_start = max(gap_start, definition.end + 1)
    if gap_start <= end:
        chunks.extend(windows(document, gap_start, end, max_lines, enclosing))
    return chunks


def _definition_chunks(document: Document, definition: Definition, max_lines: int, owner: str) -> list[Chunk]:
    kind = "method" if owner and definition.kind == "function" else definition.kind
    symbol = f"{kind} {owner}{definition.name}"
    if definition.end - definition.start + 1 <= max_lines:
        return [Chunk(document, definition.start, definition.end, symbol)]
    if not definition.members:
        return windows(document, definition.start, definition.end, max_lines, symbol)
    owner = f"{owner}{definition.name}."
    return _along(document, definition.members, definition.start, definition.end, max_lines, owner)


def _has_code(chunk: Chunk) -> bool:
    """False for chunks of blank lines and imports only: nothing there for an agent to review alone. Comments
    count: a comment can hold a credential, or instructions aimed at an AI reviewer, and must be seen."""
    for line in chunk.document.lines[chunk.start - 1 : chunk.end]:
        stripped = line.strip()
        if stripped and not stripped.startswith(("import ", "from ")):
            return True
    return False
