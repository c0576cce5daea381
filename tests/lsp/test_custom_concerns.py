"""A concern the project defines, from the editor: the server lists it for the clients' pickers and boards, runs
it as an agent of its own, and offers it as a refactor goal."""

import pytest
from lsprotocol import types
from manyeyes.devtools.fake_provider import Reply

from tests.lsp.helpers import by_code, command, open_document, review_file

PAGE = """def render_banner(user):
    html = '<img src="/banner.png">'
    return html + user.name
"""
MISSING_ALT = {
    "title": "Image without alt text",
    "severity": "high",
    "confidence": 0.8,
    "line": 2,
    "quote": """html = '<img src="/banner.png">'""",
}


@pytest.fixture
def init_options(model_options):
    settings = model_options["settings"]
    settings["customConcerns"] = {
        "accessibility": {"prompt": "a11y.md", "severity": "medium", "refactorGoal": "missing alt texts"},
        "licensing": {"prompt": "missing.md"},
    }
    settings["voting"] = "off"
    return model_options


@pytest.mark.asyncio
async def test_the_server_lists_runs_and_offers_a_projects_concern(client, ws, fake):
    (ws / "a11y.md").write_text("Look for images without alt text.")
    listed = await command(client, "manyeyes.concerns")
    by_name = {c["name"]: c for c in listed["concerns"]}
    assert list(by_name) == ["security", "performance", "readability", "tests", "accessibility"]
    assert by_name["accessibility"] == {
        "name": "accessibility",
        "description": "the project's own concern, briefed in a11y.md",
        "builtIn": False,
        "enabled": True,
        "refactorGoal": True,
        "source": "project",
    }
    assert "concern licensing: its prompt missing.md cannot be read" in listed["notes"][0]

    fake.script("accessibility", Reply(findings=[MISSING_ALT]))
    uri = open_document(client, ws / "page.py", PAGE)
    board = await review_file(client, uri)
    agent = next(a for a in board["agents"] if a["concern"] == "accessibility")
    assert (agent["state"], agent["findings"]) == ("done", 1)
    [diagnostic] = [d for d in client.diagnostics[uri] if d.message.startswith("accessibility:")]
    assert diagnostic.message == "accessibility: Image without alt text"
    assert diagnostic.severity == types.DiagnosticSeverity.Warning  # capped at medium by its definition
    assert "Look for images without alt text." in fake.requests_for("accessibility")[0]["messages"][1]["content"]

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=2, character=0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    titles = [a.title for a in actions]
    assert (
        "manyeyes: Refactor selection (accessibility)" in titles
        and "manyeyes: Refactor selection (licensing)" not in titles
    )
    with pytest.raises(
        Exception, match="the goal is 'all' or one of security, performance, readability, tests, accessibility"
    ):
        await command(
            client,
            "manyeyes.refactor.selection",
            uri,
            {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
            "licensing",
        )
    assert by_code(client, uri, "accessibility") is None  # a model finding without a rule: coded by its concern
