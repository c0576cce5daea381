"""Slicing a document into chunks an agent can review on its own.

Python is sliced along its syntax: each top-level function or class is a chunk (a class too long to fit is split
into its methods), the module-level code between them is grouped into line windows. Other languages, and Python
that does not parse with the running interpreter, are cut into overlapping line windows.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from manyeyes.plan.documents import Document

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
    sliced = _slice_python(document, max_lines) if document.language == "python" else None
    if sliced is None:
        note = _syntax_note(document) if document.language == "python" else None
        sliced = Sliced(windows(document, 1, len(document.lines), max_lines), note)
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


def _slice_python(document: Document, max_lines: int) -> Sliced | None:
    try:
        tree = ast.parse(document.text)
    except (SyntaxError, ValueError):
        return None
    chunks: list[Chunk] = []
    gap_start = 1
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        start = _first_line(node)
        chunks.extend(windows(document, gap_start, start - 1, max_lines) if start > gap_start else [])
        chunks.extend(_definition_chunks(document, node, max_lines))
        gap_start = node.end_lineno + 1
    last_line = len(document.lines)
    if gap_start <= last_line:
        chunks.extend(windows(document, gap_start, last_line, max_lines))
    return Sliced(chunks)


def _definition_chunks(document: Document, node: ast.stmt, max_lines: int, owner: str = "") -> list[Chunk]:
    start, end = _first_line(node), node.end_lineno
    kind = "class" if isinstance(node, ast.ClassDef) else ("method" if owner else "function")
    symbol = f"{kind} {owner}{node.name}"
    if end - start + 1 <= max_lines:
        return [Chunk(document, start, end, symbol)]
    if not isinstance(node, ast.ClassDef):
        return windows(document, start, end, max_lines, symbol)
    return _class_chunks(document, node, max_lines)


def _class_chunks(document: Document, node: ast.ClassDef, max_lines: int) -> list[Chunk]:
    """A class too long for one chunk: its body between methods in windows, each method on its own."""
    chunks: list[Chunk] = []
    gap_start = _first_line(node)
    for child in node.body:
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = _first_line(child)
            if start > gap_start:
                chunks.extend(windows(document, gap_start, start - 1, max_lines, f"class {node.name}"))
            chunks.extend(_definition_chunks(document, child, max_lines, owner=f"{node.name}."))
            gap_start = child.end_lineno + 1
    if gap_start <= node.end_lineno:
        chunks.extend(windows(document, gap_start, node.end_lineno, max_lines, f"class {node.name}"))
    return chunks


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _syntax_note(document: Document) -> str:
    try:
        ast.parse(document.text)
    except SyntaxError as exc:
        return (
            f"{document.path}: does not parse with this Python (line {exc.lineno}: {exc.msg}); "
            "sliced by line windows, analyzers that cannot parse it skip it"
        )
    except ValueError as exc:
        return f"{document.path}: does not parse ({exc}); sliced by line windows"
    return f"{document.path}: sliced by line windows"


def _has_code(chunk: Chunk) -> bool:
    """False for chunks of blank lines and imports only: nothing there for an agent to review alone. Comments
    count: a comment can hold a credential, or instructions aimed at an AI reviewer, and must be seen."""
    for line in chunk.document.lines[chunk.start - 1 : chunk.end]:
        stripped = line.strip()
        if stripped and not stripped.startswith(("import ", "from ")):
            return True
    return False
