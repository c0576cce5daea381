"""The composition root: the server object, its features wired in, and `manyeyes lsp`.

Features live in small modules (lifecycle, reviews, actions), each with a `register(server)`; handlers are thin
and call the engine and `convert`. stdout carries protocol frames only: the real stdout is handed to pygls and
`sys.stdout` is pointed at stderr before anything else can print.
"""

from __future__ import annotations

import json
import logging
import sys

from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from manyeyes import __version__
from manyeyes.lsp.protocol import ManyeyesProtocol
from manyeyes.lsp.session import Session

log = logging.getLogger(__name__)


class ManyeyesServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("manyeyes", __version__, protocol_cls=ManyeyesProtocol)
        self.session = Session()

    @property
    def encoding(self) -> str:
        from manyeyes.lsp.convert import negotiated_encoding

        return negotiated_encoding(self.workspace.position_encoding)

    def report_server_error(self, error: Exception, source: type[JsonRpcException]) -> None:
        """Log, never pop up a dialog: the user cannot act on our internal errors. A body that is not JSON gets
        the JSON-RPC parse error it is owed."""
        if isinstance(error, json.JSONDecodeError):
            self.protocol.answer_parse_error(str(error))
        log.error("%s: %s", source.__name__ if isinstance(source, type) else source, error)


def build_server() -> ManyeyesServer:
    from manyeyes.lsp import actions, diagnostics, lifecycle, refactors, reviews

    server = ManyeyesServer()
    for feature in (lifecycle, reviews, refactors, actions, diagnostics):
        feature.register(server)
    return server


def run_stdio() -> int:
    real_stdout = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print (litellm has some) must never corrupt the protocol stream
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="manyeyes-lsp: %(levelname)s: %(message)s")
    logging.getLogger("pygls").setLevel(logging.WARNING)  # at INFO it logs message bodies: the user's code
    build_server().start_io(sys.stdin.buffer, real_stdout)
    return 0


def run_tcp(host: str, port: int) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="manyeyes-lsp: %(levelname)s: %(message)s")
    build_server().start_tcp(host, port)
    return 0
