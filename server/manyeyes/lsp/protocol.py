"""The JSON-RPC layer: pygls' protocol made conformant.

It owns everything between the frames a client sends (read by lsp/stream.py) and the handlers: checking the
JSON-RPC envelope (ids are strings or integers, requests for notification
methods, requests before `initialize` or after `shutdown`), document URIs at the door, cancellation that stops
the work it cancels, and writing frames (`"id": null` on errors for unknown ids, never NaN).

pygls 2.1 answers none of these itself: its protocol drops requests after
`shutdown`, sends a NaN id back as NaN, and cancels a command's request but not the command. The rules are listed
in docs/lsp.md, "Protocol conformance".
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol, lsp_method

from manyeyes.lsp.documents import CheckedTextSync, describe, encodable, file_uri_problem, uri_problem
from manyeyes.lsp.stream import FrameStream, ParseFailure, decode_body

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
SERVER_NOT_INITIALIZED = -32002


# Methods the spec defines as notifications: a message with one of them and an id is not a valid request.
NOTIFICATION_METHODS = frozenset(
    method for method, (message, *_) in types.METHOD_TO_TYPES.items() if "id" not in attrs.fields_dict(message)
)


def valid_id(value: Any) -> bool:
    """JSON-RPC ids as LSP has them: a string or an integer (not a bool, a float, NaN, null, or a structure)."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _finite(value: Any) -> Any:
    """`value` with every NaN and infinity replaced by null: they are not JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


# The protocol


class _Unanswerable:
    """Stands in for a message that could not be structured and has been answered already."""

    jsonrpc = None


UNANSWERABLE = _Unanswerable()


class ManyeyesProtocol(CheckedTextSync, LanguageServerProtocol):
    """pygls' protocol behind our reader and envelope checks; documents.CheckedTextSync checks the text sync."""

    def __init__(self, server, converter) -> None:
        super().__init__(server, converter)
        self.initialize_seen = False
        self.cancel_listeners: list[Callable[[Any], None]] = []  # told the id of a request cancelled in flight
        self._work: dict[Any, list] = {}  # request id -> futures of its handler's steps (generator handlers)

    # reading

    async def serve(self, read_chunk: Callable[[], Awaitable[bytes]], stop_event: threading.Event) -> None:
        """The main loop: frames in, one answer for every request, until the input ends or the server stops."""
        frames = FrameStream(read_chunk)
        while not stop_event.is_set():
            frame = await frames.next_frame()
            if frame is None:
                break
            if frame.problem is not None:
                self.answer_parse_error(frame.problem)
            else:
                try:
                    data = decode_body(frame.body)
                except ParseFailure as exc:
                    frames.resync(frame.body)
                    self.answer_parse_error(str(exc))
                else:
                    self.receive(data)
            await asyncio.sleep(0)  # handlers get the loop between frames a client sent in one burst

    def receive(self, data: Any) -> None:
        """One decoded message: checked, structured and dispatched, or answered with what is wrong with it."""
        try:
            message = self._admit(data)
            if message is not None:
                self.handle_message(message)
        except Exception:  # a bug in a handler's dispatch: logged, and the server keeps serving
            log.exception("failed to handle a message")

    def _admit(self, data: Any):
        refusal = self._refusal(data)
        if refusal is not None:
            msg_id, code, message = refusal
            log.warning("refused: %s", message)
            self._send_response(msg_id, error=types.ResponseError(code=code, message=message))
            return None
        if isinstance(data, dict) and "method" in data:
            if "params" not in data:  # params are optional in JSON-RPC; pygls' fallback types require the field
                data = {**data, "params": None}
            if self._dropped_notification(data):
                return None
        message = self.structure_message(data)
        if message is UNANSWERABLE or self._bad_document_uri(message):
            return None
        if getattr(message, "method", None) == types.INITIALIZE:
            self.initialize_seen = True
        return message

    def _refusal(self, data: Any) -> tuple[Any, int, str] | None:
        """Why a decoded message is not a valid request, as (id to answer, code, message); None if it is one (or a
        notification, or a response: neither is ever answered)."""
        if not isinstance(data, dict):
            return None, INVALID_REQUEST, "a message must be a JSON object (LSP has no batches)"
        if "id" in data and not valid_id(data["id"]):
            return None, INVALID_REQUEST, "invalid id: an id is a string or an integer"
        msg_id, method = data.get("id"), data.get("method")
        if data.get("jsonrpc") != "2.0":
            return msg_id, INVALID_REQUEST, 'not a JSON-RPC 2.0 message: "jsonrpc" must be "2.0"'
        if "method" in data and not isinstance(method, str):
            return msg_id, INVALID_REQUEST, '"method" must be a string'
        if "id" not in data:
            return None if "method" in data else (None, INVALID_REQUEST, "no method and no id")
        if method is None:
            return None  # a response to one of our requests
        if method in NOTIFICATION_METHODS:
            return msg_id, INVALID_REQUEST, f"{method} is a notification: it is sent without an id"
        if self._shutdown:
            return msg_id, INVALID_REQUEST, "server is shutting down"
        if not self.initialize_seen and method != types.INITIALIZE:
            return msg_id, SERVER_NOT_INITIALIZED, f"{describe(method)} before initialize"
        return None

    def _dropped_notification(self, data: dict) -> bool:
        """Notifications before `initialize` are dropped, as the spec asks (except `exit`)."""
        return "id" not in data and not self.initialize_seen and data["method"] != types.EXIT

    def _bad_document_uri(self, message) -> bool:
        """A document URI that would fail in a handler is refused at the door: invalid params for a request, and a
        notification is ignored (so a bad didOpen never puts a document in the workspace that later fails)."""
        params = getattr(message, "params", None)
        document = getattr(params, "text_document", None) or getattr(params, "notebook_document", None)
        problem = uri_problem(getattr(document, "uri", None)) if document is not None else None
        if problem is None:
            return False
        text = f"invalid params for {message.method}: the document URI {describe(document.uri)} {problem}"
        log.warning(text)
        if getattr(message, "id", None) is not None:
            self._send_response(message.id, error=JsonRpcInvalidParams(text).to_response_error())
        return True

    def structure_message(self, data):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and "method" in data:
                message = f"invalid params for {describe(data['method'])}: {_cause(exc)}"
                log.warning(message)
                self._send_response(data["id"], error=JsonRpcInvalidParams(message).to_response_error())
            return UNANSWERABLE

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        _drop_unusable_roots(params)
        return (yield from super().lsp_initialize(params))

    # cancellation

    def _execute_handler(self, msg_id, handler, callback, args=None, kwargs=None):
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        request = self.msg_id
        if msg_id == request:
            return  # a request's own future: pygls removes it when it answers
        # A step of a request's generator handler (executeCommand runs the command as one), or a notification's
        # handler, filed under a fresh uuid that nothing looks up: pygls would keep it forever. It is kept with
        # its request instead, for as long as the request runs, so that cancelling the request cancels it.
        future = self._request_futures.pop(msg_id, None)
        if future is not None and request is not None:
            self._work.setdefault(request, []).append(future)

    def _send_handler_result(self, future, *, msg_id):
        self._work.pop(msg_id, None)
        super()._send_handler_result(future, msg_id=msg_id)

    def _handle_cancel_notification(self, msg_id):
        """Cancel a request still in flight, and the work it started; once it has been answered, nothing happens
        (cancellation is best effort)."""
        if msg_id in self._request_futures:
            for listener in self.cancel_listeners:
                listener(msg_id)
            for work in self._work.pop(msg_id, []):
                work.cancel()
        super()._handle_cancel_notification(msg_id)

    def _handle_response(self, msg_id, result=None, error=None):
        future = self._request_futures.get(msg_id)
        if future is not None and future.done():  # we stopped waiting (cancelled); pygls would raise setting it
            del self._request_futures[msg_id]
            return
        super()._handle_response(msg_id, result, error)

    # writing

    def answer_parse_error(self, detail: str) -> None:
        error = types.ResponseError(code=PARSE_ERROR, message=f"parse error: {detail}")
        self._send_response(None, error=error)

    def _serialize_message(self, data):
        payload = super()._serialize_message(data)
        if isinstance(data, types.ResponseErrorMessage) and "id" not in payload:
            payload["id"] = None  # lsprotocol drops None fields; JSON-RPC requires "id": null here
        return payload

    def _send_data(self, data) -> None:
        if not data:
            return
        if self.writer is None:
            log.error("no transport to send on")
            return
        try:
            body = self._encode(data)
        except Exception as exc:  # a result that is not JSON: the request still gets its one answer
            log.exception("cannot encode a message")
            if getattr(data, "id", None) is not None and not isinstance(data, types.ResponseErrorMessage):
                error = JsonRpcInternalError(f"the result cannot be encoded: {exc}")
                self._send_response(data.id, error=error.to_response_error())
            return
        header = f"Content-Length: {len(body)}\r\nContent-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
        self._write(header.encode("ascii") + body)

    def _encode(self, data) -> bytes:
        try:
            text = json.dumps(data, default=self._serialize_message, allow_nan=False)
        except ValueError:  # a NaN or an infinity (echoed from a request, say): not JSON, so sent as null
            loose = json.loads(json.dumps(data, default=self._serialize_message))
            text = json.dumps(_finite(loose), allow_nan=False)
        return text.encode("utf-8")

    def _write(self, data: bytes) -> None:
        try:
            written = self.writer.write(data)
            if asyncio.iscoroutine(written) or isinstance(written, asyncio.Future):
                asyncio.ensure_future(written)
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as error:  # stdout closed by `exit`: nothing left to tell anyone
            log.warning("cannot send: %s", error)


def _drop_unusable_roots(params: types.InitializeParams) -> None:
    """A workspace root must be a local folder. One that is not (untitled:, https:, a NUL in the path) is dropped
    and logged: the server runs without that workspace instead of failing `initialize`."""
    if params.root_uri is not None and file_uri_problem(params.root_uri):
        log.warning("workspace root %s ignored: %s", describe(params.root_uri), file_uri_problem(params.root_uri))
        params.root_uri = None
    if isinstance(params.root_path, str) and ("\x00" in params.root_path or not encodable(params.root_path)):
        log.warning("workspace root path %s ignored", describe(params.root_path))
        params.root_path = None
    if params.workspace_folders:
        usable = [f for f in params.workspace_folders if not file_uri_problem(f.uri)]
        if len(usable) < len(params.workspace_folders):
            log.warning("workspace folders that are not local folders ignored")
        params.workspace_folders = usable or None


def _cause(exc: Exception) -> str:
    cause = exc.__cause__
    if cause is None:
        return str(exc)
    text = " ".join(str(cause).split())
    return text[:300]
