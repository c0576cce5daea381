"""Whether anything but constants can reach a sink: a small abstract interpreter over one Python function.

semgrep's taint engine follows a value through assignments, containers and both arms of every branch. It cannot
tell that `values[1]` after `values.pop(0)` is the constant "moresafe", that `"a" if 7 * 42 - 86 > 200 else
param` is always "a", or that an `if` chain on a constant character takes one arm. Code that only looks
dangerous, or whose dangerous arm is dead, is then reported as injection.

This module folds constants through one function: straight-line code, `if`/`elif` and conditional expressions
whose condition folds, `match` on a constant, lists and dicts with constant keys and the methods that change
them, and the pure methods of constant strings. Everything else (a call it does not know, an attribute, a
parameter, a loop that does not settle, a container handed to unknown code) is UNKNOWN, so it proves "constant"
only where it is: a flow is refuted when every pass over the sink gives it a value built from constants alone,
or when no path reaches the sink's statement. Early exits (`return`, `break`, an exception) are not followed:
the paths they would cut only make a value less known, never more.
"""

from __future__ import annotations

import ast
import base64
import binascii
import codecs
import html
import json
import operator
import posixpath
import urllib.parse
from dataclasses import dataclass

MAX_CHOICES = 8  # constants one name may hold across paths before it is UNKNOWN
MAX_LOOP_PASSES = 6
MAX_SEQUENCE = 64


class Unknown:
    """A value the interpreter cannot pin down (the request's, a parameter's, an unknown call's)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()


class Built:
    """A value computed from constants alone by pure code whose result is not folded (a JSON document decoded
    from a constant, a hundred combinations of choices): no request data is in it, though what it is is not
    known."""

    def __repr__(self) -> str:
        return "BUILT"


BUILT = Built()


@dataclass(frozen=True)
class Consts:
    """One of these constants, whichever path was taken."""

    values: frozenset


@dataclass(frozen=True)
class Seq:
    """A list or tuple whose length and elements are known."""

    items: tuple


@dataclass(frozen=True)
class Map:
    """A dict whose constant keys are known, in insertion order."""

    entries: tuple  # ((key, value), ...)

    def get(self, key):
        return next((v for k, v in self.entries if k == key), None)

    def put(self, key, value) -> Map:
        if self.get(key) is None:
            return type(self)(self.entries + ((key, value),))
        return type(self)(tuple((k, value if k == key else v) for k, v in self.entries))

    def without(self, key) -> Map:
        return type(self)(tuple((k, v) for k, v in self.entries if k != key))


@dataclass(frozen=True)
class Config(Map):
    """A configparser.ConfigParser filled by the function: (section, option) keys to values."""


@dataclass(frozen=True)
class ModuleRef:
    """A name an import bound: `import base64` binds base64 to the module "base64"."""

    name: str


class Unsupported(Exception):
    """The function does something the interpreter does not model soundly: the flow is left to semgrep."""


def const(value) -> Consts:
    return Consts(frozenset([value]))


def is_constant(value) -> bool:
    if isinstance(value, (Consts, Built)):
        return True
    if isinstance(value, Seq):
        return all(is_constant(v) for v in value.items)
    if isinstance(value, Map):
        return all(is_constant(v) for _, v in value.entries)
    return False


def join(a, b):
    if a == b:
        return a
    if isinstance(a, (Consts, Built)) and isinstance(b, (Consts, Built)) and BUILT in (a, b):
        return BUILT
    if isinstance(a, Consts) and isinstance(b, Consts):
        union = a.values | b.values
        return Consts(union) if len(union) <= MAX_CHOICES else UNKNOWN
    if isinstance(a, Seq) and isinstance(b, Seq) and len(a.items) == len(b.items):
        return Seq(tuple(join(x, y) for x, y in zip(a.items, b.items)))
    if isinstance(a, Map) and type(a) is type(b) and [k for k, _ in a.entries] == [k for k, _ in b.entries]:
        return type(a)(tuple((k, join(v, w)) for (k, v), (_, w) in zip(a.entries, b.entries)))
    return UNKNOWN


def single(value):
    """The one constant `value` holds on every path, else None (with a flag for "known to be None")."""
    if isinstance(value, Consts) and len(value.values) == 1:
        return True, next(iter(value.values))
    return False, None


_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_UNARY = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}
_STR_METHODS = frozenset(
    "capitalize casefold center count encode decode endswith find format index isalnum isalpha isdigit "
    "islower isnumeric isspace isupper join ljust lower lstrip partition removeprefix removesuffix replace "
    "rfind rjust rpartition rsplit rstrip split splitlines startswith strip swapcase title upper zfill".split()
)
_CONFIG_PARSERS = {"configparser.ConfigParser", "configparser.RawConfigParser"}
_PURE_BUILTINS = {
    **{f.__name__: f for f in (str, bytes, int, float, bool, len, repr, abs, ord, chr, hex, min, max, sorted)},
}
# Pure functions of the standard library by the name code calls them with: their result from constants is a
# constant (os.path as posixpath, so the fold is the same on every machine).
_PURE_CALLS = {
    **{
        f"base64.{n}": getattr(base64, n)
        for n in (
            "b64encode",
            "b64decode",
            "urlsafe_b64encode",
            "urlsafe_b64decode",
            "b32encode",
            "b32decode",
            "b16encode",
            "b16decode",
        )
    },
    **{f"binascii.{n}": getattr(binascii, n) for n in ("hexlify", "unhexlify", "b2a_hex", "a2b_hex")},
    **{f"codecs.{n}": getattr(codecs, n) for n in ("encode", "decode")},
    **{f"html.{n}": getattr(html, n) for n in ("escape", "unescape")},
    **{f"json.{n}": getattr(json, n) for n in ("dumps", "loads")},
    **{f"os.path.{n}": getattr(posixpath, n) for n in ("join", "basename", "dirname", "normpath", "splitext")},
    **{f"urllib.parse.{n}": getattr(urllib.parse, n) for n in ("quote", "quote_plus", "unquote", "unquote_plus")},
}
_HASHABLE = (str, bytes, int, float, bool, type(None), tuple)
# Expressions whose container value is a new one, never another name's: displays, `a + b`, calls (a container
# method returns an item or a copy, a string method a new list, anything else UNKNOWN).
_FRESH = (ast.List, ast.Tuple, ast.Dict, ast.BinOp, ast.Call, ast.Constant)


def _wrap(result):
    """A Python result of folding as an abstract value."""
    if isinstance(result, (list, tuple)) and len(result) <= MAX_SEQUENCE:
        items = tuple(_wrap(r) for r in result)
        return Seq(items) if all(isinstance(i, (Consts, Seq)) for i in items) else UNKNOWN
    if isinstance(result, _HASHABLE):
        return const(result)
    return UNKNOWN


def _fold(function, *operands):
    """Pure `function` over every combination of the operands' constants; BUILT where some operand is BUILT, the
    combinations are too many or the result is not a constant; UNKNOWN where an operand is not from constants."""
    if not all(isinstance(o, (Consts, Built)) for o in operands):
        return UNKNOWN
    if BUILT in operands:
        return BUILT
    choices = [[]]
    for operand in operands:
        choices = [c + [v] for c in choices for v in operand.values]
        if len(choices) > MAX_CHOICES:
            return BUILT
    results = None
    for args in choices:
        try:
            result = function(*args)
        except Exception:  # noqa: BLE001 - whatever it raises, that path ends there and gives no value
            return BUILT
        value = _wrap(result)
        if value is UNKNOWN or (isinstance(result, (str, bytes)) and len(result) > 10_000):
            value = BUILT
        results = value if results is None else join(results, value)
    return results if results is not None and results is not UNKNOWN else BUILT


def truth(value) -> bool | None:
    """True or False where every path agrees, else None."""
    if isinstance(value, Consts):
        truths = {bool(v) for v in value.values}
        return truths.pop() if len(truths) == 1 else None
    if isinstance(value, Seq):
        return bool(value.items)
    if isinstance(value, Map):
        return bool(value.entries)
    return None


class State(dict):
    """Names to values on one path; a name not here is looked up in the module's constants."""

    def __init__(self, module: dict, *args):
        super().__init__(*args)
        self.module = module

    def look(self, name: str):
        if name in self:
            return self[name]
        return self.module.get(name, UNKNOWN)

    def copy(self) -> State:
        return State(self.module, self)

    def joined(self, other: State) -> State:
        return State(self.module, {n: join(self.look(n), other.look(n)) for n in self.keys() | other.keys()})


class Interpreter:
    """Runs one function abstractly and records what value `sink` has each time it is evaluated."""

    def __init__(self, function: ast.AST | None, sink: ast.expr | None, module: dict):
        self.function = function
        self.sink = sink
        self.module = module
        self.seen: list = []  # the sink's value at each evaluation
        self.reached = False  # whether the statement holding the sink ran on some path
        self.holder = _statement_holding(function, sink) if function is not None else None

    def run(self) -> None:
        local = _assigned_names(self.function.body)
        for node in ast.walk(self.function):
            if isinstance(node, ast.Lambda) and _names_in(node.body) & local:
                raise Unsupported("a lambda over local names")  # it may run later and change them
        self.block(self.function.body, State(self.module))

    # statements

    def block(self, statements: list[ast.stmt], state: State) -> State:
        for statement in statements:
            state = self.statement(statement, state)
        return state

    def statement(self, node: ast.stmt, state: State) -> State:
        if node is self.holder:
            self.reached = True
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            raise Unsupported(type(node).__name__)
        return handler(node, state)

    def _Expr(self, node: ast.Expr, state: State) -> State:
        self.expr(node.value, state)
        return state

    def _Assign(self, node: ast.Assign, state: State) -> State:
        value = self.bindable(node.value, self.expr(node.value, state), state)
        if len(node.targets) > 1 and isinstance(value, (Seq, Map)):
            value = UNKNOWN  # `a = b = []`: two names for one list
        for target in node.targets:
            self.assign(target, value, state)
        return state

    def _AnnAssign(self, node: ast.AnnAssign, state: State) -> State:
        if node.value is not None:
            self.assign(node.target, self.bindable(node.value, self.expr(node.value, state), state), state)
        return state

    def _AugAssign(self, node: ast.AugAssign, state: State) -> State:
        current = self.expr(_as_load(node.target), state)
        value = _binary(node.op, current, self.bindable(node.value, self.expr(node.value, state), state))
        self.assign(node.target, value, state)
        return state

    def _If(self, node: ast.If, state: State) -> State:
        taken = truth(self.expr(node.test, state))
        if taken is True:
            return self.block(node.body, state)
        if taken is False:
            return self.block(node.orelse, state)
        return self.block(node.body, state.copy()).joined(self.block(node.orelse, state.copy()))

    def _For(self, node: ast.For, state: State) -> State:
        items = self.expr(node.iter, state)
        element = _element_of(items)
        return self.loop(node, state, lambda s: self.assign(node.target, element, s))

    _AsyncFor = _For

    def _While(self, node: ast.While, state: State) -> State:
        if truth(self.expr(node.test, state)) is False:
            return self.block(node.orelse, state)
        return self.loop(node, state, lambda s: self.expr(node.test, s))

    def loop(self, node, state: State, enter) -> State:
        """The state after any number of passes: passes joined until nothing changes, then what still changes
        is UNKNOWN."""
        entry = state
        for _ in range(MAX_LOOP_PASSES):
            current = entry.copy()
            enter(current)
            after = entry.joined(self.block(node.body, current))
            if after == entry:
                break
            entry = after
        else:
            entry = State(self.module, {n: v if entry.look(n) == after.look(n) else UNKNOWN for n, v in after.items()})
        return self.block(node.orelse, entry.copy()).joined(entry)

    def _Try(self, node: ast.Try, state: State) -> State:
        after_body = self.block(node.orelse, self.block(node.body, state.copy()))
        start = _interrupted(node.body, state)
        ends = [after_body]
        for handler in node.handlers:
            entry = start.copy()
            if handler.name:
                entry[handler.name] = UNKNOWN
            ends.append(self.block(handler.body, entry))
        result = ends[0]
        for end in ends[1:]:
            result = result.joined(end)
        return self.block(node.finalbody, result)

    _TryStar = _Try

    def _With(self, node: ast.With, state: State) -> State:
        """A context manager may swallow an exception (contextlib.suppress): after the block, the state may be
        the one at any point inside it."""
        for item in node.items:
            self.expr(item.context_expr, state)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, UNKNOWN, state)
        interrupted = _interrupted(node.body, state)
        return self.block(node.body, state).joined(interrupted)

    _AsyncWith = _With

    def _Match(self, node: ast.Match, state: State) -> State:
        subject = self.expr(node.subject, state)
        ends = []
        for case in node.cases:
            matches = _pattern_matches(case.pattern, subject)
            if matches is False:
                continue
            entry = state.copy()
            for name in _pattern_names(case.pattern):
                entry[name] = (
                    subject if isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None else UNKNOWN
                )
            guard = truth(self.expr(case.guard, entry)) if case.guard is not None else True
            if guard is False:
                continue
            ends.append(self.block(case.body, entry))
            if matches is True and guard is True:
                break
        else:
            ends.append(state)  # no case matched
        result = ends[0]
        for end in ends[1:]:
            result = result.joined(end)
        return result

    def _Return(self, node: ast.Return, state: State) -> State:
        if node.value is not None:
            self.expr(node.value, state)
        return state

    def _Raise(self, node: ast.Raise, state: State) -> State:
        for part in (node.exc, node.cause):
            if part is not None:
                self.expr(part, state)
        return state

    def _Assert(self, node: ast.Assert, state: State) -> State:
        self.expr(node.test, state)
        return state

    def _Delete(self, node: ast.Delete, state: State) -> State:
        for target in node.targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                self._delete_item(target.value.id, self.expr(target.slice, state), state)
            elif isinstance(target, ast.Name):
                state[target.id] = UNKNOWN
            else:
                self._forget_containers(target, state)
        return state

    def _delete_item(self, name: str, key, state: State) -> None:
        container, (known, index) = state.look(name), single(key)
        if isinstance(container, Map) and known and container.get(index) is not None:
            state[name] = container.without(index)
        elif _position(container, known, index):
            items = list(container.items)
            del items[index]
            state[name] = Seq(tuple(items))
        else:
            state[name] = UNKNOWN

    def _Import(self, node: ast.Import | ast.ImportFrom, state: State) -> State:
        state.update(_imported(node))
        return state

    _ImportFrom = _Import

    def _Pass(self, node, state: State) -> State:
        return state

    _Break = _Continue = _Pass

    # Names another scope can change, and scopes inside this one that can change ours: not modeled.
    def _Global(self, node, state: State) -> State:
        raise Unsupported("global")

    _Nonlocal = _Global

    def _FunctionDef(self, node, state: State) -> State:
        raise Unsupported("a nested definition")

    _AsyncFunctionDef = _ClassDef = _FunctionDef

    # assignment

    def assign(self, target: ast.expr, value, state: State) -> None:
        if isinstance(target, ast.Name):
            state[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            self._unpack(target, value, state)
        elif isinstance(target, ast.Subscript):
            self._store_item(target, UNKNOWN if isinstance(value, (Seq, Map)) else value, state)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, UNKNOWN, state)
        else:  # an attribute: not tracked, but what it is built from is evaluated
            self.expr(target.value, state)

    def _unpack(self, target: ast.Tuple | ast.List, value, state: State) -> None:
        elements = target.elts
        if isinstance(value, Seq) and len(value.items) == len(elements) and not _has_starred(elements):
            for element, item in zip(elements, value.items):
                self.assign(element, item, state)
            return
        for element in elements:
            self.assign(element, UNKNOWN, state)

    def _store_item(self, target: ast.Subscript, value, state: State) -> None:
        key = self.expr(target.slice, state)
        if not isinstance(target.value, ast.Name):
            self.expr(target.value, state)
            return
        name = target.value.id
        container = state.look(name)
        known, index = single(key)
        if isinstance(container, Map) and known and isinstance(index, _HASHABLE):
            state[name] = container.put(index, value)
        elif _position(container, known, index):
            items = list(container.items)
            items[index] = value
            state[name] = Seq(tuple(items))
        else:
            state[name] = UNKNOWN

    def bindable(self, node: ast.expr, value, state: State):
        """`value` as it may be bound to a name or put in a container. Containers are tracked by value, so only
        one name may hold each: a list reached any other way than a new one (`x = values`, `[values]`, `a if c
        else values`) would be an alias whose changes the interpreter cannot see, and it and every container it
        names become UNKNOWN. Containers never hold containers, so an item read is never an alias either."""
        if isinstance(value, (Seq, Map)) and not isinstance(node, _FRESH):
            self._forget_containers(node, state)
            return UNKNOWN
        return value

    # expressions

    def expr(self, node: ast.expr, state: State):
        value = self._evaluate(node, state)
        if node is self.sink:
            self.seen.append(value)
        return value

    def _evaluate(self, node: ast.expr, state: State):
        handler = getattr(self, f"_e_{type(node).__name__}", None)
        if handler is None:
            self._forget_containers(node, state)
            return UNKNOWN
        return handler(node, state)

    def _forget_containers(self, node: ast.AST, state: State) -> None:
        """Code the interpreter does not follow (a comprehension, a starred display) may change any container it
        names and bind any name it stores to; the sink inside it has a value nobody followed."""
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and (
                isinstance(child.ctx, ast.Store) or isinstance(state.look(child.id), (Seq, Map))
            ):
                state[child.id] = UNKNOWN
            if child is self.sink:
                self.seen.append(UNKNOWN)

    def _opaque(self, node: ast.expr, state: State):
        """An expression whose value is not modeled but whose parts run now (await, yield, a set display): the
        parts are evaluated, so a sink among them is seen, and containers they hand over are forgotten."""
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                value = self.expr(child, state)
                if isinstance(value, (Seq, Map)):
                    self._forget_containers(child, state)
        return UNKNOWN

    _e_Await = _e_Yield = _e_YieldFrom = _e_Set = _e_Starred = _opaque

    def _e_Constant(self, node: ast.Constant, state: State):
        return const(node.value) if isinstance(node.value, _HASHABLE) else UNKNOWN

    def _e_Name(self, node: ast.Name, state: State):
        return state.look(node.id)

    def _e_NamedExpr(self, node: ast.NamedExpr, state: State):
        value = self.bindable(node.value, self.expr(node.value, state), state)
        state[node.target.id] = value
        return value

    def _e_BinOp(self, node: ast.BinOp, state: State):
        return _binary(node.op, self.expr(node.left, state), self.expr(node.right, state))

    def _e_UnaryOp(self, node: ast.UnaryOp, state: State):
        operand = self.expr(node.operand, state)
        if isinstance(node.op, ast.Not):
            known = truth(operand)
            return UNKNOWN if known is None else const(not known)
        return _fold(_UNARY[type(node.op)], operand)

    def _e_BoolOp(self, node: ast.BoolOp, state: State):
        """`a or b` is a where a is true, else b; an operand after one whose truth is unknown may not run, so it
        runs on a copy of the state that is joined back."""
        stops_on = isinstance(node.op, ast.Or)
        results, branch = [], state
        for position, operand in enumerate(node.values):
            value = self.expr(operand, branch)
            known = truth(value) if position < len(node.values) - 1 else stops_on
            if known is not (not stops_on):  # this operand may be the result
                results.append(value)
            if known is stops_on:
                break
            if known is None and branch is state:
                branch = state.copy()
        if branch is not state:
            _merge_into(state, state, branch)
        result = results[0]
        for value in results[1:]:
            result = join(result, value)
        return result

    def _e_Compare(self, node: ast.Compare, state: State):
        values = [self.expr(node.left, state)] + [self.expr(c, state) for c in node.comparators]
        operations = [_COMPARE[type(op)] for op in node.ops]

        def chained(*operands):
            return all(op(a, b) for op, a, b in zip(operations, operands, operands[1:]))

        return _fold(chained, *[_as_consts(v) for v in values])

    def _e_IfExp(self, node: ast.IfExp, state: State):
        taken = truth(self.expr(node.test, state))
        if taken is True:
            return self.expr(node.body, state)
        if taken is False:
            return self.expr(node.orelse, state)
        then, other = state.copy(), state.copy()
        value = join(self.expr(node.body, then), self.expr(node.orelse, other))
        _merge_into(state, then, other)
        return value

    def _e_JoinedStr(self, node: ast.JoinedStr, state: State):
        parts = [self._formatted(part, state) for part in node.values]
        return _fold(lambda *texts: "".join(texts), *parts)

    def _formatted(self, node: ast.expr, state: State):
        if isinstance(node, ast.Constant):
            return const(node.value)
        value = self.expr(node.value, state)
        spec = self.expr(node.format_spec, state) if node.format_spec is not None else const("")
        convert = {115: str, 114: repr, 97: ascii}.get(node.conversion, lambda v: v)
        return _fold(lambda v, s: format(convert(v), s), value, spec)

    def _e_List(self, node: ast.List | ast.Tuple, state: State):
        if _has_starred(node.elts) or len(node.elts) > MAX_SEQUENCE:
            self._forget_containers(node, state)
            return UNKNOWN
        return Seq(tuple(self.item(e, state) for e in node.elts))

    def item(self, node: ast.expr, state: State):
        """An element of a new container: never a container itself (see bindable)."""
        value = self.expr(node, state)
        if isinstance(value, (Seq, Map)):
            self._forget_containers(node, state)
            return UNKNOWN
        return value

    _e_Tuple = _e_List

    def _e_Dict(self, node: ast.Dict, state: State):
        result = Map(())
        for key_node, value_node in zip(node.keys, node.values):
            value = self.item(value_node, state)
            known, key = single(self.expr(key_node, state)) if key_node is not None else (False, None)
            if not known or not isinstance(key, _HASHABLE):
                return UNKNOWN
            result = result.put(key, value)
        return result

    def _e_Subscript(self, node: ast.Subscript, state: State):
        container = self.expr(node.value, state)
        if isinstance(node.slice, ast.Slice):
            bounds = [
                self.expr(b, state) if b is not None else const(None)
                for b in (node.slice.lower, node.slice.upper, node.slice.step)
            ]
            if isinstance(container, Seq) and all(single(b)[0] for b in bounds):
                return Seq(container.items[slice(*(single(b)[1] for b in bounds))])
            return _fold(lambda c, *b: c[slice(*b)], container, *bounds)
        key = self.expr(node.slice, state)
        if isinstance(container, Config):  # a section: a view through which the parser can be changed
            self._forget_containers(node.value, state)
            return UNKNOWN
        return _item(container, key)

    def _e_Call(self, node: ast.Call, state: State):
        arguments = [self.expr(a.value if isinstance(a, ast.Starred) else a, state) for a in node.args]
        keywords = {k.arg: self.expr(k.value, state) for k in node.keywords}
        starred = any(isinstance(a, ast.Starred) for a in node.args) or None in keywords
        function = node.func
        if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
            receiver = state.look(function.value.id)
            if isinstance(receiver, (Seq, Map)):
                for index, argument in enumerate(node.args):
                    if isinstance(arguments[index], (Seq, Map)) and function.attr not in ("extend", "update"):
                        self._forget_containers(argument, state)
                        arguments[index] = UNKNOWN
                return self._container_method(function.value.id, receiver, function.attr, arguments, keywords, state)
        if isinstance(function, ast.Attribute):
            receiver = self.expr(function.value, state)
            if function.attr in _STR_METHODS and not keywords and not starred and isinstance(receiver, (Consts, Built)):
                return _fold(lambda r, *a: getattr(r, function.attr)(*a), receiver, *[_as_consts(a) for a in arguments])
        if _resolved(function, state) in _CONFIG_PARSERS and not node.args and not node.keywords:
            return Config(())
        if _pure_call(function, state) and not starred:
            if keywords:  # folded without them: from constants, the result is still built from constants
                return BUILT if all(_scalar_constant(v) for v in [*arguments, *keywords.values()]) else UNKNOWN
            return _fold(_pure_call(function, state), *[_as_consts(a) for a in arguments])
        if not isinstance(function, ast.Attribute):
            self.expr(function, state)
        # Unknown code may change any container handed to it.
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(argument, ast.Name) and isinstance(state.look(argument.id), (Seq, Map)):
                state[argument.id] = UNKNOWN
        return UNKNOWN

    def _container_method(self, name: str, receiver, method: str, arguments: list, keywords: dict, state: State):
        """A list's or dict's method: its result, and the container as the method leaves it."""
        result, changed = _apply_method(state.look(name), method, arguments, keywords)
        state[name] = changed
        return result

    def _e_Attribute(self, node: ast.Attribute, state: State):
        self.expr(node.value, state)
        return UNKNOWN


def _apply_method(receiver, method: str, arguments: list, keywords: dict):
    """(result, container after) for the methods modeled; (UNKNOWN, UNKNOWN) for any other."""
    if keywords:
        return UNKNOWN, UNKNOWN
    known = [single(a) for a in arguments]
    constants = [v for ok, v in known if ok]
    all_known = len(constants) == len(arguments)
    if isinstance(receiver, Config):
        return _config_method(receiver, method, arguments, constants)
    if isinstance(receiver, Seq):
        items = list(receiver.items)
        if method == "append" and len(arguments) == 1:
            return const(None), Seq((*items, arguments[0]))
        if method == "extend" and len(arguments) == 1 and isinstance(arguments[0], Seq):
            return const(None), Seq((*items, *arguments[0].items))
        if method == "insert" and len(arguments) == 2 and known[0][0] and isinstance(known[0][1], int):
            items.insert(known[0][1], arguments[1])
            return const(None), Seq(tuple(items))
        if method == "pop" and all_known and len(arguments) <= 1:
            index = constants[0] if constants else -1
            if isinstance(index, int) and -len(items) <= index < len(items):
                return items.pop(index), Seq(tuple(items))
        if method == "remove" and all_known and len(arguments) == 1:
            position = next((i for i, v in enumerate(items) if v == const(constants[0])), None)
            if position is not None and all(isinstance(v, Consts) for v in items[:position]):
                del items[position]
                return const(None), Seq(tuple(items))
        if method == "clear" and not arguments:
            return const(None), Seq(())
        if method in ("index", "count") and all_known:
            return UNKNOWN, receiver
        if method == "reverse" and not arguments:
            return const(None), Seq(tuple(reversed(items)))
        if method == "copy" and not arguments:
            return receiver, receiver
    if isinstance(receiver, Map):
        if method == "get" and all_known and len(arguments) in (1, 2):
            found = receiver.get(constants[0])
            return (found if found is not None else arguments[1] if len(arguments) == 2 else const(None)), receiver
        if method == "pop" and all_known and len(arguments) in (1, 2):
            found = receiver.get(constants[0])
            if found is not None:
                return found, receiver.without(constants[0])
        if method == "setdefault" and all_known and len(arguments) in (1, 2):
            found = receiver.get(constants[0])
            if found is not None:
                return found, receiver
            default = arguments[1] if len(arguments) == 2 else const(None)
            return default, receiver.put(constants[0], default)
        if method == "update" and len(arguments) == 1 and isinstance(arguments[0], Map):
            merged = receiver
            for key, value in arguments[0].entries:
                merged = merged.put(key, value)
            return const(None), merged
        if method in ("keys", "values", "items", "copy") and not arguments:
            return UNKNOWN if method != "copy" else receiver, receiver
    return UNKNOWN, UNKNOWN


def _pure_call(function: ast.expr, state: State):
    """The pure function a call's callee names (`len`, `base64.b64decode`), unless the name is rebound here."""
    dotted = _resolved(function, state)
    return (_PURE_BUILTINS.get(dotted) or _PURE_CALLS.get(dotted)) if dotted else None


def _resolved(function: ast.expr, state: State) -> str | None:
    """The dotted name a callee stands for: through what imports bound (`import base64 as b`: b.b64decode is
    base64.b64decode); a name bound to anything else is nobody's known function; an unbound one is a builtin."""
    dotted = _dotted(function)
    if dotted is None:
        return None
    root, _, rest = dotted.partition(".")
    bound = state[root] if root in state else state.module.get(root)
    if bound is None:
        return dotted
    if isinstance(bound, ModuleRef):
        return f"{bound.name}.{rest}" if rest else bound.name
    return None


def _imported(node: ast.Import | ast.ImportFrom) -> dict:
    """The names an import statement binds, each to the module or the module's attribute it names."""
    bound = {}
    for alias in node.names:
        if isinstance(node, ast.ImportFrom):
            origin = f"{node.module}.{alias.name}" if node.module and not node.level else None
            bound[alias.asname or alias.name] = ModuleRef(origin) if origin else UNKNOWN
        elif alias.asname:
            bound[alias.asname] = ModuleRef(alias.name)
        else:
            root = alias.name.split(".")[0]
            bound[root] = ModuleRef(root)
    return bound


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _scalar_constant(value) -> bool:
    return isinstance(value, (Consts, Built))


def _merge_into(state: State, one: State, other: State) -> None:
    """`state` becomes the join of two paths (either may be `state` itself)."""
    merged = one.joined(other)
    state.clear()
    state.update(merged)


def _binary(op: ast.operator, left, right):
    if isinstance(left, Seq) and isinstance(right, Seq) and isinstance(op, ast.Add):
        return Seq(left.items + right.items)  # a new list: no alias of either
    operation = _BINARY.get(type(op))
    return _fold(operation, left, right) if operation else UNKNOWN


def _position(container, known: bool, index) -> bool:
    """Whether `index` is known and names an item of the list `container`."""
    return (
        isinstance(container, Seq)
        and known
        and isinstance(index, int)
        and -len(container.items) <= index < len(container.items)
    )


def _config_method(config: Config, method: str, arguments: list, constants: list):
    """A ConfigParser used as a table: add_section, set and get with constant names. A value holding "%(" would
    be interpolated from other options on get, so it is not read as itself."""
    if method == "add_section" and len(constants) == 1:
        return const(None), config
    if method == "set" and len(arguments) == 3 and len(constants) >= 2 and all(single(a)[0] for a in arguments[:2]):
        key = (single(arguments[0])[1], single(arguments[1])[1])
        return const(None), config.put(key, arguments[2])
    if method == "get" and len(arguments) == 2 and len(constants) == 2:
        found = config.get(tuple(constants))
        interpolated = isinstance(found, Consts) and any("%(" in str(v) for v in found.values)
        if found is not None and not interpolated:
            return found, config
    return UNKNOWN, UNKNOWN


def _item(container, key):
    known, index = single(key)
    if _position(container, known, index):
        return container.items[index]
    if isinstance(container, Map) and known:
        found = container.get(index)
        return found if found is not None else UNKNOWN
    if isinstance(container, (Seq, Map)) and _scalar_constant(key):  # some item, which one is not known
        items = container.items if isinstance(container, Seq) else [v for _, v in container.entries]
        return _join_all(items) if items else UNKNOWN
    return _fold(lambda c, k: c[k], container, key)


def _join_all(values):
    result = values[0]
    for value in values[1:]:
        result = join(result, value)
    return result


def _element_of(items):
    if isinstance(items, Seq) and items.items:
        return _join_all(items.items)
    if isinstance(items, Map) and items.entries:
        return _join_all([const(k) for k, _ in items.entries])
    return BUILT if isinstance(items, (Consts, Built)) else UNKNOWN


def _as_consts(value):
    """A known tuple or list of constants as one constant, so comparisons and methods can fold over it."""
    if isinstance(value, Seq) and all(single(v)[0] for v in value.items):
        return const(tuple(single(v)[1] for v in value.items))
    return value


def _pattern_matches(pattern: ast.pattern, subject) -> bool | None:
    if isinstance(pattern, ast.MatchAs) and pattern.pattern is None:
        return True  # `case _` or `case name`
    if isinstance(pattern, ast.MatchValue) and isinstance(pattern.value, ast.Constant):
        return truth(_fold(operator.eq, subject, const(pattern.value.value)))
    if isinstance(pattern, ast.MatchSingleton):
        return truth(_fold(operator.is_, subject, const(pattern.value)))
    if isinstance(pattern, ast.MatchOr):
        answers = [_pattern_matches(p, subject) for p in pattern.patterns]
        return True if True in answers else False if all(a is False for a in answers) else None
    return None


def _pattern_names(pattern: ast.pattern) -> list[str]:
    names = []
    for node in ast.walk(pattern):
        for attribute in ("name", "rest"):
            value = getattr(node, attribute, None)
            if isinstance(value, str):
                names.append(value)
    return names


def _interrupted(statements: list[ast.stmt], state: State) -> State:
    """The state where an exception may leave `statements` at any point: what they bind or may change (a
    container they name) is UNKNOWN."""
    start = state.copy()
    for name in _assigned_names(statements):
        start[name] = UNKNOWN
    for statement in statements:
        for name in _names_in(statement):
            if isinstance(state.look(name), (Seq, Map)):
                start[name] = UNKNOWN
    return start


def _assigned_names(statements: list[ast.stmt]) -> set[str]:
    names = set()
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
            ):
                names.add(node.func.value.id)  # a method may change its receiver
            elif (
                isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name)
            ):
                names.add(node.value.id)
    return names


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _has_starred(elements: list[ast.expr]) -> bool:
    return any(isinstance(e, ast.Starred) for e in elements)


def _as_load(target: ast.expr) -> ast.expr:
    copy = ast.parse(ast.unparse(target), mode="eval").body
    return ast.copy_location(copy, target)


def _statement_holding(function: ast.AST, sink: ast.expr) -> ast.stmt | None:
    """The innermost statement whose own code (not a nested block's) holds the sink."""
    holder = None
    for node in ast.walk(function):
        if isinstance(node, ast.stmt) and node is not function and any(sink is n for n in ast.walk(node)):
            if holder is None or _depth_within(node, holder):
                holder = node
    return holder


def _depth_within(inner: ast.AST, outer: ast.AST) -> bool:
    return inner is not outer and any(inner is n for n in ast.walk(outer))


def module_constants(tree: ast.Module) -> dict:
    """Top-level names bound once, to a constant, and never declared `global`: what a function may read as such."""
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
            result[statement.name] = UNKNOWN
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for name, value in _imported(statement).items():
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
            binders += name in _imported(statement)
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
    shadowed = set().union(*(_local_names(f) for f in enclosing))  # parameters and locals hide module constants
    interpreter = Interpreter(function, sink, {k: v for k, v in module.items() if k not in shadowed})
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


def _local_names(function: ast.AST) -> set[str]:
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
        known, constant = single(value)
        text = (
            repr(constant)
            if known
            else "a value computed from constants"
            if value is BUILT
            else "a list or dict of constants"
        )
        if text not in shown:
            shown.append(text)
    text = " or ".join(shown[:3]) + (" or others" if len(shown) > 3 else "")
    return text if len(text) <= 120 else text[:117] + "..."
