"""Whether anything but constants can reach a sink: a small abstract interpreter over one Python function and
the helpers of its module it calls (calls.py).

semgrep's taint engine follows a value through assignments, containers and both arms of every branch. It cannot
tell that `values[1]` after `values.pop(0)` is the constant "moresafe", that `"a" if 7 * 42 - 86 > 200 else
param` is always "a", or that an `if` chain on a constant character takes one arm. Code that only looks
dangerous, or whose dangerous arm is dead, is then reported as injection.

This module folds constants through one function: straight-line code, `if`/`elif` and conditional expressions
whose condition folds, `match` on a constant, lists and dicts with constant keys and the methods that change
them, and the pure methods of constant strings. Everything else (a call it does not know, an attribute, a
parameter, a loop that does not settle, a container handed to unknown code) is UNKNOWN, so it proves "constant"
only where it is: a flow is refuted when every pass over the sink gives it a value built from constants alone,
or when no path reaches the sink's statement. A path ends at `return` and `raise` (a `finally` block still
starts from any point of its `try`); `break` and `continue` do not cut a path, which only makes a value less
known, never more.
"""

from __future__ import annotations

import ast

from manyeyes.agents.analyzers.folding.calls import helper, local_names
from manyeyes.agents.analyzers.folding.interpreter import Interpreter, State, imported
from manyeyes.agents.analyzers.folding.values import BUILT, UNKNOWN, Consts, Unsupported, is_constant


def module_constants(tree: ast.Module) -> dict:
    """Top-level names bound once, to a constant, and never declared `global`: what a function may read as such;
    and the functions defined once, which a call runs (calls.py)."""
    bound: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound[node.id] = bound.get(node.id, 0) + 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                bound[name] = bound.get(name, 0) + 2
    result: dict = {name: UNKNOWN for name in bound}  # whatever the module binds is not a builtin
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            once = bound.get(statement.name, 0) == 0 and statement.name not in _rebound(tree, statement.name)
            result[statement.name] = (helper(statement) if once else None) or UNKNOWN
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for name, value in imported(statement).items():
                result[name] = value if bound.get(name, 0) == 0 and name not in _rebound(tree, name) else UNKNOWN
        elif (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            name = statement.targets[0].id
            if bound.get(name) == 1:
                value = Interpreter(None, None, result).expr(statement.value, State(result))
                result[name] = value if isinstance(value, Consts) else UNKNOWN
    return result


def _rebound(tree: ast.Module, name: str) -> set[str]:
    """{name} when more than one top-level import or definition binds it."""
    binders = 0
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            binders += name in imported(statement)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            binders += statement.name == name
    return {name} if binders > 1 else set()


def refutation(tree: ast.Module, start: tuple[int, int], end: tuple[int, int], module: dict) -> str | None:
    """Why no request data can reach the expression at (line, 0-based byte column) `start`..`end`, or None when
    it may (or the interpreter cannot tell)."""
    found = _sink_and_function(tree, start, end)
    if found is None:
        return None
    sink, function, enclosing = found
    shadowed = set().union(*(local_names(f) for f in enclosing))  # parameters and locals hide module constants
    interpreter = Interpreter(function, sink, {k: v for k, v in module.items() if k not in shadowed}, module)
    try:
        interpreter.run()
    except (Unsupported, RecursionError):
        return None
    if interpreter.holder is None:
        return None
    if not interpreter.reached:
        return "no path reaches it (the branch it is in never runs)"
    if interpreter.seen and all(is_constant(v) for v in interpreter.seen):
        return f"the value it gets is built from constants alone ({_describe(interpreter.seen)})"
    return None


def _sink_and_function(tree: ast.Module, start: tuple[int, int], end: tuple[int, int]):
    """The expression at exactly that range and the innermost function holding it."""
    functions = [tree]
    while True:
        inner = next(
            (
                node
                for node in ast.iter_child_nodes(functions[-1])
                if _within(node, start, end) and not isinstance(node, ast.expr)
            ),
            None,
        )
        if inner is None:
            break
        functions.append(inner)
    holders = [f for f in functions if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))]
    if not holders or not isinstance(holders[-1], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    sink = _closest_expression(holders[-1], start, end)
    return (sink, holders[-1], holders) if sink is not None else None


SLACK = 2  # columns: semgrep's Python parser reports a column one off after a `match` statement (1.185.0)


def _closest_expression(function: ast.AST, start: tuple[int, int], end: tuple[int, int]) -> ast.expr | None:
    """The expression at exactly that range, else the one nearest it on the same lines within SLACK columns, if
    exactly one is nearest."""
    distances: dict[int, list[ast.expr]] = {}
    for node in ast.walk(function):
        if not isinstance(node, ast.expr):
            continue
        (first, last) = _range(node)
        if first[0] != start[0] or last[0] != end[0]:
            continue
        distance = abs(first[1] - start[1]) + abs(last[1] - end[1])
        if distance <= SLACK:
            distances.setdefault(distance, []).append(node)
    if not distances:
        return None
    nearest = distances[min(distances)]
    return nearest[0] if len(nearest) == 1 else None


def _range(node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
    return (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)


def _within(node: ast.AST, start: tuple[int, int], end: tuple[int, int]) -> bool:
    if not hasattr(node, "lineno") or node.end_lineno is None:
        return False
    (first, last) = _range(node)
    return first <= start and end <= last


def _describe(values: list) -> str:
    shown = []
    for value in values:
        if isinstance(value, Consts):  # one constant, or one of a few (a branch that does not fold)
            texts = sorted(repr(v) for v in value.values)
        else:
            texts = ["a value computed from constants" if value is BUILT else "a list or dict of constants"]
        for text in texts:
            if text not in shown:
                shown.append(text)
    text = " or ".join(shown[:3]) + (" or others" if len(shown) > 3 else "")
    return text if len(text) <= 120 else text[:117] + "..."
