"""Diagnostics: pushed with `textDocument/publishDiagnostics`, or pulled when the client can pull and be told
to pull again (`workspace/diagnostic/refresh`). The mode is chosen once, from the capabilities at `initialize`.
"""

from __future__ import annotations

from lsprotocol import types

from manyeyes.lsp import convert
from manyeyes.lsp.server import ManyeyesServer


def register(server: ManyeyesServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="manyeyes", inter_file_dependencies=False, workspace_diagnostics=False),
    )
    def pull(ls: ManyeyesServer, params: types.DocumentDiagnosticParams):
        return types.RelatedFullDocumentDiagnosticReport(items=diagnostics_for(ls, params.text_document.uri))


def diagnostics_for(server: ManyeyesServer, uri: str) -> list[types.Diagnostic]:
    reviewed = server.session.files.get(uri)
    visible = server.session.visible(uri)
    if reviewed is None or visible is None:
        return []
    lines = reviewed.lines
    return [convert.diagnostic(f, lines, server.encoding, reviewed.version) for f in visible.findings]


def publish(server: ManyeyesServer, uri: str) -> list[types.Diagnostic]:
    """Make the client show the file's current findings; returns them."""
    diagnostics = diagnostics_for(server, uri)
    if server.session.features.pulls_diagnostics:
        server.workspace_diagnostic_refresh(None)
    else:
        reviewed = server.session.files.get(uri)
        version = reviewed.version if reviewed else None
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )
    return diagnostics


def clear(server: ManyeyesServer, uri: str) -> None:
    server.session.files.pop(uri, None)
    server.session.refactors.pop(uri, None)
    if server.session.features.pulls_diagnostics:
        server.workspace_diagnostic_refresh(None)
    else:
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
