"""semgrep in the offline panel: manyeyes' rule packs pass their own fixtures, find planted injections in
JavaScript, TypeScript and Go at the right lines, judge bandit's sink-only hits, and fail one note at a time."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from manyeyes.agents.analyzers import semgrep, semgrep_targets
from manyeyes.agents.analyzers.panel import OfflinePanel
from manyeyes.agents.analyzers.taint import DEMOTED_CONFIDENCE
from manyeyes.agents.grounding import render_evidence
from manyeyes.models import Concern
from manyeyes.plan.context import TestIndex
from manyeyes.plan.documents import Document
from manyeyes.plan.languages import language_of
from manyeyes.plan.planner import Task
from manyeyes.plan.slicing import Chunk

from tests.e2e.test_cli_offline import manyeyes

FIXTURES = Path(__file__).parents[1] / "analyzers" / "semgrep"
needs_semgrep = pytest.mark.skipif(semgrep.find_semgrep() is None, reason="semgrep has no wheel for this platform")


def panel_hits(workspace, files: dict[str, str], trusted: bool = True):
    """Every security hit of the offline panel over these files, by (path, line), and its failures."""
    documents = [Document(path=p, text=t, language=language_of(Path(p)) or "text") for p, t in files.items()]

    async def main():
        async with OfflinePanel(documents, TestIndex(workspace, []), trusted=trusted) as panel:
            await panel.start_all([Concern.security])
            found, failures = {}, []
            for document in documents:
                hits, failed = await panel.hits(Concern.security, document.path)
                failures.extend(failed)
                for hit in hits:
                    found.setdefault((hit.path, hit.span.start_line), []).append(hit)
            return found, failures, panel.problems()

    return anyio.run(main)


@needs_semgrep
def test_every_rule_passes_its_fixture(tmp_path):
    """`semgrep --test`: each `ruleid:` line is reported and nothing else is (the safe look-alikes stay quiet)."""
    done = subprocess.run(
        [semgrep.find_semgrep(), "--test", "--config", str(semgrep.RULES), str(FIXTURES), "--metrics=off"],
        capture_output=True,
        text=True,
        env=semgrep.environment(tmp_path),
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    rules = sum(text.count("\n  - id: ") for text in (p.read_text() for p in semgrep.RULES.glob("*.yaml")))
    assert f"{rules}/{rules}: ✓ All tests passed" in done.stdout


def annotated(text: str) -> set[tuple[str, int]]:
    """The (rule, line) pairs a fixture's `ruleid:` comments expect: each names the line after it."""
    expected = set()
    for number, line in enumerate(text.splitlines(), 1):
        marker = re.match(r"\s*(#|//|<!--) ruleid: (.*?)\s*(-->)?$", line)
        if marker:
            expected |= {(rule.strip(), number + 1) for rule in marker.group(2).split(",")}
    return expected


@needs_semgrep
def test_the_panel_reports_exactly_what_the_fixtures_expect(workspace):
    """The product's own path (the native command line, the packs merged into one file) against the same
    annotations `semgrep --test` checks: nothing lost or added on the way."""
    files = {p.name: p.read_text() for p in FIXTURES.iterdir()}
    found, failures, _ = panel_hits(workspace, files)
    assert failures == []
    reported = {
        (path, hit.rules[0], line)
        for (path, line), hits in found.items()
        for hit in hits
        if hit.sources[0].name == "semgrep"
    }
    expected = {
        (path, rule, line)
        for path, text in files.items()
        for rule, line in annotated(text)
        if not rule.endswith("-request-data")
    }
    assert reported == expected


@needs_semgrep
def test_planted_injections_in_javascript_typescript_and_go_are_found_at_their_lines(workspace):
    files = {
        "web/server.js": (
            'const { exec } = require("child_process");\n'
            'app.get("/run", (req, res) => {\n'
            "  exec(`convert ${req.query.file} out.png`);\n"
            '  res.send("ok");\n'
            "});\n"
        ),
        "web/view.ts": (
            "export function show(req: Request, res: Response) {\n"
            "  const name = req.query.name as string;\n"
            '  res.send("<p>" + name + "</p>");\n'
            "}\n"
        ),
        "cmd/handler.go": (
            "package main\n\n"
            'import (\n\t"net/http"\n\t"os/exec"\n)\n\n'
            "func run(w http.ResponseWriter, r *http.Request) {\n"
            '\texec.Command("sh", "-c", r.URL.Query().Get("cmd")).Run()\n'
            "}\n"
        ),
    }
    found, failures, _ = panel_hits(workspace, files)
    assert failures == []
    rules = {place: [h.rules[0] for h in hits] for place, hits in found.items()}
    assert rules[("web/server.js", 3)] == ["js-command-injection"]
    assert rules[("web/view.ts", 3)] == ["js-reflected-xss"]
    assert rules[("cmd/handler.go", 9)] == ["go-command-injection"]
    go = found[("cmd/handler.go", 9)][0]
    assert (go.cwe, go.severity.value, go.sources[0].name) == (["CWE-78"], "high", "semgrep")


@needs_semgrep
def test_an_untrusted_repository_cannot_silence_semgrep(workspace):
    source = {"web/app.js": 'app.get("/", (req, res) => {\n  res.json(eval(req.query.x)); // nosemgrep\n});\n'}
    honoured, _, _ = panel_hits(workspace, source)
    assert ("web/app.js", 2) not in honoured
    ignored, _, _ = panel_hits(workspace, source, trusted=False)
    assert [h.rules[0] for h in ignored[("web/app.js", 2)]] == ["js-code-injection"]


FLASK = """\
from flask import Flask, request
app, db = Flask(__name__), connect()


@app.route("/orders")
def orders():
    owner = request.args.get("owner")
    rows = db.execute("SELECT * FROM orders WHERE owner = '%s'" % owner)
    total = db.execute("SELECT count(*) FROM %s" % TABLE)
    return {"rows": rows, "total": total}


def report(table):
    return db.execute("SELECT * FROM %s" % table)
"""


@needs_semgrep
def test_a_sink_hit_without_a_flow_is_demoted_and_one_with_a_flow_is_backed(workspace):
    found, _, _ = panel_hits(workspace, {"app.py": FLASK})
    by_rule = {(line, h.rules[0]): h for (_, line), hits in found.items() for h in hits}
    flow, bandit_with_flow = by_rule[(8, "python-sql-injection")], by_rule[(8, "B608")]
    assert flow.notes == ["Taint: request data read at line 7 reaches this call."]
    assert bandit_with_flow.confidence > DEMOTED_CONFIDENCE and not bandit_with_flow.notes
    constant = by_rule[(9, "B608")]  # the handler reads request data, none of it reaches this statement
    assert constant.confidence == DEMOTED_CONFIDENCE
    assert "found no path from it to this sql call" in constant.notes[0]
    # A model agent grounded on these hits reads what taint said of each.
    document = Document(path="app.py", text=FLASK, language="python")
    task = Task(id="t", concern=Concern.security, chunk=Chunk(document, 1, 14), agent="openai/m")
    task.context.evidence = [flow, constant]
    evidence = render_evidence(task)
    assert "- line 8, rule python-sql-injection (semgrep): SQL injection: request data in the statement (" in evidence
    assert "(request data read at line 7 reaches this call)" in evidence
    assert "- line 9, rule B608 (bandit): " in evidence and "found no path from it to this sql call" in evidence
    helper = by_rule[(14, "B608")]  # no request data read here: taint cannot judge what a caller passes
    assert helper.confidence > DEMOTED_CONFIDENCE and not helper.notes


@needs_semgrep
def test_the_flow_and_the_bandit_hit_are_one_finding_in_the_review(workspace):
    (workspace / "app.py").write_text(FLASK)
    result = json.loads(manyeyes("review", "app.py", "--format", "json", cwd=workspace).stdout)
    sql = [f for f in result["findings"] if "CWE-89" in f["cwe"]]
    # line 9 is demoted below the default min_confidence; line 14's helper stays (a caller may pass anything)
    assert [(f["span"]["start_line"], sorted(s["name"] for s in f["sources"])) for f in sql] == [
        (8, ["bandit", "semgrep"]),
        (14, ["bandit"]),
    ]


LOOK_ALIKE = """\
import subprocess
from flask import Flask, request
app = Flask(__name__)


@app.route("/echo")
def echo():
    param = request.args.get("name", "")
    values = ["safe", param, "moresafe"]
    values.pop(0)
    bar = values[1]
    subprocess.run("echo " + bar, shell=True)
    chosen = values[0]
    subprocess.run("echo " + chosen, shell=True)
    return "ok"
"""


@needs_semgrep
def test_a_flow_that_only_carries_constants_is_refuted_and_its_sink_hits_demoted(workspace):
    found, _, _ = panel_hits(workspace, {"app.py": LOOK_ALIKE})
    by_rule = {(line, h.rules[0]): h for (_, line), hits in found.items() for h in hits}
    assert (12, "python-command-injection") not in by_rule  # "echo moresafe" on every path
    shell = by_rule[(12, "B602")]
    assert shell.confidence == DEMOTED_CONFIDENCE
    assert (
        "cannot reach this shell call: the value it gets is built from constants alone ('echo moresafe')"
        in (shell.notes[0])
    )
    assert by_rule[(14, "python-command-injection")].notes == ["Taint: request data read at line 8 reaches this call."]
    assert by_rule[(14, "B602")].confidence > DEMOTED_CONFIDENCE


@needs_semgrep
def test_the_review_shows_only_the_real_injection_of_a_look_alike_pair(workspace):
    (workspace / "app.py").write_text(LOOK_ALIKE)
    result = json.loads(manyeyes("review", "app.py", "--format", "json", cwd=workspace).stdout)
    assert [f["span"]["start_line"] for f in result["findings"] if "CWE-78" in f["cwe"]] == [14]


WEB_SHELL = "import os\nfrom flask import request\nos.system('ls ' + input())\n"


def fake_semgrep(tmp_path, body: str) -> str:
    script = tmp_path / "semgrep"
    script.write_text(f"#!{sys.executable}\nimport sys, time\n{body}\n")
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("print('not json')", "semgrep did not run (exit 0): no output"),
        ("sys.stderr.write('Segmentation fault'); sys.exit(139)", "semgrep did not run (exit 139): Segmentation fault"),
        (
            'print(\'{"results": [], "errors": [{"level": "error", "message": "Invalid rule schema"}]}\')',
            "semgrep's rules did not load: Invalid rule schema",
        ),
        ("time.sleep(30)", "semgrep did not finish within 1s"),
    ],
)
def test_a_broken_semgrep_is_one_note_and_bandit_still_reports(workspace, tmp_path, monkeypatch, body, expected):
    # Written here, not inside find_semgrep: the panel calls that on a worker thread while bandit forks on
    # another, and a child forked while the script is still open for writing makes exec fail (ETXTBSY).
    executable = fake_semgrep(tmp_path, body)
    monkeypatch.setattr(semgrep, "find_semgrep", lambda: executable)
    monkeypatch.setattr(semgrep, "TIMEOUT_S", 1)
    found, failures, _ = panel_hits(workspace, {"app.py": WEB_SHELL})
    assert failures == [expected]
    assert [h.rules[0] for h in found[("app.py", 3)]] == ["B605"]


def test_no_semgrep_on_the_platform_is_said_once_and_nothing_else_changes(workspace, monkeypatch):
    monkeypatch.setattr(semgrep, "find_semgrep", lambda: None)
    found, failures, problems = panel_hits(workspace, {"app.py": WEB_SHELL})
    assert failures == [] and problems == [semgrep.NOT_INSTALLED]
    assert [h.rules[0] for h in found[("app.py", 3)]] == ["B605"]


@needs_semgrep
def test_a_go_file_with_a_syntax_error_says_what_was_not_checked_and_keeps_the_rest(workspace):
    """semgrep is the one analyzer that parses Go: the part it skips is named, the handler above it still checked.
    Python that does not parse is said by bandit and ruff, not a third time by semgrep."""
    handler = (
        'package main\n\nimport (\n\t"net/http"\n\t"os/exec"\n)\n\n'
        "func run(w http.ResponseWriter, r *http.Request) {\n"
        '\texec.Command("sh", "-c", r.URL.Query().Get("cmd")).Run()\n'
        "}\n\nfunc broken( {\n"
    )
    broken_python = "from flask import request\ndef f(:\n    request.args\n"
    found, failures, problems = panel_hits(workspace, {"cmd/handler.go": handler, "app.py": broken_python})
    assert failures == [] and [h.rules[0] for h in found[("cmd/handler.go", 9)]] == ["go-command-injection"]
    semgrep_said = [p for p in problems if "semgrep" in p]
    assert semgrep_said == [
        "cmd/handler.go: semgrep could not check all of it "
        "(a syntax error at line 12: what does not parse was not checked)"
    ]


def test_python_with_nothing_of_the_web_is_not_sent_to_semgrep(workspace, tmp_path, monkeypatch):
    """Every Python rule needs a request, a route, a cookie, CSRF or CORS in the file: one without them is not
    scanned (a semgrep that fails says nothing), one with them is."""
    executable = fake_semgrep(tmp_path, "sys.exit(3)")
    monkeypatch.setattr(semgrep, "find_semgrep", lambda: executable)
    found, failures, _ = panel_hits(workspace, {"tool.py": "import os\nos.system('ls ' + input())\n"})
    assert failures == [] and [h.rules[0] for h in found[("tool.py", 2)]] == ["B605"]
    _, failures, _ = panel_hits(workspace, {"app.py": WEB_SHELL})
    assert failures == ["semgrep did not run (exit 3): no output"]
    routes = "from fastapi import FastAPI\napi = FastAPI()\n\n\n@api.get('/items')\ndef items(q: str):\n    return q\n"
    assert semgrep_targets.may_match(Document(path="api.py", text=routes, language="python"))
    assert not semgrep_targets.may_match(
        Document(path="lib.py", text="def get(d):\n    return d.get('x')\n", language="python")
    )


def test_javascript_with_no_request_url_message_or_jwt_is_not_sent_to_semgrep():
    """npm's own commands, say: no request, no browser URL, no message event: nothing a rule starts from."""
    cli = "const fs = require('fs')\nmodule.exports = function run(args) { return fs.readFileSync(args[0]) }\n"
    express = "app.get('/f', (req, res) => res.sendFile(req.query.name))\n"
    assert not semgrep_targets.may_match(Document(path="cli.js", text=cli, language="javascript"))
    assert semgrep_targets.may_match(Document(path="app.js", text=express, language="javascript"))
    assert semgrep_targets.may_match(Document(path="app.ts", text=express, language="typescript"))
    page = Document(path="page.js", text="el.innerHTML = location.hash\n", language="javascript")
    assert semgrep_targets.may_match(page)


PARSER_HELPERS = """import os


class Parser:
    def parse(self, text):
        return os.path.join("a", text)


@cache
def table():
    return {"a": 1}


if os.name == "nt":
    def windows():
        return 1


@app.route("/run")
def run():
    def inner(value):
        return value.strip()

    return os.popen(inner(request.args["cmd"])).read()
"""


def test_a_python_function_no_rule_could_match_is_sent_as_pass_on_its_own_lines():
    """Functions with no request, route, cookie, CSRF or CORS word (decorators included) are `pass`, nested ones
    too; a class keeps a body, a function under `if` is kept whole, and every other line is where it was."""
    view = semgrep_targets.python_view(Document(path="app.py", text=PARSER_HELPERS, language="python"))
    original, sent = PARSER_HELPERS.splitlines(), view.splitlines()
    assert len(sent) == len(original)
    assert sent[4:7] == ["    pass", "", ""]  # Parser.parse: the class keeps a body
    assert sent[8:11] == ["pass", "", ""]  # table(), with its decorator
    assert sent[13:15] == original[13:15]  # under `if`: kept
    assert sent[18:20] + sent[23:] == original[18:20] + original[23:]  # the route as it is
    assert sent[20:23] == ["    pass", "", ""]  # but for the helper inside it, which reads nothing
    ast.parse(view)
    broken = "def f(:\n    pass\n"
    assert semgrep_targets.python_view(Document(path="b.py", text=broken, language="python")) == broken


HELPERS_APP = """import os
import subprocess

from flask import Flask, request

app = Flask(__name__)


def read_file(folder, name):
    path = os.path.join(folder, name)
    return open(path).read()


def run(cmd, program="uptime"):
    return subprocess.check_output(program, shell=True)


@app.route("/file")
def file():
    name = request.args.get("name")
    return read_file("/srv", name)


@app.route("/safe-file")
def safe_file():
    return read_file("/srv", name=os.path.basename(request.args["name"]))


@app.route("/run")
def run_it():
    return run(request.args.get("cmd"))


def echo(value):
    command = "echo " + "safe"
    return subprocess.check_output(command, shell=True)


@app.route("/echo")
def echo_it():
    return echo(request.args.get("value"))
"""


@needs_semgrep
def test_request_data_a_route_hands_to_a_helper_of_its_file_is_followed_into_it(workspace):
    """read_file's `name` reaches open() and /file passes request data in its place: a path traversal at the sink,
    saying where the data came from. /safe-file passes it through basename; run()'s `cmd` reaches nothing. bandit's
    shell hit in echo(), which no parameter of echo() reaches, is demoted as one in the route would be."""
    found, failures, _ = panel_hits(workspace, {"app.py": HELPERS_APP})
    assert failures == []
    semgrep_found = {
        line: [h.rules[0] for h in hits if h.sources[0].name == "semgrep"] for (_, line), hits in found.items()
    }
    assert semgrep_found[11] == ["python-path-traversal"]
    sink = next(h for h in found[("app.py", 11)] if h.sources[0].name == "semgrep")
    assert sink.cwe == ["CWE-22"] and sink.severity.value == "high"
    assert "request data read at line 20 is passed to read_file(), and reaches this call in it" in " ".join(sink.notes)
    assert not any("command" in rule for rules in semgrep_found.values() for rule in rules)  # only `program` runs
    shell = {line: hits for (_, line), hits in found.items() if any(h.rules[0] == "B602" for h in hits)}
    assert set(shell) == {15, 36}  # run()'s `program` is a parameter: a caller may choose it; echo()'s is not
    assert all(h.confidence > DEMOTED_CONFIDENCE for h in shell[15])
    demoted = next(h for h in shell[36] if h.rules[0] == "B602")
    assert demoted.confidence == DEMOTED_CONFIDENCE
    assert "request data handed to echo() at line 41 cannot reach this shell call" in " ".join(demoted.notes)
    only_safe = HELPERS_APP.replace('    return read_file("/srv", name)\n', "    return name\n")
    found, _, _ = panel_hits(workspace, {"app.py": only_safe})
    assert not any(h.sources[0].name == "semgrep" for h in found.get(("app.py", 11), []))


def _strings(node) -> list[str]:
    """Every string of a rule's pattern part, skipping what only narrows a match (pattern-not...) or says it."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    if isinstance(node, dict):
        skip = ("message", "metadata", "id", "languages", "severity", "paths", "mode", "focus-metavariable")
        return [s for k, v in node.items() if k not in skip and not k.startswith("pattern-not") for s in _strings(v)]
    return []


def _as_code(node) -> str:
    """A pattern as code a file would hold: each metavariable-regex's metavariable as the first word it allows,
    other metavariables as `x`."""
    text = "\n".join(_strings(node))
    for found in re.finditer(r"'metavariable': '(\$\w+)', 'regex': '\^?\(?(\w+)", repr(node)):
        text = text.replace(found[1], found[2])
    return re.sub(r"\$\w+", "x", text)


@pytest.mark.parametrize("language", sorted(semgrep_targets.RULES_NEED))
def test_every_rule_of_a_prefiltered_language_names_one_of_its_words(language):
    """A taint rule's every source, and every alternative of a pattern rule, holds a word the prefilter looks for:
    a rule added without one would silently never see a file the prefilter skips."""
    needs = semgrep_targets.RULES_NEED[language]
    rules = [r for r in json.loads(semgrep._rules_json())["rules"] if language in r["languages"]]
    assert rules
    for rule in rules:
        if rule.get("mode") == "taint":
            parts = rule["pattern-sources"]
        else:
            parts = rule.get("pattern-either") or [{k: v for k, v in rule.items() if k.startswith("pattern")}]
        for part in parts:
            assert needs.search(_as_code(part)), (rule["id"], _as_code(part))
