"""Checking a rewrite before it is offered: it must parse (Python's parser, tree-sitter's grammar for the other
common languages), and Python must lint no worse than before.

The rewrite is spliced into a scratch copy of the whole document, so a change that breaks the code around it
(an indentation that no longer fits, a name it still needs) is caught too. ruff lints that copy in a temporary
directory, never the user's tree. A language with no parser here is not checked, and the verdict says so
(`unchecked`); so is a change to a file that does not parse without it either (no parser can tell whether the
change made it worse). Refactors (rewrite/refactor.py) and the fixes models write in a review (rewrite/fixes.py) are
checked the same way; verdicts and lint results are memoised by content in-process, so a re-review of unchanged
code checks nothing twice.

A fix can also be checked by the tests that relate to its module (`run_tests`, for verify_fixes_with_tests): the
workspace's Python files and test configuration are copied to a temporary directory, the reviewed text (with or
without the fix) written over the module's copy, and pytest runs one test file there, in its own process group,
with a timeout (a timeout is a failure), without the environment's keys and tokens. That runs the repository's
code, so its caller does it only for a trusted workspace whose user asked for it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from manyeyes.agents.analyzers.base import kill_group, run_tool
from manyeyes.agents.analyzers.ruff import ruff_command
from manyeyes.plan.documents import Document, matching_glob, split_lines
from manyeyes.plan.syntax import GRAMMARS, grammar_for, syntax_problem
from manyeyes.safety import plain, reading

# Text a model was shown in place of the original, which must never be written back into the file.
_MARKERS = (
    ("<redacted:", "a redaction marker"),
    ("<U+", "an invisible character written out (<U+...>)"),
)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    problem: str | None = None  # why it is rejected
    linted: bool = False  # ruff checked it: no lint problem the original did not have
    unchecked: str | None = None  # accepted, but nothing could check it: why ("no parser for go")

    @property
    def note(self) -> str:
        """What an accepted rewrite passed, as people read it."""
        if self.unchecked:
            return self.unchecked
        return "parses, lints no worse" if self.linted else "parses"


def splice(text: str, start: int, end: int, code: str) -> str:
    """The document with lines start..end (1-based, inclusive) replaced by `code`."""
    lines = split_lines(text)
    new_lines = lines[: start - 1] + code.split("\n") + lines[end:]
    return "\n".join(new_lines) + ("\n" if text.endswith("\n") else "")


def verify_rewrite(document: Document, start: int, end: int, code: str) -> Verdict:
    """The verdict on replacing lines start..end of the document by `code` (blocking: ruff runs; memoised)."""
    language = grammar_for(document.path, document.language) or document.language  # a .tsx file: tsx
    key = (digest(document.text), language, start, end, code)
    return _VERDICTS.get_or(key, lambda: _verify(document.text, language, start, end, code))


def _verify(text: str, language: str, start: int, end: int, code: str) -> Verdict:
    lines = split_lines(text)
    if not 1 <= start <= end <= len(lines):
        return Verdict(False, f"lines {start}-{end} are not in the file")
    original = "\n".join(lines[start - 1 : end])
    if code.strip("\n") == original.strip("\n"):
        return Verdict(False, "the proposal changes nothing")
    for marker, what in _MARKERS:
        if marker in code and marker not in original:
            return Verdict(False, f"the proposal contains {what} instead of the original text")
    parse = parser_for(language)
    if parse is None:
        return Verdict(True, unchecked=f"no parser for {language}")
    after = splice(text, start, end, code)
    problem = parse(after)
    if problem is not None:
        if parse(text) is not None:
            return Verdict(True, unchecked="the file does not parse without the change either")
        return Verdict(False, f"it does not parse ({problem})")
    lint = LINTERS.get(language)
    if lint is None:
        return Verdict(True)
    before_codes, after_codes = lint(text), lint(after)
    introduced = Counter(after_codes) - Counter(before_codes)  # fixing one problem does not pay for a new one
    if introduced:
        listed = ", ".join(sorted(introduced.elements())[:5])
        return Verdict(
            False,
            f"it lints worse: {sum(introduced.values())} new ruff finding(s) ({listed})",
        )
    return Verdict(True, linted=True)


def _python_problem(text: str) -> str | None:
    """Why a Python text does not parse with this Python, or None."""
    try:
        ast.parse(text)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except ValueError as exc:  # a null byte
        return str(exc)
    return None


def lint_codes(text: str) -> list[str]:
    """The ruff rule codes hit in a Python text, with the panel's rule sets plus pyflakes' undefined names. The
    text is written to a scratch file in a temporary directory and linted there (memoised by content)."""
    return list(_LINTS.get_or(digest(text), lambda: _lint(text)))


def _lint(text: str) -> tuple[str, ...]:
    with tempfile.TemporaryDirectory(prefix="manyeyes-check-") as scratch:
        Path(scratch, "scratch.py").write_text(text, encoding="utf-8", errors="replace", newline="")
        proc = run_tool(ruff_command("scratch.py"), cwd=Path(scratch))
    try:
        return tuple(item["code"] or "syntax" for item in json.loads(proc.stdout))
    except json.JSONDecodeError:
        return ()


def parser_for(language: str) -> Callable[[str], str | None] | None:
    """What says why a text of this language does not parse (None: it does): Python's own parser for Python,
    tree-sitter's grammar for the other languages that have one (plan/syntax.py); None for the rest."""
    if language == "python":
        return _python_problem
    return partial(syntax_problem, language) if language in GRAMMARS and grammar_for("", language) else None


# A linter lists the rule codes a text hits: a fix may not add any. Python only (ruff).
LINTERS: dict[str, Callable[[str], list[str]]] = {"python": lint_codes}


TEST_TIMEOUT_S = 60.0
MAX_COPIED_FILES = 5000  # a workspace with more Python files than this is not copied: its tests are not run
MAX_COPIED_FILE_BYTES = 2_000_000
TEST_CONFIG_FILES = ("pyproject.toml", "setup.cfg", "pytest.ini", "tox.ini")
# Variables a test run never inherits: keys, tokens, secrets, passwords; and PYTHONPATH, which could import the
# module from the user's tree instead of the scratch copy.
_SECRET_NAME = re.compile(r"(_KEY|_TOKEN|_SECRET|_PASSWORD|_CREDENTIALS)$", re.IGNORECASE)


@dataclass(frozen=True)
class TestRun:
    __test__ = False  # not a pytest class, despite the name

    passed: bool
    detail: str  # "tests/test_app.py passes", "... fails (1 failed in 0.02s)", "... timed out after 60s"
    ran: bool = True  # False: the tests could not be run at all (detail says why)


def run_tests(
    workspace: Path,
    overrides: dict[str, str],
    test_file: str,
    exclude: list[str],
    api_key_env: str | None = None,
    timeout_s: float | None = None,
) -> TestRun:
    """`python -m pytest -q -x <test_file>` on a scratch copy of the workspace's Python files, with `overrides`
    (path -> text) written over their copies. Blocking; runs the repository's code (see the module's docstring)."""
    timeout_s = TEST_TIMEOUT_S if timeout_s is None else timeout_s
    with tempfile.TemporaryDirectory(prefix="manyeyes-tests-") as scratch:
        root = Path(scratch)
        problem = _copy_python_files(workspace, root, exclude)
        if problem:
            return TestRun(False, f"{test_file} not run: {problem}", ran=False)
        for rel, text in overrides.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8", errors="replace", newline="")
        argv = [_python(workspace), "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", test_file]
        proc = subprocess.Popen(
            argv,
            cwd=root,
            env=scrubbed_environment(api_key_env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group: a timeout stops whatever the tests started too
        )
        try:
            output, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            proc.communicate()
            return TestRun(False, f"{test_file} timed out after {timeout_s:g}s")
    if proc.returncode == 0:
        return TestRun(True, f"{test_file} passes")
    last = next((line for line in reversed(output.splitlines()) if line.strip()), "")
    return TestRun(False, f"{test_file} fails ({plain.one_line(last.strip(' ='), 200) or proc.returncode})")


def scrubbed_environment(api_key_env: str | None) -> dict[str, str]:
    """The environment a test run gets: this one without keys, tokens, secrets, the model's key or PYTHONPATH."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not _SECRET_NAME.search(name) and name not in (api_key_env, "PYTHONPATH")
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _copy_python_files(workspace: Path, root: Path, exclude: list[str]) -> str | None:
    """The workspace's Python files and test configuration, copied under root; why not, when they cannot be."""
    copied = 0
    for dirpath, dirnames, filenames in os.walk(workspace):
        rel_dir = Path(dirpath).relative_to(workspace).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        dirnames[:] = [d for d in dirnames if not matching_glob(f"{rel_dir}/{d}/x".lstrip("/"), exclude)]
        for name in filenames:
            if not (name.endswith(".py") or name in TEST_CONFIG_FILES):
                continue
            copied += 1
            if copied > MAX_COPIED_FILES:
                return f"the workspace has more than {MAX_COPIED_FILES} Python files to copy"
            rel = f"{rel_dir}/{name}".lstrip("/")
            try:
                data = reading.read_bytes(workspace / rel, MAX_COPIED_FILE_BYTES, workspace)
            except reading.Unreadable:
                continue  # a symlink out of the workspace, a device, too large: not copied
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
    return None


def _python(workspace: Path) -> str:
    """The workspace's own virtual environment's Python, where it has one (its dependencies), else this one."""
    for venv in (".venv", "venv"):
        for candidate in (workspace / venv / "bin" / "python", workspace / venv / "Scripts" / "python.exe"):
            if candidate.is_file():
                return str(candidate)
    return sys.executable


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class _Memo:
    """A bounded memo shared by the worker threads checks run in; the oldest entry goes first."""

    def __init__(self, size: int):
        self._size = size
        self._values: dict[Hashable, object] = {}
        self._lock = threading.Lock()

    def get_or(self, key: Hashable, compute: Callable[[], object]):
        with self._lock:
            if key in self._values:
                return self._values[key]
        value = compute()  # outside the lock: two threads may compute the same value, never block each other
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                del self._values[next(iter(self._values))]
        return value


_VERDICTS = _Memo(1024)  # keys hold a digest of the document, not its text
_LINTS = _Memo(256)
