"""The editor's review loop, end to end, under the recorded capabilities of VS Code and Neovim."""

import json
import subprocess
import sys

import pytest
from lsprotocol import types

from tests.lsp.helpers import (
    apply_edits,
    by_code,
    change_document,
    code_actions,
    command,
    command_of,
    encoding,
    open_document,
    review_file,
    units,
)

SOURCE = """import subprocess


def run(cmd):
    label = "😀 run"; subprocess.call(cmd, shell=True)
    if cmd == None:
        return label
    return cmd
"""


@pytest.mark.asyncio
async def test_review_diagnostics_hover_fix_and_re_review(client, ws):
    uri = open_document(client, ws / "app.py", SOURCE)
    board = await review_file(client, uri)
    assert board["message"].endswith("finding(s)") and {a["state"] for a in board["agents"]} == {"done"}
    assert {a["concern"] for a in board["agents"]} == {"security", "performance", "readability", "tests"}

    shell = by_code(client, uri, "B602")
    line = SOURCE.split("\n")[4]
    kind = encoding(client)
    assert shell.range.start.line == 4
    assert shell.range.start.character == units(line[: line.index("subprocess.call")], kind)  # emoji counted right
    assert shell.severity == types.DiagnosticSeverity.Error and shell.source == "manyeyes"
    assert shell.message.startswith("security: ") and shell.code_description.href.startswith("https://")

    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=shell.range.start)
    )
    assert "raised by bandit" in hover.contents.value and "CWE-78" in hover.contents.value

    none_check = by_code(client, uri, "E711")
    actions = await code_actions(client, uri, none_check)
    fix = next(a for a in actions if getattr(a, "edit", None) is not None)
    assert [a.title for a in actions if command_of(a) == "manyeyes.dismiss"]
    document_edit = fix.edit.document_changes[0]
    assert document_edit.text_document.version == 1
    fixed = apply_edits(SOURCE, document_edit.edits, kind)
    assert "    if cmd is None:" in fixed

    change_document(client, uri, fixed, version=2)
    await review_file(client, uri)
    assert by_code(client, uri, "E711") is None and by_code(client, uri, "B602") is not None


@pytest.mark.asyncio
async def test_stale_fix_is_withheld_after_an_edit(client, ws):
    uri = open_document(client, ws / "app.py", SOURCE)
    await review_file(client, uri)
    none_check = by_code(client, uri, "E711")
    change_document(client, uri, "\n\n" + SOURCE, version=2)  # the reviewed text moved down two lines
    actions = await code_actions(client, uri, none_check)
    assert [a for a in actions if getattr(a, "edit", None) is not None] == []
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=none_check.range.start)
    )
    assert hover is None  # positions of the old review no longer describe the document


@pytest.mark.asyncio
async def test_dismiss_survives_in_the_editor_and_the_cli(client, ws):
    uri = open_document(client, ws / "app.py", SOURCE)
    await review_file(client, uri)
    shell = by_code(client, uri, "B602")
    await command(client, "manyeyes.dismiss", uri, shell.data["fingerprint"], "cmd comes from our own config")
    assert by_code(client, uri, "B602") is None
    record = json.loads((ws / ".manyeyes" / "suppressions.jsonl").read_text().splitlines()[0])
    assert record["fingerprint"] == shell.data["fingerprint"]
    assert (record["rule"], record["reason"]) == ("B602", "cmd comes from our own config")  # it teaches reviews
    await review_file(client, uri)
    assert by_code(client, uri, "B602") is None  # a new review does not bring it back
    cli = subprocess.run(
        [sys.executable, "-m", "manyeyes", "review", "app.py", "--format", "json"],
        cwd=ws,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(cli.stdout)
    assert not [f for f in result["findings"] if "B602" in f["rules"]] and result["suppressed"] == 1


@pytest.mark.asyncio
async def test_selection_review_and_closing_clears(client, ws):
    uri = open_document(client, ws / "app.py", SOURCE)
    selection = {"start": {"line": 5, "character": 0}, "end": {"line": 6, "character": 0}}
    started = await command(client, "manyeyes.review.selection", uri, selection)
    await client.boards.finished(started["reviewId"])
    codes = {d.code for d in client.diagnostics[uri]}
    assert "E711" in codes and "B602" not in codes  # line 5 is outside the selection
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics[uri]) == []


@pytest.mark.asyncio
async def test_code_action_on_a_selection_offers_a_review(client, ws):
    uri = open_document(client, ws / "app.py", SOURCE)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=3, character=0), end=types.Position(line=7, character=0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert [command_of(a) for a in actions] == ["manyeyes.review.selection"] + ["manyeyes.refactor.selection"] * 5


@pytest.mark.asyncio
async def test_huge_document_is_reported_not_reviewed(client, ws):
    uri = open_document(client, ws / "huge.py", "x = 1\n" * 50_000)
    board = await review_file(client, uri)
    assert "not reviewed: huge.py: 50,000 lines is over max_file_lines" in board["message"]
    assert board["agents"] == []


@pytest.mark.asyncio
async def test_file_deleted_under_review_is_still_served(client, ws):
    uri = open_document(client, ws / "gone.py", SOURCE)
    started = await command(client, "manyeyes.review.file", uri)
    (ws / "gone.py").unlink()
    board = await client.boards.finished(started["reviewId"])
    assert board["message"].endswith("finding(s)")  # the editor's text was reviewed
    assert by_code(client, uri, "B602") is not None
