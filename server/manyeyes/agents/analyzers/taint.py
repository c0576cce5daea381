"""Taint joins the sink-only hits: what semgrep's taint rules learned about a function judges bandit's hits in it.

bandit (and the line patterns) flag a dangerous call by its shape: SQL built as a string, eval, a shell, pickle.
Whether anyone outside can reach it is what a taint rule answers. Inside a function that reads request data:

- a taint flow that ends on the hit's lines backs it: the taint finding merges with it in synthesis (the rules
  are declared equivalent in synthesis/rules.py) and the explanation names the source;
- no flow of that kind to the hit demotes it below the default `min_confidence`, with a note saying why: the
  request data the function reads does not reach the call (a statement built from constants, a parameterized
  query beside it). Whoever lowers `min_confidence` still sees it, and a model agent grounded on it can raise it.

A hit in a function that reads no request data is left as it is: the OSS engine follows data within one
function, so it cannot say whether a caller passes untrusted input. Except in a helper of the same file that a
function reading request data hands it to (helper_flows.py): where none of the helper's parameters reaches the
hit, the request data does not either, and the hit is demoted the same way.

A Python flow semgrep reports is checked first by folding the function's constants (folding/): where every
path gives the sink a value built from constants alone (the request's value put in a list and another item
taken out, a condition that is always true choosing a constant), or no path reaches it, the flow is refuted and
the sink-only hits on that call are demoted with that reason.
"""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass, field

from manyeyes.agents.analyzers import folding
from manyeyes.models import Finding, Span
from manyeyes.plan import syntax
from manyeyes.plan.documents import Document
from manyeyes.synthesis.rules import canonical

log = logging.getLogger(__name__)

# A sink-only rule -> the kind of sink the taint rules name in their metadata (equivalent rules share it).
SINK_KINDS = {
    "B608": "sql",
    "B611": "sql",  # Django's RawSQL
    "B610": "sql",  # Django's extra()
    "B602": "shell",  # and B605, MEP-shell (one group)
    "B604": "shell",
    "B609": "shell",
    "B307": "code",  # and B102, MEP-eval
    "B301": "deserialize",  # and B506, MEP-deserialize
    "B302": "deserialize",
    "B320": "xml",
    "B410": "xml",
    "java-sql-from-parameter": "sql",
    "java-command-from-parameter": "shell",
}
_KIND_OF_GROUP = {canonical(rule): kind for rule, kind in SINK_KINDS.items()}
TAINT_NOTE = "Taint: "  # how the evidence shown to a model agent finds these notes (grounding.py)
DEMOTED_CONFIDENCE = 0.3  # below the default min_confidence (0.5): shown only to whoever asks for more


@dataclass(frozen=True)
class Flow:
    path: str
    kind: str  # the sink's kind: sql, shell, code, path, html, ...
    rule: str
    span: Span


@dataclass
class FlowIndex:
    """What one semgrep run found: taint flows by file, and the lines where request data is read."""

    flows: dict[str, list[Flow]] = field(default_factory=dict)
    sources: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    refuted: dict[str, list[tuple[Flow, str]]] = field(default_factory=dict)  # flows no request data can take
    # Helpers of a file handed request data: path -> (first line, last line, name, the call's line); and the sinks
    # their parameters reach (helper_flows.py).
    helpers: dict[str, list[tuple[int, int, str, int]]] = field(default_factory=dict)
    parameter_flows: dict[str, list[Flow]] = field(default_factory=dict)

    def add_flow(self, flow: Flow) -> None:
        self.flows.setdefault(flow.path, []).append(flow)

    def add_refuted(self, flow: Flow, reason: str) -> None:
        self.refuted.setdefault(flow.path, []).append((flow, reason))

    def refuted_to(self, path: str, kind: str, span: Span) -> str | None:
        """Why the flow semgrep saw to this call cannot happen, if one was refuted."""
        return next(
            (reason for flow, reason in self.refuted.get(path, []) if flow.kind == kind and _overlap(flow.span, span)),
            None,
        )

    def add_helper(self, path: str, name: str, start: int, end: int, call_line: int) -> None:
        self.helpers.setdefault(path, []).append((start, end, name, call_line))

    def add_parameter_flow(self, flow: Flow) -> None:
        self.parameter_flows.setdefault(flow.path, []).append(flow)

    def helper_at(self, path: str, start: int, end: int) -> tuple[str, int] | None:
        """The helper handed request data whose definition is these lines: its name and the call's line."""
        return next(((n, call) for a, b, n, call in self.helpers.get(path, []) if (a, b) == (start, end)), None)

    def parameter_reaches(self, path: str, kind: str, span: Span) -> bool:
        return any(f.kind == kind and _overlap(f.span, span) for f in self.parameter_flows.get(path, []))

    def add_source(self, path: str, start: int, end: int) -> None:
        self.sources.setdefault(path, []).append((start, end))

    def sources_in(self, path: str, start: int, end: int) -> list[int]:
        """Lines in [start, end] where request data is read."""
        return sorted({a for a, b in self.sources.get(path, []) if start <= a and b <= end})

    def flow_to(self, path: str, kind: str, span: Span) -> Flow | None:
        return next((f for f in self.flows.get(path, []) if f.kind == kind and _overlap(f.span, span)), None)


def _overlap(a: Span, b: Span) -> bool:
    return a.start_line <= b.end_line and b.start_line <= a.end_line


class Refuter:
    """Checks semgrep's Python flows by folding constants (folding/); each file parsed once."""

    def __init__(self) -> None:
        self._parsed: dict[str, tuple[ast.Module, dict] | None] = {}

    def refute(self, document: Document, start: dict, end: dict) -> str | None:
        """Why the flow semgrep reports ending at start..end (its 1-based byte columns) cannot carry request data,
        or None."""
        if document.language != "python":
            return None
        parsed = self._parse(document)
        if parsed is None:
            return None
        tree, known = parsed
        where = (start["line"], start.get("col", 1) - 1), (end["line"], end.get("col", 1) - 1)
        try:
            return folding.refutation(tree, *where, known)
        except Exception:  # noqa: BLE001 - a bug in the folding must not lose semgrep's findings: the flow stands
            log.exception("constant folding failed on %s", document.path)
            return None

    def _parse(self, document: Document) -> tuple[ast.Module, dict] | None:
        if document.path not in self._parsed:
            try:
                tree = ast.parse(document.text)
                self._parsed[document.path] = (tree, folding.module_constants(tree))
            except (SyntaxError, ValueError, RecursionError):
                self._parsed[document.path] = None
        return self._parsed[document.path]


def enclosing_function(document: Document, line: int) -> tuple[int, int] | None:
    """The lines of the innermost function or method holding `line`, by the document's syntax tree."""
    definitions = syntax.parse(document).definitions or []
    found = None
    while definitions:
        holder = next((d for d in definitions if d.start <= line <= d.end), None)
        if holder is None:
            break
        if holder.kind == "function":
            found = (holder.start, holder.end)
        definitions = list(holder.members)
    return found


def first_source(index: FlowIndex, document: Document, line: int) -> int | None:
    """The first line before `line`, in its function, where request data is read (for a flow's message)."""
    function = enclosing_function(document, line)
    if function is None:
        return None
    lines = index.sources_in(document.path, function[0], line)
    return lines[0] if lines else None


def judge(findings: list[Finding], index: FlowIndex, documents: dict[str, Document]) -> None:
    """Demote, in place, the sink-only hits that request data read in their function does not reach."""
    for finding in findings:
        kind = next((_KIND_OF_GROUP[canonical(r)] for r in finding.rules if canonical(r) in _KIND_OF_GROUP), None)
        document = documents.get(finding.path)
        if kind is None or document is None:
            continue
        function = enclosing_function(document, finding.span.start_line)
        if function is None:
            continue
        if not index.sources_in(finding.path, *function):
            _judge_in_helper(finding, kind, index, function)
            continue
        if index.flow_to(finding.path, kind, finding.span) is None:
            finding.confidence = min(finding.confidence, DEMOTED_CONFIDENCE)
            finding.notes.append(_no_flow_note(kind, index.refuted_to(finding.path, kind, finding.span)))


def _judge_in_helper(finding: Finding, kind: str, index: FlowIndex, function: tuple[int, int]) -> None:
    """A hit in a helper that a function reading request data hands it to, where none of the helper's parameters
    reaches the hit: the request data does not reach it either (demoted). Elsewhere, with no request data read in
    the function, the taint rules cannot judge it."""
    helper = index.helper_at(finding.path, *function)
    if helper is None or index.parameter_reaches(finding.path, kind, finding.span):
        return
    name, call_line = helper
    finding.confidence = min(finding.confidence, DEMOTED_CONFIDENCE)
    finding.notes.append(
        f"{TAINT_NOTE}request data handed to {name}() at line {call_line} cannot reach this {kind} call: none of "
        f"{name}'s parameters does (demoted)."
    )


def _no_flow_note(kind: str, refuted: str | None) -> str:
    if refuted:
        return f"{TAINT_NOTE}request data read in this function cannot reach this {kind} call: {refuted} (demoted)."
    return (
        f"{TAINT_NOTE}this function reads request data, but semgrep's taint rules found no path from it to "
        f"this {kind} call (demoted: the value looks built from constants or passed as a parameter)."
    )


def flow_note(source_line: int) -> str:
    return f"{TAINT_NOTE}request data read at line {source_line} reaches this call."


def helper_flow_note(source_line: int, helper: str) -> str:
    return f"{TAINT_NOTE}request data read at line {source_line} is passed to {helper}(), and reaches this call in it."
