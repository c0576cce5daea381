"""Reviews of the workspace's git changes, trust, and review on save."""

import subprocess

import pytest
from lsprotocol import types

from tests.lsp.helpers import change_document, command, open_document

OLD = "import subprocess\n\n\ndef old(cmd):\n    subprocess.call(cmd, shell=True)\n"
NEW = OLD + "\n\ndef new(cmd):\n    return eval(cmd)\n"


def git(cwd, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True, capture_output=True
    )


@pytest.fixture
def repo(ws):
    (ws / "mod.py").write_text(OLD)
    git(ws, "init", "-q")
    git(ws, "add", ".")
    git(ws, "commit", "-qm", "base")
    (ws / "mod.py").write_text(NEW)
    (ws / "fresh.py").write_text("import pickle\n\n\ndef load(b):\n    return pickle.loads(b)\n")
    return ws


@pytest.mark.asyncio
async def test_review_changes_publishes_diagnostics_on_each_changed_file(client, repo):
    unsaved = NEW + "\n\ndef typed(x):\n    return exec(x)\n"  # the editor's buffer, not yet saved
    mod = open_document(client, repo / "mod.py", NEW)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=mod, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=unsaved)],
        )
    )
    (repo / "mod.py").write_text(NEW)
    started = await command(client, "manyeyes.review.changes")
    await client.boards.finished(started["reviewId"])
    mod_codes = {d.code for d in client.diagnostics[mod]}
    assert "B307" in mod_codes and "B102" in mod_codes  # eval in the change, exec in the unsaved buffer
    assert "B602" not in mod_codes  # unchanged code is not reviewed
    fresh = (repo / "fresh.py").as_uri()
    assert "B301" in {d.code for d in client.diagnostics[fresh]}


@pytest.mark.asyncio
async def test_an_unsaved_edit_to_a_clean_file_is_a_change(client, repo):
    (repo / "clean.py").write_text(OLD)
    git(repo, "add", "clean.py")
    git(repo, "commit", "-qm", "clean")  # on disk as committed: git lists no change to it
    clean = open_document(client, repo / "clean.py", OLD)
    change_document(client, clean, OLD + "\n\ndef typed(x):\n    return exec(x)\n", version=2)  # not saved
    started = await command(client, "manyeyes.review.changes")
    board = await client.boards.finished(started["reviewId"])
    assert {a["target"].split(":")[0] for a in board["agents"]} == {"mod.py", "fresh.py", "clean.py"}
    clean_codes = {d.code for d in client.diagnostics[clean]}
    assert "B102" in clean_codes and "B602" not in clean_codes  # the unsaved exec only, not the committed code
