"""A user's own prompt files: used when they fit the shipped prompt's placeholders, named by `manyeyes prompts`,
and part of the cache key; one that does not fit is a logged reason, never a broken review."""

import json
import os
import subprocess
import sys

import pytest
from manyeyes.agents.prompts import load_prompt, prompt_versions


@pytest.fixture
def overrides(tmp_path, monkeypatch):
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    load_prompt.cache_clear()
    yield home / "manyeyes" / "prompts"
    load_prompt.cache_clear()


def test_a_fitting_override_replaces_the_shipped_prompt_and_changes_the_tag(overrides):
    shipped = prompt_versions("security")
    overrides.mkdir(parents=True)
    (overrides / "security.md").write_text(
        "<!-- manyeyes-prompt: security v1 -->\nConcern: security\n\nOurs.\n{{evidence}}"
    )
    load_prompt.cache_clear()
    prompt = load_prompt("security")
    assert prompt.override == overrides / "security.md" and prompt.render(evidence="") == "Concern: security\n\nOurs.\n"
    assert prompt_versions("security").startswith("security1~") and prompt_versions("security") != shipped


@pytest.mark.parametrize(
    "text, why",
    [
        ("<!-- manyeyes-prompt: security v1 -->\nno placeholder", "its placeholders must be exactly: evidence"),
        ("no header at all {{evidence}}", "the first line must be '<!-- manyeyes-prompt: security vN -->'"),
    ],
)
def test_an_override_that_does_not_fit_is_not_used_and_says_why(overrides, text, why):
    overrides.mkdir(parents=True)
    (overrides / "security.md").write_text(text)
    prompt = load_prompt("security")
    assert prompt.override is None and why in prompt.problem and "the shipped prompt is" in prompt.problem
    assert "{{evidence}}" in prompt.template


def test_manyeyes_prompts_names_each_file(overrides, tmp_path):
    overrides.mkdir(parents=True)
    (overrides / "tests.md").write_text("<!-- manyeyes-prompt: tests v7 -->\nConcern: tests\n{{evidence}}")
    env = {**os.environ, "XDG_CONFIG_HOME": str(overrides.parents[1])}
    run = subprocess.run(
        [sys.executable, "-m", "manyeyes", "prompts", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    rows = {row["name"]: row for row in json.loads(run.stdout)["prompts"]}
    assert rows["tests"]["file"] == str(overrides / "tests.md") and rows["tests"]["version"] == 7
    assert rows["security"]["file"] == "shipped" and {"instructions", "dismissed", "system"} <= set(rows)
