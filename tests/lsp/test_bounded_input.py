"""Bounded input in the server: what is not a regular file inside the workspace is refused with its reason, and
edits are checked before they touch a document's text (a reversed range, a document grown past the limit)."""

import os

import pytest
from lsprotocol import types
from manyeyes.lsp.documents import MAX_DOCUMENT_CHARS

from tests.lsp.helpers import by_code, command, open_document, review_file

PEAK_RSS_LIMIT_KB = 400_000


def _peak_rss_kb(client) -> int:
    status = open(f"/proc/{client._server.pid}/status").read()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


async def _still_answers(client, ws) -> None:
    uri = open_document(client, ws / "alive.py", "import os\n\n\ndef f(x):\n    return os.system(x)\n")
    await review_file(client, uri)
    assert by_code(client, uri, "B605") is not None


@pytest.mark.asyncio
async def test_devices_fifos_directories_and_outside_paths_are_refused(client, ws):
    (ws / "zero.py").symlink_to("/dev/zero")
    os.mkfifo(ws / "pipe.py")
    refused = {
        "file:///dev/zero": "outside the workspace",
        (ws / "zero.py").as_uri(): "outside the workspace",
        (ws / "pipe.py").as_uri(): "not a regular file",
        ws.as_uri(): "a directory, not a file",
        "file:///": "outside the workspace",
    }
    for uri, reason in refused.items():
        with pytest.raises(Exception, match=reason):
            await command(client, "manyeyes.review.file", uri)
    await _still_answers(client, ws)
    assert _peak_rss_kb(client) < PEAK_RSS_LIMIT_KB


@pytest.fixture
def init_options():
    return {"settings": {"reviewOnSave": True}}


@pytest.mark.asyncio
async def test_saving_a_device_with_review_on_save_costs_nothing(client, ws):
    (ws / "zero.py").symlink_to("/dev/zero")
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=(ws / "zero.py").as_uri()))
    )
    await _still_answers(client, ws)
    assert _peak_rss_kb(client) < PEAK_RSS_LIMIT_KB


def _reversed_edit(uri: str, version: int) -> types.DidChangeTextDocumentParams:
    backwards = types.Range(
        start=types.Position(line=0, character=1_000_000_000), end=types.Position(line=0, character=0)
    )
    return types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(range=backwards, text="x = 1")],
    )


@pytest.mark.asyncio
async def test_reversed_ranges_are_put_in_order(client, ws):
    uri = open_document(client, ws / "m.py", "x = 1" + " " * 60 + "\nimport os\nos.system(input())\n")
    for version in range(2, 22):  # each used to double the first line: 2**20 copies of it
        client.text_document_did_change(_reversed_edit(uri, version))
    await review_file(client, uri)
    shell = by_code(client, uri, "B605")
    assert shell is not None and shell.range.start.line == 2  # the document is three short lines still
    assert _peak_rss_kb(client) < PEAK_RSS_LIMIT_KB


@pytest.mark.asyncio
async def test_a_document_over_the_size_limit_is_not_tracked(client, ws):
    uri = open_document(client, ws / "small.py", "x = 1\n")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="#" * (MAX_DOCUMENT_CHARS + 1))],
        )
    )
    with pytest.raises(Exception, match="over the server's size limit"):
        await command(client, "manyeyes.review.file", uri)
    await _still_answers(client, ws)
