"""Refactor requests from the editor: a selection and a goal in, a checked rewrite out, offered as an edit the
editor previews before applying (a change annotation that needs confirmation).

The refactor runs like a review (own task, progress, board, cancellable). When it is done the rewrite is kept
for the document version it was made for: the editor gets it through `workspace/applyEdit` when it supports
change annotations (so it shows a preview), and as a refactor code action on the selection either way.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from manyeyes.lsp import convert, jobs, reviews, snapshots
from manyeyes.lsp.server import ManyeyesServer
from manyeyes.lsp.session import RunningReview, StoredRefactor
from manyeyes.safety import plain
from manyeyes.vocabulary import Concern, ReviewKind

if TYPE_CHECKING:
    from manyeyes.rewrite.refactor import RefactorResult

log = logging.getLogger(__name__)
COMMAND = "manyeyes.refactor.selection"
ANNOTATION = "manyeyes-refactor"
KIND = types.CodeActionKind.RefactorRewrite


def register(server: ManyeyesServer) -> None:
    @server.command(COMMAND)
    async def refactor_selection(ls: ManyeyesServer, *args):
        uri = convert.uri_argument(args, 0, COMMAND)
        selection = convert.range_argument(args, 1, COMMAND)
        await ls.session.settled()
        goal = parse_goal(args[2] if len(args) > 2 else "all", refactor_goals(ls, uri))
        return await start_refactor(ls, uri, convert.range_to_lines(selection), goal)


def parse_goal(value, goals: list[Concern]) -> list[Concern]:
    """'all' (every concern that is a refactor goal here) or one of them."""
    if value in (None, "all"):
        return goals
    chosen = next((c for c in goals if c.value == value), None)
    if chosen is None:
        names = ", ".join(c.value for c in goals)
        raise JsonRpcInvalidParams(f"{COMMAND}: the goal is 'all' or one of {names}, not {value!r}")
    return [chosen]


def refactor_goals(server: ManyeyesServer, uri: str) -> list[Concern]:
    """The running concerns a refactor of this document can aim at: the built-in four and its folder's own that
    name a goal."""
    folder = server.session.folder_of(uri)
    registry = server.session.concerns(folder)
    return [spec.name for spec in registry.enabled(server.session.settings_for(folder)) if spec.refactor_goal]


async def start_refactor(server: ManyeyesServer, uri: str, lines: tuple[int, int], goal: list[Concern]) -> dict:
    session = server.session
    version, text = snapshots.snapshot(server, uri)
    folder = session.folder_of(uri)
    request = reviews.build_request(server, ReviewKind.selection, {uri: (version, text)}, lines, folder)
    from manyeyes.rewrite.refactor import RefactorRun

    run = RefactorRun(request, session.settings_for(folder), goal)
    job = RunningReview(session.next_review_id(), [uri], run, folder, lines=lines)
    return await jobs.start(server, job, "manyeyes refactor", _work(server, job, uri, version, text))


def _work(server: ManyeyesServer, job: RunningReview, uri: str, version: int | None, text: str) -> jobs.Work:
    async def work(reporter: jobs.Reporter) -> str:
        result = await job.run.execute()
        spent = result.after_agents  # merging and repairing the proposals: not agents' calls, still the board's
        reporter.board.charge(spent.tokens, spent.cost_usd)
        return await _offer(server, uri, version, text, result)

    return work


async def _offer(server: ManyeyesServer, uri: str, version: int | None, text: str, result: RefactorResult) -> str:
    if result.code is None:
        return f"no refactor offered: {result.problem}"
    if snapshots.current_version(server, uri, text) != (True, version):
        return "no refactor offered: the document changed while it was being refactored"
    stored = StoredRefactor(
        uri=uri,
        version=version,
        start=result.start,
        end=result.end,
        code=result.code,
        summary=plain.one_line(result.summary, 200),  # a model's words: shown as a title and in the preview
        from_model=result.from_model,
    )
    server.session.refactors[uri] = stored
    if server.session.features.annotated_edits:
        # The editor's preview waits for the user: the run ends when the rewrite is offered, not when it is applied.
        jobs.spawn(server, _propose(server, stored, text))
    return f"refactor ready: {stored.summary or 'rewrite checked'}"


async def _propose(server: ManyeyesServer, stored: StoredRefactor, text: str) -> None:
    try:
        answer = await server.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=workspace_edit(server, stored, text), label="manyeyes refactor")
        )
        log.info("refactor edit %s", "applied" if answer and answer.applied else "not applied")
    except Exception as exc:  # the editor refused or went away: the code action still offers the rewrite
        log.warning("refactor edit not sent: %s", exc)


def workspace_edit(server: ManyeyesServer, stored: StoredRefactor, text: str) -> types.WorkspaceEdit:
    """The rewrite of lines start..end as one edit, annotated so the editor asks before applying it."""
    from manyeyes.plan.documents import split_lines

    lines = split_lines(text)
    first, last, code = changed_block(lines[stored.start - 1 : stored.end], stored.code.split("\n"))
    whole = types.Range(
        start=convert.position(lines, stored.start + first, 1, server.encoding),
        end=convert.position(lines, stored.start + last, 0, server.encoding),
    )
    annotated = server.session.features.annotated_edits
    edit = (
        types.AnnotatedTextEdit(range=whole, new_text=code, annotation_id=ANNOTATION)
        if annotated
        else types.TextEdit(range=whole, new_text=code)
    )
    document = types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=stored.uri, version=stored.version),
        edits=[edit],
    )
    annotations = (
        {
            ANNOTATION: types.ChangeAnnotation(
                label="manyeyes refactor", needs_confirmation=True, description=stored.summary
            )
        }
        if annotated
        else None
    )
    return types.WorkspaceEdit(document_changes=[document], change_annotations=annotations)


def changed_block(old: list[str], new: list[str]) -> tuple[int, int, str]:
    """The lines that differ, without the unchanged ones around them, so a preview shows only what changes:
    (first, last) old line offsets (0-based, inclusive) and their replacement. The whole block when the change is
    a pure insertion or deletion, which has no line of its own to replace."""
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    if head + tail >= min(len(old), len(new)):
        return 0, len(old) - 1, "\n".join(new)
    return head, len(old) - 1 - tail, "\n".join(new[head : len(new) - tail])


def refactor_actions(server: ManyeyesServer, uri: str, wanted: types.Range) -> list[types.CodeAction]:
    """The ready rewrite for this selection, if still current; and the commands that start new ones."""
    actions = []
    stored = server.session.refactors.get(uri)
    document = snapshots.open_document(server, uri)
    first, last = convert.range_to_lines(wanted)
    if stored and document and document.version == stored.version and first <= stored.end and stored.start <= last:
        actions.append(
            types.CodeAction(
                title=convert.action_title(f"Apply refactor ({stored.summary[:80] or 'checked rewrite'})"),
                kind=KIND,
                edit=workspace_edit(server, stored, document.source),
                tags=[types.CodeActionTag.LlmGenerated] if stored.from_model else None,
            )
        )
    if wanted.start != wanted.end:
        for goal in ["all", *(c.value for c in refactor_goals(server, uri))]:
            label = "all concerns" if goal == "all" else goal
            actions.append(
                types.CodeAction(
                    title=f"manyeyes: Refactor selection ({label})",
                    kind=KIND,
                    command=types.Command(
                        title="Refactor selection",
                        command=COMMAND,
                        arguments=[uri, convert.range_json(wanted), goal],
                    ),
                )
            )
    return actions
