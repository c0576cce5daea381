import pytest
from lsprotocol import types

from tests.lsp.helpers import open_document


@pytest.fixture
def init_options():
    return {"settings": {"reviewOnSave": True, "concerns": ["security"]}}


@pytest.mark.asyncio
async def test_saving_reviews_once_after_a_burst_of_saves(client, ws):
    uri = open_document(client, ws / "app.py", "import pickle\n\n\ndef load(b):\n    return pickle.loads(b)\n")
    for _ in range(3):
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert "B301" in {d.code for d in client.diagnostics[uri]}
    review_ids = {b["reviewId"] for b in client.boards.received}
    assert len(review_ids) == 1  # debounced: three saves, one review
