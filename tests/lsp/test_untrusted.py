"""An untrusted workspace: no git subprocess, no workspace-sourced settings."""

import pytest

from tests.lsp.helpers import command, open_document, review_file


@pytest.fixture
def init_options():
    return {"trusted": False}


@pytest.mark.asyncio
async def test_untrusted_workspace_runs_no_git_and_ignores_its_settings(client, ws):
    (ws / ".manyeyes.toml").write_text('concerns = ["tests"]\n')
    with pytest.raises(Exception, match="needs a trusted workspace"):
        await command(client, "manyeyes.review.changes")
    uri = open_document(client, ws / "app.py", "import pickle\n\n\ndef load(b):\n    return pickle.loads(b)\n")
    board = await review_file(client, uri)
    assert len(board["agents"]) == 4  # the workspace's concerns = ["tests"] was not read
