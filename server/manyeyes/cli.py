"""The command line: `manyeyes review`, a thin front end over the engine.

Exit codes (also in the README):
    0  the review completed and nothing reached --fail-on
    1  findings at or above --fail-on
    2  usage or configuration error (bad arguments, unknown concern or model, missing path, no git repository)
    3  the review is incomplete: an agent failed or was cancelled (and nothing reached --fail-on)
    130 interrupted
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import anyio

from manyeyes import __version__
from manyeyes.config import Settings, load_settings
from manyeyes.errors import ConfigError, ManyeyesError
from manyeyes.models import ALL_CONCERNS, Concern, ReviewKind, ReviewRequest, ReviewResult, Severity
from manyeyes.report import FORMATS, render

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manyeyes", description="A code reviewer that works like a small team.")
    parser.add_argument("--version", action="version", version=f"manyeyes {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    review = commands.add_parser("review", help="review files, a line range, or git changes")
    review.add_argument("paths", nargs="*", type=Path, help="files or directories (default: the workspace)")
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
    review.add_argument("--concerns", help=f"comma-separated, from: {', '.join(c.value for c in ALL_CONCERNS)}")
    review.add_argument("--model", help="a litellm model string, e.g. openai/gpt-4o-mini (default: offline panel)")
    review.add_argument("--api-base", help="the model endpoint, e.g. a LiteLLM proxy or a local server")
    review.add_argument("--format", choices=FORMATS, default="text")
    review.add_argument("--output", type=Path, help="write the report to this file instead of stdout")
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
    review.add_argument("--dry-run", action="store_true", help="show what would be sent to the model; send nothing")
    review.add_argument("--workspace", type=Path, default=None, help="the project root (default: current directory)")
    review.add_argument("--no-board", action="store_true", help="no live agent board on the terminal")
    review.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    evaluate = commands.add_parser("eval", help="measure review quality on a labeled corpus")
    evaluate.add_argument("--corpus", type=Path, required=True, help="a corpus directory (docs/evaluation.md)")
    evaluate.add_argument("--concerns", help="comma-separated (default: the concerns the corpus has labels for)")
    evaluate.add_argument("--model", help="a litellm model string (default: the offline panel)")
    evaluate.add_argument("--api-base", help="the model endpoint")
    evaluate.add_argument(
        "--oracle",
        metavar="P,Q[,SEED]",
        help="answer with a noisy oracle of the corpus's labels: finds each with probability P, "
        "invents one per agent with probability Q (measures the pipeline, not a model)",
    )
    evaluate.add_argument("--limit", type=int, metavar="N", help="only the first N case files")
    evaluate.add_argument("--format", choices=("text", "json"), default="text")
    evaluate.add_argument("--output", type=Path, help="write the report to this file instead of stdout")
    evaluate.add_argument("--no-board", action="store_true", help="no live agent board on the terminal")
    bench = commands.add_parser("bench", help="measure speed, cost and scale against the fake provider")
    bench.add_argument("--quick", action="store_true", help="small settings (what CI runs)")
    bench.add_argument(
        "--only", help="comma-separated figures: fanout, tokens, offline, scale, startup, responsiveness, incremental"
    )
    lsp = commands.add_parser("lsp", help="run the language server (stdio by default)")
    lsp.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "lsp":
        return _lsp(args)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        stream=sys.stderr,
        format="manyeyes: %(levelname)s: %(message)s",
    )
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # nothing a library prints may end up in the report
    try:
        if args.command == "eval":
            from manyeyes.cli_eval import run_eval

            return run_eval(args, real_stdout)
        if args.command == "bench":
            return _bench(args, real_stdout)
        return _review(args, real_stdout)
    except ManyeyesError as exc:
        print(f"manyeyes: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("manyeyes: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        sys.stdout = real_stdout


def _bench(args: argparse.Namespace, out) -> int:
    from manyeyes.benchmarks.suite import NAMES, run_suite

    only = [n.strip() for n in args.only.split(",")] if args.only else None
    unknown = [n for n in only or [] if n not in NAMES]
    if unknown:
        raise ConfigError(f"unknown figure '{unknown[0]}' (choose from {', '.join(NAMES)})")

    def write(text: str) -> None:
        out.write(text)
        out.flush()

    run_suite(args.quick, only, write)
    return EXIT_OK


def _lsp(args: argparse.Namespace) -> int:
    from manyeyes.lsp.server import run_stdio, run_tcp

    if not args.tcp:
        return run_stdio()
    host, _, port = args.tcp.rpartition(":")
    if not port.isdigit():
        print(f"manyeyes: error: --tcp takes HOST:PORT, not '{args.tcp}'", file=sys.stderr)
        return EXIT_USAGE
    return run_tcp(host or "127.0.0.1", int(port))


def _review(args: argparse.Namespace, out) -> int:
    workspace = (args.workspace or Path.cwd()).resolve()
    if not workspace.is_dir():
        raise ConfigError(f"the workspace is not a directory: {workspace}")
    loaded = load_settings(workspace, _overrides(args))
    for warning in loaded.warnings:
        print(f"manyeyes: warning: {warning}", file=sys.stderr)
    settings = loaded.settings
    request = _request(args, workspace)
    if not settings.offline:
        _check_models(settings)
    if args.dry_run:
        return _dry_run(request, settings, out)
    result = _run_with_board(request, settings, show_board=not args.no_board and sys.stderr.isatty())
    write_report(render(result, args.format, color=args.output is None and out.isatty()), args.output, out)
    return exit_code(result, args.fail_on)


def exit_code(result: ReviewResult, fail_on: str | None) -> int:
    if fail_on and any(f.severity.at_least(Severity(fail_on)) for f in result.findings):
        return EXIT_FINDINGS
    if any(o.state in ("failed", "cancelled") for o in result.outcomes):
        return EXIT_INCOMPLETE
    return EXIT_OK


def _overrides(args: argparse.Namespace) -> dict:
    overrides = {}
    if args.concerns:
        overrides["concerns"] = parse_concerns(args.concerns)
    for key in ("model", "api_base", "min_severity", "max_findings_per_file", "concurrency"):
        value = getattr(args, key)
        if value is not None:
            overrides[key] = value
    return overrides


def parse_concerns(text: str) -> list[Concern]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    valid = {c.value for c in ALL_CONCERNS}
    unknown = [n for n in names if n not in valid]
    if unknown or not names:
        raise ConfigError(f"unknown concern '{(unknown or [text])[0]}' (choose from {', '.join(sorted(valid))})")
    return [Concern(n) for n in dict.fromkeys(names)]


def _request(args: argparse.Namespace, workspace: Path) -> ReviewRequest:
    if args.diff is not None or args.staged:
        return ReviewRequest(kind=ReviewKind.diff, workspace=workspace, diff_base=args.diff or None, staged=args.staged)
    if args.lines:
        if len(args.paths) != 1:
            raise ConfigError("--lines needs exactly one file")
        return ReviewRequest(
            kind=ReviewKind.selection, workspace=workspace, paths=args.paths, lines=parse_lines(args.lines)
        )
    return ReviewRequest(kind=ReviewKind.files, workspace=workspace, paths=args.paths)


def parse_lines(text: str) -> tuple[int, int]:
    try:
        first, _, last = text.partition("-")
        start, end = int(first), int(last or first)
    except ValueError:
        raise ConfigError(f"--lines takes A-B with line numbers, not '{text}'") from None
    if start < 1 or end < start:
        raise ConfigError(f"--lines {text}: need 1 <= A <= B")
    return start, end


def _check_models(settings: Settings) -> None:
    from manyeyes.llm.client import check_model

    for model in {settings.model_for(c) for c in settings.concerns} - {None}:
        check_model(model)


def _run_with_board(request: ReviewRequest, settings: Settings, show_board: bool) -> ReviewResult:
    from manyeyes.engine import ReviewRun

    run = ReviewRun(request, settings)
    return with_board(run.execute, run.subscribe, show_board)


def with_board(execute, subscribe, show_board: bool):
    """Run `execute` with the live agent board on stderr when it is a terminal."""
    from manyeyes.cli_board import TerminalBoard

    board = TerminalBoard(sys.stderr) if show_board else None
    if board:
        subscribe(board.update)
    try:
        return anyio.run(execute)
    finally:
        if board:
            board.close()


def _dry_run(request: ReviewRequest, settings: Settings, out) -> int:
    from manyeyes.engine import dry_run

    plan, planned = anyio.run(dry_run, request, settings)
    offline = [t for t in plan.tasks if t.offline]
    lines = [f"Dry run: nothing is sent. {len(plan.documents)} file(s), {len(plan.tasks)} agent task(s)."]
    if offline:
        lines.append(f"{len(offline)} task(s) run on the offline panel (local analyzers, nothing leaves the machine).")
    for item in planned:
        lines.append(
            f"\n=== {item.task.id} {item.task.concern.value} {item.task.chunk.label} -> {item.task.agent} "
            f"(about {item.estimated_tokens:,} prompt tokens) ==="
        )
        lines.extend(f"--- {m['role']} ---\n{m['content']}" for m in item.messages)
    total = sum(item.estimated_tokens for item in planned)
    lines.append(f"\nTotal: about {total:,} prompt tokens in {len(planned)} model call(s).")
    lines.extend(f"Not reviewed: {n.path}: {n.reason}" for n in plan.not_reviewed)
    out.write("\n".join(lines) + "\n")
    return EXIT_OK


def write_report(text: str, output: Path | None, out) -> None:
    if output is None:
        out.write(text)
        out.flush()
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror or exc}") from None
    print(f"manyeyes: report written to {output}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
