"""Writes cases/ and labels.jsonl: Flask endpoints, each either exploitable or a safe look-alike.

Written for manyeyes, in the manner of benchmark suites with safe look-alikes (our own code, not a copy of any):
each case reads request data, passes it through one data-flow shape and reaches one sink. Some shapes carry the
request value to the sink; their twins carry a constant instead (the value put in a list and another item taken
out, a condition that is always true choosing a constant, a dict's other key, an if-chain on a constant, a
helper of the module that returns a constant whatever it is given, a helper holding the sink that is handed the
request's value but uses a constant), or use a safe form of the sink (a
parameterized query, an escape, a parser with entities off). A case file is labelled as a whole: real (its
weakness is exploitable) or not (a trap: a finding of that weakness there is a false positive). Run: python
generate.py (it rewrites cases/ and labels.jsonl).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).parent

SOURCES = [
    'request.args.get("name", "")',
    'request.form.get("name", "")',
    'request.headers.get("X-Name", "")',
    'request.cookies.get("name", "")',
    'request.values.get("name", "")',
]

# name -> (cwe, imports, vulnerable sink, safe sink); {bar} is the value that reached the sink.
SINKS = {
    "cmdi": (
        "CWE-78",
        "import subprocess",
        'result = subprocess.run("echo " + {bar}, shell=True, capture_output=True, text=True)\n    return result.stdout',
        'result = subprocess.run("echo " + shlex.quote({bar}), shell=True, capture_output=True, text=True)\n    return result.stdout',
    ),
    "sqli": (
        "CWE-89",
        "import sqlite3",
        'conn = sqlite3.connect("users.db")\n    rows = conn.execute("SELECT id FROM users WHERE name = \'" + {bar} + "\'").fetchall()\n    return {{"count": len(rows)}}',
        'conn = sqlite3.connect("users.db")\n    rows = conn.execute("SELECT id FROM users WHERE name = ?", ({bar},)).fetchall()\n    return {{"count": len(rows)}}',
    ),
    "codeinj": (
        "CWE-95",
        "import ast",
        "value = eval({bar})\n    return str(value)",
        "value = ast.literal_eval({bar})\n    return {{\"value\": str(value)}}",
    ),
    "pathtraver": (
        "CWE-22",
        "import os",
        'with open(os.path.join("/srv/files", {bar})) as handle:\n        return {{"text": handle.read()}}',
        'with open(os.path.join("/srv/files", os.path.basename({bar}))) as handle:\n        return {{"text": handle.read()}}',
    ),
    "xss": (
        "CWE-79",
        "import html",
        'return "<p>Hello " + {bar} + "</p>"',
        'return "<p>Hello " + html.escape({bar}) + "</p>"',
    ),
    "redirect": (
        "CWE-601",
        "from flask import redirect, url_for",
        "return redirect({bar})",
        'return redirect(url_for("index", next={bar}))',
    ),
    "xpath": (
        "CWE-643",
        "from lxml import etree",
        'root = etree.parse("users.xml")\n    found = root.xpath("//user[@name=\'" + {bar} + "\']/id/text()")\n    return {{"ids": [str(f) for f in found]}}',
        'root = etree.parse("users.xml")\n    found = root.xpath("//user[@name=$name]/id/text()", name={bar})\n    return {{"ids": [str(f) for f in found]}}',
    ),
    "ldapi": (
        "CWE-90",
        "import ldap\nfrom ldap.filter import escape_filter_chars",
        'conn = ldap.initialize("ldap://localhost")\n    found = conn.search_s("ou=people,dc=example,dc=org", ldap.SCOPE_SUBTREE, "(uid=" + {bar} + ")")\n    return {{"count": len(found)}}',
        'conn = ldap.initialize("ldap://localhost")\n    found = conn.search_s("ou=people,dc=example,dc=org", ldap.SCOPE_SUBTREE, "(uid=" + escape_filter_chars({bar}) + ")")\n    return {{"count": len(found)}}',
    ),
    "deserial": (
        "CWE-502",
        "import base64\nimport json\nimport pickle",
        "data = pickle.loads(base64.b64decode({bar}))\n    return {{\"keys\": sorted(data)}}",
        "data = json.loads(base64.b64decode({bar}))\n    return {{\"keys\": sorted(data)}}",
    ),
    "xxe": (
        "CWE-611",
        "from lxml import etree",
        "parser = etree.XMLParser(resolve_entities=True)\n    doc = etree.fromstring({bar}.encode(), parser)\n    return {{\"root\": doc.tag}}",
        "parser = etree.XMLParser(resolve_entities=False, no_network=True)\n    doc = etree.fromstring({bar}.encode(), parser)\n    return {{\"root\": doc.tag}}",
    ),
    "trustbound": (
        "CWE-501",
        "from flask import session",
        'session["userid"] = {bar}\n    return {{"stored": True}}',
        'session["userid_length"] = len({bar})\n    return {{"stored": True}}',
    ),
}

# name -> (real, lines that make `bar` from `param`)
FLOWS = {
    "direct": (True, ["bar = param"]),
    "fstring": (True, ['bar = f"{param}"']),
    "list-safe": (False, ['values = ["safe", param, "moresafe"]', "values.pop(0)", "bar = values[1]"]),
    "list-real": (True, ['values = ["safe", param, "moresafe"]', "values.pop(0)", "bar = values[0]"]),
    "ternary-safe": (False, ["num = 86", 'bar = "This_should_always_happen" if (7 * 42) - num > 200 else param']),
    "ternary-real": (True, ["num = 106", 'bar = param if (7 * 18) + num > 200 else "This_should_never_happen"']),
    "dict-safe": (False, ['lookup = {"keyA": "a_Value", "keyB": param}', 'bar = lookup["keyA"]']),
    "dict-real": (True, ['lookup = {"keyA": "a_Value", "keyB": param}', 'bar = lookup["keyB"]']),
    "switch-safe": (
        False,
        ['guess = "ABC"', "target = guess[1]", 'if target == "A":', "    bar = param", 'elif target == "B":',
         '    bar = "bob"', "else:", '    bar = "bob"'],
    ),
    "switch-real": (
        True,
        ['guess = "ABC"', "target = guess[0]", 'if target == "A":', "    bar = param", 'elif target == "B":',
         '    bar = "bob"', "else:", '    bar = "bob"'],
    ),
    "loop-real": (True, ['bar = ""', "for part in param.split(\",\"):", "    bar += part"]),
    "config-safe": (
        False,
        ["import configparser", "conf = configparser.ConfigParser()", 'conf.add_section("section")',
         'conf.set("section", "keyA", "a_Value")', 'conf.set("section", "keyB", param)',
         'bar = conf.get("section", "keyA")'],
    ),
    "config-real": (
        True,
        ["import configparser", "conf = configparser.ConfigParser()", 'conf.add_section("section")',
         'conf.set("section", "keyA", "a_Value")', 'conf.set("section", "keyB", param)',
         'bar = conf.get("section", "keyB")'],
    ),
    "match-safe": (
        False,
        ['match "ABC"[2]:', '    case "A":', "        bar = param", '    case "C":', '        bar = "bob"',
         "    case _:", "        bar = param"],
    ),
}
# Shapes through a helper the module defines, a function or a method: it returns a constant whatever it is
# given, or passes the value on.
METHOD = "class Test:\n    def do_something(self, request, value):\n        bar = {}\n        return bar\n"
HELPERS = {
    "helper-safe": (False, 'def do_something(value):\n    bar = "safe!"\n    return bar\n', "do_something(param)"),
    "helper-real": (True, "def do_something(value):\n    bar = value\n    return bar\n", "do_something(param)"),
    "method-safe": (False, METHOD.format('"safe!"'), "Test().do_something(request, param)"),
    "method-real": (True, METHOD.format("value"), "Test().do_something(request, param)"),
}
FLOWS.update({name: (real, [f"bar = {call}"]) for name, (real, _, call) in HELPERS.items()})
# Shapes where the sink is in a helper the route hands the request's value to: the helper uses it, or a constant.
SINK_HELPERS = {"sink-in-helper-real": (True, "bar = value"), "sink-in-helper-safe": (False, 'bar = "safe!"')}
FLOWS.update({name: (real, []) for name, (real, _) in SINK_HELPERS.items()})


def case(number: int, sink: str, flow: str, safe_sink: bool) -> tuple[str, bool]:
    cwe, imports, vulnerable, safe = SINKS[sink]
    real, lines = FLOWS[flow]
    helper = f"\n\n{HELPERS[flow][1]}" if flow in HELPERS else ""
    real = real and not safe_sink
    source = SOURCES[number % len(SOURCES)]
    use = (safe if safe_sink else vulnerable).format(bar="bar")
    if flow in SINK_HELPERS:  # the sink moves into the helper, which the route calls with the request's value
        helper = f"\n\ndef handle(value):\n    {SINK_HELPERS[flow][1]}\n    {use}\n"
        use = "return handle(param)"
    body = "\n    ".join([f"param = {source}", *lines, use])
    extra = "import shlex\n" if sink == "cmdi" and safe_sink else ""
    text = (
        f"{extra}{imports}\n\nfrom flask import Flask, request\n\napp = Flask(__name__)\n{helper}\n\n"
        f'@app.route("/{sink}/case{number:03d}", methods=["GET", "POST"])\n'
        f"def {sink}_case{number:03d}():\n    {body}\n"
    )
    return text, real


def main() -> None:
    cases = HERE / "cases"
    shutil.rmtree(cases, ignore_errors=True)
    cases.mkdir()
    labels = []
    number = 0
    for sink, (cwe, *_rest) in SINKS.items():
        for flow in FLOWS:
            for safe_sink in (False, True) if flow == "direct" else (False,):
                number += 1
                text, real = case(number, sink, flow, safe_sink)
                name = f"cases/{sink}_{number:03d}.py"
                (HERE / name).write_text(text)
                labels.append({"file": name, "line": None, "concern": "security", "cwe": cwe, "real": real})
    (HERE / "labels.jsonl").write_text("".join(json.dumps(label) + "\n" for label in labels))
    print(f"{number} cases, {sum(label['real'] for label in labels)} real")


if __name__ == "__main__":
    main()
