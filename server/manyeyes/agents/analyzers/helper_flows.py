"""Flows through a helper of the same file: a function that reads request data hands it to a function of its
module, which takes it to a dangerous call (`return read_file("/srv", request.args["name"])`, and `open()` in
`read_file`).

semgrep's OSS engine follows data within one function, and each half of such a flow is within one. So the
review asks semgrep for both halves in the same run, with rules made for the helpers it found in the files:

- `<rule>--via-helper`: each Python taint rule's sinks, sanitizers and propagators, with a helper's parameters as
  the sources (the message names the helper and the parameter that reached the sink);
- `<rule>--to-helper`: the rule's sources and sanitizers, with the arguments of calls to a helper as the sinks.

Where a caller passes request data in the place of a parameter that reaches a sink, the sink is a finding of the
rule's own name (its CWE, its synthesis group), with a note naming the caller's line. One level deep: a helper
that hands the value to another helper is not followed; a method (`self.run(x)`) is not a helper here.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field

from manyeyes.agents.analyzers.semgrep_targets import ROUTE_DECORATOR
from manyeyes.plan.documents import Document
from manyeyes.plan.syntax import ast_lines

VIA_HELPER = "--via-helper"
TO_HELPER = "--to-helper"
SEPARATOR = " \u241f "  # between the parts of a message semgrep fills in, split apart here
SLACK = 2  # columns (semgrep's Python columns can be one off, folding/__init__.py)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def called_helpers(documents: list[Document]) -> dict[str, set[str]]:
    """Per Python file, the top-level functions (each defined once) that a function reading request data calls by
    name with an argument: those whose parameters may carry request data. With none, no rule is added: the two
    halves' rules cost semgrep as much again as the rules they are made from."""
    found = {}
    for document in documents:
        helpers = _helpers(document)
        if not helpers:
            continue
        flask_request = _flask_request_names(document.tree)
        names = {
            call.func.id
            for caller in ast.walk(document.tree)
            if isinstance(caller, _FUNCTIONS) and _reads_request_data(document, caller, flask_request)
            for call in ast.walk(caller)
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in helpers
            if call.args or call.keywords
        }
        if names:
            found[document.path] = names
    return found


# What the rules' sources read (rules/python-web.yaml): Flask's request, a Django or Starlette request's data, a
# route's parameters.
_REQUEST_DATA = {"GET", "POST", "body", "COOKIES", "META", "FILES", "headers", "data", "query_params", "path_params"}
_ROUTE = re.compile(r"^\s*" + ROUTE_DECORATOR)


def _reads_request_data(document: Document, function: ast.AST, flask_request: set[str]) -> bool:
    if any(_ROUTE.match(document.lines[d.lineno - 1]) for d in function.decorator_list):
        return True
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            name, attribute = node.value.id, node.attr
            if name in flask_request or (name == "flask" and attribute == "request"):
                return True
            if name == "request" and attribute in _REQUEST_DATA:
                return True
    return False


def _flask_request_names(tree: ast.Module) -> set[str]:
    """The names a module binds to Flask's request (`from flask import request as r`)."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "flask"
        for alias in node.names
        if alias.name == "request"
    }


def rules(taint_rules: list[dict], names: set[str]) -> list[dict]:
    """The two halves' rules for each Python taint rule, for helpers of these names (none without helpers)."""
    if not names:
        return []
    pattern = "^(" + "|".join(re.escape(name) for name in sorted(names)) + ")$"
    made = []
    for rule in taint_rules:
        via = copy.deepcopy(rule)
        via.update(
            id=rule["id"] + VIA_HELPER,
            message=" ".join(rule["message"].split()) + SEPARATOR + "$HELPER" + SEPARATOR + "$PARAMETER",
        )
        via["pattern-sources"] = [_parameters(pattern)]
        into = copy.deepcopy(rule)
        into.update(id=rule["id"] + TO_HELPER, severity="INFO", message="$HELPER")
        into["pattern-sinks"] = [_arguments(pattern)]
        made += [via, into]
    return made


@dataclass
class Joined:
    """What the two halves tell, in one file or many."""

    sinks: list[tuple[str, dict, str, int]] = field(default_factory=list)  # (path, sink result, helper, call line)
    handed: dict[tuple[str, str], int] = field(default_factory=dict)  # (path, helper) -> a call handing it request data
    reached: list[tuple[str, str, dict, dict]] = field(
        default_factory=list
    )  # (path, kind, start, end): a parameter's sink


def join(results: list[tuple[str, dict]], documents: dict[str, Document]) -> Joined:
    """Each helper parameter that reaches a sink and that a caller fills with request data, as the sink's result
    under its own rule (one per sink and rule); the helpers handed request data; every sink a parameter reaches."""
    joined, filled = Joined(), {}
    for path, result in results:
        rule = result["check_id"].rsplit(".", 1)[-1]
        if rule.endswith(TO_HELPER):
            helper = result["extra"]["message"].strip()
            joined.handed.setdefault((path, helper), result["start"]["line"])
            parameter = _parameter_filled(documents[path], helper, result["start"])
            if parameter is not None:
                filled.setdefault((path, rule.removesuffix(TO_HELPER), helper, parameter), result["start"]["line"])
    seen = set()
    for path, result in results:
        rule = result["check_id"].rsplit(".", 1)[-1]
        if not rule.endswith(VIA_HELPER):
            continue
        message, helper, parameter = [
            part.strip() for part in (result["extra"]["message"].split(SEPARATOR) + ["", ""])[:3]
        ]
        joined.reached.append((path, result["extra"]["metadata"].get("kind"), result["start"], result["end"]))
        base = rule.removesuffix(VIA_HELPER)
        call_line = filled.get((path, base, helper, parameter))
        where = (path, base, result["start"]["line"], result["start"].get("col"))
        if call_line is None or where in seen:
            continue
        seen.add(where)
        sink = copy.deepcopy(result)
        sink["check_id"] = base
        sink["extra"]["message"] = message
        joined.sinks.append((path, sink, helper, call_line))
    return joined


def definition_lines(document: Document, helper: str) -> tuple[int, int] | None:
    """A helper's lines, its decorators included (as the slicer's definitions give them)."""
    node = _helpers(document).get(helper)
    return ast_lines(node) if node is not None else None


def _helpers(document: Document) -> dict[str, ast.FunctionDef]:
    """The top-level functions of a Python file defined once (a name bound twice may call either)."""
    tree = document.tree if document.language == "python" else None
    if tree is None:
        return {}
    functions = [node for node in tree.body if isinstance(node, _FUNCTIONS)]
    names = [node.name for node in functions]
    return {node.name: node for node in functions if names.count(node.name) == 1}


def _parameters(names: str) -> dict:
    inside = [f"{d}def $HELPER(..., $PARAMETER, ...):\n  ...\n" for d in ("", "async ")]
    return _of_helpers([{"pattern-inside": p} for p in inside], names, "$PARAMETER")


def _arguments(names: str) -> dict:
    calls = ["$HELPER(..., $ARGUMENT, ...)", "$HELPER(..., $K=$ARGUMENT, ...)"]
    return _of_helpers([{"pattern": p} for p in calls], names, "$ARGUMENT")


def _of_helpers(alternatives: list[dict], names: str, focus: str) -> dict:
    """A semgrep pattern: one of `alternatives`, where $HELPER is one of `names`, focused on `focus`."""
    return {
        "patterns": [
            {"pattern-either": alternatives},
            {"metavariable-regex": {"metavariable": "$HELPER", "regex": names}},
            {"focus-metavariable": focus},
        ]
    }


def _parameter_filled(document: Document, helper: str, start: dict) -> str | None:
    """The parameter of `helper` that the argument semgrep reports at `start` is passed to."""
    definition = _helpers(document).get(helper)
    if definition is None:
        return None
    positional = [a.arg for a in [*definition.args.posonlyargs, *definition.args.args]]
    line, column = start["line"], start.get("col", 1) - 1
    candidates = []  # (distance in columns, the parameter it fills)
    for call in ast.walk(document.tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == helper):
            continue
        for index, argument in enumerate(call.args):
            if argument.lineno == line and not isinstance(argument, ast.Starred):
                filled = positional[index] if index < len(positional) else None
                candidates.append((abs(argument.col_offset - column), filled))
        for keyword in call.keywords:
            if keyword.arg is not None and keyword.value.lineno == line:
                candidates.append((abs(keyword.value.col_offset - column), keyword.arg))
    distance, filled = min(candidates, key=lambda c: c[0], default=(SLACK + 1, None))
    return filled if distance <= SLACK else None
