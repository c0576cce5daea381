"""Constant folding refutes only flows no request data can take (analyzers/folding/).

Each `refuted` case is a safe look-alike semgrep's taint engine reports; each `kept` case carries, or may carry,
the request's value to the sink, and must never be refuted: a wrong refutation hides a real injection.
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from manyeyes.agents.analyzers.folding import module_constants, refutation

HEADER = "from flask import request\nimport base64, os, subprocess\n\n"


def refute(body: str, prelude: str = "") -> str | None:
    """The refutation for the argument of the last `sink(...)` call in a handler with `body`."""
    handler = "def handler():\n    param = request.args.get('p')\n" + textwrap.indent(textwrap.dedent(body), "    ")
    return _refute_source(HEADER + prelude + handler)


REFUTED = {
    "a list's other item after pop": """
        values = ["safe", param, "moresafe"]
        values.pop(0)
        bar = values[1]
        sink("echo " + bar)
    """,
    "an always-true condition": """
        num = 86
        bar = "always" if (7 * 42) - num > 200 else param
        sink(bar)
    """,
    "a dict's other key": """
        lookup = {"keyA": "a_Value", "keyB": param}
        sink(lookup["keyA"])
    """,
    "an if chain on a constant character": """
        target = "ABC"[1]
        if target == "A":
            bar = param
        elif target == "B":
            bar = "bob"
        else:
            bar = param
        sink(bar)
    """,
    "a match on a constant": """
        match "B":
            case "A":
                bar = param
            case "B":
                bar = "bob"
            case _:
                bar = param
        sink(bar)
    """,
    "a dead branch": """
        if 3 > 4:
            sink(param)
    """,
    "a constant through pure calls": """
        bar = base64.b64decode(base64.b64encode("safe".encode())).decode()
        sink(os.path.join("/srv", bar))
    """,
    "a constant through functions imported in the handler": """
        import base64 as b64
        from os.path import join
        bar = b64.b64decode(b64.b64encode(b"safe")).decode()
        sink(join("/srv", bar))
    """,
    "a ConfigParser's other option": """
        import configparser
        conf = configparser.ConfigParser()
        conf.add_section("section")
        conf.set("section", "keyA", "a_Value")
        conf.set("section", "keyB", param)
        sink(conf.get("section", "keyA"))
    """,
    "append then index": """
        values = []
        values.append("safe")
        values.append(param)
        sink(values[0])
    """,
    "a loop that only adds constants": """
        bar = ""
        for part in ["a", "b"]:
            bar += part
        sink(bar)
    """,
    "code after a return that always runs": """
        bar = param
        if 3 < 4:
            return "done"
        sink(bar)
    """,
    "a request value only on a path that returned": """
        bar = "safe"
        if len(param) > 3:
            bar = param
            return "long"
        sink(bar)
    """,
}

KEPT = {
    "the request's item": """
        values = ["safe", param, "moresafe"]
        values.pop(0)
        sink(values[0])
    """,
    "an alias changed": """
        values = ["safe"]
        other = values
        other.append(param)
        sink(values[-1])
    """,
    "a list inside a list": """
        inner = ["safe"]
        outer = [inner]
        outer[0].append(param)
        sink(inner[-1])
    """,
    "two names for one list": """
        a = b = ["safe"]
        b.append(param)
        sink(a[-1])
    """,
    "a container handed to unknown code": """
        values = ["safe"]
        fill(values, param)
        sink(values[0])
    """,
    "an unknown condition": """
        bar = "safe" if param else param
        sink(bar)
    """,
    "an exception midway": """
        bar = param
        try:
            check(bar)
            bar = "safe"
        except ValueError:
            pass
        sink(bar)
    """,
    "a swallowing context manager": """
        bar = param
        with suppress(ValueError):
            check(bar)
            bar = "safe"
        sink(bar)
    """,
    "a conditional pop in an or": """
        values = [param, "safe"]
        param or values.pop(0)
        sink(values[0])
    """,
    "a walrus in a branch": """
        bar = "safe"
        if param:
            (bar := param)
        sink(bar)
    """,
    "a loop that adds the request": """
        bar = ""
        for part in param.split(","):
            bar += part
        sink(bar)
    """,
    "a while loop's later passes": """
        bar = "safe"
        count = 0
        while count < 3:
            count += 1
            if count == 2:
                bar = param
        sink(bar)
    """,
    "a comprehension binding through a walrus": """
        bar = "safe"
        [bar := p for p in [param]]
        sink(bar)
    """,
    "a pure function's name rebound": """
        len = lambda v: v
        sink(len(param))
    """,
    "a lambda over local names": """
        values = ["safe"]
        later = lambda: values.append(param)
        later()
        sink(values[-1])
    """,
    "a ConfigParser's request option": """
        import configparser
        conf = configparser.ConfigParser()
        conf.add_section("section")
        conf.set("section", "keyA", "a_Value")
        conf.set("section", "keyB", param)
        sink(conf.get("section", "keyB"))
    """,
    "a ConfigParser option interpolating another": """
        import configparser
        conf = configparser.ConfigParser()
        conf.add_section("section")
        conf.set("section", "keyA", "%(keyB)s")
        conf.set("section", "keyB", param)
        sink(conf.get("section", "keyA"))
    """,
    "a ConfigParser changed through a section": """
        import configparser
        conf = configparser.ConfigParser()
        conf.add_section("section")
        conf.set("section", "keyA", "a_Value")
        conf["section"]["keyA"] = param
        sink(conf.get("section", "keyA"))
    """,
    "a del that shifts the list": """
        values = ["a", "b", param]
        del values[0]
        sink(values[1])
    """,
    "a finally after a return": """
        try:
            bar = "safe"
            if len(param) > 3:
                bar = param
                return "long"
        finally:
            sink(bar)
    """,
    "a handler after a raise": """
        try:
            bar = param
            raise ValueError(bar)
        except ValueError:
            sink(bar)
    """,
    "a return inside a loop that may not run": """
        bar = param
        for item in param:
            if item:
                return "x"
        sink(bar)
    """,
}


@pytest.mark.parametrize("body", REFUTED.values(), ids=REFUTED.keys())
def test_a_safe_look_alike_is_refuted(body):
    assert refute(body)


@pytest.mark.parametrize("body", KEPT.values(), ids=KEPT.keys())
def test_a_flow_that_may_carry_request_data_is_kept(body):
    assert refute(body) is None


def test_a_module_constant_is_read_but_a_rebound_one_is_not():
    assert refute("sink(PREFIX + 'x')", prelude="PREFIX = 'echo '\n\n")
    assert refute("sink(PREFIX + 'x')", prelude="PREFIX = 'echo '\nPREFIX = input()\n\n") is None


def test_a_parameter_or_an_enclosing_local_hides_a_module_constant():
    prelude = "PREFIX = 'echo '\n\n"
    source = HEADER + prelude + "def handler(PREFIX):\n    sink(PREFIX)\n"
    assert _refute_source(source) is None
    nested = HEADER + prelude + "def init(app, PREFIX):\n    def handler():\n        sink(PREFIX)\n"
    assert _refute_source(nested) is None


def _refute_source(source: str) -> str | None:
    tree = ast.parse(source)
    argument = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "sink"][-1].args[
        0
    ]
    where = (argument.lineno, argument.col_offset), (argument.end_lineno, argument.end_col_offset)
    return refutation(tree, *where, module_constants(tree))


def test_a_function_the_module_defines_is_not_a_builtin():
    builtin = HEADER + "def handler():\n    sink(len('abc'))\n"
    assert _refute_source(builtin)
    shadowing = HEADER + "def len(value):\n    return request.args[value]\n\n\ndef handler():\n    sink(len('abc'))\n"
    assert _refute_source(shadowing) is None
    imported = HEADER + "from mylib import lookup as len\n\n\ndef handler():\n    sink(len('abc'))\n"
    assert _refute_source(imported) is None


# Helpers the module defines, called with the request's value: the flow semgrep reports through the call (it
# assumes a call passes its arguments' taint on) is refuted only where every return is built from constants.
HELPERS_REFUTED = {
    "a helper that returns a constant": "def do_something(value):\n    bar = 'safe'\n    return bar\n",
    "a helper whose condition always picks the constant": (
        "def do_something(value):\n    if 7 * 42 - 86 > 200:\n        return 'always'\n"
        "    else:\n        return value\n"
    ),
    "a helper through a helper": (
        "def inner(value, other):\n    return other\n\n\ndef do_something(value):\n    return inner(value, 'x')\n"
    ),
    "a helper that returns early when a condition always holds": (
        "def do_something(value):\n    if 7 * 42 - 86 > 200:\n        return 'always'\n    return value\n"
    ),
    "a helper given the value by keyword, returning its default": (
        "def do_something(prefix='echo ', *, value):\n    return prefix + 'moresafe'\n"
    ),
    "a helper taking the other item of a list": (
        "def do_something(value):\n    values = ['safe', value]\n    return values[0]\n"
    ),
}
HELPERS_KEPT = {
    "a helper that passes the value on": "def do_something(value):\n    bar = value\n    return bar\n",
    "a helper that may return the value": (
        "def do_something(value):\n    if len(value) > 3:\n        return 'safe'\n    return value\n"
    ),
    "a decorated helper": "@cache\ndef do_something(value):\n    return 'safe'\n",
    "a helper bound twice": (
        "def do_something(value):\n    return 'safe'\n\n\ndef do_something(value):\n    return value\n"
    ),
    "a helper rebound by assignment": "def do_something(value):\n    return 'safe'\n\n\ndo_something = str\n",
    "a generator": "def do_something(value):\n    yield 'safe'\n",
    "a recursive helper": (
        "def do_something(value, n=3):\n    if n:\n        return do_something(value, n - 1)\n    return value\n"
    ),
    "a helper writing a global": (
        "RESULT = 'safe'\n\n\ndef do_something(value):\n    global RESULT\n    RESULT = value\n    return RESULT\n"
    ),
    "a helper reading the request itself": "def do_something(value):\n    return request.args['other']\n",
    "a helper called with too many arguments": "def do_something():\n    return 'safe'\n",
    "a helper that always raises": "def do_something(value):\n    raise ValueError(value)\n",
}


@pytest.mark.parametrize("helper", HELPERS_REFUTED.values(), ids=HELPERS_REFUTED.keys())
def test_a_helper_of_the_module_that_returns_constants_refutes_the_flow(helper):
    call = "do_something(value=param)" if "*, value" in helper else "do_something(param)"
    assert refute(f"bar = {call}\nsink('echo ' + bar)", prelude=helper + "\n\n")


@pytest.mark.parametrize("helper", HELPERS_KEPT.values(), ids=HELPERS_KEPT.keys())
def test_a_helper_that_may_pass_request_data_on_keeps_the_flow(helper):
    assert refute("bar = do_something(param)\nsink('echo ' + bar)", prelude=helper + "\n\n") is None


CLASS = "class Test:\n    def do_something(self, request, value):\n        bar = {}\n        return bar\n{}\n\n"


def test_a_method_of_a_plain_class_of_the_module_is_run_on_its_instances():
    returns_constant = CLASS.format("'safe'", "")
    assert refute("bar = Test().do_something(request, param)\nsink('echo ' + bar)", prelude=returns_constant)
    assert refute("thing = Test()\nsink(thing.do_something(request, param))", prelude=returns_constant)
    assert refute("sink(Test().do_something(request, param))", prelude=CLASS.format("value", "")) is None


@pytest.mark.parametrize(
    "prelude",
    [
        CLASS.replace("class Test:", "class Test(Base):").format("'safe'", ""),
        CLASS.format("'safe'", "\n    def __getattr__(self, name):\n        return print\n"),
        CLASS.format("'safe'", "\n    def replace(self):\n        self.do_something = print\n"),
        CLASS.replace("    def do_something", "    @staticmethod\n    def do_something").format("'safe'", ""),
        CLASS.format("'safe'", "\n    def do_something(self, request, value):\n        return value\n"),
    ],
    ids=["a base class", "__getattr__", "a method replaced", "a decorated method", "a method defined twice"],
)
def test_a_class_whose_methods_may_not_be_what_a_call_runs_keeps_the_flow(prelude):
    assert refute("sink(Test().do_something(request, param))", prelude=prelude) is None


def test_a_helper_that_falls_off_the_end_returns_none():
    helper = "def do_something(value):\n    if value:\n        return 'a'\n\n\n"
    assert "'a' or None" in refute("sink(do_something(param))", prelude=helper)


def test_a_container_handed_to_a_helper_may_be_changed_by_it():
    helper = "def fill(values, value):\n    values.append(value)\n    return 'done'\n\n\n"
    assert refute("values = ['safe']\nfill(values, param)\nsink(values[-1])", prelude=helper) is None


def test_helpers_calling_each_other_without_end_stay_unknown():
    """Mutual recursion and long chains stop at the call budget: the flow stands, and quickly."""
    ping = "def ping(value):\n    return pong(value)\n\n\ndef pong(value):\n    return ping(value)\n\n\n"
    assert refute("sink(ping(param))", prelude=ping) is None
    step = "def f{}(v):\n    for _ in v:\n        v = f{}(v) + f{}(v)\n    return v\n\n\n"
    chain = "".join(step.format(i, i + 1, i + 1) for i in range(8))
    assert refute("sink(f0(param))", prelude=chain + "def f8(v):\n    return 'x'\n\n\n") is None


def test_the_reason_names_the_constant_or_the_dead_branch():
    assert "'echo moresafe'" in refute(REFUTED["a list's other item after pop"])
    assert "never runs" in refute(REFUTED["a dead branch"])


def test_what_it_cannot_model_is_left_to_semgrep():
    assert refute("global counter\nsink('x')") is None
    assert refute("def inner():\n    return param\nsink('x')") is None


def test_a_huge_constant_is_not_computed():
    """A hostile file cannot make the folding build a gigantic value: it stays "built from constants"."""
    assert "a value computed from constants" in refute("sink(9 ** 9 ** 9)")
    assert "a value computed from constants" in refute("sink('x' * 10 ** 9)")
    assert "a value computed from constants" in refute("sink('a'.zfill(10 ** 9))")
    assert "a value computed from constants" in refute("sink(1 << 10 ** 6)")
