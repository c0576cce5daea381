"""The composition root: the server object, its features wired in, and `manyeyes lsp`.

Features live in small modules (lifecycle, reviews, actions), each with a `register(server)`; handlers are thin
and call the engine and `convert`. stdout carries protocol frames only: the real stdout is handed to pygls and
`sys.stdout` is pointed at stderr before anything else can print. The transports (stdio, TCP) run the protocol's
own reading loop (lsp/protocol.py), not pygls', and keep the exit code `exit` asks for.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from threading import Event

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from manyeyes import __version__
from manyeyes.lsp.protocol import ManyeyesProtocol
from manyeyes.lsp.session import Session
from manyeyes.lsp.stream import CHUNK, StreamChunks

log = logging.getLogger(__name__)


class RunsByRequest(dict):
    """`session.runs` (review id -> run), remembering which request started each run, so that cancelling the
    request (`$/cancelRequest` for the executeCommand still in flight) cancels the run it started."""

    def __init__(self, current_request: Callable[[], object]) -> None:
        super().__init__()
        self._current_request = current_request  # the id of the request being handled, None in a notification
        self._started_by: dict[str, object] = {}

    def __setitem__(self, run_id: str, run) -> None:
        request = self._current_request()
        if request is not None:
            self._started_by[run_id] = request
        super().__setitem__(run_id, run)

    def __delitem__(self, run_id: str) -> None:
        self._started_by.pop(run_id, None)
        super().__delitem__(run_id)

    def pop(self, run_id: str, *default):
        self._started_by.pop(run_id, None)
        return super().pop(run_id, *default)

    def started_by(self, request) -> list[str]:
        return [run_id for run_id, by in self._started_by.items() if by == request and run_id in self]


class ManyeyesServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("manyeyes", __version__, protocol_cls=ManyeyesProtocol)
        self.session = Session()
        self.session.runs = RunsByRequest(lambda: self.protocol.msg_id)
        self.protocol.cancel_listeners.append(self._cancel_runs_started_by)
        self.exit_code = 0  # what `exit` asked for: 0 after `shutdown`, 1 without (LSP)

    @property
    def encoding(self) -> str:
        from manyeyes.lsp.convert import negotiated_encoding

        return negotiated_encoding(self.workspace.position_encoding)

    def report_server_error(self, error: Exception, source: type[JsonRpcException]) -> None:
        """Log, never pop up a dialog: the user cannot act on our internal errors."""
        log.error("%s: %s", source.__name__ if isinstance(source, type) else source, error)

    def _cancel_runs_started_by(self, request) -> None:
        for run_id in self.session.runs.started_by(request):
            self.session.cancel(run_id)

    def start_io(self, stdin=None, stdout=None) -> None:
        self._stop_event = Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

        async def serve() -> None:
            await self.protocol.serve(StreamChunks(stdin or sys.stdin.buffer), self._stop_event)

        self._run(serve())

    def start_tcp(self, host: str, port: int) -> None:
        self._stop_event = stop_event = Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.protocol.set_writer(writer)
            await self.protocol.serve(lambda: reader.read(CHUNK), stop_event)
            self.shutdown()

        async def serve() -> None:
            self._server = await asyncio.start_server(connection, host, port)
            async with self._server:
                await self._server.serve_forever()

        self._run(serve())

    def _run(self, main) -> None:
        try:
            asyncio.run(main)
        except SystemExit as exc:  # pygls' `exit` handler calls sys.exit with the code the spec asks for
            self.exit_code = exc.code if isinstance(exc.code, int) else 1
        except BrokenPipeError:
            log.error("the client closed the connection")
        except (KeyboardInterrupt, asyncio.CancelledError):
            pass
        finally:
            self.shutdown()
