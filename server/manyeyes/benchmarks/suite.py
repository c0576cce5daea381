"""The benchmark suite behind `manyeyes bench`: every figure in one run, full or quick (small settings for CI)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable

from manyeyes.benchmarks import Figure, engine_figures, server_figures

FULL = {
    "fanout": lambda: engine_figures.fanout(latency=1.0, repeats=3),
    "tokens": engine_figures.tokens,
    "offline": lambda: engine_figures.offline_panel(("email", "http", "logging"), repeats=3),
    "scale": lambda: engine_figures.scale(files=200),
    "startup": lambda: asyncio.run(server_figures.startup(runs=7)),
    "responsiveness": lambda: asyncio.run(server_figures.responsiveness(latency=3.0, requests=200)),
    "incremental": lambda: asyncio.run(server_figures.incremental_and_memory(functions=42)),
    "fuzz": lambda: server_figures.fuzz(frames=10_000),
    "synthesis": lambda: engine_figures.synthesis(functions=12_500),
}
QUICK = {
    "fanout": lambda: engine_figures.fanout(latency=0.3, repeats=1),
    "tokens": engine_figures.tokens,
    "offline": lambda: engine_figures.offline_panel(("logging",), repeats=1),
    "scale": lambda: engine_figures.scale(files=20),
    "startup": lambda: asyncio.run(server_figures.startup(runs=2)),
    "responsiveness": lambda: asyncio.run(server_figures.responsiveness(latency=1.0, requests=20)),
    "incremental": lambda: asyncio.run(server_figures.incremental_and_memory(functions=10)),
    "fuzz": lambda: server_figures.fuzz(frames=500),
    "synthesis": lambda: engine_figures.synthesis(functions=2_500),
}
NAMES = (
    "offline",
    "fanout",
    "tokens",
    "scale",
    "startup",
    "responsiveness",
    "incremental",
    "fuzz",
    "synthesis",
)  # offline first:
# it measures subprocesses against subprocesses, before litellm is loaded into this process


def run_suite(quick: bool, only: list[str] | None, write: Callable[[str], None]) -> list[Figure]:
    chosen = QUICK if quick else FULL
    write(
        f"manyeyes bench ({'quick' if quick else 'full'}) on {os.cpu_count()} cores, Python {sys.version.split()[0]}\n"
    )
    figures: list[Figure] = []
    for name in only or NAMES:
        for figure in chosen[name]():
            figures.append(figure)
            write(figure.line() + "\n")
    return figures
