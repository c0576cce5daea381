"""The server's background work, with one owner. A review or a refactor is a job: started here as our own asyncio
task (a command answers at once with the job's id, never blocking the server), registered in the session while it
runs, reported as work-done progress and `manyeyes/board` notifications, ended with one message whatever happens,
and cancelled through the session (by the user, by a newer request for the same document, by an edit to the text
it reads). Every other task the server starts (a review on save, a rewrite waiting in the editor's preview) is
kept here too, so none is garbage-collected half-way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING

from lsprotocol import types

from manyeyes.errors import ManyeyesError
from manyeyes.lsp import convert
from manyeyes.lsp.server import ManyeyesServer
from manyeyes.lsp.session import RunningReview

if TYPE_CHECKING:
    from manyeyes.models import AgentOutcome
    from manyeyes.progress import Board

log = logging.getLogger(__name__)
BOARD_NOTIFICATION = "manyeyes/board"
BOARD_INTERVAL_S = 0.1
Work = Callable[["Reporter"], Awaitable[str]]  # does the job, returns the message it ends with


def spawn(server: ManyeyesServer, coroutine: Coroutine) -> asyncio.Task:
    """Run `coroutine` in the background, holding the task until it ends (the loop keeps only a weak reference)."""
    task = asyncio.get_running_loop().create_task(coroutine)
    server.session.background.add(task)
    task.add_done_callback(server.session.background.discard)
    return task


async def start(server: ManyeyesServer, job: RunningReview, title: str, work: Work) -> dict:
    """Register the job, give it a progress, run `work` in the background; the answer to the command."""
    server.session.runs[job.review_id] = job
    progress = await _begin_progress(server, job.review_id, title)
    job.task = spawn(server, _run(server, job, progress, work))
    return {"reviewId": job.review_id}


async def _begin_progress(server: ManyeyesServer, token: str, title: str) -> str | None:
    """A cancellable work-done progress for a run, when the client supports them; its token, or None."""
    if not server.session.features.work_done_progress:
        return None
    try:
        await server.work_done_progress.create_async(token)
    except Exception as exc:  # the client refused a progress token: run without one
        log.warning("no progress for %s: %s", token, exc)
        return None
    server.work_done_progress.begin(
        token, types.WorkDoneProgressBegin(title=title, message="planning", percentage=0, cancellable=True)
    )
    return token


async def _run(server: ManyeyesServer, job: RunningReview, progress: str | None, work: Work) -> None:
    """The job: its board, its end message whatever happens, and its removal from the session."""
    from manyeyes.progress import Board

    reporter = Reporter(server, job.review_id, Board(), progress)
    job.run.subscribe(reporter.update)
    log.info("%s started: %s", job.review_id, ", ".join(job.uris) or "git changes")
    message = "cancelled"
    try:
        message = await work(reporter)
    except asyncio.CancelledError:
        message = "cancelled"
    except ManyeyesError as exc:
        message = f"not reviewed: {exc}"
        server.session.last_error = f"{job.review_id}: {message}"
        show_once(server, f"manyeyes: {exc}")
    except Exception as exc:
        log.exception("%s failed", job.review_id)
        message = "failed (see the server log)"
        server.session.last_error = f"{job.review_id} failed: {type(exc).__name__}: {exc}"
    finally:
        server.session.runs.pop(job.review_id, None)
        reporter.finish(message)
        log.info("%s ended: %s", job.review_id, message)


def show_once(server: ManyeyesServer, message: str) -> None:
    """A problem the user can fix (a key, a setting), shown once per session however often it recurs."""
    if message not in server.session.shown_messages:
        server.session.shown_messages.add(message)
        server.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=message))


class Reporter:
    """Turns dispatcher events into work-done progress and `manyeyes/board` notifications (throttled)."""

    def __init__(self, server: ManyeyesServer, review_id: str, board: Board, progress: str | None):
        self.server, self.review_id, self.board, self.progress = server, review_id, board, progress
        self.results: dict = {}  # what the run ended with (findings shown, verification): overrides the board's
        self._last = 0.0

    def update(self, outcome: AgentOutcome) -> None:
        self.board.update(outcome)
        now = time.monotonic()
        if now - self._last >= BOARD_INTERVAL_S:  # a large review changes state hundreds of times a second
            self._last = now
            self._send(done=False)

    def phase(self, text: str) -> None:
        """The run's step after the agents (verification): shown at once, since nothing else moves meanwhile."""
        self.board.phase = text
        self._send(done=False)

    def finish(self, message: str) -> None:
        if self.progress:
            self.server.work_done_progress.end(self.progress, types.WorkDoneProgressEnd(message=message))
        self._send(done=True, message=message)  # last: a client that sees it has seen everything of this review

    def _send(self, done: bool, message: str | None = None) -> None:
        payload = convert.board_payload(self.review_id, self.board, done, message) | self.results
        self.server.protocol.notify(BOARD_NOTIFICATION, payload)
        if self.progress and not done:
            states = ", ".join(f"{n} {s}" for s, n in sorted(self.board.states.items()))
            text = self.board.phase or f"{states}; {self.board.findings} finding(s)"
            self.server.work_done_progress.report(
                self.progress, types.WorkDoneProgressReport(message=text, percentage=self.board.percent)
            )
