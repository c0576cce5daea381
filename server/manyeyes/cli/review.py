"""`manyeyes review`: settings and request from the arguments, the run with its live board, the report and the
exit code (the codes are listed in cli.py and the README)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import anyio

from manyeyes.cli.exits import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from manyeyes.config import Settings, load_settings
from manyeyes.errors import ConfigError
from manyeyes.models import ALL_CONCERNS, Concern, ReviewKind, ReviewRequest, ReviewResult, Severity
from manyeyes.report import FORMATS, render

OFFLINE = {"model": None, "models": {}, "verifier_model": None}  # the settings of a review by the offline panel


def run_review(args: argparse.Namespace, out) -> int:
    workspace = (args.workspace or default_workspace(Path.cwd())).resolve()
    if not workspace.is_dir():
        raise ConfigError(f"the workspace is not a directory: {workspace}")
    paths = _inside(workspace, args.paths)
    loaded = load_settings(workspace, _overrides(args), trusted=not args.untrusted)
    if args.concerns:
        parse_concerns(args.concerns, [*ALL_CONCERNS, *loaded.settings.custom_concerns])
    for warning in loaded.warnings:
        print(f"manyeyes: warning: {warning}", file=sys.stderr)
    settings = loaded.settings
    request = _request(args, workspace, paths)
    reports = _extra_reports(args.report)
    if not settings.offline:
        _check_models(settings)
        settings = _offline_without_key(settings) if args.offline_if_no_key else settings
    if args.dry_run:
        return _dry_run(request, settings, out)
    result = _run_with_board(request, settings, show_board=not args.no_board and sys.stderr.isatty())
    category = args.sarif_category
    write_report(
        render(result, args.format, color=args.output is None and out.isatty(), category=category), args.output, out
    )
    for fmt, path in reports:
        write_report(render(result, fmt, category=category), path, out)
    return exit_code(result, args.fail_on)


def _extra_reports(specs: list[str]) -> list[tuple[str, Path]]:
    """`--report FORMAT=PATH` values, checked before the review runs."""
    reports = []
    for spec in specs:
        fmt, sep, path = spec.partition("=")
        if not sep or not path or fmt not in FORMATS:
            raise ConfigError(f"--report takes FORMAT=PATH with FORMAT one of {', '.join(FORMATS)}, not '{spec}'")
        reports.append((fmt, Path(path)))
    return reports


def _offline_without_key(settings: Settings) -> Settings:
    """The offline panel instead of a model whose key is missing (nothing is sent either way), said on stderr."""
    from manyeyes.llm.keys import MissingKeyError, check_keys

    try:
        check_keys(settings, settings.all_models())
    except MissingKeyError as missing:
        print(f"manyeyes: warning: reviewing offline: {missing}", file=sys.stderr)
        return settings.model_copy(update=OFFLINE)
    return settings


def default_workspace(cwd: Path) -> Path:
    """The repository holding the current folder, else the folder: every path a report names is then relative to
    the repository root, wherever in it the command runs (what code scanning and pull requests expect)."""
    from manyeyes.plan.gitdiff import working_tree_root

    return working_tree_root(cwd) or cwd


def _inside(workspace: Path, paths: list[Path]) -> list[Path]:
    """The paths given (relative to the current folder) as the workspace names them, as every report does; one
    outside the workspace is refused by name (its findings could not be placed relative to the root)."""
    inside = []
    for given in paths:
        lexical = Path(os.path.abspath(given))  # a symlink keeps its own name
        if lexical.is_relative_to(workspace):
            inside.append(lexical.relative_to(workspace))
        elif lexical.resolve().is_relative_to(workspace):
            inside.append(lexical.resolve().relative_to(workspace))
        else:
            raise ConfigError(f"{given} is outside the workspace {workspace}")
    return inside


def exit_code(result: ReviewResult, fail_on: str | None) -> int:
    if fail_on and any(f.severity.at_least(Severity(fail_on)) for f in result.findings):
        return EXIT_FINDINGS
    if any(o.state in ("failed", "cancelled") for o in result.outcomes):
        return EXIT_INCOMPLETE
    return EXIT_OK


def _overrides(args: argparse.Namespace) -> dict:
    overrides = {}
    if args.concerns:  # checked once the settings are loaded: they may define concerns of their own
        overrides["concerns"] = [n.strip() for n in args.concerns.split(",") if n.strip()]
    keys = ("model", "api_base", "min_severity", "max_findings_per_file", "concurrency", "max_cost_usd")
    for key in (*keys, "voting", "votes", "verifier_model"):
        value = getattr(args, key)
        if value is not None:
            overrides[key] = value
    if args.offline:
        overrides.update(OFFLINE)
    if args.no_cache:
        overrides["cache"] = False
    if args.thorough:
        overrides["thorough"] = True
    return overrides


def parse_concerns(text: str, known: list[Concern] = ALL_CONCERNS) -> list[Concern]:
    """`--concerns a,b`: each one of `known` (the built-in four; a review's settings may define more)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    valid = {c.value for c in known}
    unknown = [n for n in names if n not in valid]
    if unknown or not names:
        raise ConfigError(f"unknown concern '{(unknown or [text])[0]}' (choose from {', '.join(sorted(valid))})")
    return [Concern(n) for n in dict.fromkeys(names)]


def _request(args: argparse.Namespace, workspace: Path, paths: list[Path]) -> ReviewRequest:
    trusted = not args.untrusted
    if args.diff is not None or args.staged:
        if not trusted:
            raise ConfigError("--diff and --staged run git, which --untrusted rules out; review the files instead")
        return ReviewRequest(
            kind=ReviewKind.diff,
            workspace=workspace,
            paths=paths,  # none: the whole repository's changes, wherever the command runs
            diff_base=args.diff or None,
            staged=args.staged,
            compare_with=_compare_with(args, ReviewKind.diff),
        )
    if args.lines:
        if len(paths) != 1:
            raise ConfigError("--lines needs exactly one file")
        return ReviewRequest(
            kind=ReviewKind.selection,
            workspace=workspace,
            paths=paths,
            lines=parse_lines(args.lines),
            trusted=trusted,
            compare_with=_compare_with(args, ReviewKind.selection),
        )
    here = [Path.cwd()] if Path.cwd() != workspace else []  # no paths: the folder the command runs in
    return ReviewRequest(
        kind=ReviewKind.files,
        workspace=workspace,
        paths=paths or here,
        trusted=trusted,
        compare_with=_compare_with(args, ReviewKind.files),
    )


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

    for model in sorted(settings.all_models()):
        check_model(model)


def _compare_with(args: argparse.Namespace, kind: ReviewKind) -> str | None:
    """The ref whose findings are left out (None: report every finding), checked before anything runs."""
    from manyeyes.engine.baseline import base_ref

    if args.new_only and kind is not ReviewKind.diff:
        raise ConfigError("--new-only compares a change with its base: use it with --diff or --staged")
    if args.baseline is not None and kind is ReviewKind.diff:
        raise ConfigError("--baseline is for a files review; with --diff or --staged, use --new-only")
    if args.baseline is not None and args.untrusted:
        raise ConfigError("--baseline reads the base from git, which --untrusted rules out")
    if not (args.new_only or args.baseline is not None):
        return None
    return base_ref(kind, args.diff or None, args.staged, args.baseline)


def _run_with_board(request: ReviewRequest, settings: Settings, show_board: bool) -> ReviewResult:
    from manyeyes.cache import disk_cache
    from manyeyes.engine import ReviewRun

    cache = disk_cache(settings.cache_max_mb) if settings.cache and not settings.offline else None
    run = ReviewRun(request, settings, cache=cache)
    try:
        return with_board(run.execute, run.subscribe, show_board, run.on_phase)
    finally:
        if cache is not None:
            cache.close()


def with_board(execute, subscribe, show_board: bool, on_phase=None):
    """Run `execute` with the live agent board on stderr when it is a terminal; `on_phase` subscribes the board
    to the run's steps after the agents."""
    from manyeyes.cli.board import TerminalBoard

    board = TerminalBoard(sys.stderr) if show_board else None
    if board:
        subscribe(board.update)
        if on_phase:
            on_phase(board.phase)
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
    lines.extend(_instruction_lines(plan))
    for item in planned:
        given = ", ".join(i.source for i in item.task.context.instructions)
        lines.append(
            f"\n=== {item.task.id} {item.task.concern.value} {item.task.chunk.label} -> {item.task.agent} "
            f"(about {item.estimated_tokens:,} prompt tokens{f'; instructions: {given}' if given else ''}) ==="
        )
        lines.extend(f"--- {m['role']} ---\n{m['content']}" for m in item.messages)
    total = sum(item.estimated_tokens for item in planned)
    lines.append(f"\nTotal: about {total:,} prompt tokens in {len(planned)} model call(s).")
    if planned and settings.voting != "off":
        lines.append(_votes_ahead(settings))
    lines.extend(f"Skipped: {t.id} {t.concern.value} {t.chunk.label}: {t.standby}" for t in plan.tasks if t.stood_down)
    lines.extend(f"Not reviewed: {n.path}: {n.reason}" for n in plan.not_reviewed)
    lines.extend(f"Note: {note}" for note in plan.notes)
    out.write("\n".join(lines) + "\n")
    return EXIT_OK


def _instruction_lines(plan) -> list[str]:
    """Which project instruction files apply, where, and to how many of the planned model tasks."""
    lines = []
    for instruction in plan.instructions.items:
        carried = sum(1 for t in plan.tasks if not t.stood_down and instruction in t.context.instructions)
        scope = ", ".join(instruction.applies_to) or "every file"
        concerns = ", ".join(sorted(c.value for c in instruction.concerns)) if instruction.concerns else "every concern"
        ignores = f"; never reports {', '.join(e.rule for e in instruction.ignore)}" if instruction.ignore else ""
        lines.append(
            f"Instructions {instruction.source} ({instruction.id}): {scope}, {concerns}; in {carried} task(s){ignores}"
        )
    return lines


def _votes_ahead(settings: Settings) -> str:
    """What consensus may add once the first answers are in (it depends on them: docs/consensus.md)."""
    if settings.voting == "always":
        return "Then every task gets its extra voters (voting = always): about (votes - 1) times the above again."
    return (
        f"Then tasks whose chunk is risky or whose answer is uncertain may get more voters, spending at most "
        f"{settings.escalation_share:g} times what these calls spent (escalation_share); `--voting off` for none."
    )


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
