"""Triage and batching: a chunk goes to the concerns it needs, says why it skips the others, never skips what an
analyzer flagged, and small neighbours share a task."""

from __future__ import annotations

import json
import os
from pathlib import Path

import anyio
from manyeyes.config import Settings
from manyeyes.devtools.fake_provider import Reply
from manyeyes.engine import ReviewRun
from manyeyes.models import Concern, ReviewRequest
from manyeyes.plan.documents import Document
from manyeyes.plan.planner import plan_review
from manyeyes.plan.slicing import Chunk
from manyeyes.plan.triage import triage

from tests.conftest import FAKE_KEY_ENV, write
from tests.e2e.test_cli_offline import manyeyes

APART = "\n" * 14  # more lines between definitions than a batch carries along: each is reviewed on its own
APP = f"""
import subprocess

LIMIT = 10
{APART}
def run(user_input):
    step = user_input.strip()
    subprocess.call("ls " + step, shell=True)
{APART}
def add(a, b):
    return a + b
{APART}
def _total(n):
    total = 0
    for i in range(n):
        total += i * LIMIT
    return total
"""
# Nothing here names an input, a sink or a secret, but bandit knows binding every interface (B104).
BIND_ALL = """
def settings(port):
    host = "0.0.0.0"
    return {"host": host, "port": port}


def double(value):
    return value * 2
"""


CONCERNS = [c.value for c in Concern]


def _plan(workspace: Path, name: str, **settings):
    request = ReviewRequest(workspace=workspace, paths=[workspace / name])
    return plan_review(request, Settings(model="openai/x", **settings))


def _tasks(plan) -> dict[tuple[str, int, int], str | None]:
    return {(t.concern.value, t.chunk.start, t.chunk.end): t.standby for t in plan.tasks}


def test_each_concern_runs_where_its_signals_are_and_every_skip_says_why(workspace):
    write(workspace, "app.py", APP)
    tasks = _tasks(_plan(workspace, "app.py"))
    spans = {"run": (1, 21), "add": (37, 38), "_total": (54, 58)}  # run's span starts with the module's constants
    decisions = {(c, name): tasks[(c, *span)] for name, span in spans.items() for c in CONCERNS}
    needed = {key for key, standby in decisions.items() if standby is None}
    assert needed == {
        ("security", "run"),  # the subprocess call
        ("performance", "_total"),  # the loop
        ("tests", "run"),  # public behaviour
        ("tests", "add"),
        ("readability", "run"),
        ("readability", "_total"),
    }
    assert decisions[("security", "add")] == "no input, sink, secret or security-relevant call"
    assert decisions[("performance", "run")] == "no loops, queries, I/O or large data"
    assert decisions[("tests", "_total")] == "no public definitions"
    assert decisions[("readability", "add")] == "trivial (2 line(s) of code)"


def test_declarations_need_nobody_and_an_import_is_not_a_sink(workspace):
    write(workspace, "settings.py", "import subprocess\n\nLIMIT = 10\nNAMES = ['a', 'b']\n")
    assert {(t.concern.value, t.standby) for t in _plan(workspace, "settings.py").tasks} == {
        ("security", "no input, sink, secret or security-relevant call"),
        ("performance", "no loops, queries, I/O or large data"),
        ("tests", "no behaviour to test (declarations only)"),
        ("readability", "trivial (declarations only)"),
    }


def test_thorough_restores_every_task(workspace):
    write(workspace, "app.py", APP)
    plan = _plan(workspace, "app.py", thorough=True)
    assert len(plan.tasks) == 3 * 4 and all(t.standby is None for t in plan.tasks)


def test_code_triage_cannot_classify_gets_every_concern(workspace):
    write(workspace, "app.lua", "local x = 1\nfunction f(a)\n  return a + x\nend\n")  # no grammar
    write(workspace, "broken.js", "function f(a {\n  return a + 1;\n}\n")  # syntax errors
    write(workspace, "broken.py", "def f(:\n    return 1\n")
    for name in ("app.lua", "broken.js", "broken.py"):
        plan = _plan(workspace, name)
        assert {t.concern for t in plan.tasks} == set(Concern) and all(t.standby is None for t in plan.tasks)


EXPRESS = """const express = require("express");
const { exec } = require("child_process");

function add(a, b) {
  return a + b;
}

app.get("/ping", (req, res) => {
  exec("ping -c 1 " + req.query.host, (err, out) => res.send(out));
});

function fib(n) {
  if (n < 2) {
    return n;
  }
  return fib(n - 1) + fib(n - 2);
}
"""
GO = """package main

func add(a int, b int) int {
\treturn a + b
}

func run(w http.ResponseWriter, r *http.Request) {
\tout, _ := exec.Command("sh", "-c", r.URL.Query().Get("cmd")).Output()
\tw.Write(out)
}
"""


def _needed(name: str, text: str, language: str) -> dict[str, set[str]]:
    """The concerns each paragraph of the file (named by its first line) needs, as triage decides."""
    document = Document(name, text, language)
    needed, start = {}, 1
    for paragraph in text.split("\n\n"):
        end = start + paragraph.strip("\n").count("\n")
        decisions = triage(Chunk(document, start, end), list(Concern), thorough=False)
        needed[paragraph.splitlines()[0]] = {c.value for c, skip in decisions.items() if skip is None}
        start = end + 2
    return needed


def test_javascript_and_go_are_triaged_from_their_syntax_trees():
    """Triage read only Python: a JavaScript or Go chunk went to all four agents, its imports too."""
    assert _needed("app.js", EXPRESS, "javascript") == {
        'const express = require("express");': set(),  # imports: nobody
        "function add(a, b) {": {"tests"},
        'app.get("/ping", (req, res) => {': {"security", "performance", "tests"},  # a route running a shell
        "function fib(n) {": {"performance", "readability", "tests"},  # recursion
    }
    assert _needed("main.go", GO, "go") == {
        "package main": set(),
        "func add(a int, b int) int {": {"tests"},  # Go tests reach unexported functions: tested
        "func run(w http.ResponseWriter, r *http.Request) {": {"security", "performance", "readability", "tests"},
    }


def test_twenty_small_functions_are_a_few_tasks_and_a_large_one_stays_alone(workspace):
    small = "".join(
        f"def f{i}(x):\n    y = x + {i}\n    z = y * 2\n    return [z for _ in range(y)]\n\n\n" for i in range(20)
    )
    large = "def big(x):\n" + "".join(f"    x = x + {i}\n" for i in range(140)) + "    return x\n"
    write(workspace, "many.py", small + large)
    plan = _plan(workspace, "many.py", concerns=["performance"])
    spans = [(t.chunk.start, t.chunk.end) for t in plan.tasks]
    assert len(spans) <= 3, spans
    assert (121, 262) in spans  # the large function: a task of its own


def test_a_flagged_chunk_runs_although_triage_skipped_it(workspace, fake, model_settings):
    write(workspace, "app.py", BIND_ALL)
    plan = _plan(workspace, "app.py", concerns=["security"])
    assert [t.standby is not None for t in plan.tasks] == [True]  # triage sees nothing: it stands by
    fake.script("security", Reply(findings=[]))
    run = ReviewRun(ReviewRequest(workspace=workspace, paths=[workspace / "app.py"]), model_settings())
    result = anyio.run(run.execute)
    security = [o for o in result.outcomes if o.concern is Concern.security and o.vote == 1]
    assert [o.state for o in security] == ["done"]  # bandit's B104 promoted it: the model was asked
    assert "B104" in fake.requests_for("security")[0]["messages"][-1]["content"]
    # and, a chunk with an analyzer hit being risky, it was escalated to more voters
    escalated = [e.reason for e in result.consensus.escalated if e.concern is Concern.security]
    assert escalated == ["analyzer hit (B104)"]


def test_an_unflagged_standby_task_sends_nothing_and_the_json_says_why(workspace, fake):
    write(workspace, "calc.py", "def double(value):\n    return value * 2\n")
    env_model = ["--model", "openai/fake", "--api-base", fake.url, "--format", "json", "--no-board"]
    env = dict(os.environ, MANYEYES_API_KEY_ENV=FAKE_KEY_ENV, **{FAKE_KEY_ENV: "sk-fake"})
    proc = manyeyes("review", "calc.py", "--concerns", "security,performance", *env_model, cwd=workspace, env=env)
    assert proc.returncode == 0, proc.stderr
    outcomes = json.loads(proc.stdout)["outcomes"]
    assert {(o["concern"], o["state"]) for o in outcomes} == {("security", "skipped"), ("performance", "skipped")}
    assert all(o["error"].startswith("triage: ") for o in outcomes)
    assert fake.requests == []
    text = manyeyes("review", "calc.py", "--concerns", "security,performance", *env_model[:-3], cwd=workspace, env=env)
    assert "2 spared by triage (--thorough runs them)" in text.stdout
    proc = manyeyes(
        "review", "calc.py", "--concerns", "security,performance", "--thorough", *env_model, cwd=workspace, env=env
    )
    assert {o["state"] for o in json.loads(proc.stdout)["outcomes"]} == {"done"} and len(fake.requests) == 2


def test_a_weak_random_generator_is_a_security_signal_in_a_fragment_too():
    """`random.Random(seed)` in code that does not parse (a fragment): the call bandit's B311 family names, so
    the security agent looks at it (it was skipped: "no input, sink, secret or security-relevant call")."""
    text = "\n        initial = self.count()\n        rand = random.Random(seed)\n        rand.shuffle(samples)\n"
    document = Document(path="sample.py", text=text, language="python")
    assert triage(Chunk(document, 1, 4, None), [Concern.security], thorough=False)[Concern.security] is None
