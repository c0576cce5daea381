"""What the editor asks about findings: hovers, code actions (quick fixes, dismiss, review a selection), and
the dismiss command.

A quick fix is offered only while the document is still the version that was reviewed and the text under the
fix is unchanged; otherwise it is withheld (a re-review recomputes it), never applied to moved text. The edit is
a versioned document edit, so the editor refuses it too if the document changed after the action was computed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from manyeyes.lsp import convert, diagnostics, refactors, snapshots
from manyeyes.lsp.server import ManyeyesServer
from manyeyes.lsp.session import ReviewedFile
from manyeyes.safety import plain

if TYPE_CHECKING:
    from manyeyes.models import Finding

DISMISS_COMMAND = "manyeyes.dismiss"
REVIEW_SELECTION_KIND = "source.manyeyes.reviewSelection"


def register(server: ManyeyesServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: ManyeyesServer, params: types.HoverParams):
        reviewed = _current_review(ls, params.text_document.uri)
        if reviewed is None:
            return None
        findings = [f for f in _visible(ls, reviewed.uri) if _contains(f, params.position, reviewed, ls.encoding)]
        if not findings:
            return None
        text = "\n\n---\n\n".join(convert.hover_markdown(f) for f in findings)
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, REVIEW_SELECTION_KIND, refactors.KIND]
        ),
    )
    def code_action(ls: ManyeyesServer, params: types.CodeActionParams):
        uri = params.text_document.uri
        actions = _finding_actions(ls, uri, params.range)
        if params.range.start != params.range.end:
            actions.append(
                types.CodeAction(
                    title="manyeyes: Review selection",
                    kind=REVIEW_SELECTION_KIND,
                    command=types.Command(
                        title="Review selection",
                        command="manyeyes.review.selection",
                        arguments=[uri, convert.range_json(params.range)],
                    ),
                )
            )
        return actions + refactors.refactor_actions(ls, uri, params.range)

    @server.command(DISMISS_COMMAND)
    def dismiss(ls: ManyeyesServer, *args):
        from manyeyes.synthesis.suppressions import add_suppression

        if len(args) not in (2, 3) or not all(isinstance(a, str) for a in args):
            raise JsonRpcInvalidParams(
                f"{DISMISS_COMMAND} needs a document URI, a finding fingerprint and optionally the reason"
            )
        uri, fingerprint, reason = (*args, "")[:3]
        finding = ls.session.finding(uri, fingerprint)
        if finding is None:
            raise JsonRpcInvalidParams(f"no finding {fingerprint} in {uri}")
        folder = ls.session.folder_of(uri)  # a finding belongs to the folder of its file
        add_suppression(folder.root or _parent(uri), finding, reason)  # with a reason, later reviews learn from it
        folder.suppressed.add(fingerprint)
        diagnostics.publish(ls, uri)
        return {"dismissed": fingerprint}


def _finding_actions(server: ManyeyesServer, uri: str, wanted: types.Range) -> list[types.CodeAction]:
    reviewed = server.session.files.get(uri)
    if reviewed is None:
        return []
    actions = []
    lines = reviewed.lines
    for finding in _visible(server, uri):
        diagnostic = convert.diagnostic(finding, lines, server.encoding, reviewed.version)
        if not _ranges_touch(diagnostic.range, wanted):
            continue
        fix = _fix_action(server, reviewed, finding, diagnostic)
        if fix is not None:
            actions.append(fix)
        actions.append(
            types.CodeAction(
                title=convert.action_title(f"Dismiss '{plain.one_line(finding.title, 60)}'"),
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                command=types.Command(title="Dismiss", command=DISMISS_COMMAND, arguments=[uri, finding.fingerprint]),
            )
        )
    return actions


def _fix_action(
    server: ManyeyesServer, reviewed: ReviewedFile, finding: Finding, diagnostic
) -> types.CodeAction | None:
    if finding.fix is None or not fix_is_current(server, reviewed, finding):
        return None
    edit = convert.text_edit(finding.fix, reviewed.lines, server.encoding)
    document_edit = types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=reviewed.uri, version=reviewed.version),
        edits=[edit],
    )
    by_model = finding.fix.by_model or finding.fix.source is None  # unknown authorship is not trusted
    return types.CodeAction(
        title=convert.action_title(finding.fix.description or "Fix: " + finding.title),
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=types.WorkspaceEdit(document_changes=[document_edit]),
        is_preferred=finding.fix.safe and not by_model,  # only a tool's own safe fix is applied without a look
        tags=[types.CodeActionTag.LlmGenerated] if by_model else None,
    )


def fix_is_current(server: ManyeyesServer, reviewed: ReviewedFile, finding: Finding) -> bool:
    """The document is open and still has exactly the text the fix was computed on."""
    return (
        snapshots.open_document(server, reviewed.uri) is not None and _current_review(server, reviewed.uri) is not None
    )


def _current_review(server: ManyeyesServer, uri: str) -> ReviewedFile | None:
    """The review of a document, if it still describes the document's text. The same text under a newer version
    (an edit undone) is still described: the review takes the new version, so its edits carry it."""
    reviewed = server.session.files.get(uri)
    if reviewed is None:
        return None
    current, version = snapshots.current_version(server, uri, reviewed.text)
    if not current:
        return None
    if version is not None:
        reviewed.version = version
    return reviewed


def _visible(server: ManyeyesServer, uri: str) -> list[Finding]:
    visible = server.session.visible(uri)
    return visible.findings if visible else []


def _contains(finding: Finding, position: types.Position, reviewed: ReviewedFile, encoding: str) -> bool:
    found = convert.span_to_range(finding.span, reviewed.lines, encoding)
    return _ranges_touch(found, types.Range(start=position, end=position))


def _ranges_touch(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _parent(uri: str) -> Path:
    return Path(to_fs_path(uri)).parent
