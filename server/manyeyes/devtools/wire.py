"""A raw JSON-RPC client for the language server over stdio: framing, a strict reader of what the server writes,
and waiting for answers with deadlines (never sleeps).

It is deliberately not pygls: conformance tests and the fuzz send bytes no well-behaved client would (bad headers,
invalid UTF-8, NaN ids), and check every byte the server writes is a well-formed frame.

    with WireClient.start([sys.executable, "-m", "manyeyes", "lsp"]) as client:
        client.initialize(root.as_uri())
        client.send(b'content-length: 40\r\n\r\n{"jsonrpc":"2.0","id":2,"method":"nope"}')
        assert client.response(2)["error"]["code"] == -32601
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

Message = dict
MAX_FRAME = 64 * 1024 * 1024  # more than the server ever writes; a larger length is a broken stream
MAX_STDERR = 8 * 1024 * 1024


def frame(body: bytes | str | dict, header: bytes | None = None) -> bytes:
    """One frame: a message (dict, serialized strictly), or raw body bytes; `header` replaces the header block."""
    if isinstance(body, dict):
        body = json.dumps(body, allow_nan=False)
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    return (header if header is not None else b"Content-Length: %d\r\n\r\n" % len(body)) + body


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def strict_json(data: bytes):
    """JSON as the spec has it: UTF-8, no NaN or Infinity (Python's json accepts both)."""
    return json.loads(data.decode("utf-8"), parse_constant=_no_constants)


class FrameParser:
    """Parses the server's stdout as LSP frames, incrementally and strictly: anything else is a violation."""

    def __init__(self) -> None:
        self._buffer = b""
        self.violations: list[str] = []

    def feed(self, data: bytes) -> Iterator[Message]:
        self._buffer += data
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            length = self._content_length(self._buffer[:end])
            if length is None:
                self._buffer = b""  # unparseable from here on: reported, not guessed at
                return
            start = end + 4
            if len(self._buffer) < start + length:
                return
            body, self._buffer = self._buffer[start : start + length], self._buffer[start + length :]
            try:
                yield strict_json(body)
            except ValueError as exc:
                self.violations.append(f"body is not strict JSON ({exc}): {body[:120]!r}")

    def leftover(self) -> bytes:
        return self._buffer

    def _content_length(self, header: bytes) -> int | None:
        length = None
        for line in header.split(b"\r\n"):
            name, separator, value = line.partition(b": ")
            if not separator or name not in (b"Content-Length", b"Content-Type"):
                self.violations.append(f"not a header line: {line[:120]!r}")
                return None
            if name == b"Content-Length":
                length = int(value) if value.isdigit() and int(value) <= MAX_FRAME else None
        if length is None:
            self.violations.append(f"no valid Content-Length in {header[:120]!r}")
        return length


class WireClient:
    """The server as a subprocess: send bytes, and wait (with a deadline) for what it writes back."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.parser = FrameParser()
        self.received: list[Message] = []
        self._stderr = bytearray()  # drained so the server never blocks on logging; the last MAX_STDERR bytes
        self.closed = False  # the server closed its stdout
        self._changed = threading.Condition()
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True, name="wire-stdout"),
            threading.Thread(target=self._read_stderr, daemon=True, name="wire-stderr"),
        ]
        for thread in self._threads:
            thread.start()

    @classmethod
    def start(cls, command: list[str], env: dict | None = None, cwd: str | None = None) -> WireClient:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd
        )
        return cls(process)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # sending

    def send(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send_message(self, message: dict) -> None:
        self.send(frame(message))

    def request(self, method: str, params=None, msg_id: int | str = 1) -> int | str:
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send_message(message)
        return msg_id

    def notify(self, method: str, params=None) -> None:
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send_message(message)

    def call(self, method: str, params=None, msg_id: int | str = 1, timeout: float = 30) -> Message:
        """A request and its response."""
        return self.response(self.request(method, params, msg_id), timeout)

    def initialize(self, root_uri: str | None, capabilities: dict | None = None, timeout: float = 30) -> Message:
        """`initialize` (its response) then `initialized`."""
        params = {"processId": None, "rootUri": root_uri, "capabilities": capabilities or {}}
        answer = self.call("initialize", params, msg_id="initialize", timeout=timeout)
        self.notify("initialized", {})
        return answer

    def answer(self, msg_id, result=None) -> None:
        """Respond to a request the server sent."""
        self.send_message({"jsonrpc": "2.0", "id": msg_id, "result": result})

    # receiving

    def wait_for(self, predicate: Callable[[Message], bool], timeout: float = 30, start: int = 0) -> Message:
        """The first message (from index `start` on) matching `predicate`, waiting until `timeout` at most."""
        deadline = time.monotonic() + timeout
        index = start
        with self._changed:
            while True:
                for message in self.received[index:]:
                    if predicate(message):
                        return message
                index = len(self.received)
                remaining = deadline - time.monotonic()
                if self.closed or remaining <= 0:
                    raise TimeoutError(f"no matching message within {timeout}s (server closed: {self.closed})")
                self._changed.wait(remaining)

    def response(self, msg_id, timeout: float = 30) -> Message:
        return self.wait_for(lambda m: is_response(m) and m.get("id") == msg_id, timeout)

    def responses(self, msg_id) -> list[Message]:
        with self._changed:
            return [m for m in self.received if is_response(m) and m.get("id") == msg_id]

    def wait_closed(self, timeout: float = 30) -> int:
        """The server's exit code, once it has exited and everything it wrote has been read."""
        code = self.process.wait(timeout)
        self._threads[0].join(timeout)
        return code

    # the process

    def alive(self) -> bool:
        return self.process.poll() is None

    def peak_rss_mb(self) -> float | None:
        """The server's peak resident memory (VmHWM), where /proc has it."""
        try:
            with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def stderr_text(self) -> str:
        return self._stderr.decode("utf-8", "replace")

    def stop(self, timeout: float = 10) -> None:
        if self.process.stdin and not self.process.stdin.closed:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def _read_stdout(self) -> None:
        fd = self.process.stdout.fileno()
        while chunk := os.read(fd, 65536):
            messages = list(self.parser.feed(chunk))
            with self._changed:
                self.received.extend(messages)
                self._changed.notify_all()
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def _read_stderr(self) -> None:
        fd = self.process.stderr.fileno()
        while chunk := os.read(fd, 65536):
            self._stderr += chunk
            if len(self._stderr) > MAX_STDERR:
                del self._stderr[: len(self._stderr) - MAX_STDERR]


def is_response(message: Message) -> bool:
    return "method" not in message and ("result" in message or "error" in message)


def error_code(message: Message) -> int | None:
    error = message.get("error")
    return error.get("code") if isinstance(error, dict) else None
