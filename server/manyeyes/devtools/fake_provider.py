"""A fake model provider: an OpenAI-compatible chat-completions server on loopback, for tests and benchmarks.

It speaks the real HTTP API, so litellm's whole path runs against it. Replies are scripted per agent (found by the
"Concern: <name>" line every review prompt carries), with a fixed latency and faults on demand. It records every
request body and the peak number of requests in flight.

    with FakeProvider(latency=0.2) as fake:
        fake.script("security", Reply(findings=[...]))
        fake.script("tests", Fault("429", retry_after=1), Reply())   # first a 429, then a reply
        ... review with model "openai/fake", api_base fake.url ...
        assert fake.peak_in_flight == 4
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_CONCERN = re.compile(r"^Concern: ([\w-]+)", re.MULTILINE)


@dataclass
class Reply:
    """A normal answer: the findings as the model's JSON, or raw content as given."""

    findings: list[dict] = field(default_factory=list)
    content: str | None = None
    finish_reason: str = "stop"

    def text(self) -> str:
        return self.content if self.content is not None else json.dumps({"findings": self.findings})


@dataclass
class Fault:
    """kind: "429" (with retry_after seconds), "500", "timeout" (hangs), "malformed" (a body that is not JSON),
    "cutoff" (finish_reason length, half a reply), "refusal", "empty"."""

    kind: str
    retry_after: int | None = None
    partial: str = ""  # for cutoff: the text the model got out before the limit


Behaviour = Reply | Fault


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 drops bursts of new connections (a 1 s SYN retry each)


class FakeProvider:
    def __init__(self, latency: float = 0.0, hang_s: float = 30.0, max_in_flight: int | None = None):
        self.latency = latency
        self.hang_s = hang_s
        self.max_in_flight = max_in_flight  # beyond it, answer 429 with Retry-After: a provider's rate limit
        self.rate_limited = 0
        self.requests: list[dict[str, Any]] = []
        self.arrivals: list[float] = []  # time.monotonic() of each request, in order
        self.peak_in_flight = 0
        self._in_flight = 0
        self._scripts: dict[str, list[Behaviour]] = {}
        self.oracle = None  # a NoisyOracle answers every agent that has no script
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, agent: str, *behaviours: Behaviour) -> None:
        """Answers for one agent, in order; the last one repeats."""
        with self._lock:
            self._scripts[agent] = list(behaviours)

    def requests_for(self, agent: str) -> list[dict]:
        return [r for r in self.requests if agent_of(r) == agent]

    def __enter__(self) -> FakeProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def _next(self, agent: str, body: dict) -> Behaviour:
        with self._lock:
            queue = self._scripts.get(agent)
            if not queue:
                return self.oracle.answer(body) if self.oracle else Reply()
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def _enter(self, body: dict) -> bool:
        """Count the request in; False when it is over the rate limit (it is then answered 429 at once)."""
        with self._lock:
            if self.max_in_flight is not None and self._in_flight >= self.max_in_flight:
                self.rate_limited += 1
                return False
            self.requests.append(body)
            self.arrivals.append(time.monotonic())
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
            return True

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


def agent_of(body: dict) -> str:
    text = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    match = _CONCERN.search(text)
    return match.group(1) if match else "unknown"


def _completion(body: dict, content: str, finish_reason: str, refusal: str | None = None) -> dict:
    prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
    usage = {"prompt_tokens": prompt_chars // 4 + 1, "completion_tokens": len(content) // 4 + 1}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    message = {"role": "assistant", "content": content, "refusal": refusal}
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "usage": usage,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
    }


def _handler_for(fake: FakeProvider):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go in separate writes: without this, +40 ms a reply

        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self._send(400, {"error": {"message": "request body is not JSON"}})
            if not fake._enter(body):
                return self._answer(body, Fault("429", retry_after=1))
            try:
                time.sleep(fake.latency)
                self._answer(body, fake._next(agent_of(body), body))
            finally:
                fake._leave()

        def _answer(self, body: dict, behaviour: Behaviour) -> None:
            if isinstance(behaviour, Reply):
                return self._send(200, _completion(body, behaviour.text(), behaviour.finish_reason))
            kind = behaviour.kind
            if kind == "429":
                headers = {"Retry-After": str(behaviour.retry_after)} if behaviour.retry_after is not None else {}
                return self._send(429, {"error": {"message": "rate limited", "type": "rate_limit_error"}}, headers)
            if kind == "500":
                return self._send(500, {"error": {"message": "internal error", "type": "server_error"}})
            if kind == "timeout":
                fake._stop.wait(fake.hang_s)
                return self._send(200, _completion(body, '{"findings": []}', "stop"))
            if kind == "malformed":
                return self._send_raw(200, b'{"id": "chatcmpl-fake", "choices": [ {"message": ')
            if kind == "cutoff":
                return self._send(
                    200, _completion(body, behaviour.partial or '{"findings": [{"title": "Unfin', "length")
                )
            if kind == "refusal":
                return self._send(200, _completion(body, "", "stop", refusal="I can't help with that request."))
            if kind == "empty":
                return self._send(200, _completion(body, "", "stop"))
            raise ValueError(f"unknown fault {kind}")

        def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
            self._send_raw(status, json.dumps(payload).encode(), headers)

        def _send_raw(self, status: int, data: bytes, headers: dict | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to answer

    return Handler
