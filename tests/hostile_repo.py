"""A hostile repository: every git setting that can run a program points at a marker script.

Each marker script appends its label to one marker file, so a test asserts that file never appears (and, when it
does, reads which setting fired). The history is built first with a clean configuration and the hostile one is
written last, straight into the config files (no git process runs once it is armed).

The working tree, once built:
- `mod.py`: committed, then edited on disk (an `eval` added; the committed `shell=True` is unchanged), so a diff
  of the worktree against the index must read it, which is when a clean filter would run;
- `proc.py`: the same for the long-running `process` filter (defined in an included config file);
- `staged.py`: a `pickle.loads` added and staged;
- `later.py`: added by a second commit (`hashlib.md5`), so a diff against the first commit shows it;
- `fresh.py`: untracked (an `exec`);
- `clean.py`: committed and unchanged.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

MOD_OLD = "import subprocess\n\n\ndef old(cmd):\n    subprocess.call(cmd, shell=True)\n"
MOD_NEW = MOD_OLD + "\n\ndef new(cmd):\n    return eval(cmd)\n"
PROC_OLD = "import random\n\n\ndef ok():\n    return 1\n"
PROC_NEW = PROC_OLD + "\n\ndef token():\n    return random.random()\n"
STAGED_OLD = "import pickle\n\n\ndef size(b):\n    return len(b)\n"
STAGED_NEW = STAGED_OLD + "\n\ndef load(b):\n    return pickle.loads(b)\n"
LATER = "import hashlib\n\n\ndef digest(b):\n    return hashlib.md5(b).hexdigest()\n"
FRESH = "def run(code):\n    exec(code)\n"
CLEAN = "def add(a, b):\n    return a + b\n"
ATTRIBUTES = "* filter=evil diff=evil merge=evil\nproc.py filter=evilproc\n"

# Every hook git knows (githooks(5)); all of them are markers, in .git/hooks and in core.hooksPath.
HOOKS = (
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "pre-push",
    "pre-receive",
    "update",
    "proc-receive",
    "post-receive",
    "post-update",
    "reference-transaction",
    "push-to-checkout",
    "pre-auto-gc",
    "post-rewrite",
    "sendemail-validate",
    "fsmonitor-watchman",
    "p4-changelist",
    "p4-prepare-changelist",
    "p4-post-changelist",
    "p4-pre-submit",
    "post-index-change",
)

# key -> what the marker does after recording itself: pass stdin through, print its file argument, or nothing.
COMMAND_KEYS = {
    "core.fsmonitor": "",
    "filter.evil.clean": "cat",
    "filter.evil.smudge": "cat",
    "diff.external": "",
    "diff.evil.command": "",
    "diff.evil.textconv": 'cat "$1"',
    "merge.evil.driver": "",
    "core.pager": "cat",
    "pager.diff": "cat",
    "pager.show": "cat",
    "pager.status": "cat",
    "pager.log": "cat",
    "core.editor": "",
    "sequence.editor": "",
    "core.sshCommand": "",
    "core.gitProxy": "",
    "credential.helper": "",
    "core.askPass": "",
    "gpg.program": "",
    "gpg.ssh.program": "",
    "gpg.x509.program": "",
    "core.alternateRefsCommand": "",
    "uploadpack.packObjectsHook": "",
    "remote.origin.uploadpack": "",
    "remote.origin.receivepack": "",
}
INCLUDED_KEYS = {"filter.evilproc.process": ""}  # defined in a file that .git/config includes

# Settings that change git's output rather than run anything: the review must still list the right files.
OUTPUT_KEYS = {
    "filter.evil.required": "true",
    "filter.evilproc.required": "false",  # so that, unprotected, a review gets on to list untracked files
    "log.showSignature": "true",
    "diff.mnemonicPrefix": "true",
    "color.ui": "always",
    "color.diff": "always",
    "status.showUntrackedFiles": "no",
}


@dataclass
class HostileRepo:
    root: Path
    marker: Path
    base: str  # the first commit's sha

    def fired(self) -> list[str]:
        """The labels of every marker that ran, in order (empty when none did)."""
        return self.marker.read_text().splitlines() if self.marker.exists() else []


def build_hostile_repo(root: Path, scratch: Path) -> HostileRepo:
    """Build the repository described above in `root` (created if needed); marker scripts go in `scratch`."""
    root.mkdir(parents=True, exist_ok=True)
    scratch.mkdir(parents=True, exist_ok=True)
    base = _history(root, scratch)
    _edit_worktree(root)
    marker = scratch / "fired"
    _arm(root, scratch / "markers", marker)
    return HostileRepo(root=root, marker=marker, base=base)


def _history(root: Path, scratch: Path) -> str:
    files = {"mod.py": MOD_OLD, "proc.py": PROC_OLD, "staged.py": STAGED_OLD, "clean.py": CLEAN}
    files[".gitattributes"] = ATTRIBUTES  # committed while no driver is defined: it names nothing yet
    for name, text in files.items():
        (root / name).write_text(text)
    _git(root, scratch, "init", "-q", "-b", "main")
    _git(root, scratch, "add", ".")
    _git(root, scratch, "commit", "-qm", "base")
    base = _git(root, scratch, "rev-parse", "HEAD").strip()
    (root / "later.py").write_text(LATER)
    _git(root, scratch, "add", "later.py")
    _git(root, scratch, "commit", "-qm", "later")
    (root / "staged.py").write_text(STAGED_NEW)
    _git(root, scratch, "add", "staged.py")
    return base


def _edit_worktree(root: Path) -> None:
    (root / "mod.py").write_text(MOD_NEW)
    (root / "proc.py").write_text(PROC_NEW)
    (root / "fresh.py").write_text(FRESH)


def _git(root: Path, scratch: Path, *args: str) -> str:
    """git for building the history only: the user's own configuration and environment left out."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(scratch),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    done = subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def _arm(root: Path, markers: Path, marker: Path) -> None:
    """Written as text, not with `git config`: once armed, no git process runs on the test's behalf."""
    markers.mkdir()
    hooks = markers / "hooks"
    hooks.mkdir()
    for name in HOOKS:
        marker_script(hooks / name, f"hook {name}", "", marker)
        marker_script(root / ".git" / "hooks" / name, f".git/hooks/{name}", "", marker)
    command = {key: marker_script(markers / key, key, then, marker) for key, then in COMMAND_KEYS.items()}
    included = {key: marker_script(markers / key, key, then, marker) for key, then in INCLUDED_KEYS.items()}
    settings = {**command, **OUTPUT_KEYS, "core.hooksPath": str(hooks)}
    settings["remote.origin.url"] = "ext::" + marker_script(markers / "remote-ext", "remote.origin.url", "", marker)
    (markers / "included.config").write_text(_config_text(included))
    with (root / ".git" / "config").open("a") as config:
        config.write(_config_text(settings))
        config.write(_config_text({"include.path": str(markers / "included.config")}))


def marker_script(path: Path, label: str, then: str, marker: Path) -> str:
    """An executable at `path` that appends `label` and its arguments to `marker`, then runs `then`."""
    path.write_text(f'#!/bin/sh\necho "{label} $*" >> "{marker}"\n{then}\n')
    path.chmod(0o755)
    return str(path)


def _config_text(settings: dict[str, str]) -> str:
    """Settings as git config file text: `a.b.c = v` becomes `[a "b"] c = v`, `a.c` becomes `[a] c`."""
    lines = []
    for key, value in settings.items():
        section, _, name = key.rpartition(".")
        head, _, sub = section.partition(".")
        lines.append(f'[{head} "{sub}"]' if sub else f"[{head}]")
        lines.append(f"\t{name} = {_quoted(value)}")
    return "\n".join(lines) + "\n"


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
