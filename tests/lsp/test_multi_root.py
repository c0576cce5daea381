"""Multi-root workspaces: each folder reviews with its own settings (its project files and what the editor
configures for it), keeps its own dismissals and git changes, and leaves with its reviews and findings."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.lsp.conftest import CONFIG, FAKE_KEY_ENV, Boards
from tests.lsp.helpers import command, open_document, review_file

SHELL = "import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n"
PICKLE = "import pickle\n\n\ndef load(b):\n    return pickle.loads(b)\n"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    web, tools = tmp_path / "web", tmp_path / "tools"
    for root in (web, tools):
        root.mkdir()
    # tools turns readability off and defines a concern of its own; web keeps the defaults
    (tools / "docs.md").write_text("Public functions need docstrings.\n")
    (tools / "pyproject.toml").write_text(
        '[tool.manyeyes.concerns.docs]\nprompt = "docs.md"\n\n[tool.manyeyes.concerns.readability]\nenabled = false\n'
    )
    return web, tools


async def _start(lsp_client: LanguageClient, folders) -> None:
    """Initializes a session like VS Code's with both folders open, collecting the boards."""
    lsp_client.boards = Boards()
    lsp_client.feature("manyeyes/board")(lambda params: lsp_client.boards.add(params))
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        workspace_folders=[types.WorkspaceFolder(uri=r.as_uri(), name=r.name) for r in folders],
    )
    lsp_client.init_result = await lsp_client.initialize_session(params)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, folders):
    web, tools = folders
    # the editor's settings for one folder only: web shows high findings and worse
    lsp_client.set_configuration({"minSeverity": "high"}, section="manyeyes", scope_uri=web.as_uri())
    await _start(lsp_client, folders)
    yield
    await lsp_client.shutdown_session()


def _codes(client, uri: str) -> list:
    return sorted(str(d.code) for d in client.diagnostics.get(uri, []))


@pytest.mark.asyncio
async def test_each_folder_reviews_with_its_own_settings(client, folders):
    web, tools = folders
    in_web, in_tools = open_document(client, web / "app.py", SHELL), open_document(client, tools / "app.py", SHELL)
    web_board, tools_board = await review_file(client, in_web), await review_file(client, in_tools)
    assert _codes(client, in_web) == ["B602"]  # the folder's minSeverity = high hides the low ones
    assert "B602" in _codes(client, in_tools) and len(_codes(client, in_tools)) > 1
    assert "readability" not in {a["concern"] for a in tools_board["agents"]}  # its pyproject turned it off
    assert {a["concern"] for a in web_board["agents"]} >= {"security", "readability"}

    web_concerns = await command(client, "manyeyes.concerns", in_web)
    tools_concerns = await command(client, "manyeyes.concerns", in_tools)
    assert "docs" in [c["name"] for c in tools_concerns["concerns"]]
    assert "docs" not in [c["name"] for c in web_concerns["concerns"]]
    health = await command(client, "manyeyes.health")
    assert [f["workspace"] for f in health["folders"]] == [str(web), str(tools)]


@pytest.mark.asyncio
async def test_a_dismissal_belongs_to_the_folder_of_its_file(client, folders):
    web, tools = folders
    uri = open_document(client, tools / "app.py", SHELL)
    await review_file(client, uri)
    finding = next(d for d in client.diagnostics[uri] if d.code == "B602")
    await command(client, "manyeyes.dismiss", uri, finding.data["fingerprint"], "a fixed command")
    written = (tools / ".manyeyes" / "suppressions.jsonl").read_text().splitlines()
    assert [json.loads(line)["reason"] for line in written] == ["a fixed command"]
    assert not (web / ".manyeyes").exists()
    assert "B602" not in _codes(client, uri)
    same = open_document(client, web / "app.py", SHELL)  # the same code in the other folder is not dismissed
    await review_file(client, same)
    assert "B602" in _codes(client, same)


def _git(cwd: Path, *args: str) -> None:
    base = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*base, *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.asyncio
async def test_changes_are_reviewed_in_the_folder_named(client, folders):
    web, tools = folders
    for root in folders:
        (root / "base.py").write_text("X = 1\n")
        _git(root, "init", "-q")
        _git(root, "add", ".")
        _git(root, "commit", "-qm", "base")
    (tools / "fresh.py").write_text(PICKLE)
    (web / "other.py").write_text(SHELL)
    with pytest.raises(Exception, match=r"2 workspace folders are open \(web, tools\)"):
        await command(client, "manyeyes.review.changes")
    started = await command(client, "manyeyes.review.changes", tools.as_uri())
    board = await client.boards.finished(started["reviewId"])
    assert board["message"].startswith(("1 finding", "2 finding", "3 finding"))
    assert "B301" in _codes(client, (tools / "fresh.py").as_uri())
    assert (web / "other.py").as_uri() not in client.diagnostics  # the other folder's change is not its business


@pytest.fixture
def fake_slow(fake):
    fake.latency = 30.0  # the review is still running when its folder leaves
    return fake


@pytest.mark.asyncio
async def test_a_folder_removed_mid_review_stops_its_review_and_withdraws_its_findings(client, folders, fake_slow):
    web, tools = folders
    uri = open_document(client, web / "app.py", SHELL)
    await review_file(client, uri)  # offline: the folder has findings
    assert _codes(client, uri) == ["B602"]
    model = {"model": "openai/fake-model", "apiBase": fake_slow.url, "apiKeyEnv": FAKE_KEY_ENV, "maxRetries": 0}
    client.set_configuration({**model, "minSeverity": "high"}, section="manyeyes", scope_uri=web.as_uri())
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.5)
    started = await command(client, "manyeyes.review.file", uri)
    for _ in range(100):  # the model agents are waiting on the provider
        if fake_slow.requests:
            break
        await asyncio.sleep(0.1)
    assert fake_slow.requests, "the model review did not start"
    removed = types.WorkspaceFolder(uri=web.as_uri(), name="web")
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(event=types.WorkspaceFoldersChangeEvent(added=[], removed=[removed]))
    )
    board = await client.boards.finished(started["reviewId"], timeout=10)
    assert board["message"] == "cancelled"
    assert not client.diagnostics[uri]  # withdrawn before the review's last board arrived
    health = await command(client, "manyeyes.health")
    assert [f["workspace"] for f in health["folders"]] == [str(tools)]


@pytest_lsp.fixture(config=CONFIG)
async def slow_editor(lsp_client: LanguageClient, folders):
    """An editor that takes a second to answer workspace/configuration (VS Code asks every extension's middleware),
    with one folder limited to the security concern, and a review asked for as soon as the server is up."""
    web, tools = folders
    lsp_client.set_configuration(
        {"concerns": ["security"], "customConcerns": {}}, section="manyeyes", scope_uri=web.as_uri()
    )

    async def slow_configuration(params: types.ConfigurationParams):
        await asyncio.sleep(1.0)
        return [lsp_client.get_configuration(section=i.section, scope_uri=i.scope_uri) for i in params.items]

    lsp_client.protocol.fm.features[types.WORKSPACE_CONFIGURATION] = slow_configuration
    await _start(lsp_client, folders)
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_a_review_asked_for_at_start_waits_for_its_folders_settings(slow_editor, folders):
    """The first review of a window used to start with the window's settings while the folder's were still on their
    way: a folder limited to security got all four agents (seen in VS Code with a .code-workspace)."""
    client = slow_editor
    web, _ = folders
    board = await review_file(client, open_document(client, web / "app.py", SHELL))
    assert {a["concern"] for a in board["agents"]} == {"security"}


def test_the_editors_own_keys_are_not_server_settings():
    """VS Code sends the whole `manyeyes` section on every change, its client's keys included: each used to come
    back as an "unknown setting" warning in a popup."""
    from manyeyes.lsp.lifecycle import editor_settings

    section = {"server": {"python": "/usr/bin/python3"}, "logLevel": "info", "trace": {"server": "off"}}
    assert editor_settings({**section, "minSeverity": "high", "model": None}) == {"min_severity": "high"}
