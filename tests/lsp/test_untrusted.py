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


@pytest.mark.asyncio
async def test_an_untrusted_repository_cannot_dismiss_its_own_findings(client, ws):
    import json

    from manyeyes.models import Concern, Finding, Severity, Span
    from manyeyes.synthesis.fingerprint import fingerprint
    from tests.lsp.helpers import by_code

    source = "import pickle\n\n\ndef load(b):\n    return pickle.loads(b)\n"
    hit = Finding(
        path="app.py",
        concerns=[Concern.security],
        severity=Severity.high,
        confidence=0.9,
        title="x",
        span=Span(start_line=5, end_line=5),
        evidence="    return pickle.loads(b)",
        rules=["B301"],
    )
    (ws / ".manyeyes").mkdir()
    (ws / ".manyeyes" / "suppressions.jsonl").write_text(json.dumps({"fingerprint": fingerprint(hit)}) + "\n")
    uri = open_document(client, ws / "app.py", source)
    await review_file(client, uri)
    assert by_code(client, uri, "B301") is not None  # shown, with a note saying the repository dismissed it
