"""Calls to the module's own functions: which definitions a call can run, how its arguments bind to their
parameters, and how much calling one refutation may do.

A helper in the same file that returns a constant whatever it is given (`def do_something(param): bar = "safe";
return bar`) makes its caller's flow a look-alike semgrep cannot tell from a real one: the OSS engine assumes a
call passes its arguments' taint to its result. The interpreter runs such a helper's body with the arguments'
values and takes the join of what it returns; likewise a method of a plain class of the module called on an
instance (`Test().do_something(request, param)`), its `self` unknown. A definition it cannot trust to be what the
name calls (bound twice, decorated, a generator, `async`, a class with a base or a metaclass) stays unknown code.
"""

from __future__ import annotations

import ast

from manyeyes.agents.analyzers.folding.values import UNKNOWN, ClassRef, FunctionRef, const

MAX_DEPTH = 4  # helpers calling helpers: deeper calls are unknown code
MAX_CALLS = 64  # helper bodies one refutation may run (a loop runs its calls once per pass): then unknown code


class CallBudget:
    """What the calls of one refutation may still do: the helpers being run (no recursion) and how many more."""

    def __init__(self) -> None:
        self.running: list[ast.FunctionDef] = []
        self.left = MAX_CALLS

    def may_run(self, definition: ast.FunctionDef) -> bool:
        return self.left > 0 and len(self.running) < MAX_DEPTH and definition not in self.running


def helper(statement: ast.stmt) -> FunctionRef | ClassRef | None:
    """The top-level definition as a function a call runs, or a class whose methods a call on an instance runs,
    if what the name calls is that code."""
    if isinstance(statement, ast.ClassDef):
        return _plain_class(statement)
    if not isinstance(statement, ast.FunctionDef) or statement.decorator_list:
        return None
    if any(isinstance(node, (ast.Yield, ast.YieldFrom)) for node in _own_nodes(statement)):
        return None  # a generator: a call returns the generator, not what the body returns
    return FunctionRef(statement)


# Methods that change what creating an instance or looking up its attributes gives.
_HOOKS = {"__new__", "__getattribute__", "__getattr__", "__init_subclass__", "__class_getitem__"}


def _plain_class(statement: ast.ClassDef) -> ClassRef | None:
    """A class with no base, decorator or metaclass: `Name()` is an instance whose methods are those written here,
    each defined once and never replaced (`self.run = ...` anywhere in the class keeps its methods unknown)."""
    if statement.decorator_list or statement.bases or statement.keywords:
        return None
    defined = [node.name for node in statement.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    stored = {
        node.attr for node in ast.walk(statement) if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
    }
    if _HOOKS & set(defined) or stored & set(defined):
        return None
    methods = {}
    for node in statement.body:
        if defined.count(getattr(node, "name", None)) == 1 and isinstance(function := helper(node), FunctionRef):
            methods[node.name] = function.node
    return ClassRef(methods)


def bind(arguments: ast.arguments, positional: list, keywords: dict) -> dict | None:
    """Each parameter's value for a call with these arguments, or None where Python would raise TypeError (then
    the call raises and returns nothing the interpreter needs to know)."""
    names = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
    if len(positional) > len(names) and arguments.vararg is None:
        return None
    bound = dict(zip(names, positional))
    by_keyword = {a.arg for a in [*arguments.args, *arguments.kwonlyargs]}
    for name, value in keywords.items():
        if name in bound or (name not in by_keyword and arguments.kwarg is None):
            return None
        if name in by_keyword:
            bound[name] = value
    defaults = dict(zip(names[len(names) - len(arguments.defaults) :], arguments.defaults))
    defaults.update((a.arg, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None)
    for name in [*names, *(a.arg for a in arguments.kwonlyargs)]:
        if name not in bound:
            if name not in defaults:
                return None
            bound[name] = _default(defaults[name])
    for rest in (arguments.vararg, arguments.kwarg):
        if rest is not None:
            bound[rest.arg] = UNKNOWN
    return bound


def local_names(function: ast.AST) -> set[str]:
    """Every name a function binds: its parameters and whatever its body assigns or imports."""
    arguments = function.args
    names = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
    names |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def _default(node: ast.expr):
    """A parameter's default: a literal constant is known; anything else (a list shared by every call) is not."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes, int, float, bool, type(None))):
        return const(node.value)
    return UNKNOWN


def _own_nodes(definition: ast.FunctionDef):
    """The nodes of a function's body, not those of functions or lambdas defined in it."""
    pending = list(definition.body)
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            pending.extend(ast.iter_child_nodes(node))
