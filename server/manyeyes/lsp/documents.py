"""The editor's documents at the door: checking the URIs that name them, and applying the editor's edits only once
they are valid (and within the size the server tracks). What a review reads of them is lsp/snapshots.py's."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from lsprotocol import types
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)
# The most text one document may hold in the server (code points). Larger documents are not tracked: an editor
# never needs manyeyes to hold more, and a client that keeps growing one must not grow the server with it.
MAX_DOCUMENT_CHARS = 10_000_000
NOT_TRACKED = "over the server's size limit for a document ({:,} characters)"
_NAME_MAX, _PATH_MAX = 255, 4096  # bytes, Linux's limits: a longer name cannot be opened there (nor on macOS)


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
        log.warning("%s is %s; it is not tracked", uri, NOT_TRACKED.format(MAX_DOCUMENT_CHARS))
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
