"""Readability and performance: ruff with chosen rule sets; its fixes become Fix objects.

ruff runs isolated (the workspace's own ruff config is not read) so results depend only on manyeyes' settings.
"""

from __future__ import annotations

import json

from manyeyes.agents.analyzers.base import AnalyzerRun, Scratch, make_finding, run_tool
from manyeyes.models import Concern, Fix, Severity, Span
from manyeyes.plan.documents import Document

PERFORMANCE_RULES = ("PERF", "C416", "C417", "C419", "FURB132", "FURB136", "FURB140", "FURB142")
READABILITY_RULES = (
    "F",
    "E711",
    "E712",
    "E713",
    "E714",
    "E721",
    "E722",
    "E731",
    "E741",
    "B",
    "SIM",
    "RET",
    "PIE",
    "UP004",
    "UP008",
    "C401",
    "C402",
    "C403",
    "C404",
    "C405",
    "C408",
)
# Rules whose hits are bugs more than style.
_SEVERE = {"F821": Severity.high, "F811": Severity.medium, "F841": Severity.low, "E722": Severity.medium}
_MEDIUM_PREFIXES = ("B", "F6", "F7", "F8", "PERF203")


def ruff_command(*arguments: str) -> list[str]:
    """`ruff check` with the panel's rule sets, isolated from any project config, JSON out, never failing."""
    rules = ",".join(READABILITY_RULES + PERFORMANCE_RULES)
    return [
        _ruff_bin(),
        "check",
        "--isolated",
        "--no-cache",
        "--output-format",
        "json",
        "--select",
        rules,
        "--exit-zero",
        *arguments,
    ]


def _ruff_bin() -> str:
    from ruff.__main__ import find_ruff_bin

    return find_ruff_bin()


class Ruff:
    name = "ruff"
    concerns = (Concern.readability, Concern.performance)

    def run(self, scratch: Scratch) -> AnalyzerRun:
        if not any(d.language == "python" for d in scratch.documents.values()):
            return AnalyzerRun()
        argv = ruff_command("--preview", ".")
        proc = run_tool(argv, cwd=scratch.root)
        try:
            diagnostics = json.loads(proc.stdout)
        except json.JSONDecodeError:
            return AnalyzerRun(failed=f"ruff did not run: {proc.stderr.strip()[-300:] or 'no output'}")
        run = AnalyzerRun()
        for item in diagnostics:
            rel = scratch.rel(item.get("filename", ""))
            if rel is None:
                continue
            if not item.get("code"):  # a syntax error: ruff reports it without a rule
                run.problems.append(f"{rel}: ruff could not parse it ({item.get('message')})")
                continue
            run.findings.append(_finding(scratch.documents[rel], item))
        return run


def _finding(document: Document, item: dict):
    code = item["code"]
    start, end = item["location"], item["end_location"]
    return make_finding(
        document,
        source="ruff",
        concern=concern_of(code),
        severity=severity_of(code),
        confidence=0.9,
        title=item["message"],
        explanation=f"ruff {code} ({item.get('name', '')})",
        span=Span(start_line=start["row"], start_col=start["column"], end_line=end["row"], end_col=end["column"]),
        rule=code,
        fix=_fix(document, item.get("fix")),
        help_uri=item.get("url"),
    )


def concern_of(code: str) -> Concern:
    return Concern.performance if code.startswith(PERFORMANCE_RULES) else Concern.readability


def severity_of(code: str) -> Severity:
    if code in _SEVERE:
        return _SEVERE[code]
    return Severity.medium if code.startswith(_MEDIUM_PREFIXES) else Severity.low


def _fix(document: Document, fix: dict | None) -> Fix | None:
    """ruff's edits as one replacement over the span from the first edit to the last."""
    if not fix or not fix.get("edits"):
        return None
    edits = sorted(fix["edits"], key=lambda e: (e["location"]["row"], e["location"]["column"]))
    first, last = edits[0]["location"], edits[-1]["end_location"]
    lines = document.text.splitlines(keepends=True)
    offset = _offsets(lines)
    start = offset(first["row"], first["column"])
    pieces, cursor = [], start
    for edit in edits:
        edit_start = offset(edit["location"]["row"], edit["location"]["column"])
        pieces.append(document.text[cursor:edit_start] + edit["content"])
        cursor = offset(edit["end_location"]["row"], edit["end_location"]["column"])
    span = Span(start_line=first["row"], start_col=first["column"], end_line=last["row"], end_col=last["column"])
    note = "" if fix.get("applicability") == "safe" else f" ({fix.get('applicability')} fix: check it)"
    return Fix(span=span, replacement="".join(pieces), description=(fix.get("message") or "Apply ruff's fix") + note)


def _offsets(lines: list[str]):
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(row: int, column: int) -> int:
        return starts[min(row - 1, len(lines))] + column - 1

    return offset
