"""Which lines changed: unstaged, staged, or against a base ref, as new-file line ranges.

This module knows what to ask git and how to read the answer; every git process is started by `gitsafe`, with
the one configuration that keeps a hostile repository from running its own programs (fsmonitor, hooks, filters,
external diff, textconv, pagers, ...). The diff is asked for with fixed prefixes and no relative paths, so the
repository's diff settings cannot change what is parsed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from manyeyes.errors import ReviewInputError
from manyeyes.plan import gitsafe

_BINARY = re.compile(r"^Binary files (.+) and (.+) differ$")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
# What is parsed must not depend on diff.noprefix, diff.mnemonicPrefix, diff.relative or submodule settings.
_DIFF_FORMAT = ["--src-prefix=a/", "--dst-prefix=b/", "--no-relative", "--ignore-submodules=all"]


@dataclass
class FileChange:
    path: Path  # absolute
    ranges: list[tuple[int, int]] = field(default_factory=list)  # inclusive, new-file lines
    whole_file: bool = False  # untracked or added: every line is new
    old_path: Path | None = None  # absolute; where a renamed file was in the base


def working_tree_root(start: Path) -> Path | None:
    """The working tree holding `start`: the nearest folder with a `.git` (a folder, or the file of a worktree or
    submodule). Found without running git, so an untrusted review can use it too; None outside any repository."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def changed_files(workspace: Path, base: str | None = None, staged: bool = False) -> list[FileChange]:
    repo = _open_repo(workspace)
    args = [*_DIFF_FORMAT, "--unified=0", "--diff-filter=AMR", "-M"]
    if staged:
        args.append("--cached")
    if base:
        args.append(_tree_of(repo, base))  # an object id: it cannot be read as an option or a path
    args.append("--")
    changes = parse_unified_diff(_git(repo.diff, *args), repo.root)
    if not staged:
        changes.extend(FileChange(path=repo.root / rel, whole_file=True) for rel in _git(repo.untracked))
    return changes


def staged_text(workspace: Path, path: Path) -> str | None:
    """The text of a file as staged in the index (what `--staged` reviews), or None if it is not UTF-8."""
    return _blob_text(workspace, path, "")


def base_text(workspace: Path, path: Path, base: str | None) -> str | None:
    """The text a change is measured against: the ref's version, or the index's for unstaged changes."""
    return _blob_text(workspace, path, base or "")


def base_texts(workspace: Path, paths: list[Path], base: str) -> dict[Path, str]:
    """base_text for many files, the repository opened once: {path: text} for those the base has as UTF-8."""
    repo = _open_repo(workspace)
    texts = {path: _text_in(repo, path, base) for path in paths}
    return {path: text for path, text in texts.items() if text is not None}


def _blob_text(workspace: Path, path: Path, ref: str) -> str | None:
    return _text_in(_open_repo(workspace), path, ref)


def _text_in(repo: gitsafe.Repository, path: Path, ref: str) -> str | None:
    rel = path.resolve().relative_to(repo.root.resolve()).as_posix()
    data = repo.blob(f"{ref}:{rel}")  # the stored bytes: cat-file applies no filter and no textconv
    try:
        return data.decode("utf-8") if data is not None else None
    except UnicodeDecodeError:
        return None


def changed_ranges(old: str, new: str) -> list[tuple[int, int]]:
    """New-text line ranges that differ from the old text (for an editor buffer git has not seen)."""
    matcher = difflib.SequenceMatcher(a=old.splitlines(), b=new.splitlines(), autojunk=False)
    return [(j1 + 1, j2) for tag, _, _, j1, j2 in matcher.get_opcodes() if tag in ("replace", "insert") and j2 > j1]


def parse_unified_diff(diff: str, root: Path) -> list[FileChange]:
    changes: list[FileChange] = []
    current: FileChange | None = None
    source: str | None = None  # the "--- a/..." side: the base path
    in_header = True  # before a file's first hunk: inside one, an added line "++ x" reads "+++ x"
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            in_header, current, source = True, None, None
        elif line.startswith("--- ") and in_header:
            source = line[4:].strip()
        elif line.startswith("+++ ") and in_header:
            target = line[4:].strip()
            current = None if target == "/dev/null" else FileChange(path=root / _strip_prefix(target, "b/"))
            if current is not None:
                old = _strip_prefix(source, "a/") if source and source != "/dev/null" else None
                current.old_path = root / old if old and old != _strip_prefix(target, "b/") else None
                changes.append(current)
        elif in_header and (binary := _BINARY.match(line)):  # no ---/+++ lines: git shows no text for it
            target = binary.group(2)
            if target != "/dev/null":
                changes.append(FileChange(path=root / _strip_prefix(target, "b/"), whole_file=True))
        elif line.startswith("@@"):
            in_header = False
            if current is not None:
                _add_hunk(current, line)
    return changes


def _add_hunk(change: FileChange, header: str) -> None:
    match = _HUNK.match(header)
    count = int(match.group(2)) if match and match.group(2) is not None else 1
    if match and count > 0:
        start = int(match.group(1))
        change.ranges.append((start, start + count - 1))


def _strip_prefix(target: str, prefix: str) -> str:
    return target.strip('"').removeprefix(prefix)


def _open_repo(workspace: Path) -> gitsafe.Repository:
    repo = _git(gitsafe.open_repository, workspace)
    if repo is None:
        raise ReviewInputError(f"not a git repository: {workspace} (a --diff or --staged review needs one)")
    return repo


def _tree_of(repo: gitsafe.Repository, base: str) -> str:
    tree = _git(repo.tree_id, base)
    if tree is None:
        hint = ""
        if Path(base).exists():  # `--diff src/` reads src/ as the base: --diff takes an optional ref
            hint = f": '{base}' is a path; to narrow the review, put paths before --diff (`review {base} --diff`)"
        elif repo.is_shallow():
            hint = (
                ": this is a shallow clone, so the base may not have been fetched (fetch it first, e.g. "
                "`git fetch --depth=1 origin <base>`, or check out with `fetch-depth: 0`)"
            )
        raise ReviewInputError(f"unknown git ref '{base}'{hint}")
    return tree


def _git(call, *args):
    """A gitsafe call, its failure turned into an error for the user."""
    try:
        return call(*args)
    except gitsafe.GitFailed as failed:
        raise ReviewInputError(str(failed)) from None
