"""Results land on the text they describe: an edit during a review of the git changes never pairs the new version
with the old positions, and a quick fix is only offered for the exact text it was computed on."""

import pytest
from manyeyes.devtools.fake_provider import Reply

from tests.lsp.helpers import apply_edits, by_code, change_document, code_actions, command, encoding, open_document
from tests.lsp.test_workspace_features import git

COMMITTED = "import subprocess\n\n\ndef run(cmd):\n    return cmd\n"
ON_DISK = "import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n    return cmd\n"
INSERTED = "# one\n# two\n# three\n"


@pytest.fixture
def repo(ws):
    (ws / "app.py").write_text(COMMITTED)
    git(ws, "init", "-q")
    git(ws, "add", ".")
    git(ws, "commit", "-qm", "base")
    return ws


async def _review_changes_while_editing(client, repo) -> tuple[str, dict]:
    uri = open_document(client, repo / "app.py", ON_DISK)  # changed on disk since the commit
    started = await command(client, "manyeyes.review.changes")
    change_document(client, uri, INSERTED + ON_DISK, version=2)  # while the review runs
    return uri, await client.boards.finished(started["reviewId"])


async def _assert_nothing_lands_on_moved_text(client, uri: str) -> None:
    text = INSERTED + ON_DISK
    lines = text.split("\n")
    for diagnostic in client.diagnostics.get(uri, []):
        if diagnostic.code == "B602":  # wherever it is shown, it is on the shell call
            assert "subprocess.call" in lines[diagnostic.range.start.line]
        for action in await code_actions(client, uri, diagnostic):
            if getattr(action, "edit", None) is None:
                continue
            document_edit = action.edit.document_changes[0]
            assert document_edit.text_document.version == 2
            changed = apply_edits(text, document_edit.edits, encoding(client)).split("\n")
            assert changed[:4] == lines[:4]  # nothing written into the inserted lines or onto `def run`


@pytest.mark.asyncio
async def test_an_edit_during_review_changes_withholds_the_stale_results(client, repo):
    uri, board = await _review_changes_while_editing(client, repo)
    await _assert_nothing_lands_on_moved_text(client, uri)
    assert "edited during the review" in board["message"] and "app.py" in board["message"]
    assert by_code(client, uri, "B602") is None  # nothing was published for the old text

    started = await command(client, "manyeyes.review.changes")  # reviewed again: placed on the new text
    await client.boards.finished(started["reviewId"])
    shell = by_code(client, uri, "B602")
    assert shell is not None and shell.range.start.line == 7
    await _assert_nothing_lands_on_moved_text(client, uri)


@pytest.fixture
def init_options(request, model_options):
    return model_options if "model" in request.node.name else {}


@pytest.mark.asyncio
async def test_an_edit_during_a_model_review_of_changes_withholds_the_stale_results(client, repo, fake):
    fake.latency = 0.5  # every agent is still waiting on the model when the edit arrives
    fake.script(
        "security",
        Reply(
            findings=[
                {
                    "title": "Shell",
                    "severity": "high",
                    "quote": "subprocess.call(cmd, shell=True)",
                    "rule": "B602",
                    "fix": {"replacement": "    subprocess.call([cmd])", "description": "x"},
                }
            ]
        ),
    )
    uri, board = await _review_changes_while_editing(client, repo)
    await _assert_nothing_lands_on_moved_text(client, uri)
    assert "edited during the review" in board["message"]
    assert by_code(client, uri, "B602") is None


@pytest.mark.asyncio
async def test_an_undone_edit_keeps_the_review_and_its_fix(client, ws):
    source = "def f(x):\n    if x == None:\n        return 1\n"
    uri = open_document(client, ws / "m.py", source)
    started = await command(client, "manyeyes.review.file", uri)
    await client.boards.finished(started["reviewId"])
    change_document(client, uri, "\n" + source, version=2)
    change_document(client, uri, source, version=3)  # undone: the same text as reviewed
    none_check = by_code(client, uri, "E711")
    fix = next(a for a in await code_actions(client, uri, none_check) if getattr(a, "edit", None) is not None)
    assert fix.edit.document_changes[0].text_document.version == 3
