"""Shared fixtures: temporary workspaces and the fake model provider on loopback."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from manyeyes.config import Settings
from manyeyes.devtools.fake_provider import FakeProvider

FAKE_KEY_ENV = "MANYEYES_TEST_FAKE_KEY"
# Never the developer's ~/.cache: set at import, so environments copied at import (tests/lsp/conftest.py's
# SERVER_ENV) have it too; each test then gets a fresh one (fresh_answer_cache).
os.environ["MANYEYES_CACHE_DIR"] = tempfile.mkdtemp(prefix="me-cache-")
atexit.register(shutil.rmtree, os.environ["MANYEYES_CACHE_DIR"], True)


@pytest.fixture(autouse=True)
def isolated_user_config(tmp_path_factory, monkeypatch):
    """No test reads the developer's own ~/.config/manyeyes or MANYEYES_* environment."""
    home = tmp_path_factory.mktemp("config-home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    for name in ("MANYEYES_CONFIG", "MANYEYES_MODEL", "MANYEYES_API_BASE", "MANYEYES_API_KEY_ENV"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def fresh_answer_cache(tmp_path_factory, monkeypatch) -> Path:
    """An empty answer cache for every test: a review never reuses another test's model answers (the CLI and the
    language server keep them on disk), and nothing is written to the user's cache directory."""
    directory = tmp_path_factory.mktemp("answer-cache")
    monkeypatch.setenv("MANYEYES_CACHE_DIR", str(directory))
    lsp_conftest = sys.modules.get("tests.lsp.conftest")
    if lsp_conftest is not None:  # its servers start with an environment copied at import
        monkeypatch.setitem(lsp_conftest.SERVER_ENV, "MANYEYES_CACHE_DIR", str(directory))
    return directory


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
