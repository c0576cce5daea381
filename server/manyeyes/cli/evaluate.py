"""`manyeyes eval`: review a labeled corpus and score it (the scoring is in manyeyes.evaluation)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import ExitStack

from manyeyes.cli.exits import EXIT_OK, EXIT_USAGE
from manyeyes.cli.review import parse_concerns, with_board, write_report
from manyeyes.config import load_settings
from manyeyes.evaluation.corpus import load_corpus
from manyeyes.evaluation.runner import corpus_concerns, evaluate
from manyeyes.evaluation.table import to_table
from manyeyes.vocabulary import ALL_CONCERNS

ORACLE_MODEL = "openai/noisy-oracle"  # sent as "noisy-oracle": the oracle's HOME_MODEL
ORACLE_KEY_ENV = "MANYEYES_ORACLE_KEY"


def run_eval(args: argparse.Namespace, out) -> int:
    corpus = load_corpus(args.corpus.resolve(), args.limit)
    concerns = parse_concerns(args.concerns) if args.concerns else corpus_concerns(corpus)
    with ExitStack() as stack:
        overrides = _model_overrides(args, corpus, stack)
        if overrides is None:
            return EXIT_USAGE
        if args.thorough:
            overrides["thorough"] = True
        overrides.update(_voting_overrides(args))
        loaded = load_settings(None, overrides)
        for warning in loaded.warnings:
            print(f"manyeyes: warning: {warning}", file=sys.stderr)
        grounding = not args.no_grounding
        if not grounding and loaded.settings.offline:
            print("manyeyes: error: --no-grounding measures a model: give --model or --oracle", file=sys.stderr)
            return EXIT_USAGE
        holder = {}

        async def execute():
            holder["score"], holder["result"] = await evaluate(
                corpus, loaded.settings, concerns, holder.get("sub"), grounding
            )

        def subscribe(subscriber) -> None:
            holder["sub"] = subscriber

        with_board(execute, subscribe, show_board=not args.no_board and sys.stderr.isatty())
    score = holder["score"]
    failed = len(holder["result"].failed)
    if failed:
        print(f"manyeyes: warning: {failed} agent task(s) failed; their findings are missing", file=sys.stderr)
    text = json.dumps(score.as_dict(), indent=2) + "\n" if args.format == "json" else to_table(score)
    write_report(text, args.output, out)
    return EXIT_OK


def _voting_overrides(args: argparse.Namespace) -> dict:
    """--voting, --votes, --verifier-model and --voters (every concern's models); with --oracle a model name is an
    oracle model's, sent through the oracle's provider."""
    routed = (lambda name: f"openai/{name}") if args.oracle else (lambda name: name)
    overrides = {key: getattr(args, key) for key in ("voting", "votes") if getattr(args, key) is not None}
    if args.verifier_model:
        overrides["verifier_model"] = routed(args.verifier_model)
    if args.voters:
        voters = [routed(name.strip()) for name in args.voters.split(",") if name.strip()]
        overrides["models"] = {concern.value: voters for concern in ALL_CONCERNS}
    return overrides


def _model_overrides(args: argparse.Namespace, corpus, stack: ExitStack) -> dict | None:
    if args.oracle and args.model:
        print("manyeyes: error: --oracle and --model are alternatives", file=sys.stderr)
        return None
    if not args.oracle:
        return {k: v for k, v in (("model", args.model), ("api_base", args.api_base)) if v}
    from manyeyes.devtools.fake_provider import FakeProvider
    from manyeyes.devtools.oracle import NoisyOracle, parse_oracle

    try:
        oracle = parse_oracle(args.oracle)
    except ValueError as exc:
        print(f"manyeyes: error: {exc}", file=sys.stderr)
        return None
    fake = stack.enter_context(FakeProvider())
    fake.oracle = NoisyOracle(corpus.labels, oracle.p, oracle.q, oracle.seed, oracle.rho, oracle.recur)
    os.environ[ORACLE_KEY_ENV] = "sk-oracle"
    return {"model": ORACLE_MODEL, "api_base": fake.url, "api_key_env": ORACLE_KEY_ENV, "max_retries": 0}
