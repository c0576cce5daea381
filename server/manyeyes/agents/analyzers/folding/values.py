"""The values the folding works with: constants, lists and dicts whose items are known, a ConfigParser, what an
import bound, and UNKNOWN; how two paths' values join, and pure operations folded over them."""

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


@dataclass(frozen=True, eq=False)
class FunctionRef:
    """A function the module defines once, at top level, undecorated: a call to it runs its body (calls.py)."""

    node: ast.FunctionDef


@dataclass(frozen=True, eq=False)
class ClassRef:
    """A plain class the module defines once at top level: the methods a call on one of its instances runs."""

    methods: dict  # name -> ast.FunctionDef


@dataclass(frozen=True)
class Instance:
    """An object of a ClassRef: its attributes are not followed, its methods are."""

    of: ClassRef


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


BINARY = {
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
COMPARE = {
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
UNARY = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}
STR_METHODS = frozenset(
    "capitalize casefold center count encode decode endswith find format index isalnum isalpha isdigit "
    "islower isnumeric isspace isupper join ljust lower lstrip partition removeprefix removesuffix replace "
    "rfind rjust rpartition rsplit rstrip split splitlines startswith strip swapcase title upper zfill".split()
)
CONFIG_PARSERS = {"configparser.ConfigParser", "configparser.RawConfigParser"}
PURE_BUILTINS = {
    **{f.__name__: f for f in (str, bytes, int, float, bool, len, repr, abs, ord, chr, hex, min, max, sorted)},
}
# Pure functions of the standard library by the name code calls them with: their result from constants is a
# constant (os.path as posixpath, so the fold is the same on every machine).
PURE_CALLS = {
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
HASHABLE = (str, bytes, int, float, bool, type(None), tuple)


def wrap(result):
    """A Python result of folding as an abstract value."""
    if isinstance(result, (list, tuple)) and len(result) <= MAX_SEQUENCE:
        items = tuple(wrap(r) for r in result)
        return Seq(items) if all(isinstance(i, (Consts, Seq)) for i in items) else UNKNOWN
    if isinstance(result, HASHABLE):
        return const(result)
    return UNKNOWN


def fold(function, *operands):
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
        if _too_big(function, args):
            return BUILT
        try:
            result = function(*args)
        except Exception:  # noqa: BLE001 - whatever it raises, that path ends there and gives no value
            return BUILT
        value = wrap(result)
        if value is UNKNOWN or (isinstance(result, (str, bytes)) and len(result) > 10_000):
            value = BUILT
        results = value if results is None else join(results, value)
    return results if results is not None and results is not UNKNOWN else BUILT


def _too_big(function, args: list) -> bool:
    """Whether folding could build a huge value (`9 ** 9 ** 9`, `"x" * 10 ** 9`, `"a".zfill(10 ** 9)`): a hostile
    file must not take the review's memory or time, so such a value is BUILT, never computed."""
    ints = [a for a in args if isinstance(a, int) and not isinstance(a, bool)]
    if any(a.bit_length() > 256 for a in ints):
        return True
    if function in (operator.pow, operator.lshift):
        return isinstance(args[-1], int) and args[-1] > 64
    return any(isinstance(a, (str, bytes, tuple)) for a in args) and any(abs(a) > 10_000 for a in ints)


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


def apply_method(receiver, method: str, arguments: list, keywords: dict):
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


def scalar_constant(value) -> bool:
    return isinstance(value, (Consts, Built))


def binary(op: ast.operator, left, right):
    if isinstance(left, Seq) and isinstance(right, Seq) and isinstance(op, ast.Add):
        return Seq(left.items + right.items)  # a new list: no alias of either
    operation = BINARY.get(type(op))
    return fold(operation, left, right) if operation else UNKNOWN


def position(container, known: bool, index) -> bool:
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


def item_of(container, key):
    known, index = single(key)
    if position(container, known, index):
        return container.items[index]
    if isinstance(container, Map) and known:
        found = container.get(index)
        return found if found is not None else UNKNOWN
    if isinstance(container, (Seq, Map)) and scalar_constant(key):  # some item, which one is not known
        items = container.items if isinstance(container, Seq) else [v for _, v in container.entries]
        return join_all(items) if items else UNKNOWN
    return fold(lambda c, k: c[k], container, key)


def join_all(values):
    result = values[0]
    for value in values[1:]:
        result = join(result, value)
    return result


def element_of(items):
    if isinstance(items, Seq) and items.items:
        return join_all(items.items)
    if isinstance(items, Map) and items.entries:
        return join_all([const(k) for k, _ in items.entries])
    return BUILT if isinstance(items, (Consts, Built)) else UNKNOWN


def as_consts(value):
    """A known tuple or list of constants as one constant, so comparisons and methods can fold over it."""
    if isinstance(value, Seq) and all(single(v)[0] for v in value.items):
        return const(tuple(single(v)[1] for v in value.items))
    return value
