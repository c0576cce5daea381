"""The abstract interpreter: one Python function run over the values of values.py, statement by statement, both
arms of a branch whose condition does not fold, loops until they settle; it records the sink's value each time
the sink is evaluated, and whether the sink's statement ran on any path.

A path ends at `return` and `raise` (its state is None from there: `if 7 * 42 - 86 > 200: return "a"` makes what
follows dead); `break` and `continue` do not end it, which only adds paths. A `finally` block runs on every way
out of its `try`, so it also starts from a state where whatever the `try` binds is UNKNOWN."""

from __future__ import annotations

import ast
import operator

from manyeyes.agents.analyzers.folding import calls
from manyeyes.agents.analyzers.folding.values import (
    BUILT,
    COMPARE,
    CONFIG_PARSERS,
    HASHABLE,
    MAX_LOOP_PASSES,
    MAX_SEQUENCE,
    PURE_BUILTINS,
    PURE_CALLS,
    STR_METHODS,
    UNARY,
    UNKNOWN,
    Built,
    ClassRef,
    Config,
    Consts,
    FunctionRef,
    Instance,
    Map,
    ModuleRef,
    Seq,
    Unsupported,
    apply_method,
    as_consts,
    binary,
    const,
    element_of,
    fold,
    item_of,
    join,
    position,
    scalar_constant,
    single,
    truth,
)

# Expressions whose container value is a new one, never another name's: displays, `a + b`, calls (a container
# method returns an item or a copy, a string method a new list, anything else UNKNOWN).
_FRESH = (ast.List, ast.Tuple, ast.Dict, ast.BinOp, ast.Call, ast.Constant)


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
    """Runs one function abstractly and records what value `sink` has each time it is evaluated, and what it
    returns. `module` is what the function reads as module-level names (its own locals taken out); calls to the
    module's functions see `whole_module`, under one `budget`."""

    def __init__(
        self,
        function: ast.AST | None,
        sink: ast.expr | None,
        module: dict,
        whole_module: dict | None = None,
        budget: calls.CallBudget | None = None,
    ):
        self.function = function
        self.sink = sink
        self.module = module
        self.whole_module = module if whole_module is None else whole_module
        self.budget = budget or calls.CallBudget()
        self.seen: list = []  # the sink's value at each evaluation
        self.returned: list = []  # the value of each `return` evaluated
        self.reached = False  # whether the statement holding the sink ran on some path
        self.holder = _statement_holding(function, sink) if function is not None and sink is not None else None

    def run(self, parameters: dict | None = None) -> State | None:
        """The state at the end of the body, None when every path returns or raises before it."""
        local = _assigned_names(self.function.body)
        for node in ast.walk(self.function):
            if isinstance(node, ast.Lambda) and _names_in(node.body) & local:
                raise Unsupported("a lambda over local names")  # it may run later and change them
        return self.block(self.function.body, State(self.module, parameters or {}))

    # statements: each returns the state after it, None where no path goes on

    def block(self, statements: list[ast.stmt], state: State | None) -> State | None:
        for statement in statements:
            if state is None:
                return None
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
        value = binary(node.op, current, self.bindable(node.value, self.expr(node.value, state), state))
        self.assign(node.target, value, state)
        return state

    def _If(self, node: ast.If, state: State) -> State:
        taken = truth(self.expr(node.test, state))
        if taken is True:
            return self.block(node.body, state)
        if taken is False:
            return self.block(node.orelse, state)
        return _joined(self.block(node.body, state.copy()), self.block(node.orelse, state.copy()))

    def _For(self, node: ast.For, state: State) -> State:
        items = self.expr(node.iter, state)
        element = element_of(items)
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
            after = _joined(entry, self.block(node.body, current))
            if after == entry:
                break
            entry = after
        else:
            entry = State(self.module, {n: v if entry.look(n) == after.look(n) else UNKNOWN for n, v in after.items()})
        return _joined(self.block(node.orelse, entry.copy()), entry)

    def _Try(self, node: ast.Try, state: State) -> State | None:
        after_body = self.block(node.orelse, self.block(node.body, state.copy()))
        start = _interrupted(node.body, state)
        ends = [after_body]
        for handler in node.handlers:
            entry = start.copy()
            if handler.name:
                entry[handler.name] = UNKNOWN
            ends.append(self.block(handler.body, entry))
        result = _joined(*ends)
        if not node.finalbody:
            return result
        # `finally` also runs where a return or a raise left the try: from any point of it, or of a handler.
        left = _interrupted([*node.body, *node.orelse, *(s for h in node.handlers for s in h.body)], state)
        after = self.block(node.finalbody, _joined(result, left))
        return after if result is not None else None

    _TryStar = _Try

    def _With(self, node: ast.With, state: State) -> State:
        """A context manager may swallow an exception (contextlib.suppress): after the block, the state may be
        the one at any point inside it."""
        for item in node.items:
            self.expr(item.context_expr, state)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, UNKNOWN, state)
        interrupted = _interrupted(node.body, state)
        return _joined(self.block(node.body, state), interrupted)

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
        return _joined(*ends)

    def _Return(self, node: ast.Return, state: State) -> None:
        # A container returned is the caller's alone: any other name for it was made UNKNOWN when it was bound.
        self.returned.append(self.expr(node.value, state) if node.value is not None else const(None))
        return None

    def _Raise(self, node: ast.Raise, state: State) -> None:
        for part in (node.exc, node.cause):
            if part is not None:
                self.expr(part, state)
        return None

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
        elif position(container, known, index):
            items = list(container.items)
            del items[index]
            state[name] = Seq(tuple(items))
        else:
            state[name] = UNKNOWN

    def _Import(self, node: ast.Import | ast.ImportFrom, state: State) -> State:
        state.update(imported(node))
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
        if isinstance(container, Map) and known and isinstance(index, HASHABLE):
            state[name] = container.put(index, value)
        elif position(container, known, index):
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
        return const(node.value) if isinstance(node.value, HASHABLE) else UNKNOWN

    def _e_Name(self, node: ast.Name, state: State):
        return state.look(node.id)

    def _e_NamedExpr(self, node: ast.NamedExpr, state: State):
        value = self.bindable(node.value, self.expr(node.value, state), state)
        state[node.target.id] = value
        return value

    def _e_BinOp(self, node: ast.BinOp, state: State):
        return binary(node.op, self.expr(node.left, state), self.expr(node.right, state))

    def _e_UnaryOp(self, node: ast.UnaryOp, state: State):
        operand = self.expr(node.operand, state)
        if isinstance(node.op, ast.Not):
            known = truth(operand)
            return UNKNOWN if known is None else const(not known)
        return fold(UNARY[type(node.op)], operand)

    def _e_BoolOp(self, node: ast.BoolOp, state: State):
        """`a or b` is a where a is true, else b; an operand after one whose truth is unknown may not run, so it
        runs on a copy of the state that is joined back."""
        stops_on = isinstance(node.op, ast.Or)
        results, branch = [], state
        for index, operand in enumerate(node.values):
            value = self.expr(operand, branch)
            known = truth(value) if index < len(node.values) - 1 else stops_on
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
        operations = [COMPARE[type(op)] for op in node.ops]

        def chained(*operands):
            return all(op(a, b) for op, a, b in zip(operations, operands, operands[1:]))

        return fold(chained, *[as_consts(v) for v in values])

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
        return fold(lambda *texts: "".join(texts), *parts)

    def _formatted(self, node: ast.expr, state: State):
        if isinstance(node, ast.Constant):
            return const(node.value)
        value = self.expr(node.value, state)
        spec = self.expr(node.format_spec, state) if node.format_spec is not None else const("")
        convert = {115: str, 114: repr, 97: ascii}.get(node.conversion, lambda v: v)
        return fold(lambda v, s: format(convert(v), s), value, spec)

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
            if not known or not isinstance(key, HASHABLE):
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
            return fold(lambda c, *b: c[slice(*b)], container, *bounds)
        key = self.expr(node.slice, state)
        if isinstance(container, Config):  # a section: a view through which the parser can be changed
            self._forget_containers(node.value, state)
            return UNKNOWN
        return item_of(container, key)

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
            method = receiver.of.methods.get(function.attr) if isinstance(receiver, Instance) else None
            if method is not None and not starred:
                return self._call_helper(method, node, [UNKNOWN, *arguments], keywords, state)
            if function.attr in STR_METHODS and not keywords and not starred and isinstance(receiver, (Consts, Built)):
                return fold(lambda r, *a: getattr(r, function.attr)(*a), receiver, *[as_consts(a) for a in arguments])
        callee = state.look(function.id) if isinstance(function, ast.Name) else None
        if isinstance(callee, FunctionRef) and not starred:
            return self._call_helper(callee.node, node, arguments, keywords, state)
        if isinstance(callee, ClassRef):  # its __init__ is not followed: containers handed to it are forgotten
            self._forget_arguments(node, state)
            return Instance(callee)
        if _resolved(function, state) in CONFIG_PARSERS and not node.args and not node.keywords:
            return Config(())
        if _pure_call(function, state) and not starred:
            if keywords:  # folded without them: from constants, the result is still built from constants
                return BUILT if all(scalar_constant(v) for v in [*arguments, *keywords.values()]) else UNKNOWN
            return fold(_pure_call(function, state), *[as_consts(a) for a in arguments])
        if not isinstance(function, ast.Attribute):
            self.expr(function, state)
        self._forget_arguments(node, state)
        return UNKNOWN

    def _forget_arguments(self, node: ast.Call, state: State) -> None:
        """Code not followed here may change any container handed to it."""
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(argument, ast.Name) and isinstance(state.look(argument.id), (Seq, Map)):
                state[argument.id] = UNKNOWN

    def _call_helper(self, definition: ast.FunctionDef, node: ast.Call, arguments: list, keywords: dict, state):
        """A call to one of the module's functions: the join of what its body returns, run with these arguments'
        values. Containers handed to it are forgotten here: it may change them."""
        self._forget_arguments(node, state)
        parameters = calls.bind(definition.args, arguments, keywords)
        if parameters is None or not self.budget.may_run(definition):
            return UNKNOWN
        own = calls.local_names(definition)
        module = {name: value for name, value in self.whole_module.items() if name not in own}
        callee = Interpreter(definition, None, module, self.whole_module, self.budget)
        self.budget.left -= 1
        self.budget.running.append(definition)
        try:
            end = callee.run(parameters)
        except Unsupported:
            return UNKNOWN
        finally:
            self.budget.running.pop()
        results = callee.returned + ([const(None)] if end is not None else [])  # falling off the end returns None
        if not results:
            return UNKNOWN  # every path raises: the call returns nothing
        result = results[0]
        for value in results[1:]:
            result = join(result, value)
        return result

    def _container_method(self, name: str, receiver, method: str, arguments: list, keywords: dict, state: State):
        """A list's or dict's method: its result, and the container as the method leaves it."""
        result, changed = apply_method(state.look(name), method, arguments, keywords)
        state[name] = changed
        return result

    def _e_Attribute(self, node: ast.Attribute, state: State):
        self.expr(node.value, state)
        return UNKNOWN


def _pure_call(function: ast.expr, state: State):
    """The pure function a call's callee names (`len`, `base64.b64decode`), unless the name is rebound here."""
    dotted = _resolved(function, state)
    return (PURE_BUILTINS.get(dotted) or PURE_CALLS.get(dotted)) if dotted else None


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


def imported(node: ast.Import | ast.ImportFrom) -> dict:
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


def _joined(*states: State | None) -> State | None:
    """The join of the paths that go on (None: none does)."""
    going = [s for s in states if s is not None]
    if not going:
        return None
    result = going[0]
    for other in going[1:]:
        result = result.joined(other)
    return result


def _merge_into(state: State, one: State, other: State) -> None:
    """`state` becomes the join of two paths (either may be `state` itself)."""
    merged = one.joined(other)
    state.clear()
    state.update(merged)


def _pattern_matches(pattern: ast.pattern, subject) -> bool | None:
    if isinstance(pattern, ast.MatchAs) and pattern.pattern is None:
        return True  # `case _` or `case name`
    if isinstance(pattern, ast.MatchValue) and isinstance(pattern.value, ast.Constant):
        return truth(fold(operator.eq, subject, const(pattern.value.value)))
    if isinstance(pattern, ast.MatchSingleton):
        return truth(fold(operator.is_, subject, const(pattern.value)))
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
