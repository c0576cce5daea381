"""pytest-lsp fixtures: the real server as a subprocess, driven with recorded capabilities of real editors."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities


FAKE_KEY_ENV = "MANYEYES_TEST_FAKE_KEY"
EDITORS = ["visual-studio-code", "neovim"]
SERVER_ENV = dict(os.environ, **{FAKE_KEY_ENV: "sk-fake-lsp", "XDG_CONFIG_HOME": tempfile.mkdtemp(prefix="me-cfg-")})
for _name in ("MANYEYES_CONFIG", "MANYEYES_MODEL", "MANYEYES_API_BASE", "MANYEYES_API_KEY_ENV"):
    SERVER_ENV.pop(_name, None)
CONFIG = ClientServerConfig(server_command=[sys.executable, "-m", "manyeyes", "lsp"], server_env=SERVER_ENV)


class Boards:
    """Collects `manyeyes/board` notifications; `finished()` waits for a review's last one."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self._done: dict[str, asyncio.Event] = {}

    def add(self, params) -> None:
        board = params if isinstance(params, dict) else _as_dict(params)
        self.received.append(board)
        if board.get("done"):
            self._event(board["reviewId"]).set()

    def _event(self, review_id: str) -> asyncio.Event:
        return self._done.setdefault(review_id, asyncio.Event())

    async def finished(self, review_id: str, timeout: float = 60) -> dict:
        await asyncio.wait_for(self._event(review_id).wait(), timeout)
        return [b for b in self.received if b["reviewId"] == review_id and b["done"]][-1]


def _as_dict(value):
    if hasattr(value, "_asdict"):
        return {k: _as_dict(v) for k, v in value._asdict().items()}
    if isinstance(value, list):
        return [_as_dict(v) for v in value]
    return value


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


@pytest.fixture
def model_options(fake) -> dict:
    """initializationOptions that send every concern to the fake provider, on every chunk: these tests are about
    the fan-out and what comes back of it; the triage that spares concerns has its own tests (test_triage.py)."""
    return {
        "settings": {
            "model": "openai/fake-model",
            "apiBase": fake.url,
            "apiKeyEnv": FAKE_KEY_ENV,
            "maxRetries": 0,
            "taskTimeoutS": 5,
            "thorough": True,
        }
    }


@pytest.fixture
def init_options() -> dict:
    """What a test passes as initializationOptions; tests override it to configure a model."""
    return {}


@pytest.fixture
def adjust_capabilities():
    """Tests override this to change the recorded capabilities (e.g. to add pull diagnostics)."""
    return lambda capabilities: capabilities


@pytest_lsp.fixture(config=CONFIG, params=EDITORS)
async def client(lsp_client: LanguageClient, request, ws: Path, init_options: dict, adjust_capabilities):
    lsp_client.boards = Boards()
    lsp_client.applied_edits = []
    lsp_client.feature("manyeyes/board")(lambda params: lsp_client.boards.add(params))

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams):
        lsp_client.applied_edits.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    params = types.InitializeParams(
        capabilities=adjust_capabilities(client_capabilities(request.param)),
        root_uri=ws.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=ws.as_uri(), name="project")],
        initialization_options=init_options,
    )
    lsp_client.init_result = await lsp_client.initialize_session(params)
    lsp_client.editor = request.param
    yield
    await lsp_client.shutdown_session()
