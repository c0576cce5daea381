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
