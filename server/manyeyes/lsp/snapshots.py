"""A review reads documents; the editor keeps editing them. A snapshot is a document as the editor has it (unsaved
text included), or, when it is not open, as it is on disk; results are positioned against the text that was read,
so they are kept and published only while the document still has exactly that text (`current_version`). Files the
editor does not have open are read from disk only when they are regular files inside the workspace, and never past
max_file_bytes (safety/reading.py): `file:///dev/zero`, a FIFO or a directory is refused with the reason.
A document with no file (an untitled buffer) is reviewed while the editor has it open, under a name made from its
URI and language in a folder of its own (`reviewed_path`).
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from manyeyes.lsp.documents import MAX_DOCUMENT_CHARS, NOT_TRACKED
from manyeyes.lsp.server import ManyeyesServer
from manyeyes.lsp.session import file_path
from manyeyes.plan.languages import language_of, suffix_of_language_id
from manyeyes.safety import reading

if TYPE_CHECKING:
    from pygls.workspace import TextDocument


def open_document(server: ManyeyesServer, uri: str) -> TextDocument | None:
    """The document the editor has open under this URI (pygls keys them unquoted), or None."""
    return server.workspace.text_documents.get(unquote(uri))


def snapshot(server: ManyeyesServer, uri: str) -> tuple[int | None, str]:
    """The document as the editor has it (unsaved text included), or, when it is not open, as it is on disk: a
    regular file inside the workspace, within max_file_bytes. Anything else is refused with the reason."""
    document = open_document(server, uri)
    if document is not None:
        return document.version, document.source
    if uri in server.protocol.untracked:
        raise JsonRpcInvalidParams(f"{uri} is not reviewed: " + NOT_TRACKED.format(MAX_DOCUMENT_CHARS))
    if file_path(uri) is None:
        raise JsonRpcInvalidParams(f"{uri} is not reviewed: not a file: URI, and not open in the editor")
    folder = server.session.folder_of(uri)
    if folder.root is None:
        raise JsonRpcInvalidParams(f"{uri} is not reviewed: not open in the editor, outside the workspace folders")
    try:
        path = Path(to_fs_path(uri) or "")
        return None, reading.read_text(path, server.session.settings_for(folder).max_file_bytes, root=folder.root)
    except reading.Unreadable as exc:
        raise JsonRpcInvalidParams(f"{uri} is not reviewed: {exc.reason}") from None


def current_version(server: ManyeyesServer, uri: str, reviewed_text: str) -> tuple[bool, int | None]:
    """Whether results computed on `reviewed_text` still describe the document, and the version they then
    belong to (None for a file the editor does not have open: what was read from disk is what was reviewed)."""
    document = open_document(server, uri)
    if document is None:
        return True, None
    return document.source == reviewed_text, document.version


def reviewed_path(server: ManyeyesServer, uri: str) -> Path:
    """The path a document is reviewed under: its file's, or for a document with none (`untitled:Untitled-1`) a
    name in an empty folder of the server's own, with the suffix of its language (Untitled-1.py), so the planner
    and the analyzers read it as what it is. Nothing is written there: reviews read the editor's text."""
    path = file_path(uri)
    if path is not None:
        return path
    # Letters, digits, "_", "-" and inner dots only: no "..", no hidden name, nothing that leaves the folder.
    name = re.sub(r"[^\w.-]", "_", unquote(urlsplit(uri).path).rsplit("/", 1)[-1])[:100].lstrip(".") or "untitled"
    document = open_document(server, uri)
    suffix = suffix_of_language_id(document.language_id) if document and document.language_id else None
    if suffix and language_of(Path(name)) is None:
        name += suffix
    return _untitled_folder() / name


@cache
def _untitled_folder() -> Path:
    """An empty folder, the workspace of untitled documents' reviews: no project files, no tests, no git."""
    folder = Path(tempfile.mkdtemp(prefix="manyeyes-untitled-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
