"""An untitled document (an unsaved buffer with no file) is reviewed while the editor has it open: under a name
made from its URI and its language, in a folder of the server's own; its findings come back to its URI."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.lsp.conftest import CONFIG, Boards
from tests.lsp.helpers import command

SHELL = "import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n"


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, tmp_path):
    lsp_client.boards = Boards()
    lsp_client.feature("manyeyes/board")(lambda params: lsp_client.boards.add(params))
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="project")],
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def open_untitled(client: LanguageClient, uri: str, text: str, language_id: str) -> str:
    item = types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    return uri


@pytest.mark.asyncio
async def test_an_untitled_python_buffer_is_reviewed_by_its_language(client, tmp_path):
    uri = open_untitled(client, "untitled:Untitled-1", SHELL, "python")
    started = await command(client, "manyeyes.review.file", uri)
    board = await client.boards.finished(started["reviewId"])
    assert board["message"].endswith("finding(s)")
    assert {a["target"].split(":")[0] for a in board["agents"]} == {"Untitled-1.py"}
    shell = next(d for d in client.diagnostics[uri] if d.code == "B602")
    assert shell.range.start.line == 4
    # its quick fixes and hovers work on the buffer like on a file
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=shell.range,
            context=types.CodeActionContext(diagnostics=[shell]),
        )
    )
    assert actions
    assert not list(tmp_path.iterdir())  # nothing written into the workspace


@pytest.mark.asyncio
async def test_a_selection_of_an_untitled_buffer_is_reviewed(client):
    uri = open_untitled(client, "untitled:Untitled-2", SHELL, "python")
    selection = {"start": {"line": 3, "character": 0}, "end": {"line": 5, "character": 0}}
    started = await command(client, "manyeyes.review.selection", uri, selection)
    await client.boards.finished(started["reviewId"])
    assert "B602" in {d.code for d in client.diagnostics[uri]}


@pytest.mark.asyncio
async def test_an_untitled_buffer_in_a_language_no_one_knows_keeps_its_name(client):
    uri = open_untitled(client, "untitled:Untitled-3", "just some notes\n", "plaintext")
    started = await command(client, "manyeyes.review.file", uri)
    board = await client.boards.finished(started["reviewId"])
    assert board["message"] == "0 finding(s)" and not client.diagnostics.get(uri)
    assert {a["target"] for a in board["agents"]} == {"Untitled-3:1-1"}  # no suffix made up for plain text


@pytest.mark.asyncio
async def test_an_untitled_buffer_that_is_not_open_is_refused_with_the_reason(client):
    with pytest.raises(Exception, match="not a file: URI, and not open in the editor"):
        await command(client, "manyeyes.review.file", "untitled:Untitled-9")


@pytest.mark.asyncio
async def test_an_untitled_name_cannot_leave_the_servers_folder(client):
    uri = open_untitled(client, "untitled:..", SHELL, "python")
    started = await command(client, "manyeyes.review.file", uri)
    board = await client.boards.finished(started["reviewId"])
    assert {a["target"].split(":")[0] for a in board["agents"]} == {"untitled.py"}
