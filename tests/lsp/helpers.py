"""Small client-side helpers for the language server tests."""

from __future__ import annotations

import ast

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient


def open_document(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
        )
    )
    return uri


def change_document(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def command(client: LanguageClient, name: str, *arguments):
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=list(arguments))
    )


async def review_file(client: LanguageClient, uri: str) -> dict:
    started = await command(client, "manyeyes.review.file", uri)
    return await client.boards.finished(started["reviewId"])


def encoding(client: LanguageClient) -> str:
    return client.init_result.capabilities.position_encoding or types.PositionEncodingKind.Utf16


def units(text: str, kind: str) -> int:
    if kind == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if kind == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def apply_edits(text: str, edits: list[types.TextEdit], kind: str) -> str:
    """Apply LSP text edits as an editor would, counting columns in the negotiated encoding."""
    lines = text.split("\n")

    def offset(position: types.Position) -> int:
        line = lines[position.line]
        chars, count = 0, 0
        while chars < len(line) and count < position.character:
            count += units(line[chars], kind)
            chars += 1
        return sum(len(l) + 1 for l in lines[: position.line]) + chars

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def code_actions(client: LanguageClient, uri: str, diagnostic: types.Diagnostic):
    return client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )


def by_code(client: LanguageClient, uri: str, code: str) -> types.Diagnostic | None:
    return next((d for d in client.diagnostics.get(uri, []) if d.code == code), None)


def command_of(action) -> str | None:
    """The command an action runs. lsprotocol's converter reads a CodeAction that carries a command back as a
    plain Command on the Python client side (real editors are not affected), so both shapes are accepted."""
    if isinstance(action, types.Command):
        text = action.command  # the nested command object, stringified by that converter
        return ast.literal_eval(text)["command"] if text.startswith("{") else text
    return action.command.command if action.command else None
