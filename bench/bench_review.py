"""Benchmarks of the review engine. Prints figures and asserts nothing about time (a noisy machine must not
fail CI).

    python bench/bench_review.py           # the full run documented in docs/benchmarks.md
    python bench/bench_review.py --quick   # small settings, for CI

1. Fan-out: a one-function file reviewed by 4 model concern agents against the fake provider at a fixed latency,
   with concurrency 4 and with concurrency 1 (sequential), in the same run.
2. Offline panel: manyeyes' offline review of about 20,000 lines of the standard library, against bandit, ruff and
   radon run back to back on the same files.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import anyio

from manyeyes.agents.analyzers.ruff import PERFORMANCE_RULES, READABILITY_RULES, _ruff_bin
from manyeyes.config import Settings
from manyeyes.devtools.fake_provider import FakeProvider
from manyeyes.engine import ReviewRun
from manyeyes.models import ReviewRequest

ONE_FUNCTION = "import subprocess\n\n\ndef run(user_input):\n    subprocess.call('ls ' + user_input, shell=True)\n"
STDLIB_PACKAGES = ("email", "http", "logging")


def timed_review(workspace: Path, settings: Settings, paths: list[Path]):
    run = ReviewRun(ReviewRequest(workspace=workspace, paths=paths), settings)
    started = time.perf_counter()
    result = anyio.run(run.execute)
    return time.perf_counter() - started, result


def bench_fanout(latency: float, repeats: int) -> None:
    os.environ["MANYEYES_BENCH_KEY"] = "sk-fake"
    with tempfile.TemporaryDirectory() as tmp, FakeProvider(latency=latency) as fake:
        workspace = Path(tmp)
        (workspace / "app.py").write_text(ONE_FUNCTION)
        common = dict(model="openai/fake", api_base=fake.url, api_key_env="MANYEYES_BENCH_KEY", max_retries=0)
        timed_review(workspace, Settings(**common), [workspace / "app.py"])  # warm-up: imports litellm
        parallel, sequential, slowest = [], [], []
        for _ in range(repeats):
            wall, result = timed_review(workspace, Settings(concurrency=4, **common), [workspace / "app.py"])
            parallel.append(wall)
            slowest.append(max(o.duration_s for o in result.outcomes))
            sequential.append(timed_review(workspace, Settings(concurrency=1, **common), [workspace / "app.py"])[0])
        p, s, a = min(parallel), min(sequential), min(slowest)
        print(f"fan-out, fake latency {latency:.2f}s, best of {repeats}:")
        print(f"  4 concerns in parallel: {p:.3f}s   sequential: {s:.3f}s   slowest agent: {a:.3f}s")
        print(f"  parallel / sequential = {p / s:.2f}   (ideal with 4 agents: 0.25 plus the fixed grounding cost)")
        print(f"  parallel / slowest agent = {p / a:.2f}   (the rest is planning, grounding and synthesis)")
        print(f"  peak requests in flight at the provider: {fake.peak_in_flight}")


def stdlib_corpus(target: Path, packages: tuple[str, ...]) -> int:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    lines = 0
    for package in packages:
        shutil.copytree(stdlib / package, target / package, ignore=shutil.ignore_patterns("__pycache__"))
    for path in target.rglob("*.py"):
        lines += path.read_text(encoding="utf-8", errors="replace").count("\n")
    return lines


def back_to_back(corpus: Path) -> float:
    rules = ",".join(READABILITY_RULES + PERFORMANCE_RULES)
    commands = [
        [sys.executable, "-m", "bandit", "-f", "json", "-q", "-r", "."],
        [
            _ruff_bin(),
            "check",
            "--isolated",
            "--no-cache",
            "--output-format",
            "json",
            "--select",
            rules,
            "--exit-zero",
            "--preview",
            ".",
        ],
        [sys.executable, "-m", "radon", "cc", "-j", "."],
    ]
    started = time.perf_counter()
    for command in commands:
        subprocess.run(command, cwd=corpus, capture_output=True, check=False)
    return time.perf_counter() - started


def bench_offline(packages: tuple[str, ...], repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp)
        lines = stdlib_corpus(corpus, packages)
        tools, panel, found = [], [], 0
        for _ in range(repeats):
            tools.append(back_to_back(corpus))
            wall, result = timed_review(corpus, Settings(max_findings_per_file=10_000), [corpus])
            panel.append(wall)
            found = len(result.findings)
        t, p = min(tools), min(panel)
        print(f"offline panel on {lines:,} lines of the standard library ({', '.join(packages)}), best of {repeats}:")
        print(
            f"  bandit + ruff + radon back to back: {t:.2f}s   manyeyes offline review: {p:.2f}s "
            f"({found:,} findings, test-gap included)"
        )
        print(f"  manyeyes / back to back = {p / t:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small settings for CI")
    args = parser.parse_args()
    print(f"manyeyes benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    if args.quick:
        bench_fanout(latency=0.2, repeats=1)
        bench_offline(("logging",), repeats=1)
    else:
        bench_fanout(latency=1.0, repeats=3)
        bench_offline(STDLIB_PACKAGES, repeats=3)


if __name__ == "__main__":
    main()
