"""Cost figures: what a 4-concern review is billed against one agent, what triage spares and at what recall, and
what a second run on unchanged code sends.

Billed tokens count a prompt's cached share at the cached price. The fake provider caches like OpenAI (a prefix
it has seen, from 1,024 tokens, in steps of 128), so the share is what the review's own order of requests earns.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

from manyeyes.benchmarks import Figure
from manyeyes.benchmarks.engine_figures import (
    KEY_ENV,
    ONE_FUNCTION,
    model_settings,
    npm_corpus,
    stdlib_corpus,
    timed_review,
)
from manyeyes.devtools.fake_provider import FakeProvider
from manyeyes.models import Concern, ReviewRequest, ReviewResult

# Cached input at a tenth of the input price: Anthropic's cache reads and OpenAI's gpt-5 family. OpenAI's gpt-4o
# family charges half, shown beside it.
CACHED_PRICE = 0.1
CACHED_PRICE_HALF = 0.5
TARGET = 1.5
# A provider takes time to answer: requests sent together overlap and miss each other's cache, as they would.
LATENCY_S = 0.2
CODEBASE = ("email", "http", "urllib")  # the standard library's: real code every machine has, ~20,000 lines
JAVASCRIPT = ("commands",)  # npm's own lib/commands, ~10,000 lines of JavaScript where npm is installed


def billed(result: ReviewResult, cached_price: float) -> float:
    """Tokens as a provider bills them, in input-token units: the cached share of each prompt at the cached price."""
    prompt, completion, _ = result.totals()
    cached = sum(o.cached_prompt_tokens for o in result.outcomes)
    return prompt - cached * (1 - cached_price) + completion


PLANNER_ONLY = {"run_token_budget": 0, "concurrency": 8, "cache": False}  # and one sample a task (model_settings)


def tokens(packages: tuple[str, ...] = CODEBASE, javascript: tuple[str, ...] = JAVASCRIPT) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "app.py").write_text(ONE_FUNCTION)
        figures = _four_against_one("the benchmark file", ReviewRequest(workspace=root, paths=[root / "app.py"]))
        corpus = root / "codebase"
        lines = stdlib_corpus(corpus, packages, skip_tests=True)
        request = ReviewRequest(workspace=corpus, paths=[corpus])
        figures += _four_against_one(f"{lines:,} lines of the standard library ({', '.join(packages)})", request)
        js_lines = npm_corpus(root / "npm", javascript) if javascript else 0
        if js_lines:  # where npm is installed: triage reads JavaScript from its tree-sitter syntax tree
            request = ReviewRequest(workspace=root / "npm", paths=[root / "npm"])
            figures += _four_against_one(
                f"{js_lines:,} lines of JavaScript (npm's lib/{', '.join(javascript)})", request
            )
    return figures


def _four_against_one(what: str, request: ReviewRequest) -> list[Figure]:
    """Each review against a fresh provider: no run reads another's cache."""
    runs = {}
    for name, overrides in (
        ("one", {"concerns": [Concern.security], "thorough": True}),
        ("four", {}),
        ("thorough", {"thorough": True}),
        ("at once", {"stagger_fanout": False}),
    ):
        with FakeProvider(latency=LATENCY_S) as fake:
            settings = model_settings(fake, **PLANNER_ONLY, **overrides)
            runs[name] = timed_review(request, settings)[1]
    one, four, thorough, at_once = (billed(runs[n], CACHED_PRICE) for n in ("one", "four", "thorough", "at once"))
    half = billed(runs["four"], CACHED_PRICE_HALF) / billed(runs["one"], CACHED_PRICE_HALF)
    spared = sum(1 for o in runs["four"].outcomes if o.state == "skipped")
    raw_four, raw_one = (sum(runs[n].totals()[:2]) for n in ("four", "one"))
    return [
        Figure(
            f"tokens on {what}: 4-concern review / one agent, billed",
            f"{four / one:.2f} ({four:,.0f} / {one:,.0f}; cached share at {CACHED_PRICE:.0%} of the input price; "
            f"{half:.2f} at {CACHED_PRICE_HALF:.0%}; {raw_four / raw_one:.2f} with no cache)",
            f"at most {TARGET}x",
            four / one <= TARGET,
        ),
        Figure(
            f"tokens on {what}: triage",
            f"{spared} of {len(runs['four'].outcomes)} agent tasks spared; without triage (--thorough) the review is "
            f"{thorough / one:.2f}x one agent",
        ),
        Figure(
            f"tokens on {what}: staggering",
            f"with every agent of a span sent at once (stagger_fanout off): {at_once / one:.2f}x one agent",
        ),
    ]


def triage_recall(corpora: Path, oracle: tuple[float, float, int] = (0.8, 0.2, 1)) -> list[Figure]:
    """The noisy oracle on every shared corpus, with triage and without: recall must not drop for the tokens it
    saves."""
    from manyeyes.devtools.oracle import NoisyOracle
    from manyeyes.evaluation.corpus import corpus_concerns, load_corpus
    from manyeyes.evaluation.runner import evaluate

    if not corpora.is_dir():
        return [Figure("triage recall on the shared corpora", f"not measured: no corpora at {corpora}")]
    figures = []
    for root in sorted(p for p in corpora.iterdir() if (p / "corpus.json").is_file()):
        corpus = load_corpus(root)
        measured = {}
        for thorough in (True, False):
            with FakeProvider() as fake:
                fake.oracle = NoisyOracle(corpus.labels, *oracle)
                settings = model_settings(fake, **PLANNER_ONLY, thorough=thorough)
                score, result = anyio.run(evaluate, corpus, settings, corpus_concerns(corpus))
            measured[thorough] = (score.total().as_dict()["recall"] or 0.0, sum(result.totals()[:2]))
        (full, full_tokens), (triaged, triaged_tokens) = measured[True], measured[False]
        figures.append(
            Figure(
                f"triage recall on {root.name} (oracle {oracle[0]:g},{oracle[1]:g})",
                f"{triaged:.1%} with triage, {full:.1%} without; tokens {triaged_tokens:,} / {full_tokens:,} "
                f"({triaged_tokens / max(full_tokens, 1):.0%})",
                "no lower than without triage",
                triaged >= full,
            )
        )
    return figures


def unchanged_rerun(packages: tuple[str, ...] = ("json",)) -> list[Figure]:
    """The CLI twice on the same code, as CI re-runs or an editor restarts do: the second run reads every answer
    from the on-disk cache."""
    with tempfile.TemporaryDirectory() as tmp, FakeProvider() as fake:
        root = Path(tmp)
        lines = stdlib_corpus(root / "code", packages, skip_tests=True)
        env = dict(os.environ, MANYEYES_CACHE_DIR=str(root / "cache"), MANYEYES_API_KEY_ENV=KEY_ENV, **{KEY_ENV: "sk"})
        command = [sys.executable, "-m", "manyeyes", "review", ".", "--no-board", "--model", "openai/fake"]
        command += ["--api-base", fake.url, "--format", "json"]
        runs = []
        for _ in range(2):
            before, started = len(fake.requests), time.perf_counter()
            subprocess.run(command, cwd=root / "code", env=env, capture_output=True, check=False)
            runs.append((len(fake.requests) - before, time.perf_counter() - started))
    (cold_requests, cold_s), (warm_requests, warm_s) = runs
    return [
        Figure(
            f"second, unchanged CLI run on {lines:,} lines",
            f"{warm_requests} model requests in {warm_s:.1f}s (the first run: {cold_requests} in {cold_s:.1f}s)",
            "zero requests",
            warm_requests == 0,
        )
    ]
