"""Review requests from the editor: the commands that start and cancel reviews, and publishing their findings
once they are known to still match the document. A review runs as a job (lsp/jobs.py): it answers at once with a
review id and reports progress and the board while it runs; a newer request for the same document, an edit to the
reviewed text, or the user's cancel stops it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import from_fs_path

from manyeyes.llm.errors import KEY_REJECTED
from manyeyes.lsp import convert, diagnostics, jobs, snapshots
from manyeyes.lsp.server import ManyeyesServer
from manyeyes.lsp.session import Folder, ReviewedFile, RunningReview, file_path
from manyeyes.vocabulary import ReviewKind

if TYPE_CHECKING:  # the engine is imported by the first review, not at start
    from manyeyes.models import ReviewRequest, ReviewResult

log = logging.getLogger(__name__)


def register(server: ManyeyesServer) -> None:
    @server.command("manyeyes.review.file")
    async def review_file(ls: ManyeyesServer, *args):
        uri = convert.uri_argument(args, 0, "manyeyes.review.file")
        return await start_review(ls, [uri], ReviewKind.files)

    @server.command("manyeyes.review.selection")
    async def review_selection(ls: ManyeyesServer, *args):
        uri = convert.uri_argument(args, 0, "manyeyes.review.selection")
        selection = convert.range_argument(args, 1, "manyeyes.review.selection")
        return await start_review(ls, [uri], ReviewKind.selection, convert.range_to_lines(selection))

    @server.command("manyeyes.review.changes")
    async def review_changes(ls: ManyeyesServer, *args):
        if not ls.session.trusted:
            raise JsonRpcInvalidParams(
                "reviewing git changes needs a trusted workspace (git can run the repository's own commands)"
            )
        return await start_review(ls, [], ReviewKind.diff, folder=changes_folder(ls.session, args))

    @server.command("manyeyes.review.cancel")
    def review_cancel(ls: ManyeyesServer, *args):
        uri = args[0] if args and isinstance(args[0], str) else None
        cancelled = [r.review_id for r in list(ls.session.runs.values()) if uri is None or uri in r.uris]
        for review_id in cancelled:
            ls.session.cancel(review_id)
        return {"cancelled": cancelled}

    @server.command("manyeyes.agent.cancel")
    def agent_cancel(ls: ManyeyesServer, *args):
        if len(args) < 2 or not all(isinstance(a, str) for a in args[:2]):
            raise JsonRpcInvalidParams("manyeyes.agent.cancel needs a reviewId and an agent id")
        review = ls.session.runs.get(args[0])
        # One agent stops; the others finish and the review is synthesized from what they found.
        return {"cancelled": review is not None and review.run.cancel_agent(args[1])}

    @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def progress_cancelled(ls: ManyeyesServer, params: types.WorkDoneProgressCancelParams):
        if isinstance(params.token, str) and params.token in ls.session.runs:
            ls.session.cancel(params.token)


def changes_folder(session, args: tuple) -> Folder:
    """The folder whose git changes to review: the one holding the URI given (a folder's, or a file's in it), or
    the only one open."""
    if args and args[0] is not None:
        uri = convert.uri_argument(args, 0, "manyeyes.review.changes")
        folder = session.folder_of(uri)
        if folder.root is None:
            raise JsonRpcInvalidParams(f"{uri} is in no workspace folder")
        return folder
    if not session.folders:
        raise JsonRpcInvalidParams("no workspace folder is open")
    if len(session.folders) > 1:
        names = ", ".join(f.name for f in session.folders)
        raise JsonRpcInvalidParams(f"{len(session.folders)} workspace folders are open ({names}): give the URI of one")
    return session.folders[0]


async def start_review(
    server, uris: list[str], kind: ReviewKind, lines: tuple[int, int] | None = None, folder: Folder | None = None
) -> dict:
    """Review documents (`uris`, each reviewed in its folder, with its folder's settings) or, with `folder`, that
    folder's git changes."""
    session = server.session
    await session.settled()
    folder = folder or session.folder_of(uris[0])
    for uri in uris:
        for running in session.runs_for(uri):
            server.session.cancel(running.review_id)  # superseded by this request
    taken = {uri: snapshots.snapshot(server, uri) for uri in uris}
    request = build_request(server, kind, taken, lines, folder)
    from manyeyes.engine import ReviewRun

    settings = session.settings_for(folder)
    run = ReviewRun(request, settings, cache=session.cache_for(settings))
    review = RunningReview(session.next_review_id(), uris, run, folder, lines=lines)
    return await jobs.start(server, review, "manyeyes review", _work(server, review, taken))


def build_request(server: ManyeyesServer, kind: ReviewKind, taken: dict, lines, folder: Folder) -> ReviewRequest:
    """The engine's request for documents as they were taken (`taken`: URI -> (version, text)), each named by its
    URI; a review of changes also gets every open document, whose unsaved text may be a change."""
    from manyeyes.models import DocumentSource, ReviewRequest
    from manyeyes.plan.documents import relative_to_workspace

    sources = {
        uri: DocumentSource(key=uri, path=snapshots.reviewed_path(server, uri), text=text)
        for uri, (_, text) in taken.items()
    }
    if kind is ReviewKind.diff:
        for uri, document in server.workspace.text_documents.items():
            path = _path_of(uri)  # an untitled buffer has none
            if path and uri not in sources:
                sources[uri] = DocumentSource(key=uri, path=Path(path), text=document.source)
    paths = [sources[uri].path for uri in taken]
    workspace = folder.root
    if workspace is None or any(relative_to_workspace(p, workspace) is None for p in paths):
        workspace = paths[0].parent  # a file opened from outside the workspace folders is still reviewable
    return ReviewRequest(
        kind=kind,
        workspace=workspace,
        paths=paths,
        lines=lines,
        sources=list(sources.values()),
        trusted=server.session.trusted,
    )


def _path_of(uri: str) -> str | None:
    """The file system path of a file: URI, or None for any other document (untitled, a diff view, ...)."""
    path = file_path(uri)
    return str(path) if path else None


def _work(server: ManyeyesServer, review: RunningReview, taken: dict) -> jobs.Work:
    async def work(reporter: jobs.Reporter) -> str:
        review.run.on_phase(reporter.phase)
        result = await review.run.execute()
        uri_of = _uri_resolver(result, review.run.request.workspace)
        for step in result.after_agents():  # verification, fix repairs: not agents' calls, still the board's totals
            reporter.board.charge(step.prompt_tokens + step.completion_tokens, step.cost_usd)
        if result.verification:
            reporter.results["verification"] = convert.verification_json(result.verification, uri_of)
        if result.consensus:
            reporter.results["consensus"] = result.consensus.model_dump(mode="json", by_alias=True)
        if result.instructions:  # the project's instruction files, where they applied and what they changed
            reporter.results["instructions"] = [use.model_dump(mode="json") for use in result.instructions]
        published, changed = _store_and_publish(server, review, uri_of, result)
        _tell_about_keys(server, result)
        shown = sum(len(v) for v in published.values())
        reporter.results["findings"] = shown  # merged and verified, not the agents' raw count
        return summary(result, shown, changed)

    return work


def summary(result: ReviewResult, shown: int, changed: list[str] = ()) -> str:
    parts = [f"{shown} finding(s)"]
    if changed:
        parts.append(f"not published, edited during the review (review again): {', '.join(changed[:3])}")
    if result.verification and result.verification.rejected:
        parts.append(f"{len(result.verification.rejected)} rejected by verification")
    if result.failed:
        parts.append(f"{len(result.failed)} agent(s) failed")
    parts.extend(f"not reviewed: {n.path}: {n.reason}" for n in result.not_reviewed[:3])
    return ", ".join(parts)


_KEY_PROBLEMS = (KEY_REJECTED, "no API key")


def _tell_about_keys(server: ManyeyesServer, result: ReviewResult) -> None:
    """A missing or rejected API key is the user's to fix: say so once, not once per agent."""
    for outcome in result.failed:
        if outcome.error and outcome.error.startswith(_KEY_PROBLEMS):
            jobs.show_once(server, f"manyeyes: the model call for {outcome.agent} failed: {outcome.error}")
            return


def _store_and_publish(
    server: ManyeyesServer, review: RunningReview, uri_of, result: ReviewResult
) -> tuple[dict, list[str]]:
    """Keep and publish the findings of every reviewed file whose text is still the text that was reviewed, with
    the version that text has now; returns what was published by URI, and the files edited meanwhile."""
    by_path: dict[str, list] = {rel: [] for rel in result.reviewed}
    for finding in result.consolidated:
        by_path.setdefault(finding.path, []).append(finding)
    published, changed = {}, []
    for rel, findings in by_path.items():
        uri, text = uri_of(rel), result.texts.get(rel)
        current, version = snapshots.current_version(server, uri, text) if text is not None else (False, None)
        if not current:
            log.info("%s changed during its review; results not published", uri)
            changed.append(rel)
            continue
        server.session.files[uri] = _reviewed_file(server, uri, version, text, findings, review.lines)
        published[uri] = diagnostics.publish(server, uri)
    return published, changed


def _reviewed_file(server: ManyeyesServer, uri: str, version, text: str, findings: list, lines) -> ReviewedFile:
    """A selection review replaces what was known inside the selection and keeps the rest, when the rest was
    found on this same text."""
    previous = server.session.files.get(uri)
    if lines and previous is not None and previous.text == text:
        outside = [f for f in previous.findings if f.span.end_line < lines[0] or f.span.start_line > lines[1]]
        findings = outside + findings
    return ReviewedFile(uri=uri, version=version, text=text, findings=findings)


def _uri_resolver(result: ReviewResult, workspace: Path):
    """Reviewed path -> the document's URI: the one the review was given for it, else (a changed file the editor
    does not have open) the file's own."""

    def uri_of(rel: str) -> str:
        return result.keys.get(rel) or from_fs_path(str((workspace / rel).resolve()))

    return uri_of
