"""A client that pulls diagnostics and supports refresh gets refreshes instead of pushed diagnostics."""

import attrs
import pytest
from lsprotocol import types

from tests.lsp.helpers import open_document, review_file


@pytest.fixture
def adjust_capabilities():
    def with_pull(capabilities: types.ClientCapabilities) -> types.ClientCapabilities:
        document = attrs.evolve(capabilities.text_document, diagnostic=types.DiagnosticClientCapabilities())
        workspace = attrs.evolve(
            capabilities.workspace, diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
        )
        return attrs.evolve(capabilities, text_document=document, workspace=workspace)

    return with_pull


@pytest.mark.asyncio
async def test_pull_client_is_refreshed_and_pulls_the_findings(client, ws):
    uri = open_document(client, ws / "app.py", "import pickle\n\n\ndef load(b):\n    return pickle.loads(b)\n")
    await review_file(client, uri)
    assert client.diagnostic_refresh_count >= 1
    assert uri not in client.diagnostics  # nothing pushed
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert "B301" in {d.code for d in report.items}
