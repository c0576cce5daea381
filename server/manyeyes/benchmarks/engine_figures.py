"""Engine figures: fan-out, the offline panel against its tools, scale under rate limits, synthesis."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import anyio

from manyeyes.agents.analyzers.ruff import ruff_command
from manyeyes.agents.analyzers.semgrep import command as semgrep_command
from manyeyes.agents.analyzers.semgrep import environment as semgrep_environment
from manyeyes.agents.analyzers.semgrep import find_semgrep
from manyeyes.agents.analyzers.semgrep import rules_file as semgrep_rules
from manyeyes.benchmarks import Figure
from manyeyes.config import Settings
from manyeyes.devtools.fake_provider import FakeProvider
from manyeyes.engine import ReviewRun
from manyeyes.models import Concern, ReviewKind, ReviewRequest, ReviewResult

KEY_ENV = "MANYEYES_BENCH_KEY"
ONE_FUNCTION = (
    "import subprocess\n\n\ndef run(user_input):\n"
    + "".join(f"    step_{i} = user_input.strip() + '{i}'\n" for i in range(30))
    + "    subprocess.call('ls ' + user_input, shell=True)\n"
)


def model_settings(fake: FakeProvider, **overrides) -> Settings:
    """Model settings for a figure: one sample per task (voting off), so the figures measure the planner and the
    engine; what consensus adds is measured on its own (docs/evaluation.md, "Figures: consensus")."""
    os.environ[KEY_ENV] = "sk-fake"
    values = dict(model="openai/fake", api_base=fake.url, api_key_env=KEY_ENV, max_retries=0, voting="off")
    values.update(overrides)
    return Settings(**values)


def timed_review(request: ReviewRequest, settings: Settings) -> tuple[float, ReviewResult]:
    run = ReviewRun(request, settings)
    started = time.perf_counter()
    result = anyio.run(run.execute)
    return time.perf_counter() - started, result


def _one_file(workspace: Path) -> ReviewRequest:
    (workspace / "app.py").write_text(ONE_FUNCTION)
    return ReviewRequest(workspace=workspace, paths=[workspace / "app.py"])


def fanout(latency: float, repeats: int) -> list[Figure]:
    """The four agents of one chunk in parallel: every concern (no triage) sent at once (no staggering), which is
    what this figure measures; the cost figures measure what triage and staggering save."""
    with tempfile.TemporaryDirectory() as tmp, FakeProvider(latency=latency) as fake:
        request = _one_file(Path(tmp))
        parallel_settings = dict(thorough=True, stagger_fanout=False)
        timed_review(request, model_settings(fake, **parallel_settings))  # warm-up: litellm imported, analyzers warm
        parallel, sequential, floor, before = [], [], [], []
        for _ in range(repeats):
            wall, result = timed_review(request, model_settings(fake, concurrency=4, **parallel_settings))
            parallel.append(wall)
            floor.append(max(o.duration_s for o in result.outcomes) + result.phases["synthesize"])
            before.append(result.phases["plan"])
            sequential.append(timed_review(request, model_settings(fake, concurrency=1, **parallel_settings))[0])
    p, s, a, g = min(parallel), min(sequential), min(floor), min(before)
    return [
        Figure(
            "fan-out: 4 concerns in parallel / (slowest agent + synthesis)",
            f"{p / a:.2f} ({p:.2f}s / {a:.2f}s, "
            f"fake latency {latency:g}s; planning takes {g:.2f}s of it, and each agent's time includes waiting for "
            "its own analyzers' evidence)",
            "at most 1.1x",
            p / a <= 1.1,
        ),
        Figure("fan-out: parallel / sequential", f"{p / s:.2f} ({p:.2f}s / {s:.2f}s)", "0.25 is ideal for 4 agents"),
        Figure("fan-out: peak requests in flight", str(fake.peak_in_flight), "4", fake.peak_in_flight == 4),
    ]


def offline_panel(packages: tuple[str, ...], javascript: tuple[str, ...], repeats: int) -> list[Figure]:
    """The panel on a mixed-language corpus (standard library Python, and npm's own JavaScript where npm is
    installed) against the same tools run one after another."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp)
        python_lines = stdlib_corpus(corpus, packages)
        js_lines = npm_corpus(corpus / "npm", javascript)
        tools, panel = [], []
        for _ in range(repeats):
            tools.append(_back_to_back(corpus))
            request = ReviewRequest(workspace=corpus, paths=[corpus])
            panel.append(timed_review(request, Settings(max_findings_per_file=10_000))[0])
    t, p = min(tools), min(panel)
    mixed = f"{python_lines:,} lines of Python + {js_lines:,} of JavaScript" if js_lines else f"{python_lines:,} lines"
    semgrep_too = "+semgrep" if find_semgrep() else " (semgrep not installed)"
    return [
        Figure(
            f"offline panel on {mixed} / bandit+ruff+radon{semgrep_too} back to back",
            f"{p / t:.2f} ({p:.2f}s / {t:.2f}s)",
            "at most 0.8",
            p / t <= 0.8,
        )
    ]


def npm_corpus(target: Path, folders: tuple[str, ...]) -> int:
    """npm's own JavaScript (lib/ folders), copied to `target` when npm is installed; returns its line count."""
    npm = shutil.which("npm")
    lib = Path(npm).resolve().parent.parent / "lib" if npm else None
    if lib is None or not lib.is_dir():
        return 0
    for folder in folders:
        if (lib / folder).is_dir():
            shutil.copytree(lib / folder, target / folder)
    return sum(p.read_text(encoding="utf-8", errors="replace").count("\n") for p in target.rglob("*.js"))


def stdlib_corpus(target: Path, packages: tuple[str, ...], skip_tests: bool = False) -> int:
    """Standard library packages copied to `target` (real code every machine has); returns their line count."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    ignored = shutil.ignore_patterns("__pycache__", *(["test*"] if skip_tests else []))
    for package in packages:
        shutil.copytree(stdlib / package, target / package, ignore=ignored)
    return sum(p.read_text(encoding="utf-8", errors="replace").count("\n") for p in target.rglob("*.py"))


def _back_to_back(corpus: Path) -> float:
    commands = [
        [sys.executable, "-m", "bandit", "-f", "json", "-q", "-r", "."],
        ruff_command("--preview", "."),
        [sys.executable, "-m", "radon", "cc", "-j", "."],
    ]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as state:
        executable = find_semgrep()
        if executable:
            sources = sorted(str(p.relative_to(corpus)) for p in corpus.rglob("*") if p.suffix in (".py", ".js"))
            commands.append(semgrep_command(executable, sources, semgrep_rules(Path(state))))
        for command in commands:
            subprocess.run(command, cwd=corpus, capture_output=True, check=False, env=semgrep_environment(Path(state)))
    return time.perf_counter() - started


def scale(files: int) -> list[Figure]:
    """A review of a git change of `files` files, concurrency 8, against a provider that allows 4 in flight."""
    with tempfile.TemporaryDirectory() as tmp, FakeProvider(latency=0.02, max_in_flight=4) as fake:
        workspace = Path(tmp)
        _git_change(workspace, files)
        # Unlimited tokens: this figure is about rate limits; 800 tasks of ~630 prompt tokens are over the default
        # run_token_budget (500,000), which would skip the last ones by design.
        settings = model_settings(fake, concurrency=8, max_retries=8, run_deadline_s=1800, run_token_budget=0)
        wall, result = timed_review(ReviewRequest(kind=ReviewKind.diff, workspace=workspace), settings)
    done = sum(1 for o in result.outcomes if o.state == "done")
    triaged = sum(1 for o in result.outcomes if o.state == "skipped" and (o.error or "").startswith("triage:"))
    retries = sum(o.retries for o in result.outcomes)
    complete = done + triaged == len(result.outcomes) and len(result.reviewed) == files
    return [
        Figure(
            f"scale: {files}-file change, concurrency 8, provider limit 4 in flight",
            f"{done}/{len(result.outcomes)} agent tasks done ({triaged} spared by triage), "
            f"{len(result.reviewed)}/{files} files, "
            f"{retries} retries after {fake.rate_limited} rate-limited requests, {wall:.1f}s",
            "completes, nothing lost",
            complete,
        )
    ]


def new_only(files: int) -> list[Figure]:
    """`--new-only` on a change of `files` standard-library modules (each gets a comment line in the middle and a
    new function, every 7th an eval), against the same --diff review without it: what reviewing the base costs."""
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        lines = _stdlib_change(workspace, files)
        change = dict(kind=ReviewKind.diff, workspace=workspace, diff_base="HEAD")
        timed_review(ReviewRequest(**change), Settings())  # warm-up: imports, analyzers, the page cache
        plain_s, _ = timed_review(ReviewRequest(**change), Settings())
        new_s, result = timed_review(ReviewRequest(**change, compare_with="HEAD"), Settings())
    planted = len(range(0, files, 7))
    found = sum(1 for f in result.findings if "B307" in f.rules)
    ratio = new_s / plain_s
    return [
        Figure(
            f"new-only: {files}-file change ({lines:,} lines), offline",
            f"{new_s:.1f}s against {plain_s:.1f}s for the same --diff ({ratio:.2f}x); {found} of {planted} planted "
            f"evals reported, {result.baseline.already_there if result.baseline else '?'} findings already there",
            "at most 2x, every planted eval new",
            ratio <= 2 and found == planted,
        )
    ]


def _stdlib_change(workspace: Path, files: int) -> int:
    """A repository of `files` standard-library modules, then a change to each; returns their line count."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    skipped = ("test", "site-packages", "idlelib", "lib2to3", "tkinter", "turtledemo", "ensurepip")
    modules = sorted(
        p
        for p in stdlib.rglob("*.py")
        if p.stat().st_size < 60_000 and not p.relative_to(stdlib).parts[0].startswith(skipped)
    )[:files]
    for module in modules:
        target = workspace / module.relative_to(stdlib)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(module, target)
    _git(workspace, "init", "-q")
    _git(workspace, "add", ".")
    _git(workspace, "commit", "-qm", "base")
    total = 0
    for index, module in enumerate(sorted(workspace.rglob("*.py"))):
        lines = module.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        lines.insert(len(lines) // 2, "# reviewed\n")
        body = "eval(value)" if index % 7 == 0 else "str(value).strip()"
        module.write_text("".join(lines) + f"\n\ndef _added_{index}(value):\n    return {body}\n", encoding="utf-8")
        total += len(lines)
    return total


def _git(workspace: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", *args],
        cwd=workspace,
        check=True,
        capture_output=True,
    )


def _git_change(workspace: Path, files: int) -> None:
    _git(workspace, "init", "-q")
    (workspace / "README").write_text("base\n")
    _git(workspace, "add", ".")
    _git(workspace, "commit", "-qm", "base")
    for index in range(files):
        (workspace / f"module_{index}.py").write_text(
            f"def handler_{index}(request):\n    value = request.get('v{index}')\n    return value * {index}\n"
        )


def synthesis(functions: int) -> list[Figure]:
    """An offline review of one file where nearly every function is a finding (no test refers to any), at the
    largest size max_file_lines allows: the synthesize phase, which used to be quadratic (65 s at 12,500)."""
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        body = "".join(f"def f{i}(x):\n    y = x + {i}\n    return y\n\n" for i in range(functions))
        (workspace / "big.py").write_text(body)
        settings = Settings(concerns=[Concern.tests, Concern.readability], max_file_lines=len(body.splitlines()) + 1)
        wall, result = timed_review(ReviewRequest(workspace=workspace, paths=[workspace / "big.py"]), settings)
    merged = result.phases.get("synthesize", 0.0) + result.phases.get("verify", 0.0)
    lines = body.count("\n")
    return [
        Figure(
            f"synthesis of a {lines:,}-line file with {functions:,} findings",
            f"{merged:.2f}s of a {wall:.1f}s review",
            "seconds, not minutes",
            merged < 10,
        )
    ]
