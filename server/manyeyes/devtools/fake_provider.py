"""A fake model provider: an OpenAI-compatible chat-completions server on loopback, for tests and benchmarks.

It speaks the real HTTP API, so litellm's whole path runs against it. Replies are scripted per agent (found by the
"Concern: <name>" line every review prompt carries), with a fixed latency and faults on demand. It records every
request body and the peak number of requests in flight.

It caches prompts the way OpenAI does: each request it has answered is remembered, and a later request's
`usage.prompt_tokens_details.cached_tokens` is its longest common prefix with any earlier one, in tokens (4
characters each, as the counts here), rounded down to a multiple of 128 and 0 below `min_cached_tokens`. It also
answers Anthropic's Messages API (a path ending in /messages, where litellm sends "anthropic/..." models given
this api_base), caching like Anthropic: only up to the `cache_control` markers a request carries, reported as
`cache_read_input_tokens` and `cache_creation_input_tokens`. Which requests carried markers: `cache_markers`.

    with FakeProvider(latency=0.2) as fake:
        fake.script("security", Reply(findings=[...]))
        fake.script("tests", Fault("429", retry_after=1), Reply())   # first a 429, then a reply
        ... review with model "openai/fake", api_base fake.url ...
        assert fake.peak_in_flight == 4
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_CONCERN = re.compile(r"^Concern: ([\w-]+)", re.MULTILINE)
CHARS_PER_TOKEN = 4
CACHE_BLOCK_TOKENS = 128  # OpenAI caches prefixes in steps of 128 tokens


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
    """kind: "429" (with retry_after seconds), "401" (the key rejected), "500", "timeout" (hangs), "malformed" (a
    body that is not JSON), "cutoff" (finish_reason length, half a reply), "refusal", "empty"."""

    kind: str
    retry_after: int | None = None
    partial: str = ""  # for cutoff: the text the model got out before the limit


Behaviour = Reply | Fault


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 drops bursts of new connections (a 1 s SYN retry each)


class FakeProvider:
    def __init__(
        self,
        latency: float = 0.0,
        hang_s: float = 30.0,
        max_in_flight: int | None = None,
        min_cached_tokens: int = 1024,
    ):
        self.latency = latency
        self.hang_s = hang_s
        self.max_in_flight = max_in_flight  # beyond it, answer 429 with Retry-After: a provider's rate limit
        self.rate_limited = 0
        self.requests: list[dict[str, Any]] = []
        self.arrivals: list[float] = []  # time.monotonic() of each request, in order
        self.min_cached_tokens = min_cached_tokens  # OpenAI's minimum: 1024 (Anthropic's: 1024 to 4096, by model)
        self.cached_tokens: list[int] = []  # per request, in order: the prompt tokens it read from the cache
        self.cache_markers: list[list[str]] = []  # per request, in order: where it carried cache_control (markers_of)
        self._prefixes: set[bytes] = set()  # OpenAI-style cache: digests of every accepted prompt's 128-token prefixes
        self._marked: set[bytes] = set()  # Anthropic-style cache: digests of the prefixes written at markers
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

    def _enter(self, body: dict, anthropic: bool = False) -> dict | None:
        """Count the request in and read its prompt against the cache; None when it is over the rate limit (it is
        then answered 429 at once), else its usage of the prompt: tokens, and cached ones as the API reports them."""
        with self._lock:
            if self.max_in_flight is not None and self._in_flight >= self.max_in_flight:
                self.rate_limited += 1
                return None
            self.requests.append(body)
            self.arrivals.append(time.monotonic())
            self.cache_markers.append(markers_of(body))
            usage = self._anthropic_cache(body) if anthropic else self._openai_cache(body)
            self.cached_tokens.append(usage["cached"])
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
            return usage

    def _openai_cache(self, body: dict) -> dict:
        """Any earlier prompt's longest common prefix with this one, in whole steps of 128 tokens (the digests of
        every step's prefix are kept, so this is one lookup per step); then this prompt is remembered too."""
        prompt, tokens = _prompt(body)
        steps = _step_digests(_cache_of(body), prompt, CACHE_BLOCK_TOKENS * CHARS_PER_TOKEN)
        hits = 0
        while hits < len(steps) and steps[hits] in self._prefixes:
            hits += 1
        cached = min(hits * CACHE_BLOCK_TOKENS, tokens)
        return {"tokens": tokens, "cached": cached if cached >= self.min_cached_tokens else 0, "written": 0}

    def _remember(self, body: dict, anthropic: bool) -> None:
        """A prompt's prefixes become readable once its response begins, not while it is read: requests sent
        together all miss, as on a real provider (Anthropic documents that a cache entry exists only once the first
        response has begun), so what a review's order of requests earns is what the figures show."""
        prompt, _ = _prompt(body)
        with self._lock:
            if anthropic:  # written at its markers
                ends = [end for end in _marker_ends(body) if end // CHARS_PER_TOKEN >= self.min_cached_tokens]
                self._marked.update(_cache_of(body, prompt[:end].encode()).digest() for end in ends)
            else:
                self._prefixes.update(_step_digests(_cache_of(body), prompt, CACHE_BLOCK_TOKENS * CHARS_PER_TOKEN))

    def _anthropic_cache(self, body: dict) -> dict:
        """Anthropic's rules: a marker's prefix is read if an earlier request wrote it, and the prefix up to the
        last marker is written when it is not; prefixes shorter than the minimum are neither."""
        prompt, tokens = _prompt(body)
        ends = [end for end in _marker_ends(body) if end // CHARS_PER_TOKEN >= self.min_cached_tokens]
        digests = {end: _cache_of(body, prompt[:end].encode()).digest() for end in ends}
        read = max((end for end in ends if digests[end] in self._marked), default=0)
        last = max(ends, default=0)
        written = last - read if last > read else 0
        return {"tokens": tokens, "cached": read // CHARS_PER_TOKEN, "written": written // CHARS_PER_TOKEN}

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


def agent_of(body: dict) -> str:
    text = "\n".join(text_of(m.get("content", "")) for m in _messages(body))
    match = _CONCERN.search(text)
    return match.group(1) if match else "unknown"


def text_of(content: Any) -> str:
    """A message's content as text: a string as it is, content parts (OpenAI's or Anthropic's) joined."""
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def markers_of(body: dict) -> list[str]:
    """Where a request carries cache_control markers: "system[0]", "user[0]" (role, then the content part's index);
    [] for a request without any."""
    found = []
    for message in _messages(body):
        content = message.get("content")
        for index, part in enumerate(content if isinstance(content, list) else []):
            if isinstance(part, dict) and part.get("cache_control"):
                found.append(f"{message.get('role')}[{index}]")
    return found


def _messages(body: dict) -> list[dict]:
    """The messages of a request, Anthropic's top-level system prompt first as a system message."""
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    system = body.get("system")
    return ([{"role": "system", "content": system}] if system else []) + messages


def _prompt(body: dict) -> tuple[str, int]:
    """The prompt as one text (messages apart by a NUL, so no two prompts share a prefix across a message
    boundary they do not share), and its tokens: 4 characters each, counted over the messages' text."""
    texts = [text_of(m.get("content", "")) for m in _messages(body)]
    return "\0".join(texts), sum(map(len, texts)) // CHARS_PER_TOKEN + 1


def _cache_of(body: dict, data: bytes = b""):
    """A digest keyed by the request's model: a provider's cache is the model's own."""
    return hashlib.blake2b(data, key=str(body.get("model", "")).encode()[:64])


def _step_digests(digest, prompt: str, step: int) -> list[bytes]:
    """The digests of the prompt's prefixes of 1, 2, ... whole steps, in one pass."""
    steps = []
    for start in range(0, len(prompt) - step + 1, step):
        digest.update(prompt[start : start + step].encode())
        steps.append(digest.digest())  # digest() leaves the running hash as it is
    return steps


def _marker_ends(body: dict) -> list[int]:
    """Where the prefixes a request marks end, as offsets into its _prompt text."""
    ends, offset = [], 0
    for index, message in enumerate(_messages(body)):
        offset += 1 if index else 0  # the NUL between messages
        content = message.get("content")
        for part in content if isinstance(content, list) else [content]:
            offset += len(text_of([part] if isinstance(part, dict) else part))
            if isinstance(part, dict) and part.get("cache_control"):
                ends.append(offset)
    return ends


def _completion(body: dict, content: str, finish_reason: str, refusal: str | None = None, usage: dict | None = None):
    usage = usage or {"tokens": _prompt(body)[1], "cached": 0}
    usage = {
        "prompt_tokens": usage["tokens"],
        "completion_tokens": len(content) // CHARS_PER_TOKEN + 1,
        "prompt_tokens_details": {"cached_tokens": usage["cached"]},
    }
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


_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens"}


def _anthropic_message(body: dict, content: str, finish_reason: str, refusal: str | None = None, usage=None):
    """The same answer in Anthropic's Messages API: input_tokens counts what was neither read from nor written to
    the cache."""
    usage = usage or {"tokens": _prompt(body)[1], "cached": 0, "written": 0}
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "fake"),
        "content": [{"type": "text", "text": content}] if content else [],
        "stop_reason": "refusal" if refusal else _STOP_REASONS.get(finish_reason, finish_reason),
        "stop_sequence": None,
        "usage": {
            "input_tokens": max(usage["tokens"] - usage["cached"] - usage["written"], 0),
            "output_tokens": len(content) // CHARS_PER_TOKEN + 1,
            "cache_read_input_tokens": usage["cached"],
            "cache_creation_input_tokens": usage["written"],
        },
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
            anthropic = self.path.rstrip("/").endswith("/messages")
            answer = _anthropic_message if anthropic else _completion
            usage = fake._enter(body, anthropic)
            if usage is None:
                return self._answer(body, Fault("429", retry_after=1), answer)
            try:
                time.sleep(fake.latency)
                fake._remember(body, anthropic)  # as its response begins: the next request may read it
                self._answer(body, fake._next(agent_of(body), body), answer, usage)
            finally:
                fake._leave()

        def _answer(self, body: dict, behaviour: Behaviour, answer=_completion, usage: dict | None = None) -> None:
            """Answer as the behaviour says, in the API the request was made in (`answer`)."""

            def reply(content: str, finish_reason: str, refusal: str | None = None) -> dict:
                return answer(body, content, finish_reason, refusal, usage)

            if isinstance(behaviour, Reply):
                return self._send(200, reply(behaviour.text(), behaviour.finish_reason))
            kind = behaviour.kind
            if kind == "429":
                headers = {"Retry-After": str(behaviour.retry_after)} if behaviour.retry_after is not None else {}
                return self._send(429, {"error": {"message": "rate limited", "type": "rate_limit_error"}}, headers)
            if kind == "401":
                return self._send(
                    401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
                )
            if kind == "500":
                return self._send(500, {"error": {"message": "internal error", "type": "server_error"}})
            if kind == "timeout":
                fake._stop.wait(fake.hang_s)
                return self._send(200, reply('{"findings": []}', "stop"))
            if kind == "malformed":
                return self._send_raw(200, b'{"id": "chatcmpl-fake", "choices": [ {"message": ')
            if kind == "cutoff":
                return self._send(200, reply(behaviour.partial or '{"findings": [{"title": "Unfin', "length"))
            if kind == "refusal":
                return self._send(200, reply("", "stop", refusal="I can't help with that request."))
            if kind == "empty":
                return self._send(200, reply("", "stop"))
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
