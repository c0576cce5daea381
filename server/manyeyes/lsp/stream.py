"""Reading LSP frames from a client: the bytes between stdin and the JSON-RPC layer (lsp/protocol.py).

Header names are matched case-insensitively and values trimmed, memory stays bounded by the longest header line
and the largest body allowed, and after anything unreadable the stream resynchronises on the next
`Content-Length` header. Bodies are decoded as strict UTF-8 JSON with bounded nesting. pygls 2.1's reader
(pygls.io_.run_async) matches the header byte for byte, reads lines without a bound and drops a body it cannot
decode without a word; this one answers (the protocol turns a Frame's problem into a parse error).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import CancelledError
from dataclasses import dataclass
from functools import partial
from typing import Any

CHUNK = 64 * 1024
MAX_BODY = 64 * 1024 * 1024  # a larger Content-Length is refused unread: no client sends a 64 MiB message
MAX_HEADER_LINE = 8 * 1024
MAX_DEPTH = 64  # deeper JSON is refused: LSP messages nest a few levels, and handlers recurse over params
_LENGTH_HEADER = re.compile(rb"content-length", re.IGNORECASE)


@dataclass(frozen=True)
class Frame:
    body: bytes = b""
    problem: str | None = None  # the frame was not readable: answered with a parse error, then resynchronised


class FrameStream:
    """LSP frames from a byte source: header lines (names case-insensitive, values trimmed), a blank line, then
    exactly Content-Length bytes. Memory stays bounded by the longest header line and the largest body allowed.

    After anything unreadable (a malformed header, a bad length, a body that does not parse) it resynchronises:
    it skips to the next line with a Content-Length header, which may start in the middle of a line when the
    previous body was shorter than its header said."""

    def __init__(self, read_chunk: Callable[[], Awaitable[bytes]]) -> None:
        self._read_chunk = read_chunk
        self._buffer = bytearray()
        self._eof = False
        self._resyncing = False

    async def next_frame(self) -> Frame | None:
        """The next frame, or None once the input has ended."""
        length, started = None, False
        while True:
            line = await self._readline()
            if line is None:
                return None
            if self._resyncing:
                self._find_header(line)
                continue
            if not line.endswith(b"\n"):
                if self._eof and not self._buffer:
                    return None  # the input ended in the middle of a header
                return self._unreadable("a header line is too long")
            text = line.strip()
            if not text:
                if started:
                    break
                continue  # a stray blank line between frames
            started = True
            name, colon, value = text.partition(b":")
            if not colon:
                return self._unreadable(f"not a header line: {text[:40]!r}")
            if name.strip().lower() == b"content-length":
                length = _content_length(value.strip())
                if length is None:
                    return self._unreadable(f"invalid Content-Length {value.strip()[:40]!r}")
        if length is None:
            return self._unreadable("no Content-Length header")
        body = await self._read(length)
        return Frame(body) if len(body) == length else None

    def resync(self, body: bytes) -> None:
        """After a body that did not parse. If its length ran into the next frame, that frame is given back."""
        match = _LENGTH_HEADER.search(body, 1)
        if match:
            self._buffer[:0] = body[match.start() :]
        self._resyncing = True

    def _find_header(self, line: bytes) -> None:
        match = _LENGTH_HEADER.search(line)
        terminated = line.endswith(b"\n")
        if match and (terminated or match.start() > 0):  # (an overlong line that starts with it is skipped)
            self._buffer[:0] = line[match.start() :]  # read again from the header, as a whole line
            self._resyncing = False
        elif not terminated and len(line) == MAX_HEADER_LINE:
            keep = len(b"content-length") - 1  # a header name cut in two by the line bound
            self._buffer[:0] = line[-keep:]

    def _unreadable(self, problem: str) -> Frame:
        self._resyncing = True
        return Frame(problem=problem)

    async def _readline(self) -> bytes | None:
        """A line with its newline, or the first MAX_HEADER_LINE bytes of a longer one; None at the end."""
        while True:
            end = self._buffer.find(b"\n", 0, MAX_HEADER_LINE)
            if end >= 0:
                return self._take(end + 1)
            if len(self._buffer) >= MAX_HEADER_LINE:
                return self._take(MAX_HEADER_LINE)
            if not await self._fill():
                return self._take(len(self._buffer)) if self._buffer else None

    async def _read(self, size: int) -> bytes:
        while len(self._buffer) < size and await self._fill():
            pass
        return self._take(min(size, len(self._buffer)))

    async def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = await self._read_chunk()
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def _take(self, size: int) -> bytes:
        with memoryview(self._buffer) as view:
            data = bytes(view[:size])
        del self._buffer[:size]
        return data


def _content_length(value: bytes) -> int | None:
    if not value.isdigit() or len(value) > 12:  # isdigit: ASCII digits only, so no sign, no spaces, no "1e3"
        return None
    length = int(value)
    return length if length <= MAX_BODY else None


class StreamChunks:
    """Chunks of a blocking binary stream (stdin), read on a daemon thread at most two chunks ahead.

    A daemon thread, not the loop's executor: a read that never returns (the client keeps stdin open after
    `exit`) must not keep the process from exiting. It reads the file descriptor, not the buffered stream, whose
    lock a daemon thread must not hold when the interpreter shuts down."""

    def __init__(self, stream) -> None:
        self._read = _chunk_reader(stream)
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=2)
        threading.Thread(target=self._pump, name="manyeyes-stdin", daemon=True).start()

    async def __call__(self) -> bytes:
        return await self._queue.get()

    def _pump(self) -> None:
        chunk = b"-"
        while chunk:
            try:
                chunk = self._read()
            except (OSError, ValueError):  # closed under us: the same as the end of input
                chunk = b""
            try:
                asyncio.run_coroutine_threadsafe(self._queue.put(chunk), self._loop).result()
            except (RuntimeError, CancelledError):  # the loop has stopped: nobody is reading any more
                return


def _chunk_reader(stream) -> Callable[[], bytes]:
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # an in-memory stream (tests)
        return partial(getattr(stream, "read1", stream.read), CHUNK)
    return partial(os.read, fd, CHUNK)


class ParseFailure(ValueError):
    pass


def decode_body(body: bytes) -> Any:
    """A body as JSON: strict UTF-8, nesting bounded. NaN and Infinity (which Python's json accepts) are kept as
    floats here: they are refused where they matter, in ids, and never written back."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ParseFailure(f"the body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except RecursionError:
        raise ParseFailure("the body nests too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer with more digits than Python converts
        raise ParseFailure(" ".join(str(exc).split())[:300]) from None
    if _too_deep(data, body):
        raise ParseFailure(f"the body nests deeper than {MAX_DEPTH} levels")
    return data


def _too_deep(data: Any, body: bytes) -> bool:
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:  # cheap: most messages cannot be that deep
        return False
    level = [data] if isinstance(data, (dict, list)) else []
    for _ in range(MAX_DEPTH):
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, (dict, list))
        ]
        if not level:
            return False
    return True
