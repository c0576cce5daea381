"""The command line's parser: every command, its arguments and their help (what `manyeyes --help` shows)."""

from __future__ import annotations

import argparse
from pathlib import Path

from manyeyes import __version__
from manyeyes.report import FORMATS
from manyeyes.vocabulary import ALL_CONCERNS, Severity


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manyeyes", description="A code reviewer that works like a small team.")
    parser.add_argument("--version", action="version", version=f"manyeyes {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    review = commands.add_parser("review", help="review files, a line range, or git changes")
    review.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="files or directories, relative to the current folder (default: the current folder; for --diff and "
        "--staged, the whole repository); put them before --diff, which takes an optional ref",
    )
    what = review.add_mutually_exclusive_group()
    what.add_argument(
        "--diff",
        nargs="?",
        const="",
        metavar="BASE",
        help="review changed lines: unstaged (no BASE) or against the ref BASE",
    )
    what.add_argument("--staged", action="store_true", help="review the staged changes")
    what.add_argument("--lines", metavar="A-B", help="review only lines A to B of the one file given")
    review.add_argument(
        "--new-only",
        action="store_true",
        help="with --diff or --staged: only findings the change adds (the base is reviewed offline and from the "
        "answer cache, never sent to a model)",
    )
    review.add_argument(
        "--baseline",
        metavar="REF",
        help="only findings the git ref REF does not already have (a files review: a legacy repository hears only "
        "about what is new)",
    )
    review.add_argument("--concerns", help=f"comma-separated, from: {', '.join(c.value for c in ALL_CONCERNS)}")
    review.add_argument("--model", help="a litellm model string, e.g. openai/gpt-4o-mini (default: offline panel)")
    review.add_argument("--api-base", help="the model endpoint, e.g. a LiteLLM proxy or a local server")
    review.add_argument(
        "--offline", action="store_true", help="the offline panel only, whatever model the settings name"
    )
    review.add_argument(
        "--offline-if-no-key",
        action="store_true",
        help="review offline, with a warning, when the model's key is not in the environment (in CI, a pull "
        "request from a fork gets no secrets)",
    )
    review.add_argument("--format", choices=FORMATS, default="text")
    review.add_argument("--output", type=Path, help="write the report to this file instead of stdout")
    review.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="FORMAT=PATH",
        help="also write the report in FORMAT to PATH (repeatable; one review, several reports: SARIF for code "
        "scanning and Markdown for the job summary, say)",
    )
    review.add_argument(
        "--sarif-category",
        default="manyeyes",
        metavar="NAME",
        help="SARIF runAutomationDetails id: code scanning keeps one analysis per category (default: manyeyes)",
    )
    review.add_argument("--fail-on", choices=[s.value for s in Severity], help="exit 1 if a finding is this severe")
    review.add_argument("--min-severity", choices=[s.value for s in Severity])
    review.add_argument(
        "--max-findings",
        type=int,
        dest="max_findings_per_file",
        metavar="N",
        help="at most N findings per file",
    )
    review.add_argument("--concurrency", type=int, help="agents running at once")
    review.add_argument(
        "--max-cost",
        type=float,
        dest="max_cost_usd",
        metavar="USD",
        help="the review's dollar budget at the models' prices (agents that no longer fit are skipped)",
    )
    review.add_argument(
        "--thorough",
        action="store_true",
        help="every concern on every chunk: no triage (by default a chunk goes only to the concerns it needs, and "
        "the board says why each skipped one was skipped)",
    )
    add_voting_arguments(review)
    review.add_argument("--dry-run", action="store_true", help="show what would be sent to the model; send nothing")
    review.add_argument(
        "--workspace",
        type=Path,
        default=None,
        help="the project root: settings are read there and every report's paths are relative to it (default: "
        "the git repository holding the current folder, else the current folder)",
    )
    review.add_argument(
        "--untrusted",
        action="store_true",
        help="the code is not yours (a pull request, a clone): ignore its settings, tool configs, # noqa/# nosec "
        "and dismissals (they are shown, marked), and run no git",
    )
    review.add_argument(
        "--no-cache",
        action="store_true",
        help="ask the model again: neither read nor keep answers in the cache (the `cache` setting, "
        "docs/configuration.md)",
    )
    review.add_argument("--no-board", action="store_true", help="no live agent board on the terminal")
    review.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    evaluate = commands.add_parser("eval", help="measure review quality on a labeled corpus")
    evaluate.add_argument("--corpus", type=Path, required=True, help="a corpus directory (docs/evaluation.md)")
    evaluate.add_argument("--concerns", help="comma-separated (default: the concerns the corpus has labels for)")
    evaluate.add_argument("--model", help="a litellm model string (default: the offline panel)")
    evaluate.add_argument("--api-base", help="the model endpoint")
    evaluate.add_argument(
        "--oracle",
        metavar="P,Q[,SEED[,RHO[,RECUR]]]",
        help="answer with a noisy oracle of the corpus's labels: finds each with probability P, "
        "invents one per agent with probability Q (measures the pipeline, not a model); RHO: how alike one "
        "model's samples err, RECUR: how often its inventions recur (default 0 each; docs/evaluation.md)",
    )
    evaluate.add_argument(
        "--no-grounding",
        action="store_true",
        help="the model agents alone: no analyzer evidence in prompts, no analyzer findings (implies --thorough)",
    )
    add_voting_arguments(evaluate)
    evaluate.add_argument(
        "--voters",
        metavar="M1,M2",
        help="the models that vote, in turn, for every concern (with --oracle: names of oracle models, each "
        "erring its own way)",
    )
    evaluate.add_argument("--limit", type=int, metavar="N", help="only the first N case files")
    evaluate.add_argument("--thorough", action="store_true", help="every concern on every chunk: no triage")
    evaluate.add_argument("--format", choices=("text", "json"), default="text")
    evaluate.add_argument("--output", type=Path, help="write the report to this file instead of stdout")
    evaluate.add_argument("--no-board", action="store_true", help="no live agent board on the terminal")
    bench = commands.add_parser("bench", help="measure speed, cost and scale against the fake provider")
    bench.add_argument("--quick", action="store_true", help="small settings (what CI runs)")
    bench.add_argument(
        "--only",
        help="comma-separated figures: offline, fanout, tokens, triage, rerun, scale, startup, responsiveness, "
        "incremental, fuzz, synthesis, newonly",
    )
    bench.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="json: every figure with its value, target and verdict on stdout (progress goes to stderr)",
    )
    add_dismissal_commands(commands)
    concerns = commands.add_parser("concerns", help="list the concerns a review here runs, a project's own included")
    concerns.add_argument("--format", choices=("text", "json"), default="text")
    concerns.add_argument("--workspace", type=Path, default=None, help="the project root (default: the repository)")
    concerns.add_argument("--untrusted", action="store_true", help="as a review of code that is not yours sees it")
    prompts = commands.add_parser("prompts", help="list every prompt, its version and the file it comes from")
    prompts.add_argument("--format", choices=("text", "json"), default="text")
    lsp = commands.add_parser("lsp", help="run the language server (stdio by default)")
    lsp.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    lsp.add_argument(
        "--log-level",
        choices=("error", "warning", "info", "debug"),
        default="warning",
        help="how much the server logs to stderr (the editor's output channel); message bodies are never logged",
    )
    return parser


def add_dismissal_commands(commands) -> None:
    """`dismiss` and `suppressions`: the team's dismissals, kept in .manyeyes/suppressions.jsonl."""
    where = dict(
        type=Path, default=None, help="the project root (default: the git repository holding the current folder)"
    )
    dismiss = commands.add_parser(
        "dismiss", help="dismiss findings by fingerprint, with a reason (it teaches later reviews)"
    )
    dismiss.add_argument(
        "fingerprints", nargs="+", metavar="FINGERPRINT", help="as reports show it (or 8+ of its first characters)"
    )
    dismiss.add_argument("--reason", required=True, help="why it is not a problem here; agents read it next time")
    dismiss.add_argument("--report", type=Path, help="a JSON report to find the findings in (needed for a model's)")
    dismiss.add_argument(
        "--in",
        dest="paths",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="without --report: review only these paths offline to find the findings",
    )
    dismiss.add_argument("--by", help="who dismisses (default: the user running manyeyes)")
    dismiss.add_argument("--workspace", **where)
    suppressions = commands.add_parser("suppressions", help="list the dismissals, or prune those whose code is gone")
    suppressions.add_argument("action", choices=("list", "prune"))
    suppressions.add_argument("--format", choices=("text", "json"), default="text")
    suppressions.add_argument("--dry-run", action="store_true", help="prune: say what would be removed")
    suppressions.add_argument("--workspace", **where)


def add_voting_arguments(parser: argparse.ArgumentParser) -> None:
    """Consensus (docs/consensus.md), for `review` and `eval` alike."""
    parser.add_argument(
        "--voting",
        choices=("off", "escalate", "always"),
        help="when tasks get more voters: only where a finding is uncertain or the chunk risky (escalate, the "
        "default), on every task (always), never (off)",
    )
    parser.add_argument("--votes", type=int, metavar="N", help="the most voters a task gets (default 3)")
    parser.add_argument(
        "--verifier-model", help="the model that checks findings no analyzer backs (never its own findings)"
    )
