"""`manyeyes dismiss` and `manyeyes suppressions list|prune`: the team's dismissals, from the command line.

A dismissal is kept in the workspace's `.manyeyes/suppressions.jsonl` with its reason, who gave it and when
(synthesis/suppressions.py); the editor's Dismiss action writes the same records. With reasons, they teach the
agents (plan/lessons.py). `prune` removes the records whose code is gone: the file was deleted, or the code the
finding quoted is no longer in it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import anyio

from manyeyes.cli.exits import EXIT_OK, EXIT_USAGE
from manyeyes.errors import ConfigError
from manyeyes.models import Finding, ReviewRequest
from manyeyes.plan.gitdiff import working_tree_root
from manyeyes.safety import plain, reading
from manyeyes.synthesis.suppressions import (
    SUPPRESSIONS_FILE,
    Suppression,
    append_records,
    current_user,
    dismissal_of,
    read_suppressions,
    remove_records,
)

MIN_PREFIX = 8  # a fingerprint may be given by a prefix this long, when it names one finding


def run_dismiss(args: argparse.Namespace, out) -> int:
    workspace = _workspace(args)
    reason = args.reason.strip()
    if len(reason) < 3:
        raise ConfigError("--reason must say why (a dismissal's reason is what teaches the reviewer)")
    findings = _report_findings(args.report) if args.report else _offline_findings(workspace, args.paths)
    known = read_suppressions(workspace).fingerprints
    records, missing = [], []
    for wanted in args.fingerprints:
        finding = _find(findings, wanted)
        if finding is None:
            missing.append(wanted)
        elif finding.fingerprint in known:
            out.write(f"already dismissed: {finding.fingerprint} {finding.path}: {plain.one_line(finding.title, 80)}\n")
        else:
            records.append(dismissal_of(finding, reason, args.by or current_user()))
    append_records(workspace, records)
    for record in records:
        out.write(f"dismissed {record.fingerprint} {record.path}: {plain.one_line(record.title, 80)}\n")
    if missing:
        where = args.report or "an offline review of the workspace (a model's finding: pass its --report)"
        out.write(f"not found in {where}: {', '.join(missing)}; nothing recorded for them\n")
        return EXIT_USAGE
    return EXIT_OK


def run_suppressions(args: argparse.Namespace, out) -> int:
    workspace = _workspace(args)
    found = read_suppressions(workspace)
    for note in found.notes:
        out.write(f"note: {note}\n")
    if args.action == "list":
        return _list(found.records, args.format, out)
    gone = [r for r in found.records if _code_gone(workspace, r)]
    if not args.dry_run and gone:
        remove_records(workspace, {r.fingerprint for r in gone})
    for record in gone:
        verb = "would remove" if args.dry_run else "removed"
        out.write(f"{verb} {record.fingerprint} {record.path or '?'}: {plain.one_line(record.title, 80)}\n")
    outcome = "would be removed" if args.dry_run else "removed"
    out.write(f"{len(gone)} of {len(found.records)} dismissal(s) {outcome}: their code is gone\n")
    return EXIT_OK


def _list(records: list[Suppression], format: str, out) -> int:
    if format == "json":
        out.write(json.dumps([r.to_json() for r in records], indent=2) + "\n")
        return EXIT_OK
    for r in records:
        who = ", ".join(part for part in (r.by, r.dismissed_at) if part)
        out.write(
            f"{r.fingerprint}  {r.path or '?'}  {r.rule or '-'}  {plain.one_line(r.title, 80)}\n"
            f"    {plain.one_line(r.reason, 300) or '(no reason given)'}{f' ({who})' if who else ''}\n"
        )
    out.write(f"{len(records)} dismissal(s) in {SUPPRESSIONS_FILE.as_posix()}\n")
    return EXIT_OK


def _code_gone(workspace: Path, record: Suppression) -> bool:
    """The record's file no longer exists, or no longer holds the code its finding quoted (a record without that
    code is kept while its file exists: nothing tells it is gone)."""
    if not record.path:
        return False
    try:
        text = reading.read_text(workspace / record.path, 16_000_000, workspace, errors="replace")
    except reading.Missing:
        return True
    except reading.Unreadable:
        return False
    return bool(record.evidence.strip()) and " ".join(record.evidence.split()) not in " ".join(text.split())


def _workspace(args: argparse.Namespace) -> Path:
    workspace = (args.workspace or working_tree_root(Path.cwd()) or Path.cwd()).resolve()
    if not workspace.is_dir():
        raise ConfigError(f"workspace {workspace} is not a directory")
    return workspace


def _find(findings: list[Finding], wanted: str) -> Finding | None:
    if len(wanted) < MIN_PREFIX:
        return None
    matches = [f for f in findings if f.fingerprint == wanted or f.fingerprint.startswith(wanted)]
    exact = [f for f in matches if f.fingerprint == wanted]
    return exact[0] if exact else (matches[0] if len(matches) == 1 else None)


def _report_findings(path: Path) -> list[Finding]:
    """The findings of a JSON report (`manyeyes review --format json`)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Finding.model_validate(item) for item in data["findings"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a manyeyes JSON report ({exc})") from None


def _offline_findings(workspace: Path, paths: list[Path]) -> list[Finding]:
    """The findings an offline review of the paths makes, every one of them (no filters, no cap)."""
    from manyeyes.config import load_settings
    from manyeyes.engine import ReviewRun

    settings = load_settings(workspace).settings.model_copy(update={"model": None, "models": {}})
    request = ReviewRequest(workspace=workspace, paths=[(Path.cwd() / p).resolve() for p in paths])
    run = ReviewRun(request, settings)
    return anyio.run(run.execute).consolidated
