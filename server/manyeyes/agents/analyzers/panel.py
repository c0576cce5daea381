"""The offline panel: runs each analyzer once over all documents, off the event loop and in parallel.

Agent tasks ask the panel for a concern's hits; the first request starts the analyzers that cover it and later
requests wait for the same run, so bandit runs once however many security tasks there are.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import anyio
import anyio.to_thread

from manyeyes.agents.analyzers.bandit import Bandit
from manyeyes.agents.analyzers.base import Analyzer, AnalyzerRun, Scratch
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
        self._locks: dict[str, anyio.Lock] = {}

    async def __aenter__(self) -> OfflinePanel:
        self._root = Path(tempfile.mkdtemp(prefix="manyeyes-"))
        for document in self._documents.values():
            target = self._root / document.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(document.text, encoding="utf-8")
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)

    async def start_all(self, concerns: list[Concern]) -> None:
        """Run every analyzer the concerns need, in parallel; results are kept for `hits`."""
        async with anyio.create_task_group() as group:
            for analyzer in self._for(concerns):
                group.start_soon(self._run, analyzer)

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
        lock = self._locks.setdefault(analyzer.name, anyio.Lock())
        async with lock:
            if analyzer.name not in self._runs:
                run = await anyio.to_thread.run_sync(self._run_sync, analyzer)
                if analyzer.name in JUDGED_BY_TAINT:
                    await self._judge(run)
                self._runs[analyzer.name] = run
        return self._runs[analyzer.name]

    async def _judge(self, run: AnalyzerRun) -> None:
        """Sink-only hits judged by the taint analyzer's flows, once, before anyone reads them."""
        taint = next((a for a in self.analyzers if a.name == TAINT_ANALYZER), None)
        if taint is not None and run.findings:
            flows = (await self._run(taint)).flows
            if flows is not None:
                judge(run.findings, flows, self._documents)

    def _run_sync(self, analyzer: Analyzer) -> AnalyzerRun:
        scratch = Scratch(root=self._root, documents=self._documents, tests=self._tests, trusted=self._trusted)
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
