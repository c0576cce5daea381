"""Refactoring a selection from the editor: offline (the analyzers' fixes) and with models through the fake
provider, with the checks that stand between a proposal and the user."""

import json

import pytest
from lsprotocol import types
from manyeyes.devtools.fake_provider import Reply

from tests.lsp.helpers import apply_edits, command, encoding, open_document

SOURCE = """def totals(items, limit):
    out = []
    for item in items:
        out.append(item * 2)
    if limit == None:
        return out
    return out[:limit]
"""
SELECTION = {"start": {"line": 0, "character": 0}, "end": {"line": 6, "character": 22}}


async def refactor(client, uri, goal="all") -> dict:
    started = await command(client, "manyeyes.refactor.selection", uri, SELECTION, goal)
    return await client.boards.finished(started["reviewId"])


def annotated_edit(client, uri):
    """The rewrite the server sent with workspace/applyEdit (VS Code) or None (no annotation support)."""
    edits = [e.edit for e in client.applied_edits if e.edit.document_changes[0].text_document.uri == uri]
    return edits[-1] if edits else None


async def offered_rewrite(client, uri):
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=6, character=0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    return next((a for a in actions if getattr(a, "edit", None) is not None), None)


@pytest.fixture
def init_options(model_options):
    return model_options


def code(text: str, summary: str = "rewritten") -> Reply:
    return Reply(content=json.dumps({"code": text, "summary": summary}))


FAST = """def totals(items, limit):
    out = [item * 2 for item in items]
    if limit == None:
        return out
    return out[:limit]"""
CLEAR = """def totals(items, limit):
    out = []
    for item in items:
        out.append(item * 2)
    if limit is None:
        return out
    return out[:limit]"""
MERGED = """def totals(items, limit):
    out = [item * 2 for item in items]
    if limit is None:
        return out
    return out[:limit]"""


@pytest.mark.asyncio
async def test_model_proposals_are_merged_checked_and_tagged(client, ws, fake):
    fake.script("refactor-performance", code(FAST))
    fake.script("refactor-readability", code(CLEAR))
    fake.script("merge", code(MERGED, "comprehension and an identity check"))
    uri = open_document(client, ws / "app.py", SOURCE)
    board = await refactor(client, uri)
    assert board["message"] == "refactor ready: comprehension and an identity check"
    assert len(fake.requests_for("merge")) == 1
    action = await offered_rewrite(client, uri)
    assert list(action.tags) == [types.CodeActionTag.LlmGenerated]
    assert apply_edits(SOURCE, action.edit.document_changes[0].edits, encoding(client)) == MERGED + "\n"


@pytest.mark.asyncio
async def test_a_broken_proposal_is_repaired_once(client, ws, fake):
    fake.script("refactor-readability", code(CLEAR.replace("out[:limit]", "out[:limit")))
    fake.script("repair", code(CLEAR, "repaired"))
    uri = open_document(client, ws / "app.py", SOURCE)
    board = await refactor(client, uri, "readability")
    assert board["message"] == "refactor ready: repaired"
    assert "does not parse" in fake.requests_for("repair")[0]["messages"][1]["content"]
    agents = sum(agent["tokens"] for agent in board["agents"])
    assert agents > 0 and board["tokens"] > agents  # the repair call is on the board's total, not only the agent's


@pytest.mark.asyncio
async def test_a_proposal_that_stays_broken_is_reported_not_offered(client, ws, fake):
    broken = code(CLEAR.replace("limit is None", "undefined_name is None"))
    fake.script("refactor-readability", broken)
    fake.script("repair", broken)
    uri = open_document(client, ws / "app.py", SOURCE)
    board = await refactor(client, uri, "readability")
    assert board["message"].startswith("no refactor offered: the proposal was rejected: it lints worse")
    assert "F821" in board["message"]
    assert await offered_rewrite(client, uri) is None
    assert annotated_edit(client, uri) is None
