"""pygls' protocol, with every malformed message answered instead of dropped.

pygls 2 logs a request whose params do not deserialize and sends nothing back, leaving the client waiting; a body
that is not JSON also gets no answer. Here both get the JSON-RPC error the spec asks for.
"""

from __future__ import annotations

import logging

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)
PARSE_ERROR = -32700


class _Unanswerable:
    """Stands in for a message that could not be structured and has been answered already."""

    jsonrpc = None


UNANSWERABLE = _Unanswerable()


class ManyeyesProtocol(LanguageServerProtocol):
    def structure_message(self, data):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and "method" in data:
                message = f"invalid params for {data['method']}: {_cause(exc)}"
                log.warning(message)
                self._send_response(data["id"], error=JsonRpcInvalidParams(message).to_response_error())
            return UNANSWERABLE

    def handle_message(self, message):
        if message is UNANSWERABLE:
            return
        super().handle_message(message)

    def answer_parse_error(self, detail: str) -> None:
        error = types.ResponseError(code=PARSE_ERROR, message=f"parse error: {detail}")
        self._send_response(None, error=error)


def _cause(exc: Exception) -> str:
    cause = exc.__cause__
    if cause is None:
        return str(exc)
    text = " ".join(str(cause).split())
    return text[:300]
