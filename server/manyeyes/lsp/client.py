"""What the editor said at `initialize` it can do, worked out once: every feature that depends on the client asks
here, not the raw capabilities (which are deep, optional and spelled differently by every client)."""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types


@dataclass(frozen=True)
class ClientFeatures:
    pulls_diagnostics: bool = False  # push unless the client pulls with refresh
    work_done_progress: bool = False  # a review shows cancellable progress
    configuration: bool = False  # settings are asked for with workspace/configuration
    annotated_edits: bool = False  # a refactor is sent as an edit the editor previews before applying

    @classmethod
    def of(cls, capabilities: types.ClientCapabilities) -> ClientFeatures:
        document, workspace, window = capabilities.text_document, capabilities.workspace, capabilities.window
        edit = workspace.workspace_edit if workspace else None
        # Pull only with refresh: without it the client would never learn that a review has finished.
        refresh = workspace.diagnostics.refresh_support if workspace and workspace.diagnostics else False
        return cls(
            pulls_diagnostics=bool(document and document.diagnostic and refresh),
            work_done_progress=bool(window and window.work_done_progress),
            configuration=bool(workspace and workspace.configuration),
            annotated_edits=bool(edit and edit.change_annotation_support and edit.document_changes),
        )
