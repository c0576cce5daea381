"""Refactoring a selection from the editor with the offline panel: the analyzers' own fixes, checked."""

import pytest
from lsprotocol import types

from manyeyes.lsp.refactors import changed_block
from tests.lsp.helpers import apply_edits, encoding, open_document
from tests.lsp.test_refactor import SOURCE, annotated_edit, offered_rewrite, refactor


@pytest.mark.asyncio
async def test_offline_refactor_is_checked_and_offered_for_preview(client, ws):
    uri = open_document(client, ws / "app.py", SOURCE)
    board = await refactor(client, uri)
    assert board["message"].startswith("refactor ready")
    action = await offered_rewrite(client, uri)
    assert action.kind == types.CodeActionKind.RefactorRewrite and not action.tags
    document_edit = action.edit.document_changes[0]
    assert document_edit.text_document.version == 1
    rewritten = apply_edits(SOURCE, document_edit.edits, encoding(client))
    assert "out = [item * 2 for item in items]" in rewritten and "if limit is None:" in rewritten
    compile(rewritten, "app.py", "exec")
    sent = annotated_edit(client, uri)
    if client.editor == "visual-studio-code":  # it supports change annotations: the preview is sent at once
        assert sent.change_annotations["manyeyes-refactor"].needs_confirmation
        assert sent.document_changes[0].edits[0].annotation_id == "manyeyes-refactor"


def test_the_edit_covers_only_the_changed_lines():
    assert changed_block(["a", "b", "c"], ["a", "B", "c"]) == (1, 1, "B")
    assert changed_block(["a", "b", "c", "d"], ["a", "X", "Y", "d"]) == (1, 2, "X\nY")
    # a pure insertion or deletion has no line of its own: the whole block is replaced
    assert changed_block(["a", "c"], ["a", "b", "c"]) == (0, 1, "a\nb\nc")
    assert changed_block(["a", "b", "c"], ["a", "c"]) == (0, 2, "a\nc")
