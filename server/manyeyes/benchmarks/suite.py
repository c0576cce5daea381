"""The benchmark suite behind `manyeyes bench`: every figure in one run, full or quick (small settings for CI)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from manyeyes.benchmarks import Figure, cost_figures, engine_figures, server_figures

# The labeled corpora beside the project (../shared/corpora), when this checkout has them.
SHARED_CORPORA = Path(__file__).resolve().parents[3].parent / "shared" / "corpora"
FULL = {
    "fanout": lambda: engine_figures.fanout(latency=1.0, repeats=3),
    "tokens": cost_figures.tokens,
    "triage": lambda: cost_figures.triage_recall(SHARED_CORPORA),
    "rerun": lambda: cost_figures.unchanged_rerun(("json", "http")),
    "offline": lambda: engine_figures.offline_panel(("http", "logging"), ("commands",), repeats=3),
    "scale": lambda: engine_figures.scale(files=200),
    "startup": lambda: asyncio.run(server_figures.startup(runs=7)),
    "responsiveness": lambda: asyncio.run(server_figures.responsiveness(latency=3.0, requests=200)),
    "incremental": lambda: asyncio.run(server_figures.incremental_and_memory(functions=42)),
    "fuzz": lambda: server_figures.fuzz(frames=10_000),
    "synthesis": lambda: engine_figures.synthesis(functions=12_500),
    "newonly": lambda: engine_figures.new_only(files=200),
}
QUICK = {
    "fanout": lambda: engine_figures.fanout(latency=0.3, repeats=1),
    "tokens": lambda: cost_figures.tokens(("json",), ()),
    "triage": lambda: cost_figures.triage_recall(SHARED_CORPORA),
    "rerun": lambda: cost_figures.unchanged_rerun(("json",)),
    "offline": lambda: engine_figures.offline_panel(("logging",), ("cli",), repeats=1),
    "scale": lambda: engine_figures.scale(files=20),
    "startup": lambda: asyncio.run(server_figures.startup(runs=2)),
    "responsiveness": lambda: asyncio.run(server_figures.responsiveness(latency=1.0, requests=20)),
    "incremental": lambda: asyncio.run(server_figures.incremental_and_memory(functions=10)),
    "fuzz": lambda: server_figures.fuzz(frames=500),
    "synthesis": lambda: engine_figures.synthesis(functions=2_500),
    "newonly": lambda: engine_figures.new_only(files=30),
}
NAMES = (
    "offline",
    "fanout",
    "tokens",
    "triage",
    "rerun",
    "scale",
    "startup",
    "responsiveness",
    "incremental",
    "fuzz",
    "synthesis",
    "newonly",
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


def suite_report(quick: bool, figures: list[Figure]) -> dict:
    """The figures as data (`manyeyes bench --format json`), for CI to keep and compare."""
    return {
        "suite": "quick" if quick else "full",
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "figures": [asdict(figure) for figure in figures],
    }
