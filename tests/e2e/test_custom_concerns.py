"""A concern the team defines runs as a full agent: its brief reaches the model, its findings are anchored, graded
by its own severity, merged and reported like any other; the command line names it and says when it cannot run."""

import json
import os
import subprocess
import sys

import anyio
from manyeyes.config import load_settings
from manyeyes.devtools.fake_provider import Reply
from manyeyes.engine import ReviewRun
from manyeyes.models import Concern, ReviewRequest
from manyeyes.report.sarif import to_sarif

from tests.conftest import FAKE_KEY_ENV, write

PAGE = """def render_banner(user):
    html = '<img src="/banner.png">'
    html += '<button onclick="go()"></button>'
    return html + user.name
"""
BRIEF = "Look for HTML this code builds that screen readers cannot use: images without alt text, unlabeled buttons."
MISSING_ALT = {
    "title": "Image without alt text",
    "severity": "high",
    "confidence": 0.8,
    "line": 2,
    "quote": "html = '<img src=\"/banner.png\">'",
    "explanation": "A screen reader announces nothing useful for it.",
}
PYPROJECT = """
[tool.manyeyes.concerns.accessibility]
prompt = "prompts/accessibility.md"
paths = ["src/**"]
severity = "medium"
"""


def project(workspace):
    write(workspace, "pyproject.toml", PYPROJECT)
    write(workspace, "prompts/accessibility.md", BRIEF)
    write(workspace, "src/page.py", PAGE)
    write(workspace, "tools/page.py", PAGE)  # outside the concern's paths
    return workspace


def review(workspace, overrides, trusted=True, cache=None):
    settings = load_settings(workspace, overrides, trusted=trusted).settings
    request = ReviewRequest(workspace=workspace, paths=[workspace / "src", workspace / "tools"], trusted=trusted)
    return anyio.run(ReviewRun(request, settings, cache=cache).execute)


def model(fake, **extra):
    return {
        "model": "openai/fake-model",
        "api_base": fake.url,
        "api_key_env": FAKE_KEY_ENV,
        "voting": "off",
        "verify_findings": False,
        "max_retries": 0,
        **extra,
    }


def test_a_project_concern_runs_as_a_full_agent(workspace, fake, model_settings):
    project(workspace)
    fake.script("accessibility", Reply(findings=[MISSING_ALT]))
    result = review(workspace, model(fake))
    [request] = fake.requests_for("accessibility")  # src/page.py only: tools/ is outside its paths
    prompt = request["messages"][1]["content"]
    assert f"Concern: accessibility\n\n{BRIEF}" in prompt and 'File: "src/page.py"' in prompt
    others = [r for r in fake.requests if r is not request]
    assert "Code under review" in prompt and others and request["messages"][0] == others[0]["messages"][0]
    [found] = [f for f in result.findings if Concern("accessibility") in f.concerns]
    assert (found.path, found.span.start_line, found.title) == ("src/page.py", 2, "Image without alt text")
    assert found.severity.value == "medium"  # its own cap: the model said high
    outcome = next(o for o in result.outcomes if o.concern == Concern("accessibility"))
    assert (outcome.state, outcome.target) == ("done", "src/page.py:1-4")
    rules = to_sarif(result)["runs"][0]["tool"]["driver"]["rules"]
    assert any("accessibility" in rule["properties"]["tags"] for rule in rules)
    assert json.loads(result.model_dump_json())["findings"]  # the JSON report serializes it


def test_offline_it_says_it_needs_a_model_and_untrusted_it_does_not_run(workspace, fake, model_settings):
    project(workspace)
    offline = review(workspace, {})
    assert "concern accessibility: no model reviews it and no offline analyzer reads it; not reviewed" in offline.notes
    assert not any(o.concern == Concern("accessibility") for o in offline.outcomes)
    untrusted = review(workspace, model(fake), trusted=False)  # the project's settings are not even read
    assert not fake.requests_for("accessibility")
    assert not any(o.concern == Concern("accessibility") for o in untrusted.outcomes)


def test_changing_the_brief_asks_the_model_again(workspace, fake, model_settings):
    from manyeyes.cache import LruCache

    project(workspace)
    cache = LruCache()
    review(workspace, model(fake), cache=cache)
    review(workspace, model(fake), cache=cache)
    assert len(fake.requests_for("accessibility")) == 1  # unchanged: answered from the cache
    write(workspace, "prompts/accessibility.md", BRIEF + " Also color contrast.")
    review(workspace, model(fake), cache=cache)
    assert len(fake.requests_for("accessibility")) == 2


def test_the_command_line_names_it_and_refuses_an_unknown_one(workspace, fake):
    project(workspace)
    env = {
        **os.environ,
        FAKE_KEY_ENV: "sk-fake",
        "MANYEYES_MODEL": "openai/fake-model",
        "MANYEYES_API_BASE": fake.url,
        "MANYEYES_API_KEY_ENV": FAKE_KEY_ENV,
    }
    fake.script("accessibility", Reply(findings=[MISSING_ALT]))
    cli = [sys.executable, "-m", "manyeyes", "review", "src", "--voting", "off", "--format", "json"]
    only = subprocess.run([*cli, "--concerns", "accessibility"], cwd=workspace, env=env, capture_output=True, text=True)
    assert only.returncode == 0, only.stderr
    report = json.loads(only.stdout)
    assert {o["concern"] for o in report["outcomes"]} == {"accessibility"}
    assert [f["concerns"] for f in report["findings"]] == [["accessibility"]]
    unknown = subprocess.run(
        [*cli, "--concerns", "acessibility"], cwd=workspace, env=env, capture_output=True, text=True
    )
    assert unknown.returncode == 2
    assert "unknown concern 'acessibility' (choose from accessibility, performance, readability, security, tests)" in (
        unknown.stderr
    )
    listed = subprocess.run(
        [sys.executable, "-m", "manyeyes", "concerns"], cwd=workspace, env=env, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    assert "accessibility" in listed.stdout and "pyproject.toml" in listed.stdout or "project" in listed.stdout
