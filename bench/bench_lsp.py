"""Benchmarks of the language server, driven over stdio like an editor. Prints figures; asserts nothing.

    python bench/bench_lsp.py           # the full run documented in docs/benchmarks.md
    python bench/bench_lsp.py --quick   # small settings, for CI

1. Start-up: spawn to the `initialize` answer, against a bare pygls server that answers `initialize` and nothing
   else, started the same way in the same run.
2. Responsiveness: p50 / p99 round trip of codeAction and hover while a 4-agent model review runs against the
   fake provider at a fixed latency.
3. Incremental: model calls and time of a cold review of a 2,000-line file, then of a re-review after a one-line
   edit (the content-addressed cache should leave only the edited chunk's tasks).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

from manyeyes.devtools.fake_provider import FakeProvider

BARE_SERVER = """
from pygls.lsp.server import LanguageServer
LanguageServer("bare", "1").start_io()
"""
KEY_ENV = "MANYEYES_BENCH_KEY"


def function(index: int, lines: int = 48) -> str:
    body = "".join(f"    total += value * {i} + {index}\n" for i in range(lines - 3))
    return f"def step_{index}(value):\n    total = 0\n{body}    return total\n\n\n"


async def connect(command: list[str], root: Path, options: dict | None = None) -> tuple[LanguageClient, float]:
    client = make_test_lsp_client()  # a client with the features an editor has (configuration, progress)
    client.boards = {}
    client.feature("manyeyes/board")(lambda params: _board(client, params))
    started = time.perf_counter()
    await client.start_io(*command, env=dict(os.environ, **{KEY_ENV: "sk-fake"}))
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            initialization_options=options or {},
        )
    )
    return client, time.perf_counter() - started


def _board(client, params) -> None:
    board = params if isinstance(params, dict) else {k: getattr(params, k) for k in ("reviewId", "done")}
    if board["done"]:
        client.boards[board["reviewId"]] = board


async def close(client: LanguageClient) -> None:
    await client.shutdown_session()
    await client.stop()


async def review(client: LanguageClient, uri: str) -> float:
    started = time.perf_counter()
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="manyeyes.review.file", arguments=[uri])
    )
    while answer["reviewId"] not in client.boards:
        await asyncio.sleep(0.01)
    return time.perf_counter() - started


def open_file(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    path.write_text(text)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=path.as_uri(), language_id="python", version=version, text=text)
        )
    )
    return path.as_uri()


async def bench_startup(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "bare.py").write_text(BARE_SERVER)
        bare, ours = [], []
        for _ in range(runs):
            client, seconds = await connect([sys.executable, str(root / "bare.py")], root)
            bare.append(seconds)
            await close(client)
            client, seconds = await connect([sys.executable, "-m", "manyeyes", "lsp"], root)
            ours.append(seconds)
            await close(client)
        b, o = statistics.median(bare), statistics.median(ours)
        print(f"start-up, spawn to initialize answered, median of {runs}:")
        print(f"  bare pygls server: {b * 1000:.0f} ms   manyeyes lsp: {o * 1000:.0f} ms   ratio {o / b:.2f}")


async def bench_responsiveness(latency: float, requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeProvider(latency=latency) as fake:
        root = Path(tmp)
        options = {"settings": {"model": "openai/fake", "apiBase": fake.url, "apiKeyEnv": KEY_ENV}}
        client, _ = await connect([sys.executable, "-m", "manyeyes", "lsp"], root, options)
        await review(client, open_file(client, root / "warm.py", function(0, 5)))  # litellm loaded, analyzers warm
        uri = open_file(client, root / "app.py", function(1, 20))
        document = types.TextDocumentIdentifier(uri=uri)
        here = types.Position(line=3, character=8)
        running = asyncio.ensure_future(review(client, uri))  # new code: four real model calls at the latency
        timings = {"codeAction": [], "hover": []}
        for _ in range(requests):
            started = time.perf_counter()
            await client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=document,
                    range=types.Range(start=here, end=here),
                    context=types.CodeActionContext(diagnostics=[]),
                )
            )
            timings["codeAction"].append(time.perf_counter() - started)
            started = time.perf_counter()
            await client.text_document_hover_async(types.HoverParams(text_document=document, position=here))
            timings["hover"].append(time.perf_counter() - started)
        still_running = not running.done()
        await running
        await close(client)
        print(
            f"editor responsiveness during a 4-agent review (fake latency {latency:.1f}s, {requests} requests each, "
            f"review still running at the end: {still_running}):"
        )
        for name, values in timings.items():
            values.sort()
            p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
            print(f"  {name}: p50 {statistics.median(values) * 1000:.1f} ms   p99 {p99 * 1000:.1f} ms")


async def bench_incremental(functions: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeProvider(latency=0.05) as fake:
        root = Path(tmp)
        options = {"settings": {"model": "openai/fake", "apiBase": fake.url, "apiKeyEnv": KEY_ENV, "concurrency": 8}}
        client, _ = await connect([sys.executable, "-m", "manyeyes", "lsp"], root, options)
        await review(client, open_file(client, root / "warm.py", function(0, 5)))  # litellm loaded, analyzers warm
        text = "".join(function(i) for i in range(1, functions + 1))
        uri = open_file(client, root / "big.py", text)
        before = len(fake.requests)
        cold_time = await review(client, uri)
        cold_calls = len(fake.requests) - before
        edited = text.replace("total += value * 7 + 3\n", "total += value * 7 + 4\n", 1)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
            )
        )
        warm_time = await review(client, uri)
        warm_calls = len(fake.requests) - cold_calls - before
        await close(client)
        lines = text.count("\n")
        print(f"incremental re-review of a {lines:,}-line file ({functions} functions, 4 concerns):")
        print(
            f"  cold: {cold_calls} model calls, {cold_time:.2f}s   after a one-line edit: {warm_calls} model calls, "
            f"{warm_time:.2f}s"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small settings for CI")
    args = parser.parse_args()
    print(f"manyeyes language server benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    await bench_startup(runs=2 if args.quick else 7)
    await bench_responsiveness(latency=1.0 if args.quick else 3.0, requests=20 if args.quick else 200)
    await bench_incremental(functions=10 if args.quick else 42)


if __name__ == "__main__":
    asyncio.run(main())
