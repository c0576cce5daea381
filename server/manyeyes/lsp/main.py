"""`manyeyes lsp`: the server with every feature registered, run over stdio (what editors start) or TCP."""

from __future__ import annotations

import logging
import sys

from manyeyes.lsp.server import ManyeyesServer


def build_server() -> ManyeyesServer:
    from manyeyes.lsp import actions, diagnostics, lifecycle, refactors, reviews

    server = ManyeyesServer()
    for feature in (lifecycle, reviews, refactors, actions, diagnostics):
        feature.register(server)
    return server


LOG_LEVELS = ("error", "warning", "info", "debug")


def run_stdio(log_level: str = "warning") -> int:
    real_stdout = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print (litellm has some) must never corrupt the protocol stream
    _log_to_stderr(log_level)
    server = build_server()
    server.start_io(sys.stdin.buffer, real_stdout)
    return server.exit_code


def _log_to_stderr(level: str) -> None:
    """manyeyes' own log at `level` on stderr (the editor's output channel); other libraries at warnings only:
    pygls at INFO logs message bodies, which hold the user's code."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="manyeyes-lsp: %(levelname)s: %(message)s")
    logging.getLogger("manyeyes").setLevel(level.upper())


def run_tcp(host: str, port: int, log_level: str = "warning") -> int:
    _log_to_stderr(log_level)
    server = build_server()
    server.start_tcp(host, port)
    return server.exit_code
