"""Turning paths into reviewable documents, or into a reason they cannot be reviewed.

A document is a frozen snapshot (path, text, the lines in focus); later stages never read the disk again, so what
is reviewed is exactly what was planned, even if the file changes meanwhile.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from manyeyes.config import Settings
from manyeyes.errors import ReviewInputError
from manyeyes.models import NotReviewed
from manyeyes.plan import noise
from manyeyes.plan.languages import language_of
from manyeyes.safety import reading

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
    key: str | None = None  # the front end's name for it (DocumentSource.key), given back with the result

    @cached_property
    def lines(self) -> list[str]:
        return split_lines(self.text)

    @cached_property
    def tree(self) -> ast.Module | None:
        """The Python syntax tree, parsed once for every analyzer that needs it; None when it does not parse."""
        if self.language != "python":
            return None
        try:
            return ast.parse(self.text)
        except (SyntaxError, ValueError):
            return None

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


def display_path(path: Path, workspace: Path) -> str:
    """The path as the user sees it in the workspace: a symlink keeps its own name (resolving it would give the
    target's, or an absolute path for a target outside); a path outside the workspace stays absolute."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(workspace)).as_posix()
    except ValueError:
        return relative_to_workspace(path, workspace) or Path(os.path.abspath(path)).as_posix()


def matching_glob(rel: str, patterns: list[str]) -> str | None:
    """The first glob (an exclude, an instruction's `applies_to`) matching the workspace-relative path ('*' also
    crosses '/', as in fnmatch)."""
    anchored = "/" + rel
    return next((p for p in patterns if any(fnmatch.fnmatch(anchored, "/" + v) for v in _variants(p))), None)


def _variants(pattern: str) -> list[str]:
    """A leading '**/' also matches nothing at all, as in gitignore."""
    pattern = pattern.lstrip("/")
    return [pattern, pattern[3:]] if pattern.startswith("**/") else [pattern]


def expand_paths(
    paths: list[Path],
    workspace: Path,
    settings: Settings,
    unsaved: frozenset[str] = frozenset(),
    trusted: bool = False,
) -> tuple[list[Path], list[NotReviewed]]:
    """Files named, plus the source files under directories named, in a stable order. `unsaved` names files an
    editor holds the text of, which need not exist on disk (new, or deleted under review). A walk leaves out what
    nobody here wrote (plan/noise.py), listed with the reason; git's ignore rules count only when `trusted`."""
    files: list[Path] = []
    skipped: list[NotReviewed] = []
    walk: _Walk | None = None
    for given in paths or [workspace]:
        path = given if given.is_absolute() else workspace / given
        if str(path) not in unsaved and not path.exists():
            raise ReviewInputError(f"no such file or directory: {given}")
        if relative_to_workspace(path, workspace) is None:
            skipped.append(NotReviewed(path=str(given), reason=f"outside the workspace {workspace}"))
        elif path.is_dir():
            walk = walk or _Walk(workspace, settings, trusted)
            files.extend(walk.sources(path, skipped))
        else:
            files.append(path)
    return files, skipped


class _Walk:
    """A directory walk: excluded folders pruned silently (the user's settings say so), vendored and git-ignored
    ones and files pruned with a reason."""

    def __init__(self, workspace: Path, settings: Settings, trusted: bool):
        self.workspace, self.settings = workspace, settings
        self.attributes = noise.Attributes.load(workspace)
        self.ignored = noise.git_ignored(workspace) if trusted else set()

    def sources(self, root: Path, skipped: list[NotReviewed]) -> list[Path]:
        """The files under `root` a reviewer reads; the others are counted by type in one notice (prose, images,
        data: listing each would bury the notices that matter)."""
        found: list[Path] = []
        unread: Counter[str] = Counter()
        for dirpath, dirnames, filenames in os.walk(root):
            rel_dir = relative_to_workspace(Path(dirpath), self.workspace) or ""
            rel_dir = "" if rel_dir == "." else rel_dir
            dirnames[:] = [d for d in sorted(dirnames) if self._enter(_join(rel_dir, d), skipped)]
            for name in sorted(filenames):
                rel = _join(rel_dir, name)
                if language_of(Path(name)) is not None:
                    if self._keep(rel, skipped):
                        found.append(Path(dirpath) / name)
                elif self._content(rel, name):
                    unread[Path(name).suffix.lower() or name] += 1
        if unread:
            skipped.append(self._unread_notice(root, unread))
        return found

    def _content(self, rel: str, name: str) -> bool:
        """Someone's content, not a tool's metadata (a dotfile such as .gitignore) nor what git or the settings
        leave out."""
        return not name.startswith(".") and rel not in self.ignored and not matching_glob(rel, self.settings.exclude)

    def _unread_notice(self, root: Path, unread: Counter[str]) -> NotReviewed:
        kinds = ", ".join(f"{kind} {count}" for kind, count in unread.most_common(5))
        more = ", ..." if len(unread) > 5 else ""
        where = relative_to_workspace(root, self.workspace) or "."
        reason = f"{sum(unread.values())} file(s) of types no reviewer reads ({kinds}{more})"
        return NotReviewed(path=where if where == "." else where + "/", reason=reason)

    def _enter(self, rel: str, skipped: list[NotReviewed]) -> bool:
        if matching_glob(rel + "/x", self.settings.exclude) is not None:
            return False
        reason = self._reason(rel, rel + "/") or ("vendored code" if noise.vendored_dir(rel) else None)
        if reason:
            skipped.append(NotReviewed(path=rel + "/", reason=reason))
        return reason is None

    def _keep(self, rel: str, skipped: list[NotReviewed]) -> bool:
        reason = self._reason(rel, rel)
        if reason:
            skipped.append(NotReviewed(path=rel, reason=reason))
        return reason is None

    def _reason(self, rel: str, ignored_name: str) -> str | None:
        if ignored_name in self.ignored:
            return "ignored by git"
        return self.attributes.reason(rel) or noise.name_reason(rel)


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def read_document(
    path: Path,
    workspace: Path,
    settings: Settings,
    focus: Ranges | None = None,
    text: str | None = None,
    key: str | None = None,
) -> Document | NotReviewed:
    """A snapshot of one file, or why it is not reviewed. `text` replaces the disk content (unsaved buffers); `key`
    is the front end's name for it."""
    rel = display_path(path, workspace)
    pattern = matching_glob(rel, settings.exclude)
    if pattern:
        return NotReviewed(path=rel, reason=f"excluded by the pattern '{pattern}'")
    if text is None:
        text_or_reason = _read_text(path, workspace, settings)
        if isinstance(text_or_reason, NotReviewed):
            return NotReviewed(path=rel, reason=text_or_reason.reason)
        text = text_or_reason
    line_count = len(split_lines(text))
    language = language_of(path) or "text"
    written_by_no_one = noise.name_reason(rel) or noise.content_reason(text, language)
    if written_by_no_one:
        return NotReviewed(path=rel, reason=written_by_no_one)
    if line_count > settings.max_file_lines:
        return NotReviewed(
            path=rel,
            reason=f"{line_count:,} lines is over max_file_lines ({settings.max_file_lines:,}); "
            "review a range with --lines or raise the limit",
        )
    return Document(path=rel, text=text, language=language, focus=focus, key=key)


def _read_text(path: Path, workspace: Path, settings: Settings) -> str | NotReviewed:
    """The file's text, read only if it is a regular file inside the workspace, and never past max_file_bytes."""
    try:
        data = reading.read_bytes(path, settings.max_file_bytes, root=workspace)
    except reading.TooLarge as exc:
        return NotReviewed(path="", reason=f"{exc.size:,} bytes is over max_file_bytes ({exc.limit:,})")
    except reading.Unreadable as exc:
        return NotReviewed(path="", reason=exc.reason)
    if b"\0" in data[:8192]:
        return NotReviewed(path="", reason="binary file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return NotReviewed(path="", reason=f"not valid UTF-8 (byte {exc.start})")
