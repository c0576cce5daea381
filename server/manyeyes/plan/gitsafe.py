"""Every git process manyeyes starts, and the one safe configuration each of them runs with.

A reviewed repository may be hostile (a clone, a pull request in CI), and its configuration can name programs
that git runs on its own: an fsmonitor, hooks, clean/smudge/process filters, external diff drivers, textconv,
pagers, editors, credential helpers, ssh commands. Every git process here therefore runs

- with command-scope settings (passed as GIT_CONFIG_COUNT/KEY_n/VALUE_n, which outrank every config file) that
  switch each of those off: `_SAFE_CONFIG`, plus an empty clean/smudge/process and `required=false` for every
  filter driver the repository's configuration defines in any scope (git has no way to unset a key from the
  command line, but it skips an empty filter command: convert.c's apply_filter). The driver names come from
  `git config --get-regexp`, which runs nothing. A driver named in .gitattributes but defined nowhere is inert;
- in a scrubbed environment: no inherited GIT_* variable (GIT_DIR, GIT_EXTERNAL_DIFF, GIT_CONFIG_PARAMETERS, ...
  could redirect git or run a program), no PAGER/EDITOR/VISUAL/SSH_ASKPASS, and `GIT_OPTIONAL_LOCKS=0` so that
  reading never writes the index (which is what fires post-index-change);
- as the git found in an absolute PATH entry, never one found through the current directory (the repository);
- with no pager and stdin closed; and the callers pass only options that cannot run anything (`--no-ext-diff`
  and `--no-textconv` on every diff, blobs through `cat-file blob`, never `show`, which may apply textconv).

Plain subprocess, not gitpython: gitpython's `Git.execute` starts from a copy of os.environ and can only add to
it, so an inherited GIT_DIR or GIT_CONFIG_PARAMETERS cannot be dropped; importing gitpython runs `git version`
with the inherited environment; and its object access (`repo.commit`, `rev_parse`, ...) starts long-lived
`git cat-file --batch` processes outside any of this. Nothing in manyeyes imports gitpython
(tests/unit/test_layering.py checks that, and that no other module starts git).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# Settings that keep git from running anything of the repository's (or of anyone's).
_SAFE_CONFIG = {
    "core.fsmonitor": "false",
    "core.hooksPath": "/dev/null",  # no hook can be found under it (git 2.39: "cannot find a hook")
    "core.pager": "cat",
    "core.editor": ":",  # git's own "no editor"
    "sequence.editor": ":",
    "core.askPass": "",
    "core.sshCommand": "",
    "credential.helper": "",  # an empty value clears the list of helpers
    "core.alternateRefsCommand": "",
    "diff.external": "",
    "log.showSignature": "false",
    "gpg.program": "",
    "gpg.ssh.program": "",
    "gpg.x509.program": "",
    "protocol.allow": "never",  # no transport at all: nothing here talks to a remote
    "gc.auto": "0",
    "maintenance.auto": "false",
    "core.quotePath": "false",  # paths in output as they are, not octal-escaped
}
_FILTER_OFF = {"clean": "", "smudge": "", "process": "", "required": "false"}
# Variables git, or a program it starts, would read from our environment to run or redirect something.
_DROPPED = {"PAGER", "EDITOR", "VISUAL", "SSH_ASKPASS", "LESSOPEN", "LESSCLOSE"}
_PINNED = {
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "GIT_EDITOR": ":",
    "GIT_NO_REPLACE_OBJECTS": "1",  # refs/replace cannot swap the base a change is measured against
    "LANGUAGE": "C",  # git's messages in English, as the errors we show quote them
    "LC_ALL": "C",
}
_TIMEOUT_S = 120


class GitFailed(Exception):
    """A git command that could not run or exited non-zero; `detail` is git's own message when it gave one."""

    def __init__(self, command: str, detail: str, returncode: int | None = None) -> None:
        super().__init__(f"git {command} failed: {detail}" if command else f"git: {detail}")
        self.command = command
        self.detail = detail
        self.returncode = returncode


@dataclass(frozen=True)
class Repository:
    """A working tree found from a workspace, with the environment every git process in it runs with."""

    root: Path
    env: dict[str, str] = field(repr=False)  # the whole environment, API keys included: never logged

    def run(self, *args: str) -> bytes:
        """`git args` at the working tree's root; its stdout. Raises GitFailed."""
        return _run(self.root, self.env, args)

    def diff(self, *options: str) -> str:
        """`git diff` with external diff drivers and textconv off, whatever the repository's config says."""
        out = self.run("diff", "--no-ext-diff", "--no-textconv", "--no-color", *options)
        return out.decode("utf-8", "surrogateescape")

    def untracked(self) -> list[str]:
        """Root-relative paths of untracked, not ignored files (`git ls-files`, never `git status`: no refresh)."""
        out = self.run("ls-files", "--others", "--exclude-standard", "-z")
        return [os.fsdecode(name) for name in out.split(b"\0") if name]

    def tree_id(self, ref: str) -> str | None:
        """The object id of the tree a ref names (a commit, a tag or a tree), or None when it names none."""
        try:
            out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{tree}}")
        except GitFailed:
            return None
        return out.decode("ascii").strip() or None

    def is_shallow(self) -> bool:
        """A clone with its history cut (CI checkouts by default): a base ref may simply not have been fetched."""
        try:
            return self.run("rev-parse", "--is-shallow-repository").strip() == b"true"
        except GitFailed:
            return False

    def blob(self, spec: str) -> bytes | None:
        """The raw bytes of `REF:PATH` (`:PATH` for the index), with no filter or textconv; None if absent."""
        try:
            return self.run("cat-file", "blob", "--end-of-options", spec)
        except GitFailed:
            return None


def open_repository(workspace: Path) -> Repository | None:
    """The repository whose working tree holds `workspace`, or None when there is none (or git refuses it, e.g.
    for dubious ownership). Raises GitFailed when git itself cannot be run."""
    env = _environment(_SAFE_CONFIG)
    try:
        top = _run(workspace, env, ("rev-parse", "--show-toplevel"))
    except GitFailed as failed:
        if failed.returncode is None and Path(workspace).is_dir():
            raise  # git is missing or timed out: not the same as "no repository"
        return None
    root = Path(os.fsdecode(top.rstrip(b"\n")))
    drivers = _filter_drivers(root, env)
    return Repository(root=root, env=_environment({**_SAFE_CONFIG, **_filters_off(drivers)}))


def _filter_drivers(root: Path, env: dict[str, str]) -> set[str]:
    """Names of the filter drivers defined in any config scope (includes followed), as git matches them."""
    try:
        out = _run(root, env, ("config", "--null", "--name-only", "--get-regexp", r"^filter\."))
    except GitFailed as failed:
        if failed.returncode == 1:
            return set()  # no filter.* key at all
        raise
    names = set()
    for key in out.decode("utf-8", "surrogateescape").split("\0"):
        subsection, dot, _ = key[len("filter.") :].rpartition(".")
        if dot and subsection:  # filter.NAME.VAR; a bare filter.VAR defines no driver
            names.add(subsection)
    return names


def _filters_off(drivers: set[str]) -> dict[str, str]:
    return {f"filter.{name}.{var}": value for name in sorted(drivers) for var, value in _FILTER_OFF.items()}


def _environment(config: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in _DROPPED}
    env.update(_PINNED)
    env["GIT_CONFIG_COUNT"] = str(len(config))
    for index, (key, value) in enumerate(config.items()):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def _run(cwd: Path, env: dict[str, str], args: tuple[str, ...]) -> bytes:
    command = args[0]
    argv = [_git_executable(), "--no-pager", *args]
    try:
        done = subprocess.run(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise GitFailed(command, f"no answer in {_TIMEOUT_S} s") from None
    except OSError as exc:  # a missing or unreadable working directory
        raise GitFailed(command, exc.strerror or str(exc)) from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise GitFailed(command, detail, done.returncode)
    return done.stdout


def _git_executable() -> str:
    """git from an absolute PATH entry: an empty or relative entry would find a `git` in the repository itself."""
    names = ("git.exe",) if os.name == "nt" else ("git",)
    for entry in os.environ.get("PATH", os.defpath).split(os.pathsep):
        if not os.path.isabs(entry):
            continue
        for name in names:
            candidate = os.path.join(entry, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    raise GitFailed("", "no git executable on PATH")
