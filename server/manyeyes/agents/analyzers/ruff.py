"""Readability and performance: ruff with chosen rule sets; its fixes become Fix objects.

In a trusted workspace with a ruff configuration of its own, that configuration decides (which rules, which
files, `# noqa`): the project's config files are mirrored beside the documents and ruff runs with them, and of
what it reports only the panel's rule sets are kept. A configuration that does not load is a note, and ruff runs
with the panel's own rules instead. In an untrusted workspace ruff runs isolated and ignores `# noqa`: a
repository must not silence its reviewer.
"""

from __future__ import annotations

import ast
import json
import re
from functools import lru_cache
from pathlib import Path

from manyeyes.agents.analyzers.base import PYTHON, AnalyzerRun, Scratch, analyzer_source, make_finding, run_tool
from manyeyes.models import Concern, Fix, Severity, Span
from manyeyes.plan.documents import Document
from manyeyes.safety import reading

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
PANEL_RULES = READABILITY_RULES + PERFORMANCE_RULES
_LINE_END = re.compile(r"\r\n|\r|\n")
CONFIG_FILES = ("pyproject.toml", "ruff.toml", ".ruff.toml")
MAX_CONFIG_BYTES = 1_000_000


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
    languages = PYTHON  # the languages it reads

    def run(self, scratch: Scratch) -> AnalyzerRun:
        if not any(d.language == "python" for d in scratch.documents.values()):
            return AnalyzerRun()
        if scratch.trusted and mirror_project_config(scratch):
            project = _check(scratch, _project_command(), keep=lambda code: code.startswith(PANEL_RULES))
            if project.failed is None:
                return project
            note = f"the project's ruff configuration could not be used ({project.failed}); manyeyes' rules ran"
        else:
            note = None
        flags = () if scratch.trusted else ("--ignore-noqa",)
        run = _check(scratch, ruff_command("--preview", *flags, "."))
        run.problems.extend([note] if note else [])
        return run


def _check(scratch: Scratch, argv: list[str], keep=lambda code: True) -> AnalyzerRun:
    proc = scratch.processes.run(argv, scratch.root)
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
        elif keep(item["code"]):
            run.findings.append(_finding(scratch.documents[rel], item))
    return run


def _project_command() -> list[str]:
    """ruff as the project configured it (rules, per-file ignores, noqa), JSON out, never failing."""
    return [_ruff_bin(), "check", "--no-cache", "--output-format", "json", "--exit-zero", "."]


def mirror_project_config(scratch: Scratch) -> bool:
    """Copy the workspace's ruff configuration files (root and every reviewed file's folders) into the scratch
    mirror at their own paths, so ruff finds them as it would in the project; True when any has ruff settings."""
    workspace, found = scratch.tests.workspace, False
    folders = {Path(rel).parent for rel in scratch.documents} | {Path(".")}
    for folder in {ancestor for f in folders for ancestor in (f, *f.parents)}:
        for name in CONFIG_FILES:
            rel = folder / name
            try:
                text = reading.read_text(workspace / rel, MAX_CONFIG_BYTES, root=workspace)
            except reading.Unreadable:
                continue
            if name != "pyproject.toml" or "[tool.ruff" in text:
                target = scratch.root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
                found = True
    return found


def _finding(document: Document, item: dict):
    code = item["code"]
    start, end = item["location"], item["end_location"]
    span = Span(start_line=start["row"], start_col=start["column"], end_line=end["row"], end_col=end["column"])
    only_annotated = code == "F821" and in_annotation(document.text, span)
    finding = make_finding(
        document,
        source="ruff",
        concern=concern_of(code),
        severity=Severity.low if only_annotated else severity_of(code),
        confidence=0.9,
        title=item["message"],
        explanation=rule_explanation(code) or item.get("name", ""),
        span=span,
        rule=code,
        fix=_fix(document, item.get("fix")),
        help_uri=item.get("url"),
    )
    if only_annotated:
        finding.notes.append("only a type annotation uses this name: a type checker's problem, not a crash")
    return finding


def in_annotation(text: str, span: Span) -> bool:
    """The span lies inside a type annotation (of an argument, a return, or a variable)."""
    return any(a <= (span.start_line, span.start_col - 1) < b for a, b in _annotation_ranges(text))


@lru_cache(maxsize=64)
def _annotation_ranges(text: str) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return ()
    ranges = []
    for node in ast.walk(tree):
        for annotation in _annotations_of(node):
            ranges.append(
                ((annotation.lineno, annotation.col_offset), (annotation.end_lineno, annotation.end_col_offset + 1))
            )
    return tuple(ranges)


def _annotations_of(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.arg):
        return [node.annotation] if node.annotation else []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [node.returns] if node.returns else []
    if isinstance(node, ast.AnnAssign):
        return [node.annotation]
    return []


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, dict]:
    """ruff's own description of every rule (`ruff rule --all`, 20 ms), read once."""
    proc = run_tool([_ruff_bin(), "rule", "--all", "--output-format", "json"], cwd=None)
    try:
        return {rule["code"]: rule for rule in json.loads(proc.stdout)}
    except (json.JSONDecodeError, KeyError, TypeError):
        return {}


def rule_explanation(code: str) -> str:
    """What is wrong, in ruff's words: the "Why is this bad?" part of the rule's documentation."""
    text = _catalogue().get(code, {}).get("explanation", "")
    why = text.split("## Why is this bad?", 1)[-1] if "## Why is this bad?" in text else ""
    return " ".join(why.split("\n## ", 1)[0].split())


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
    starts = _line_starts(document.text)

    def offset(row: int, column: int) -> int:
        return starts[min(row - 1, len(starts) - 1)] + column - 1

    start = offset(first["row"], first["column"])
    pieces, cursor = [], start
    for edit in edits:
        edit_start = offset(edit["location"]["row"], edit["location"]["column"])
        pieces.append(document.text[cursor:edit_start] + edit["content"])
        cursor = offset(edit["end_location"]["row"], edit["end_location"]["column"])
    span = Span(start_line=first["row"], start_col=first["column"], end_line=last["row"], end_col=last["column"])
    safe = fix.get("applicability") == "safe"
    note = "" if safe else f" ({fix.get('applicability')} fix: check it)"
    return Fix(
        span=span,
        replacement="".join(pieces),
        description=(fix.get("message") or "Apply ruff's fix") + note,
        source=analyzer_source("ruff"),
        safe=safe,
    )


@lru_cache(maxsize=8)
def _line_starts(text: str) -> tuple[int, ...]:
    """Where each line starts, counting line ends as ruff and editors do (\\n, \\r\\n, \\r; not form feeds).
    Computed once per document: a file with thousands of fixes must not rescan itself for each."""
    return (0, *(match.end() for match in _LINE_END.finditer(text)))
