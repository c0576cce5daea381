"""JSON-RPC and LSP conformance of the server, over raw stdio: what a client sends that pygls alone drops, answers
wrongly or lets through to fail in a handler. Each test drives the real server with a raw client
(manyeyes.devtools.wire), which also checks that everything the server writes is a well-formed frame."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from manyeyes.devtools.wire import WireClient, error_code, frame

from tests.lsp.conftest import SERVER_ENV

SERVER = [sys.executable, "-m", "manyeyes", "lsp"]
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
SOURCE = "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "a.py").write_text(SOURCE)
    return root


@pytest.fixture
def client(ws: Path):
    with WireClient.start(SERVER, env=SERVER_ENV) as started:
        yield started
        assert started.parser.violations == []  # every byte on stdout was a well-formed frame, strict JSON


def ready(client: WireClient, ws: Path, capabilities: dict | None = None) -> WireClient:
    client.initialize(ws.as_uri(), capabilities)
    return client


def raw(client: WireClient, body: bytes, header: bytes | None = None) -> int:
    """Send a raw frame; the index from which its answer is to be looked for."""
    start = len(client.received)
    client.send(frame(body, header))
    return start


def error_after(client: WireClient, start: int, code: int) -> dict:
    """The first error response with `code` among what the server wrote since `start`."""
    return client.wait_for(lambda m: "error" in m and error_code(m) == code, timeout=30, start=start)


def still_serving(client: WireClient, msg_id) -> None:
    assert error_code(client.call("manyeyes/ping", {}, msg_id=msg_id)) == METHOD_NOT_FOUND


def open_document(client: WireClient, uri: str, text: str = SOURCE) -> None:
    client.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
    )


def execute(client: WireClient, msg_id, command: str, *arguments) -> dict:
    return client.call("workspace/executeCommand", {"command": command, "arguments": list(arguments)}, msg_id)


def test_a_parse_error_carries_a_null_id(client, ws):
    ready(client, ws)
    answer = error_after(client, raw(client, b"{not json"), PARSE_ERROR)
    assert "id" in answer and answer["id"] is None  # the spec: the id member, null, when it cannot be known
    still_serving(client, 2)


@pytest.mark.parametrize("bad_id", [b"NaN", b"Infinity", b"-Infinity", b"1.5", b"true", b"null", b"{}", b"[1]"])
def test_an_invalid_id_is_an_invalid_request_with_a_null_id(client, ws, bad_id):
    """Never echoed: NaN written back would not even be JSON (the client fixture checks every frame strictly)."""
    ready(client, ws)
    start = raw(client, b'{"jsonrpc":"2.0","id":%s,"method":"textDocument/hover","params":{}}' % bad_id)
    answer = error_after(client, start, INVALID_REQUEST)
    assert answer["id"] is None and "id" in answer
    still_serving(client, 2)


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b"[" * 5000 + b"]" * 5000, b'{"jsonrpc":"2.0","id":1,"method":"x\xff"}', b"\xed\xa0\x80"],
    ids=["100000-brackets", "balanced-5000-deep", "invalid-utf8", "encoded-surrogate"],
)
def test_deep_nesting_and_invalid_utf8_are_parse_errors_and_the_server_reads_on(client, ws, body):
    ready(client, ws)
    answer = error_after(client, raw(client, body), PARSE_ERROR)
    assert answer["id"] is None and "id" in answer
    still_serving(client, 2)


@pytest.mark.parametrize(
    "header",
    [b"content-length: %d\r\n\r\n", b"Content-Length:    %d  \r\n\r\n", b"CONTENT-LENGTH:%d\r\nX-Other: 1\r\n\r\n"],
    ids=["lowercase", "padded", "uppercase-with-another-header"],
)
def test_the_content_length_header_is_case_insensitive_and_trimmed(client, ws, header):
    ready(client, ws)
    body = b'{"jsonrpc":"2.0","id":7,"method":"manyeyes/ping"}'
    raw(client, body, header % len(body))
    assert error_code(client.response(7)) == METHOD_NOT_FOUND


@pytest.mark.parametrize(
    "header",
    [
        b"Content-Length: abc\r\n\r\n",
        b"Content-Length: -5\r\n\r\n",
        b"Content-Length: 99999999999999999999\r\n\r\n",
        b"Content-Length: %d\r\n\r\n" % (64 * 1024 * 1024 + 1),  # over the cap: refused unread
        b"Content-Type: application/vscode-jsonrpc\r\n\r\n",  # no length at all
        b"not a header\r\n\r\n",
        b"X" * 100_000 + b"\r\n\r\n",  # a header line longer than any bound
        b"Content-Length: 10\r\n\r\n",  # shorter than the body: the rest must not be taken for headers
    ],
    ids=["non-numeric", "negative", "huge", "over-the-cap", "missing", "no-colon", "overlong-line", "too-short"],
)
def test_a_bad_header_is_a_parse_error_and_the_stream_resynchronises(client, ws, header):
    ready(client, ws)
    start = raw(client, b'{"jsonrpc":"2.0","method":"manyeyes/lost","params":{}}', header)
    answer = error_after(client, start, PARSE_ERROR)
    assert answer["id"] is None
    still_serving(client, 2)  # the frame right after is read whole
    assert client.peak_rss_mb() < 200  # nothing was allocated for the claimed length


def test_a_length_that_runs_into_the_next_frame_gives_that_frame_back(client, ws):
    ready(client, ws)
    body = b'{"jsonrpc":"2.0","method":"manyeyes/lost","params":{}}'
    follower = frame({"jsonrpc": "2.0", "id": 3, "method": "manyeyes/ping"})
    client.send(b"Content-Length: %d\r\n\r\n%s%s" % (len(body) + 30, body, follower))
    assert error_code(client.response(3)) == METHOD_NOT_FOUND


@pytest.mark.parametrize("method", ["textDocument/didOpen", "initialized", "exit", "$/cancelRequest"])
def test_a_request_for_a_notification_method_is_answered(client, ws, method):
    ready(client, ws)
    params = {"textDocument": {"uri": (ws / "a.py").as_uri(), "languageId": "python", "version": 1, "text": "x"}}
    answer = client.call(method, params, msg_id=7)
    assert error_code(answer) == INVALID_REQUEST and "notification" in answer["error"]["message"]
    still_serving(client, 8)  # and `exit` with an id did not exit


def test_an_unknown_method_is_method_not_found_with_or_without_params(client, ws):
    ready(client, ws)
    assert error_code(client.call("manyeyes/nothing", {"a": 1}, msg_id=2)) == METHOD_NOT_FOUND
    assert error_code(client.call("manyeyes/nothing", None, msg_id=3)) == METHOD_NOT_FOUND  # params are optional
    assert error_code(client.call("$/nothing", None, msg_id=4)) == METHOD_NOT_FOUND


def test_a_request_before_initialize_is_refused_not_failed(client, ws):
    hover = {"textDocument": {"uri": (ws / "a.py").as_uri()}, "position": {"line": 0, "character": 0}}
    assert error_code(client.call("textDocument/hover", hover, msg_id=1)) == -32002  # ServerNotInitialized
    ready(client, ws)
    assert client.call("textDocument/hover", hover, msg_id=2)["result"] is None


BAD_URIS = ["file:///tmp/a%00b.py", "file:///tmp/\ud800.py", "{ws}/a%00b.py", "{ws}/\ud800.py", "no-scheme"]


def test_bad_document_uris_are_invalid_params_never_internal_errors(client, ws):
    ready(client, ws)
    selection = {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}}
    for n, template in enumerate(BAD_URIS):
        uri = template.format(ws=ws.as_uri())
        open_document(client, uri)  # ignored, so that it cannot fail later reviews
        position = {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}
        action = {"textDocument": {"uri": uri}, "range": selection, "context": {"diagnostics": []}}
        answers = [
            execute(client, f"file-{n}", "manyeyes.review.file", uri),
            execute(client, f"selection-{n}", "manyeyes.review.selection", uri, selection),
            client.call("textDocument/hover", position, msg_id=f"hover-{n}"),
            client.call("textDocument/codeAction", action, msg_id=f"action-{n}"),
        ]
        for answer in answers:
            assert error_code(answer) == INVALID_PARAMS, (ascii(uri), answer)
    assert error_code(execute(client, "no-path", "manyeyes.review.file", "file:")) == INVALID_PARAMS
    good = (ws / "a.py").as_uri()
    open_document(client, good)
    review = execute(client, "good", "manyeyes.review.file", good)["result"]["reviewId"]
    board = client.wait_for(lambda m: m.get("method") == "manyeyes/board" and m["params"]["done"], timeout=60)
    assert board["params"]["reviewId"] == review and not board["params"]["message"].startswith("failed")


def test_an_untitled_document_not_open_is_invalid_params(client, ws):
    ready(client, ws)
    answer = execute(client, 2, "manyeyes.review.file", "untitled:Untitled-1")
    assert error_code(answer) == INVALID_PARAMS and "not open in the editor" in answer["error"]["message"]


def test_an_open_untitled_document_does_not_break_reviews(client, ws):
    ready(client, ws)
    open_document(client, "untitled:Untitled-1", "x = 1\n")
    open_document(client, (ws / "a.py").as_uri())
    execute(client, 2, "manyeyes.review.file", (ws / "a.py").as_uri())
    board = client.wait_for(lambda m: m.get("method") == "manyeyes/board" and m["params"]["done"], timeout=60)
    assert not board["params"]["message"].startswith("failed")


@pytest.mark.parametrize("root", ["untitled:Untitled-1", "file:///tmp/%00x", "https://example.com/project"])
def test_a_workspace_root_that_is_no_local_folder_is_ignored(client, root):
    assert "result" in client.initialize(root)  # not an internal error
    answer = execute(client, 2, "manyeyes.review.changes")
    assert error_code(answer) == INVALID_PARAMS and "no workspace folder" in answer["error"]["message"]


def test_cancelling_the_command_that_started_a_review_cancels_the_review(client, ws):
    """The command is still in flight while the server waits for the client to accept the progress token: the
    cancel arrives then. Afterwards no review is left running, and a cancel for an answered request is a no-op."""
    ready(client, ws, {"window": {"workDoneProgress": True}})
    uri = (ws / "a.py").as_uri()
    open_document(client, uri)
    client.request("workspace/executeCommand", {"command": "manyeyes.review.file", "arguments": [uri]}, "review")
    create = client.wait_for(lambda m: m.get("method") == "window/workDoneProgress/create")
    client.notify("$/cancelRequest", {"id": "review"})
    assert error_code(client.response("review")) == -32800  # RequestCancelled
    client.answer(create["id"])  # the progress is accepted only now: the review must not go on regardless
    assert execute(client, "cancel", "manyeyes.review.cancel")["result"] == {"cancelled": []}
    client.notify("$/cancelRequest", {"id": "cancel"})  # answered already: nothing happens
    assert client.responses("cancel") and len(client.responses("cancel")) == 1
    still_serving(client, "after")
    begun = [m for m in client.received if m.get("method") == "$/progress" and m["params"]["value"]["kind"] == "begin"]
    assert begun == []


def test_requests_after_shutdown_are_refused_and_exit_then_exits_0(client, ws):
    ready(client, ws)
    assert client.call("shutdown", None, msg_id=2)["result"] is None
    answer = client.call("textDocument/hover", {}, msg_id=3)
    assert error_code(answer) == INVALID_REQUEST and "shutting down" in answer["error"]["message"]
    client.notify("exit")
    assert client.wait_closed(timeout=30) == 0  # with stdin still open


def test_exit_without_shutdown_exits_1(client, ws):
    ready(client, ws)
    client.notify("exit")
    assert client.wait_closed(timeout=30) == 1


def test_no_answer_is_an_internal_error_for_odd_params(client, ws):
    """Huge and non-finite numbers, wrong types: invalid params, never -32603 (and never NaN written back)."""
    ready(client, ws)
    uri = (ws / "a.py").as_uri()
    open_document(client, uri)
    bodies = [
        (
            b'{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":{"textDocument":{"uri":"%s"},'
            b'"position":{"line":1e999,"character":NaN}}}'
        )
        % uri.encode(),
        (
            b'{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"textDocument":{"uri":"%s"},'
            b'"position":{"line":1000000000000000000000,"character":0}}}'
        )
        % uri.encode(),
        (
            b'{"jsonrpc":"2.0","id":3,"method":"workspace/executeCommand","params":{"command":"manyeyes.review.cancel",'
            b'"arguments":[NaN, Infinity]}}'
        ),
        b'{"jsonrpc":"2.0","id":4,"method":"textDocument/codeAction","params":"text"}',
    ]
    for body in bodies:
        raw(client, body)
    for msg_id in (1, 2, 3, 4):
        assert error_code(client.response(msg_id)) != INTERNAL_ERROR


# In process: the writer and the framing, without a server process.


def test_nothing_written_contains_nan_or_infinity():
    from manyeyes.lsp.main import build_server
    from pygls.protocol import JsonRPCResponseMessage

    protocol = build_server().protocol
    message = JsonRPCResponseMessage(id=1, result={"x": float("nan"), "y": [float("inf"), 2.5]}, jsonrpc="2.0")
    assert json.loads(protocol._encode(message)) == {"id": 1, "result": {"x": None, "y": [None, 2.5]}, "jsonrpc": "2.0"}


STREAM = (
    frame({"jsonrpc": "2.0", "id": 1, "method": "a"})
    + b"content-length: 3\r\n\r\n{}x"  # too short: "x" and what follows must not be taken for headers
    + b"Content-Length: abc\r\n\r\n{}"
    + b"\r\n"
    + b"Content-Length:  43 \r\nContent-Type: x\r\n\r\n"
    + b'{"jsonrpc": "2.0", "id": 2, "method": "bb"}'
    + b"X" * 20_000
    + b"\r\n"
    + frame({"jsonrpc": "2.0", "id": 3, "method": "c"})
    + b"Content-Length: 5\r\n"  # the input ends inside a frame
)


def read_all(chunk_size: int) -> list:
    from manyeyes.lsp.stream import FrameStream, ParseFailure, decode_body

    chunks = [STREAM[i : i + chunk_size] for i in range(0, len(STREAM), chunk_size)]

    async def source() -> bytes:
        return chunks.pop(0) if chunks else b""

    async def read() -> list:
        frames, stream = [], FrameStream(source)
        while (item := await stream.next_frame()) is not None:
            if item.problem:
                frames.append("problem")
                continue
            try:
                frames.append(decode_body(item.body)["id"])
            except ParseFailure:
                stream.resync(item.body)
                frames.append("parse error")
        return frames

    return asyncio.run(read())


def test_framing_resynchronises_the_same_whatever_the_chunk_boundaries():
    expected = [1, "parse error", "problem", 2, "problem", 3]
    assert read_all(1) == read_all(7) == read_all(65536) == expected
