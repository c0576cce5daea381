"""Which lines changed: unstaged, staged, or against a base ref, as new-file line ranges (through gitpython).

git is run with the settings that let a repository's own config execute programs switched off (external diff,
textconv, fsmonitor); callers must still not run it at all in an untrusted workspace.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from manyeyes.errors import ReviewInputError

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_SAFE_CONFIG = ["-c", "core.fsmonitor=false", "-c", "diff.external=", "-c", "core.hooksPath=/dev/null"]


@dataclass
class FileChange:
    path: Path  # absolute
    ranges: list[tuple[int, int]] = field(default_factory=list)  # inclusive, new-file lines
    whole_file: bool = False  # untracked or added: every line is new


def changed_files(workspace: Path, base: str | None = None, staged: bool = False) -> list[FileChange]:
    repo = _open_repo(workspace)
    root = Path(repo.working_tree_dir)
    args = ["--no-color", "--no-ext-diff", "--no-textconv", "--unified=0", "--diff-filter=AMR", "-M"]
    if staged:
        args.append("--cached")
    if base:
        _check_ref(repo, base)
        args.append(base)
    changes = parse_unified_diff(_git(repo, "diff", *args), root)
    if not staged:
        changes.extend(FileChange(path=root / rel, whole_file=True) for rel in repo.untracked_files)
    return changes


def staged_text(workspace: Path, path: Path) -> str | None:
    """The text of a file as staged in the index (what `--staged` reviews), or None if it is not UTF-8."""
    return _blob_text(workspace, path, "")


def base_text(workspace: Path, path: Path, base: str | None) -> str | None:
    """The text a change is measured against: the ref's version, or the index's for unstaged changes."""
    return _blob_text(workspace, path, base or "")


def _blob_text(workspace: Path, path: Path, ref: str) -> str | None:
    repo = _open_repo(workspace)
    rel = path.resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
    try:
        data = _git(repo, "show", f"{ref}:{rel}", stdout_as_string=False)
        return data.decode("utf-8")
    except (ReviewInputError, UnicodeDecodeError):
        return None


def changed_ranges(old: str, new: str) -> list[tuple[int, int]]:
    """New-text line ranges that differ from the old text (for an editor buffer git has not seen)."""
    matcher = difflib.SequenceMatcher(a=old.splitlines(), b=new.splitlines(), autojunk=False)
    return [(j1 + 1, j2) for tag, _, _, j1, j2 in matcher.get_opcodes() if tag in ("replace", "insert") and j2 > j1]


def parse_unified_diff(diff: str, root: Path) -> list[FileChange]:
    changes: list[FileChange] = []
    current: FileChange | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            target = line[4:].strip()
            current = None if target == "/dev/null" else FileChange(path=root / _strip_prefix(target))
            if current is not None:
                changes.append(current)
        elif line.startswith("@@") and current is not None:
            match = _HUNK.match(line)
            count = int(match.group(2)) if match and match.group(2) is not None else 1
            if match and count > 0:
                start = int(match.group(1))
                current.ranges.append((start, start + count - 1))
    return changes


def _strip_prefix(target: str) -> str:
    target = target.strip('"')
    return target[2:] if target.startswith("b/") else target


def _open_repo(workspace: Path):
    import git  # gitpython: imported here so a review without --diff never pays for it

    try:
        return git.Repo(workspace, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise ReviewInputError(f"not a git repository: {workspace} (a --diff or --staged review needs one)") from None


def _check_ref(repo, base: str) -> None:
    import git

    try:
        repo.rev_parse(base)
    except (git.BadName, ValueError, git.GitCommandError):
        raise ReviewInputError(f"unknown git ref '{base}'") from None


def _git(repo, command: str, *args, **kwargs):
    import git

    try:
        return repo.git.execute(["git", *_SAFE_CONFIG, command, *args], **kwargs)
    except git.GitCommandError as exc:
        raise ReviewInputError(f"git {command} failed: {str(exc.stderr).strip() or exc}") from None
