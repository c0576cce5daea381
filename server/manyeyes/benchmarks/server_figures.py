"""Language server figures, driven over stdio like an editor: start-up, responsiveness during a review,
incremental re-review, and memory. The client is pygls' own, with the handlers an editor has."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from manyeyes.benchmarks import Figure
from manyeyes.benchmarks.engine_figures import KEY_ENV
from manyeyes.devtools.fake_provider import FakeProvider

BARE_SERVER = "from pygls.lsp.server import LanguageServer\nLanguageServer('bare', '1').start_io()\n"
SERVER = [sys.executable, "-m", "manyeyes", "lsp"]
CAPABILITIES = types.ClientCapabilities(
    window=types.WindowClientCapabilities(work_done_progress=True),
    workspace=types.WorkspaceClientCapabilities(configuration=True),
)


def function(index: int, lines: int = 48) -> str:
    body = "".join(f"    total += value * {i} + {index}\n" for i in range(lines - 3))
    return f"def step_{index}(value):\n    total = 0\n{body}    return total\n\n\n"


class Editor:
    """A minimal editor: answers the server's requests and keeps the final board of each review."""

    def __init__(self) -> None:
        self.client = LanguageClient("manyeyes-bench", "1")
        self.finished: dict[str, asyncio.Event] = {}
        self.client.feature(types.WORKSPACE_CONFIGURATION)(lambda params: [{} for _ in params.items])
        self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)(lambda params: None)
        for method in (
            types.PROGRESS,
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
            types.WINDOW_SHOW_MESSAGE,
            types.WINDOW_LOG_MESSAGE,
        ):
            self.client.feature(method)(lambda params: None)
        self.client.feature("manyeyes/board")(lambda params: self._board(params))

    def _board(self, params) -> None:
        board = params if isinstance(params, dict) else {"reviewId": params.reviewId, "done": params.done}
        if board["done"]:
            self._event(board["reviewId"]).set()

    def _event(self, review_id: str) -> asyncio.Event:
        return self.finished.setdefault(review_id, asyncio.Event())

    async def start(self, command: list[str], root: Path, options: dict | None = None) -> float:
        started = time.perf_counter()
        await self.client.start_io(*command, env=dict(os.environ, **{KEY_ENV: "sk-fake"}))
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=CAPABILITIES, root_uri=root.as_uri(), initialization_options=options or {}
            )
        )
        elapsed = time.perf_counter() - started
        self.client.initialized(types.InitializedParams())
        return elapsed

    @property
    def pid(self) -> int:
        return self.client._server.pid

    async def close(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    def open(self, path: Path, text: str, version: int = 1) -> str:
        path.write_text(text)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=path.as_uri(), language_id="python", version=version, text=text
                )
            )
        )
        return path.as_uri()

    def change(self, uri: str, text: str, version: int) -> None:
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def review(self, uri: str) -> float:
        started = time.perf_counter()
        answer = await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="manyeyes.review.file", arguments=[uri])
        )
        await asyncio.wait_for(self._event(answer["reviewId"]).wait(), 600)
        return time.perf_counter() - started


def _model_options(fake: FakeProvider, **extra) -> dict:
    """The fake provider, and no answers on disk: a figure must not read (or leave) another run's answers (the
    session's memory cache stays, it is what the incremental figure measures)."""
    # one sample per task, as in engine_figures.model_settings: the figures measure the server, not consensus
    settings = {"model": "openai/fake", "apiBase": fake.url, "apiKeyEnv": KEY_ENV, "cache": False, "voting": "off"}
    settings.update(extra)
    return {"settings": settings}


async def startup(runs: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "bare.py").write_text(BARE_SERVER)
        bare, ours = [], []
        for _ in range(runs):
            for command, times in (([sys.executable, str(root / "bare.py")], bare), (SERVER, ours)):
                editor = Editor()
                times.append(await editor.start(command, root))
                await editor.close()
    b, o = statistics.median(bare), statistics.median(ours)
    return [
        Figure(
            "server start: spawn to initialize answered / bare pygls server",
            f"{o / b:.2f} ({o * 1000:.0f} ms / {b * 1000:.0f} ms, median of {runs})",
            "at most 1.2x",
            o / b <= 1.2,
        )
    ]


async def responsiveness(latency: float, requests: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp, FakeProvider(latency=latency) as fake:
        root = Path(tmp)
        editor = Editor()
        await editor.start(SERVER, root, _model_options(fake))
        await editor.review(editor.open(root / "warm.py", function(0, 5)))  # litellm loaded, analyzers warm
        uri = editor.open(root / "app.py", function(1, 20))
        running = asyncio.ensure_future(editor.review(uri))  # new code: four model calls at the fake latency
        timings = await _round_trips(editor, uri, requests)
        during = not running.done()
        await running
        await editor.close()
    figures = []
    for name, values in timings.items():
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        figures.append(
            Figure(
                f"editor responsiveness: {name} during a 4-agent review",
                f"p50 {statistics.median(values) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms "
                f"({requests} requests{'' if during else ', review ended first'})",
                "p99 at most 20 ms",
                p99 <= 0.020,
            )
        )
    return figures


async def _round_trips(editor: Editor, uri: str, requests: int) -> dict[str, list[float]]:
    document = types.TextDocumentIdentifier(uri=uri)
    here = types.Position(line=3, character=8)
    timings: dict[str, list[float]] = {"codeAction": [], "hover": []}
    for _ in range(requests):
        started = time.perf_counter()
        await editor.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=document,
                range=types.Range(start=here, end=here),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        timings["codeAction"].append(time.perf_counter() - started)
        started = time.perf_counter()
        await editor.client.text_document_hover_async(types.HoverParams(text_document=document, position=here))
        timings["hover"].append(time.perf_counter() - started)
    return timings


async def incremental_and_memory(functions: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp, FakeProvider(latency=0.05) as fake:
        root = Path(tmp)
        editor = Editor()
        await editor.start(SERVER, root, _model_options(fake, concurrency=8))
        await editor.review(editor.open(root / "warm.py", function(0, 5)))
        text = "".join(function(i) for i in range(1, functions + 1))
        uri = editor.open(root / "big.py", text)
        before = len(fake.requests)
        cold_time = await editor.review(uri)
        cold_calls = len(fake.requests) - before
        editor.change(uri, text.replace("total += value * 7 + 3\n", "total += value * 7 + 4\n", 1), version=2)
        warm_time = await editor.review(uri)
        warm_calls = len(fake.requests) - before - cold_calls
        peak_mb = _peak_rss_mb(editor.pid)
        await editor.close()
    lines = text.count("\n")
    return [
        Figure(
            f"incremental: model calls after a one-line edit in a {lines:,}-line file / cold",
            f"{warm_calls} / {cold_calls} calls, {warm_time:.2f}s / {cold_time:.2f}s",
            "only the edited span's agents (at most 4; small functions are batched into spans)",
            0 < warm_calls <= 4,
        ),
        Figure(
            "memory: peak RSS of the server during model reviews, litellm loaded",
            f"{peak_mb:.0f} MB" if peak_mb else "unknown (no /proc)",
            "at most 250 MB",
            peak_mb <= 250 if peak_mb else None,
        ),
    ]


def fuzz(frames: int, seed: int = 18, max_rss_mb: float = 400) -> list[Figure]:
    """The seeded fuzz (manyeyes.devtools.fuzz_server): malformed, hostile and valid frames mixed, every request
    answered once, never with an internal error, the server alive at the end, and its peak memory."""
    from manyeyes.devtools.fuzz_server import run_fuzz

    with tempfile.TemporaryDirectory(prefix="manyeyes-bench-fuzz-") as root:
        report = run_fuzz(seed, frames, Path(root))
    survived = not (report.crashed or report.missing or report.duplicated or report.internal_errors)
    peak = report.peak_rss_mb
    return [
        Figure(
            f"fuzz: {report.frames:,} frames (seed {seed}), requests answered / internal errors / crashes",
            f"{report.answered}/{report.owed} / {len(report.internal_errors)} / {1 if report.crashed else 0}",
            "all answered once, no -32603, no crash, only frames on stdout",
            survived and not report.violations,
        ),
        Figure(
            "fuzz: peak RSS of the server",
            f"{peak:.0f} MB" if peak else "unknown (no /proc)",
            f"under {max_rss_mb:.0f} MB",
            peak < max_rss_mb if peak else None,
        ),
    ]


def _peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None
