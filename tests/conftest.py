"""Shared fixtures: temporary workspaces and the fake model provider on loopback."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from manyeyes.config import Settings
from manyeyes.devtools.fake_provider import FakeProvider

FAKE_KEY_ENV = "MANYEYES_TEST_FAKE_KEY"


@pytest.fixture(autouse=True)
def isolated_user_config(tmp_path_factory, monkeypatch):
    """No test reads the developer's own ~/.config/manyeyes or MANYEYES_* environment."""
    home = tmp_path_factory.mktemp("config-home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    for name in ("MANYEYES_CONFIG", "MANYEYES_MODEL", "MANYEYES_API_BASE", "MANYEYES_API_KEY_ENV"):
        monkeypatch.delenv(name, raising=False)


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root


@pytest.fixture
def fake():
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def model_settings(fake, monkeypatch):
    """Settings that send every concern to the fake provider through the real litellm path."""
    monkeypatch.setenv(FAKE_KEY_ENV, "sk-fake-test-key")

    def make(**overrides) -> Settings:
        values = dict(
            model="openai/fake-model",
            api_base=fake.url,
            api_key_env=FAKE_KEY_ENV,
            max_retries=0,
            task_timeout_s=10,
            concurrency=8,
        )
        values.update(overrides)
        return Settings(**values)

    return make


VULNERABLE = """
import subprocess


def run(user_input):
    subprocess.call("ls " + user_input, shell=True)


def total(values):
    result = 0
    for value in values:
        result += value
    return result
"""


@pytest.fixture
def vulnerable(workspace: Path) -> Path:
    return write(workspace, "app.py", VULNERABLE)
