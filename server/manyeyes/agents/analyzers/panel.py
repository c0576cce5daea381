"""The offline panel: runs each analyzer once over all documents, off the event loop and in parallel.

Agent tasks ask the panel for a concern's hits; the first request starts the analyzers that cover it and later
requests wait for the same run, so bandit runs once however many security tasks there are. The runs belong to the
panel, not to the agent that asked first: cancelling one agent leaves them running for the others, and closing the
panel (the review ended or was cancelled) kills their programs at once rather than waiting for them.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import anyio.abc
import anyio.to_thread

from manyeyes.agents.analyzers.bandit import Bandit
from manyeyes.agents.analyzers.base import Analyzer, AnalyzerRun, Processes, Scratch
from manyeyes.agents.analyzers.hidden import Hidden
from manyeyes.agents.analyzers.patterns import Patterns
from manyeyes.agents.analyzers.radon import Radon
from manyeyes.agents.analyzers.ruff import Ruff
from manyeyes.agents.analyzers.secrets import Secrets
from manyeyes.agents.analyzers.semgrep import Semgrep
from manyeyes.agents.analyzers.taint import judge
from manyeyes.agents.analyzers.testgap import TestGap
from manyeyes.models import Concern, Finding
from manyeyes.plan.context import TestIndex
from manyeyes.plan.documents import Document
from manyeyes.synthesis import policy


def default_analyzers() -> list[Analyzer]:
    return [Bandit(), Semgrep(), Patterns(), Hidden(), Secrets(), Ruff(), Radon(), TestGap()]


# The analyzer whose taint flows judge the sink-only hits of the others (taint.py).
TAINT_ANALYZER = "semgrep"
JUDGED_BY_TAINT = frozenset({"bandit", "patterns"})


class OfflinePanel:
    def __init__(
        self,
        documents: list[Document],
        tests: TestIndex,
        analyzers: list[Analyzer] | None = None,
        trusted: bool = True,
    ):
        self.analyzers = analyzers if analyzers is not None else default_analyzers()
        self._documents = {d.path: d for d in documents}
        self._tests = tests
        self._trusted = trusted  # an untrusted workspace's tool configs and silencing comments are not honoured
        self._root: Path | None = None
        self._runs: dict[str, AnalyzerRun] = {}
        self._finished: dict[str, anyio.Event] = {}  # analyzer name -> set when its run is in _runs
        self._processes = Processes()
        self._stack = AsyncExitStack()
        self._group: anyio.abc.TaskGroup | None = None

    async def __aenter__(self) -> OfflinePanel:
        self._root = Path(tempfile.mkdtemp(prefix="manyeyes-"))
        for document in self._documents.values():
            target = self._root / document.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(document.text, encoding="utf-8")
        self._group = await self._stack.enter_async_context(anyio.create_task_group())
        return self

    async def __aexit__(self, *exc_info) -> None:
        """Whatever still runs is no longer wanted: its programs are killed, its threads abandoned."""
        self._group.cancel_scope.cancel()
        self._processes.stop()
        await self._stack.aclose()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)

    async def start_all(self, concerns: list[Concern]) -> None:
        """Run every analyzer the concerns need, in parallel, and wait for them; results are kept for `hits`."""
        for analyzer in self._for(concerns):
            self._start(analyzer)
        for analyzer in self._for(concerns):
            await self._run(analyzer)

    async def hits(self, concern: Concern, path: str) -> tuple[list[Finding], list[str]]:
        """The concern's findings in one file, and the analyzer failures that make them incomplete."""
        findings: list[Finding] = []
        failures: list[str] = []
        await self.start_all([concern])  # the concern's analyzers side by side, not one after another
        for analyzer in self._for([concern]):
            run = await self._run(analyzer)
            if run.failed:
                failures.append(run.failed)
            findings.extend(f for f in run.findings if f.path == path and concern in f.concerns)
        return findings, failures

    def problems(self) -> list[str]:
        return sorted({p for run in self._runs.values() for p in run.problems})

    def uncovered(self, concerns: list[Concern]) -> list[str]:
        """One note per language no analyzer of its own reads for these concerns ("no offline analyzer for
        javascript (app.js): only the hidden-text and secrets scans read it"), so a quiet file is not taken
        for a clean one."""
        analyzers = self._for(concerns)
        general = [a.name for a in analyzers if a.languages is None]
        by_language: dict[str, list[str]] = {}
        for document in self._documents.values():
            if not any(a.languages and document.language in a.languages for a in analyzers):
                by_language.setdefault(document.language, []).append(document.path)
        readers = _readers(general)
        return [
            f"no offline analyzer for {language} ({_some(paths)}): {readers}" for language, paths in by_language.items()
        ]

    def _for(self, concerns: list[Concern]) -> list[Analyzer]:
        return [a for a in self.analyzers if any(c in a.concerns for c in concerns)]

    async def _run(self, analyzer: Analyzer) -> AnalyzerRun:
        """The analyzer's run, started if it is not yet, once it has finished."""
        await self._start(analyzer).wait()
        return self._runs[analyzer.name]

    def _start(self, analyzer: Analyzer) -> anyio.Event:
        finished = self._finished.get(analyzer.name)
        if finished is None:
            finished = self._finished[analyzer.name] = anyio.Event()
            self._group.start_soon(self._analyze, analyzer, finished)
        return finished

    async def _analyze(self, analyzer: Analyzer, finished: anyio.Event) -> None:
        # Abandoned on cancel: the panel closing has killed its programs, and nobody waits for a pure-Python scan.
        run = await anyio.to_thread.run_sync(self._run_sync, analyzer, abandon_on_cancel=True)
        if analyzer.name in JUDGED_BY_TAINT:
            try:
                await self._judge(run)
            except Exception as exc:  # a bug in judging must not take the review down: the hits stay unjudged
                run.problems.append(f"{analyzer.name}'s hits were not judged by taint: {type(exc).__name__}: {exc}")
        self._runs[analyzer.name] = run
        finished.set()

    async def _judge(self, run: AnalyzerRun) -> None:
        """Sink-only hits judged by the taint analyzer's flows, once, before anyone reads them."""
        taint = next((a for a in self.analyzers if a.name == TAINT_ANALYZER), None)
        if taint is not None and run.findings:
            flows = (await self._run(taint)).flows
            if flows is not None:
                judge(run.findings, flows, self._documents)

    def _run_sync(self, analyzer: Analyzer) -> AnalyzerRun:
        scratch = Scratch(self._root, self._documents, self._tests, self._trusted, self._processes)
        try:
            run = analyzer.run(scratch)
        except Exception as exc:  # an analyzer bug must not take the review down: it becomes that agent's failure
            return AnalyzerRun(failed=f"{analyzer.name} failed: {type(exc).__name__}: {exc}")
        run.findings = policy.grade(run.findings)
        return run


def _readers(names: list[str]) -> str:
    if not names:
        return "nothing reads it offline"
    return f"only the {names[0]} scan reads it" if len(names) == 1 else f"only the {' and '.join(names)} scans read it"


def _some(paths: list[str], shown: int = 3) -> str:
    more = len(paths) - shown
    return ", ".join(paths[:shown]) + (f" and {more} more" if more > 0 else "")
