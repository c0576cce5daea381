"""Turning paths into reviewable documents, or into a reason they cannot be reviewed.

A document is a frozen snapshot (path, text, the lines in focus); later stages never read the disk again, so what
is reviewed is exactly what was planned, even if the file changes meanwhile.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from manyeyes.config import Settings
from manyeyes.errors import ReviewInputError
from manyeyes.models import NotReviewed

LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".kt": "kotlin",
    ".rb": "ruby",
    ".php": "php",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".hpp": "cpp",
    ".cs": "csharp",
    ".swift": "swift",
    ".scala": "scala",
    ".sh": "shell",
    ".bash": "shell",
    ".lua": "lua",
    ".sql": "sql",
}

Ranges = tuple[tuple[int, int], ...]
_NEWLINE = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as editors and LSP count them: only \\n, \\r\\n and \\r end a line (str.splitlines also splits
    on form feeds and Unicode separators, which would shift every line number after one)."""
    lines = _NEWLINE.split(text)
    return lines[:-1] if lines and lines[-1] == "" and len(lines) > 1 else lines


@dataclass(frozen=True)
class Document:
    path: str  # relative to the workspace, forward slashes
    text: str
    language: str
    focus: Ranges | None = None  # inclusive line ranges under review; None: the whole file

    @cached_property
    def lines(self) -> list[str]:
        return split_lines(self.text)

    def in_focus(self, start: int, end: int) -> bool:
        if self.focus is None:
            return True
        return any(start <= b and a <= end for a, b in self.focus)


@dataclass
class Loaded:
    documents: list[Document]
    not_reviewed: list[NotReviewed]


def relative_to_workspace(path: Path, workspace: Path) -> str | None:
    """The workspace-relative posix path, or None when the path lies outside the workspace."""
    try:
        return path.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return None


def excluded_by(rel: str, patterns: list[str]) -> str | None:
    """The first exclude glob matching the workspace-relative path ('*' also crosses '/', as in fnmatch)."""
    anchored = "/" + rel
    return next((p for p in patterns if any(fnmatch.fnmatch(anchored, "/" + v) for v in _variants(p))), None)


def _variants(pattern: str) -> list[str]:
    """A leading '**/' also matches nothing at all, as in gitignore."""
    pattern = pattern.lstrip("/")
    return [pattern, pattern[3:]] if pattern.startswith("**/") else [pattern]


def expand_paths(
    paths: list[Path], workspace: Path, settings: Settings, unsaved: frozenset[str] = frozenset()
) -> tuple[list[Path], list[NotReviewed]]:
    """Files named, plus the source files under directories named, in a stable order. `unsaved` names files an
    editor holds the text of, which need not exist on disk (new, or deleted under review)."""
    files: list[Path] = []
    skipped: list[NotReviewed] = []
    for given in paths or [workspace]:
        path = given if given.is_absolute() else workspace / given
        if str(path) not in unsaved and not path.exists():
            raise ReviewInputError(f"no such file or directory: {given}")
        if relative_to_workspace(path, workspace) is None:
            skipped.append(NotReviewed(path=str(given), reason=f"outside the workspace {workspace}"))
        elif path.is_dir():
            files.extend(_walk_sources(path, workspace, settings))
        else:
            files.append(path)
    return files, skipped


def _walk_sources(root: Path, workspace: Path, settings: Settings) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _dir_excluded(Path(dirpath) / d, workspace, settings))
        found.extend(Path(dirpath) / name for name in sorted(filenames) if Path(name).suffix in LANGUAGES)
    return found


def _dir_excluded(path: Path, workspace: Path, settings: Settings) -> bool:
    rel = relative_to_workspace(path, workspace)
    return rel is None or excluded_by(rel + "/x", settings.exclude) is not None


def read_document(
    path: Path, workspace: Path, settings: Settings, focus: Ranges | None = None, text: str | None = None
) -> Document | NotReviewed:
    """A snapshot of one file, or why it is not reviewed. `text` replaces the disk content (unsaved buffers)."""
    rel = relative_to_workspace(path, workspace) or str(path)
    pattern = excluded_by(rel, settings.exclude)
    if pattern:
        return NotReviewed(path=rel, reason=f"excluded by the pattern '{pattern}'")
    if text is None:
        text_or_reason = _read_text(path, settings)
        if isinstance(text_or_reason, NotReviewed):
            return NotReviewed(path=rel, reason=text_or_reason.reason)
        text = text_or_reason
    line_count = len(split_lines(text))
    if line_count > settings.max_file_lines:
        return NotReviewed(
            path=rel,
            reason=f"{line_count:,} lines is over max_file_lines ({settings.max_file_lines:,}); "
            "review a range with --lines or raise the limit",
        )
    return Document(path=rel, text=text, language=LANGUAGES.get(path.suffix, "text"), focus=focus)


def _read_text(path: Path, settings: Settings) -> str | NotReviewed:
    try:
        size = path.stat().st_size
        if size > settings.max_file_bytes:
            return NotReviewed(path="", reason=f"{size:,} bytes is over max_file_bytes ({settings.max_file_bytes:,})")
        data = path.read_bytes()
    except OSError as exc:
        return NotReviewed(path="", reason=f"cannot be read: {exc.strerror or exc}")
    if b"\0" in data[:8192]:
        return NotReviewed(path="", reason="binary file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return NotReviewed(path="", reason=f"not valid UTF-8 (byte {exc.start})")
