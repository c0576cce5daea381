"""What every analyzer of the offline panel shares: its contract, its result, and building anchored findings.

Analyzers are synchronous (they run a subprocess or walk an AST) and are run off the event loop by the panel.
They see the documents written to a scratch mirror of the workspace, so unsaved or staged text is what they check,
and start their programs through the scratch's `Processes`, so a cancelled review kills them instead of waiting.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from manyeyes.models import Concern, Finding, Fix, Severity, Source, Span
from manyeyes.plan.context import TestIndex
from manyeyes.plan.documents import Document

if TYPE_CHECKING:
    from manyeyes.agents.analyzers.taint import FlowIndex

SUBPROCESS_TIMEOUT_S = 300


@dataclass
class AnalyzerRun:
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files it could not analyze, and why
    failed: str | None = None  # the analyzer itself did not run
    flows: FlowIndex | None = None  # a taint analyzer's flows and sources, which judge other analyzers' hits


class Stopped(Exception):
    """The review was cancelled: no more analyzer programs start."""


class Processes:
    """The programs the analyzers of one review run (bandit, ruff, semgrep), each in a process group of its own, so
    that `stop()` (the review was cancelled) kills them and what they started at once, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # analyzers start programs from worker threads; stop() comes from the loop
        self._live: set[subprocess.Popen] = set()
        self._stopped = False

    def start(self, argv: list[str], cwd: Path | None, env: dict[str, str] | None = None, stdin: bool = False):
        """Start a program; its stdout is captured, never inherited (stdout may be the LSP channel)."""
        with self._lock:
            if self._stopped:
                raise Stopped("the review was cancelled")
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=os.name == "posix",
            )
            self._live.add(process)
        return process

    def finish(self, process: subprocess.Popen, timeout: float, input_text: str | None = None) -> tuple[str, str]:
        """Its (stdout, stderr) once it exits; killed, with what it started, after `timeout` (TimeoutExpired)."""
        try:
            return process.communicate(input_text, timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(process)
            process.communicate()  # reaped, not left a zombie
            raise
        finally:
            with self._lock:
                self._live.discard(process)

    def run(self, argv: list[str], cwd: Path | None, timeout: float = SUBPROCESS_TIMEOUT_S):
        process = self.start(argv, cwd)
        stdout, stderr = self.finish(process, timeout)
        return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            live = list(self._live)
        for process in live:
            kill_group(process)


def kill_group(process: subprocess.Popen) -> None:
    """Kill a program started in a process group of its own, and whatever it started."""
    try:
        os.killpg(process.pid, signal.SIGKILL) if os.name == "posix" else process.kill()
    except OSError:
        pass  # it has just ended


@dataclass
class Scratch:
    """The documents under review, mirrored at `root` with their workspace-relative paths."""

    root: Path
    documents: dict[str, Document]
    tests: TestIndex
    trusted: bool = True  # an untrusted workspace's own configuration and silencing comments are not honoured
    processes: Processes = field(default_factory=Processes)  # every program the analyzers start

    def rel(self, reported: str) -> str | None:
        """The workspace-relative path for a path an analyzer reported, or None if it is not ours."""
        path = Path(reported)
        path = path if path.is_absolute() else self.root / path
        try:
            rel = path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return None
        return rel if rel in self.documents else None


PYTHON = frozenset({"python"})


class Analyzer(Protocol):
    name: str
    concerns: tuple[Concern, ...]
    languages: frozenset[str] | None  # None: it reads every file (the secrets and hidden-text scans)

    def run(self, scratch: Scratch) -> AnalyzerRun: ...


def scan_each(scratch: Scratch, scan: Callable[[Document], list[Finding]]) -> AnalyzerRun:
    """The run of an analyzer that looks at one document at a time, in any language."""
    run = AnalyzerRun()
    for document in scratch.documents.values():
        run.findings.extend(scan(document))
    return run


def run_tool(argv: list[str], cwd: Path | None) -> subprocess.CompletedProcess[str]:
    """Run a tool outside any review's panel (checking a rewrite, listing ruff's rules), the panel's way."""
    return Processes().run(argv, cwd)


def byte_col_to_char(line: str, byte_offset: int) -> int:
    """A 0-based UTF-8 byte offset (what Python's ast reports) as a 1-based code point column."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1


def quote(document: Document, span: Span) -> str:
    lines = document.lines[span.start_line - 1 : span.end_line]
    return "\n".join(lines)


def make_finding(
    document: Document,
    *,
    source: str,
    concern: Concern,
    severity: Severity,
    confidence: float,
    title: str,
    span: Span,
    explanation: str = "",
    rule: str | None = None,
    cwe: str | None = None,
    fix: Fix | None = None,
    help_uri: str | None = None,
) -> Finding:
    return Finding(
        path=document.path,
        concerns=[concern],
        severity=severity,
        confidence=confidence,
        title=title,
        explanation=explanation,
        span=span,
        evidence=quote(document, span),
        fix=fix,
        rules=[rule] if rule else [],
        cwe=[cwe] if cwe else [],
        sources=[analyzer_source(source)],
        help_uri=help_uri or cwe_uri(cwe),
    )


# The package each analyzer's results come from: its version is part of every finding's source.
_PACKAGES = {"bandit": "bandit", "ruff": "ruff", "radon": "radon", "semgrep": "semgrep"}


@cache
def analyzer_source(name: str) -> Source:
    """The typed source of an analyzer's findings and fixes: its name and the version that ran."""
    try:
        version = metadata.version(_PACKAGES.get(name, "manyeyes"))
    except metadata.PackageNotFoundError:
        version = None
    return Source(kind="analyzer", name=name, version=version)


def cwe_uri(cwe: str | None) -> str | None:
    return f"https://cwe.mitre.org/data/definitions/{cwe.split('-')[-1]}.html" if cwe else None
