"""A seeded fuzz of the language server over stdio: the frame generator, the run, and what it found.

The generator mixes valid traffic (hover, code actions, commands with bad arguments, open/change/close) with
malformed JSON, wrong types, bad ids, huge numbers, deep nesting, invalid UTF-8 and bogus headers. Every frame
says what it exercises (`kind`) and which request id, if any, the server owes exactly one answer. The run checks
that the server never crashes, answers every such id exactly once, never answers -32603 (an internal error is a
bug), writes nothing but well-formed frames, and stays within a memory bound.

    python -m manyeyes.devtools.fuzz_server --frames 10000 --seed 7

tests/lsp/test_fuzz.py runs a few hundred frames of it in CI.

Kinds starting with "didChange:odd-range" send reversed or out-of-document ranges: the text model here is then
stale, so the next change replaces the whole document.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from manyeyes.devtools.wire import WireClient, error_code, frame, is_response

SERVER = [sys.executable, "-m", "manyeyes", "lsp"]
INTERNAL_ERROR = -32603
DOCUMENT = "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n    return cmd\n\n\ndef add(a, b):\n    return a + b\n"
COMMANDS = (
    "manyeyes.review.file",
    "manyeyes.review.selection",
    "manyeyes.review.cancel",
    "manyeyes.agent.cancel",
    "manyeyes.dismiss",
    "manyeyes.refactor.selection",
    "manyeyes.no.such.command",
)
ODD_VALUES = (None, 0, -1, 2**31, 10**30, 1.5, True, "", "x" * 300, [], {}, [[[]]], {"start": 3}, "file:")
# Raw JSON spellings of values Python's json reads but JSON-RPC ids must not be (NaN, floats, bools, ...).
BAD_IDS = ("NaN", "Infinity", "-Infinity", "1.5", "1e3", "-0.0", "true", "false", "null", "{}", "[]", "[1]")
MALFORMED = (
    b"{not json",
    b'{"jsonrpc":"2.0","id":1,',
    b'{"jsonrpc":"2.0","method":"textDocument/hover",}',
    b"",
    b"   ",
    b"nul",
    b"{'jsonrpc': '2.0'}",
    b'{"jsonrpc":"2.0"}}',
    b'"unterminated',
    b"\x00\x01\x02",
)
INVALID_UTF8 = (b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xf8\x88\x80\x80\x80")


@dataclass
class FuzzFrame:
    kind: str
    data: bytes
    answer_id: int | str | None = None  # the server owes this request exactly one answer
    maybe_id: int | str | None = None  # a request in a frame that may be lost: answered at most once


@dataclass
class FuzzReport:
    seed: int
    frames: int = 0
    kinds: Counter = field(default_factory=Counter)
    owed: int = 0  # requests with a valid id the server must answer
    answered: int = 0
    missing: list = field(default_factory=list)  # owed ids with no answer
    duplicated: list = field(default_factory=list)  # ids answered more than once
    internal_errors: list = field(default_factory=list)  # responses with code -32603
    review_failures: list = field(default_factory=list)  # boards ending "failed": logged bugs in a review
    review_endings: Counter = field(default_factory=Counter)  # how the reviews the fuzz started ended
    violations: list = field(default_factory=list)  # bytes on stdout that are not a well-formed frame
    crashed: str = ""  # why the server is not alive and answering, if it is not
    exit_code: int | None = None
    peak_rss_mb: float | None = None
    seconds: float = 0.0
    log_tail: str = ""  # the end of the server's stderr, for --show-log

    def ok(self, max_rss_mb: float) -> bool:
        within = self.peak_rss_mb is None or self.peak_rss_mb <= max_rss_mb
        return (
            not (self.crashed or self.missing or self.duplicated or self.internal_errors or self.violations) and within
        )

    def summary(self) -> str:
        rss = f"{self.peak_rss_mb:.0f} MB" if self.peak_rss_mb is not None else "unknown"
        lines = [
            f"seed {self.seed}: {self.frames} frames sent in {self.seconds:.1f}s",
            (
                f"requests answered: {self.answered} of {self.owed} owed (missing {len(self.missing)}, "
                f"answered twice {len(self.duplicated)})"
            ),
            f"internal errors (-32603): {len(self.internal_errors)}",
            f"reviews ended: {dict(self.review_endings)}; failed: {len(self.review_failures)}",
            f"stdout violations: {len(self.violations)}",
            f"crashes: {1 if self.crashed else 0}{' (' + self.crashed + ')' if self.crashed else ''}",
            f"exit code after shutdown/exit: {self.exit_code}",
            f"peak memory (VmHWM): {rss}",
        ]
        details = [*self.internal_errors[:5], *self.violations[:5], *self.missing[:5], *self.review_failures[:3]]
        kinds = Counter()
        for kind, count in self.kinds.items():
            kinds[kind.split(":")[0]] += count
        lines.append("frames by kind: " + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))
        return "\n".join(lines + [f"  {detail}" for detail in details])


class FrameGenerator:
    """Frames for the fuzz, from a seed. It keeps a model of the documents it opened so that most edits are valid
    (ASCII text: positions count the same in every encoding)."""

    def __init__(self, seed: int, workspace: Path, odd_ranges: bool = True) -> None:
        self.random = random.Random(seed)
        self.workspace = workspace
        self.odd_ranges = odd_ranges
        self._next_id = 1000
        self.texts: dict[str, str] = {}  # uri -> text, as the server should have it
        self.versions: dict[str, int] = {}
        self.stale: set[str] = set()  # documents whose model is wrong since an odd edit
        self.recent_ids: list = []
        self._kinds: list[tuple[int, Callable[[], list[FuzzFrame]]]] = [
            (10, self.hover),
            (8, self.code_action),
            (10, self.command_with_bad_arguments),
            (1, self.review_command),
            (3, self.cancel_request),
            (3, self.unknown_method),
            (3, self.notification_with_id),
            (4, self.did_open),
            (8, self.did_change),
            (1, self.did_close),
            (1, self.configuration),
            (6, self.malformed_json),
            (2, self.not_an_object),
            (6, self.wrong_types),
            (5, self.bad_id),
            (3, self.huge_number),
            (2, self.deep_nesting),
            (3, self.invalid_utf8),
            (8, self.bogus_header),
        ]

    def frames(self, count: int) -> list[FuzzFrame]:
        """About `count` frames (a few kinds send two), starting by opening the documents."""
        out = [self._open(self.uri(name), DOCUMENT) for name in ("a.py", "b.py")]
        weights = [weight for weight, _ in self._kinds]
        makers = [maker for _, maker in self._kinds]
        while len(out) < count:
            out.extend(self.random.choices(makers, weights)[0]())
        return out[:count]

    # helpers

    def uri(self, name: str) -> str:
        return f"{self.workspace.as_uri()}/{name}"  # spelled out: odd names (a lone surrogate) are not paths

    def new_id(self) -> int | str:
        self._next_id += 1
        value = self._next_id if self.random.random() < 0.8 else f"fuzz-{self._next_id}"
        self.recent_ids = (self.recent_ids + [value])[-20:]
        return value

    def request(self, kind: str, method: str, params=None, header: bytes | None = None) -> FuzzFrame:
        msg_id = self.new_id()
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        return FuzzFrame(kind, frame(message, header), answer_id=msg_id)

    def notification(self, kind: str, method: str, params) -> FuzzFrame:
        return FuzzFrame(kind, frame({"jsonrpc": "2.0", "method": method, "params": params}))

    def open_uri(self) -> str:
        return self.random.choice(sorted(self.texts) or [self.uri("a.py")])

    def odd_uri(self) -> str:
        return self.random.choice(
            [
                "untitled:Untitled-1",
                self.uri("missing.py"),
                self.uri("a%00b.py"),
                self.uri("\ud800.py"),
                self.uri("%ED%A0%80.py"),
                "file:",
                "file://",
                "no-scheme",
                "http://[::1",
                "file:///dev/zero",
                self.uri("x" * 5000),
            ]
        )

    def position(self, sane: bool = True) -> dict:
        if sane:
            return {"line": self.random.randint(0, 12), "character": self.random.randint(0, 20)}
        value = self.random.choice([-1, 2**31, 2**32, 10**18, 0])
        return {"line": value, "character": self.random.choice([value, 0, 1.5, "3"])}

    # valid requests (their results or errors must come back)

    def hover(self) -> list[FuzzFrame]:
        uri = self.open_uri() if self.random.random() < 0.7 else self.odd_uri()
        params = {"textDocument": {"uri": uri}, "position": self.position(self.random.random() < 0.7)}
        return [self.request("hover", "textDocument/hover", params)]

    def code_action(self) -> list[FuzzFrame]:
        uri = self.open_uri() if self.random.random() < 0.7 else self.odd_uri()
        start, end = self.position(), self.position(self.random.random() < 0.8)
        if self.random.random() < 0.3:
            start, end = end, start  # reversed
        params = {"textDocument": {"uri": uri}, "range": {"start": start, "end": end}, "context": {"diagnostics": []}}
        return [self.request("codeAction", "textDocument/codeAction", params)]

    def command_with_bad_arguments(self) -> list[FuzzFrame]:
        command = self.random.choice(COMMANDS)
        arguments = [self.random.choice([*ODD_VALUES, self.odd_uri()]) for _ in range(self.random.randint(0, 3))]
        params = {"command": command, "arguments": arguments}
        if self.random.random() < 0.2:
            params = {"command": command} if self.random.random() < 0.5 else {"arguments": arguments}
        return [self.request("executeCommand:bad-arguments", "workspace/executeCommand", params)]

    def review_command(self) -> list[FuzzFrame]:
        """A real review of an open document (offline: the analyzers), often superseded or cancelled later."""
        if not self.texts:
            return self.hover()
        params = {"command": "manyeyes.review.file", "arguments": [self.random.choice(sorted(self.texts))]}
        return [self.request("executeCommand:review", "workspace/executeCommand", params)]

    def cancel_request(self) -> list[FuzzFrame]:
        target = self.random.choice([*self.recent_ids[-5:], 999_999, "nope", None, 1.5])
        return [self.notification("cancelRequest", "$/cancelRequest", {"id": target})]

    def unknown_method(self) -> list[FuzzFrame]:
        method = self.random.choice(["fuzz/unknown", "$/fuzz", "textDocument/unknown", "workspace/configuration"])
        params = self.random.choice([None, {}, [1, 2]])
        if self.random.random() < 0.3:
            return [self.notification("unknown-notification", method, params)]
        return [self.request("unknown-method", method, params)]

    def notification_with_id(self) -> list[FuzzFrame]:
        """Notification methods sent as requests: each needs an answer (and `exit` must not exit)."""
        method, params = self.random.choice(
            [
                (
                    "textDocument/didOpen",
                    {
                        "textDocument": {
                            "uri": self.uri("n.py"),
                            "languageId": "python",
                            "version": 1,
                            "text": "x = 1\n",
                        }
                    },
                ),
                ("textDocument/didClose", {"textDocument": {"uri": self.uri("n.py")}}),
                ("initialized", {}),
                ("exit", None),
                ("$/cancelRequest", {"id": 1}),
            ]
        )
        return [self.request("notification-with-id", method, params)]

    # document traffic (notifications: nothing comes back)

    def did_open(self) -> list[FuzzFrame]:
        if self.random.random() < 0.5:
            return [self._open(self.uri(self.random.choice(["a.py", "b.py", "c.py"])), DOCUMENT)]
        text = self.random.choice(["", "x" * 10_000, "é\u2028\U0001f600\n", DOCUMENT])
        return [self.notification("didOpen:odd-uri", "textDocument/didOpen", _item(self.odd_uri(), 1, text))]

    def _open(self, uri: str, text: str) -> FuzzFrame:
        self.texts[uri], self.versions[uri] = text, 1
        self.stale.discard(uri)
        return self.notification("didOpen", "textDocument/didOpen", _item(uri, 1, text))

    def did_change(self) -> list[FuzzFrame]:
        uri = self.open_uri()
        if uri not in self.texts:
            return self.did_open()
        self.versions[uri] += 1
        if uri in self.stale or self.random.random() < 0.2:
            return [self._change("didChange:full", uri, [{"text": DOCUMENT}], DOCUMENT)]
        if self.odd_ranges and self.random.random() < 0.15:
            self.stale.add(uri)
            change = {"range": {"start": self.position(False), "end": self.position()}, "text": "odd\n"}
            if self.random.random() < 0.5:  # reversed, inside the document
                change["range"] = {"start": {"line": 3, "character": 2}, "end": {"line": 1, "character": 0}}
            return [self._change("didChange:odd-range", uri, [change], None)]
        return [self._sane_change(uri)]

    def _sane_change(self, uri: str) -> FuzzFrame:
        text = self.texts[uri]
        lines = text.split("\n")
        start = self._point(lines)
        end = max(start, self._point(lines))
        insert = self.random.choice(["", "x", "\n", "pass\n", "    y = 2\n", "def f():\n    return 1\n"])
        offsets = [sum(len(line) + 1 for line in lines[:row]) + col for row, col in (start, end)]
        new_text = text[: offsets[0]] + insert + text[offsets[1] :]
        rng = {"start": {"line": start[0], "character": start[1]}, "end": {"line": end[0], "character": end[1]}}
        return self._change("didChange:sane-range", uri, [{"range": rng, "text": insert}], new_text)

    def _point(self, lines: list[str]) -> tuple[int, int]:
        row = self.random.randrange(len(lines))
        return row, self.random.randint(0, len(lines[row]))

    def _change(self, kind: str, uri: str, changes: list, new_text: str | None) -> FuzzFrame:
        if new_text is not None:
            self.texts[uri] = new_text
            self.stale.discard(uri)
        document = {"uri": uri, "version": self.versions[uri]}
        return self.notification(kind, "textDocument/didChange", {"textDocument": document, "contentChanges": changes})

    def did_close(self) -> list[FuzzFrame]:
        uri = self.open_uri()
        self.texts.pop(uri, None)
        return [self.notification("didClose", "textDocument/didClose", {"textDocument": {"uri": uri}})]

    def configuration(self) -> list[FuzzFrame]:
        settings = self.random.choice(
            [{"minSeverity": 5}, {"maxFindings": "x"}, {"concerns": ["nope"]}, "not-a-dict", {"minSeverity": "low"}]
        )
        return [
            self.notification(
                "didChangeConfiguration", "workspace/didChangeConfiguration", {"settings": {"manyeyes": settings}}
            )
        ]

    # malformed bodies (a parse error or an invalid request comes back, with "id": null)

    def malformed_json(self) -> list[FuzzFrame]:
        return [FuzzFrame("malformed-json", frame(self.random.choice(MALFORMED)))]

    def not_an_object(self) -> list[FuzzFrame]:
        inner = {"jsonrpc": "2.0", "id": self.new_id(), "method": "fuzz/batch"}
        body = self.random.choice([json.dumps([inner]), "[]", "5", '"text"', "null", "true"])
        return [FuzzFrame("not-an-object", frame(body))]

    def wrong_types(self) -> list[FuzzFrame]:
        msg_id = self.new_id()
        message = self.random.choice(
            [
                {"jsonrpc": "1.0", "id": msg_id, "method": "textDocument/hover"},
                {"jsonrpc": 2.0, "id": msg_id, "method": "textDocument/hover"},
                {"id": msg_id, "method": "textDocument/hover"},
                {"jsonrpc": "2.0", "id": msg_id, "method": 5},
                {"jsonrpc": "2.0", "id": msg_id, "method": None},
                {"jsonrpc": "2.0", "id": msg_id, "method": ["textDocument/hover"]},
                {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover", "params": "x"},
                {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover", "params": [1, 2]},
                {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover", "params": {"textDocument": 5}},
                {
                    "jsonrpc": "2.0",
                    "id": msg_id,
                    "method": "textDocument/hover",
                    "params": {"textDocument": {"uri": 7}, "position": {"line": "0", "character": None}},
                },
                {"jsonrpc": "2.0", "id": msg_id, "method": "workspace/executeCommand", "params": {"command": 5}},
            ]
        )
        return [FuzzFrame("wrong-types", frame(message), answer_id=msg_id)]

    def bad_id(self) -> list[FuzzFrame]:
        raw = self.random.choice(BAD_IDS)
        method = self.random.choice(["textDocument/hover", "fuzz/unknown", "shutdown", "exit"])
        return [FuzzFrame("bad-id", frame(f'{{"jsonrpc":"2.0","id":{raw},"method":"{method}","params":{{}}}}'))]

    def huge_number(self) -> list[FuzzFrame]:
        choice = self.random.randrange(4)
        if choice == 0:  # a valid (integer) id, however large
            msg_id = 10**30 + self._next_id
            self._next_id += 1
            return [FuzzFrame("huge-number:id", frame({"jsonrpc": "2.0", "id": msg_id, "method": "fuzz/x"}), msg_id)]
        if choice == 1:
            params = {"textDocument": {"uri": self.open_uri()}, "position": {"line": 10**18, "character": 10**40}}
            return [self.request("huge-number:position", "textDocument/hover", params)]
        if choice == 2:  # more digits than Python converts: a parse error
            return [FuzzFrame("huge-number:digits", frame(b'{"jsonrpc":"2.0","id":' + b"9" * 5000 + b',"method":"x"}'))]
        body = (
            '{"jsonrpc":"2.0","id":%d,"method":"textDocument/hover","params":{"textDocument":{"uri":"%s"},'
            '"position":{"line":1e999,"character":-1e999}}}'
        )
        msg_id = self._int_id()
        return [FuzzFrame("huge-number:infinity", frame(body % (msg_id, self.open_uri())), answer_id=msg_id)]

    def _int_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def deep_nesting(self) -> list[FuzzFrame]:
        depth = self.random.choice([100_000, 5_000, 70, 40])
        nested = "[" * depth + "]" * depth
        if depth > 60:  # over the server's bound: a parse error, whatever the frame holds
            body = nested if self.random.random() < 0.5 else "[" * depth
            return [FuzzFrame("deep-nesting:too-deep", frame(body))]
        msg_id = self._int_id()
        body = (
            '{"jsonrpc":"2.0","id":%d,"method":"workspace/executeCommand","params":{"command":"%s","arguments":[%s]}}'
        )
        return [FuzzFrame("deep-nesting:within-bound", frame(body % (msg_id, COMMANDS[0], nested)), answer_id=msg_id)]

    def invalid_utf8(self) -> list[FuzzFrame]:
        bad = self.random.choice(INVALID_UTF8)
        msg_id = self._int_id()
        body = b'{"jsonrpc":"2.0","id":%d,"method":"textDocument/hover","params":"%s"}' % (msg_id, bad)
        if self.random.random() < 0.2:
            body = b"\xef\xbb\xbf" + json.dumps({"jsonrpc": "2.0", "method": "fuzz/bom"}).encode()
        return [FuzzFrame("invalid-utf8", frame(body))]  # the id is in a body that is no JSON: nothing is owed

    def bogus_header(self) -> list[FuzzFrame]:
        msg_id = self._int_id()
        body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": "fuzz/after-header"}).encode()
        size = len(body)
        valid = {  # headers a server must read: the request is owed its answer
            "lowercase": b"content-length: %d\r\n\r\n" % size,
            "padded": b"Content-Length:    %d  \r\n\r\n" % size,
            "uppercase-and-extra": b"CONTENT-LENGTH:%d\r\nContent-Type: application/vscode-jsonrpc\r\nX-Fuzz: 1\r\n\r\n"
            % size,
            "lf-only": b"Content-Length: %d\n\n" % size,
            "blank-lines-before": b"\r\n\r\nContent-Length: %d\r\n\r\n" % size,
        }
        broken = {  # the frame is lost; the server answers a parse error and reads the next frame
            "non-numeric": b"Content-Length: abc\r\n\r\n",
            "negative": b"Content-Length: -5\r\n\r\n",
            "huge": b"Content-Length: 99999999999999\r\n\r\n",
            "over-the-cap": b"Content-Length: %d\r\n\r\n" % (64 * 1024 * 1024 + 1),
            "no-colon": b"garbage header\r\nContent-Length: %d\r\n\r\n" % size,
            "no-length": b"Content-Type: application/vscode-jsonrpc\r\n\r\n",
            "too-short": b"Content-Length: %d\r\n\r\n" % max(size - self.random.randint(1, 20), 1),
            "overlong-line": b"X" * 20_000 + b"\r\nContent-Length: %d\r\n\r\n" % size,
        }
        name = self.random.choice([*valid, *broken, "too-long"])
        if name in valid:
            return [FuzzFrame(f"bogus-header:{name}", frame(body, valid[name]), answer_id=msg_id)]
        if name == "too-long":  # runs into a filler frame, which may be lost with it
            filler = frame({"jsonrpc": "2.0", "method": "fuzz/filler", "params": {"pad": "." * 60}})
            header = b"Content-Length: %d\r\n\r\n" % (size + self.random.randint(1, 60))
            return [
                FuzzFrame("bogus-header:too-long", frame(body, header), maybe_id=msg_id),
                FuzzFrame("filler", filler),
            ]
        return [FuzzFrame(f"bogus-header:{name}", frame(body, broken[name]), maybe_id=msg_id)]


def _item(uri: str, version: int, text: str) -> dict:
    return {"textDocument": {"uri": uri, "languageId": "python", "version": version, "text": text}}


def server_env() -> dict:
    """The environment for a server under test: no user configuration, no model (offline reviews)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANYEYES_")}
    env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="manyeyes-fuzz-cfg-")
    return env


def run_fuzz(seed: int, count: int, workspace: Path, timeout: float = 120, env: dict | None = None) -> FuzzReport:
    """Start the server, initialize, send `count` generated frames, then a final request, shutdown and exit."""
    (workspace / "a.py").write_text(DOCUMENT)
    frames = FrameGenerator(seed, workspace).frames(count)
    report = FuzzReport(seed=seed, frames=len(frames), kinds=Counter(f.kind for f in frames))
    started = time.monotonic()
    with WireClient.start(SERVER, env=env or server_env()) as client:
        try:
            client.initialize(workspace.as_uri(), timeout=timeout)
            for item in frames:
                client.send(item.data)
        except (OSError, TimeoutError) as exc:  # it stopped reading: exited or died
            report.crashed = f"{type(exc).__name__} while sending: {exc}; exit code {client.process.poll()}"
        else:
            _finish(client, report, timeout)
        _check(client, report, frames)
    report.seconds = time.monotonic() - started
    return report


def _finish(client: WireClient, report: FuzzReport, timeout: float) -> None:
    """A final request must be answered (the server is alive and reading); then an orderly shutdown and exit."""
    try:
        client.call(
            "textDocument/hover",
            {"textDocument": {"uri": "file:///f.py"}, "position": {"line": 0, "character": 0}},
            msg_id="fuzz-final",
            timeout=timeout,
        )
        report.peak_rss_mb = client.peak_rss_mb()
        client.call("shutdown", None, msg_id="fuzz-shutdown", timeout=timeout)
        client.notify("exit")
        report.exit_code = client.wait_closed(timeout)
    except (TimeoutError, OSError) as exc:
        report.crashed = f"{type(exc).__name__}: {exc}; alive: {client.alive()}"
        report.peak_rss_mb = report.peak_rss_mb or client.peak_rss_mb()
    if report.exit_code not in (None, 0) and not report.crashed:
        report.crashed = f"exit code {report.exit_code}"


def _check(client: WireClient, report: FuzzReport, frames: list[FuzzFrame]) -> None:
    answers = Counter(_key(m.get("id")) for m in client.received if is_response(m) and m.get("id") is not None)
    owed = [f.answer_id for f in frames if f.answer_id is not None]
    report.owed = len(owed)
    report.answered = sum(1 for i in owed if answers[_key(i)] >= 1)
    report.missing = [
        f"no answer to {f.kind} id {f.answer_id}"
        for f in frames
        if f.answer_id is not None and answers[_key(f.answer_id)] == 0
    ]
    report.duplicated = [f"{count} answers to id {key[1]}" for key, count in answers.items() if count > 1]
    report.internal_errors = [
        f"-32603: {json.dumps(m)[:300]}" for m in client.received if is_response(m) and error_code(m) == INTERNAL_ERROR
    ]
    endings = [m["params"] for m in client.received if m.get("method") == "manyeyes/board" and m["params"].get("done")]
    report.review_endings = Counter(str(board.get("message")).split(":")[0].split(",")[0] for board in endings)
    report.review_failures = [
        f"{b.get('reviewId')}: {b.get('message')}" for b in endings if str(b.get("message")).startswith("failed")
    ]
    report.violations = list(client.parser.violations)
    report.log_tail = client.stderr_text()[-6000:]
    if client.parser.leftover():
        report.violations.append(f"unterminated bytes at the end of stdout: {client.parser.leftover()[:80]!r}")


def _key(msg_id) -> tuple[str, object]:
    return (type(msg_id).__name__, msg_id)  # 1 and "1" are different ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-rss-mb", type=float, default=400)
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for any one answer")
    parser.add_argument("--show-log", action="store_true", help="print the end of the server's stderr")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="manyeyes-fuzz-") as root:
        report = run_fuzz(args.seed, args.frames, Path(root), timeout=args.timeout)
    print(report.summary())
    if args.show_log:
        print("--- the end of the server's stderr ---\n" + report.log_tail)
    return 0 if report.ok(args.max_rss_mb) else 1


if __name__ == "__main__":
    sys.exit(main())
