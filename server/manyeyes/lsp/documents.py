"""The editor's documents: checking the URIs that name them, finding one by URI, taking a snapshot of it for a
review, checking that a result still describes its text, and applying the editor's edits only once they are
valid.

A review reads documents; the editor keeps editing them. Results are positioned against the text that was read,
so they are kept and published only while the document still has exactly that text (`current_version`). Files the
editor does not have open are read from disk only when they are regular files inside the workspace, and never
past max_file_bytes (safety/reading.py): `file:///dev/zero`, a FIFO or a directory is refused with the reason.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from manyeyes.safety import reading

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

log = logging.getLogger(__name__)
# The most text one document may hold in the server (code points). Larger documents are not tracked: an editor
# never needs manyeyes to hold more, and a client that keeps growing one must not grow the server with it.
MAX_DOCUMENT_CHARS = 10_000_000
_NOT_TRACKED = "over the server's size limit for a document ({:,} characters)"
_NAME_MAX, _PATH_MAX = 255, 4096  # bytes, Linux's limits: a longer name cannot be opened there (nor on macOS)


def open_document(server, uri: str) -> TextDocument | None:
    """The document the editor has open under this URI (pygls keys them unquoted), or None."""
    return server.workspace.text_documents.get(unquote(uri))


def snapshot(server, uri: str) -> tuple[int | None, str]:
    """The document as the editor has it (unsaved text included), or, when it is not open, as it is on disk: a
    regular file inside the workspace, within max_file_bytes. Anything else is refused with the reason."""
    document = open_document(server, uri)
    if document is not None:
        return document.version, document.source
    if uri in server.protocol.untracked:
        raise JsonRpcInvalidParams(f"{uri} is not reviewed: " + _NOT_TRACKED.format(MAX_DOCUMENT_CHARS))
    folder = server.session.folder_of(uri)
    if folder.root is None:
        raise JsonRpcInvalidParams(f"{uri} is not reviewed: not open in the editor, outside the workspace folders")
    try:
        path = Path(to_fs_path(uri) or "")
        return None, reading.read_text(path, server.session.settings_for(folder).max_file_bytes, root=folder.root)
    except reading.Unreadable as exc:
        raise JsonRpcInvalidParams(f"{uri} is not reviewed: {exc.reason}") from None


def current_version(server, uri: str, reviewed_text: str) -> tuple[bool, int | None]:
    """Whether results computed on `reviewed_text` still describe the document, and the version they then
    belong to (None for a file the editor does not have open: what was read from disk is what was reviewed)."""
    document = open_document(server, uri)
    if document is None:
        return True, None
    return document.source == reviewed_text, document.version


def uri_problem(uri: Any) -> str | None:
    """Why `uri` cannot name a document, or None. A NUL or a lone surrogate (raw, or a percent-encoded NUL) reaches
    the file system as an error in the middle of a handler; a URI without a scheme is no URI."""
    if not isinstance(uri, str) or not uri:
        return "is not a URI"
    if "\x00" in uri or not encodable(uri) or "\x00" in unquote(uri):  # unquote replaces bad UTF-8, no surrogates
        return "contains a NUL character or a lone surrogate"
    try:
        scheme = urlsplit(uri).scheme
    except ValueError:  # e.g. an unbalanced "[" in the authority
        return "is not a URI"
    return None if scheme else "has no scheme"


def file_uri_problem(uri: Any) -> str | None:
    """Why `uri` cannot name a local file to review, or None: it must also be a file: URI with an absolute path."""
    problem = uri_problem(uri)
    if problem:
        return problem
    if urlsplit(uri).scheme != "file":
        return "is not a file: URI (only files on disk can be reviewed)"
    path = to_fs_path(uri)
    if not path or not os.path.isabs(path):
        return "has no absolute path"
    if len(path.encode()) >= _PATH_MAX or any(len(part.encode()) > _NAME_MAX for part in path.split(os.sep)):
        return "names a path longer than file systems allow"  # no such file can exist; the planner would fail
    return None


def describe(value: Any) -> str:
    """A client's string (a URI, a method) as error messages and logs show it: as is when it is printable text,
    escaped otherwise (a lone surrogate cannot even be logged), and bounded."""
    text = value if isinstance(value, str) and value.isprintable() and encodable(value) else ascii(value)
    return text if len(text) <= 200 else text[:197] + "..."


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class CheckedTextSync:
    """Protocol mixin: didOpen and didChange are checked before they touch the text. A reversed range is put in
    order (pygls would otherwise duplicate the line each time), and a document that would grow past
    MAX_DOCUMENT_CHARS is dropped and remembered as untracked, so reviews of it say why."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.untracked: set[str] = set()  # URIs of documents dropped for their size

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        uri = params.text_document.uri
        if len(params.text_document.text) > MAX_DOCUMENT_CHARS:
            self._stop_tracking(uri)
            return
        self.untracked.discard(uri)
        yield from super().lsp_text_document__did_open(params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        uri = params.text_document.uri
        document = self.workspace.text_documents.get(unquote(uri))
        if document is None:
            return  # not open (or dropped as too large): there is no text to change
        params.content_changes = [_ordered(change) for change in params.content_changes]
        if _size_after(document.source, params.content_changes) > MAX_DOCUMENT_CHARS:
            self._stop_tracking(uri)
            return
        yield from super().lsp_text_document__did_change(params)

    def _stop_tracking(self, uri: str) -> None:
        log.warning("%s is %s; it is not tracked", uri, _NOT_TRACKED.format(MAX_DOCUMENT_CHARS))
        if self.workspace.text_documents.get(unquote(uri)) is not None:
            self.workspace.remove_text_document(uri)
        self.untracked.add(uri)


def _ordered(change: types.TextDocumentContentChangeEvent) -> types.TextDocumentContentChangeEvent:
    """A partial change whose range runs backwards, with its ends swapped."""
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return change
    start, end = change.range.start, change.range.end
    if (start.line, start.character) <= (end.line, end.character):
        return change
    return types.TextDocumentContentChangePartial(
        range=types.Range(start=end, end=start), text=change.text, range_length=change.range_length
    )


def _size_after(text: str, changes: list) -> int:
    """An upper bound of the document's length after the changes: text a partial change removes is not counted
    out, so the bound never needs the change applied first."""
    size = len(text)
    for change in changes:
        partial = isinstance(change, types.TextDocumentContentChangePartial)
        size = size + len(change.text) if partial else len(change.text)
    return size
