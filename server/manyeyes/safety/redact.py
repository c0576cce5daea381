"""Secret redaction: applied to every message before it leaves the machine.

Each source a message quotes (the reviewed file, its related test) is scanned once with detect-secrets; every
secret found becomes a token -> marker mapping (`<redacted:kind>`), and the message has every such token
replaced wherever it appears: in the numbered code, the imports, and an analyzer's title that quotes a password.
`redact(text)` is the same mapping applied to a source itself, so a model's quote of the redacted code can be
anchored in it. Lines are never added or removed, so line numbers keep meaning the same lines. Private key blocks
are blanked line by line: their body lines look like any other base64.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

_LEFT_CHARS = re.compile(r"[A-Za-z0-9_\-+/.~]")
_RIGHT_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.~]")  # base64 padding only ever ends a token
_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_KEY_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
MIN_SECRET_CHARS = 6  # shorter "secrets" are fragments, and replacing them everywhere would garble code
_lock = threading.Lock()  # detect-secrets keeps its settings in a global


def redact(text: str) -> str:
    """The text with every detected secret replaced by its marker; same number of lines."""
    return substitute(text, secret_map(text))


def redact_message(message: str, sources: tuple[str, ...] = ()) -> str:
    """A message about to be sent, with every secret found in the sources it quotes replaced."""
    mapping: dict[str, str] = {}
    for source in sources:
        mapping.update(secret_map(source))
    return substitute(message, mapping)


def substitute(text: str, mapping: dict[str, str]) -> str:
    for token in sorted(mapping, key=len, reverse=True):  # a longer secret may contain a shorter one
        text = text.replace(token, mapping[token])
    return text


@lru_cache(maxsize=256)
def secret_map(text: str) -> dict[str, str]:
    """Secret token -> marker for one source text. Scanning costs about half a millisecond a line, so callers
    that care about latency warm this cache off the event loop (the engine does)."""
    if not text:
        return {}
    lines = text.split("\n")
    mapping = _private_key_lines(lines)
    for number, found in _scan(lines).items():
        line = lines[number - 1]
        for kind, value in found:
            if value in line:
                start, end = _token_span(line, value)
                if end - start >= MIN_SECRET_CHARS:
                    mapping.setdefault(line[start:end], _marker(kind))
    return mapping


def _scan(lines: list[str]) -> dict[int, list[tuple[str, str]]]:
    """Secrets by 1-based line number, with detect-secrets' own false-positive filters applied.

    `_process_line_based_plugins` is what detect-secrets runs for a file; its public `scan_line` is an ad-hoc mode
    without entropy limits (it flags `range` and `print`), and `scan_file` reads from disk.
    """
    from detect_secrets.core.scan import _process_line_based_plugins
    from detect_secrets.settings import default_settings

    found: dict[int, list[tuple[str, str]]] = {}
    with _lock, default_settings():
        for secret in _process_line_based_plugins(list(enumerate(lines, 1)), filename="snippet.py"):
            if secret.secret_value:
                found.setdefault(secret.line_number, []).append((secret.type, secret.secret_value))
    return found


def _token_span(line: str, value: str) -> tuple[int, int]:
    """The whole token the secret sits in: some detectors report only a prefix of the secret."""
    start = line.find(value)
    end = start + len(value)
    while start > 0 and _LEFT_CHARS.match(line[start - 1]):
        start -= 1
    while end < len(line) and _RIGHT_CHARS.match(line[end]):
        end += 1
    return start, end


def _private_key_lines(lines: list[str]) -> dict[str, str]:
    mapping, in_key = {}, False
    for line in lines:
        if in_key or _KEY_BEGIN.search(line):
            in_key = not _KEY_END.search(line)
            body = line.strip()
            if len(body) >= MIN_SECRET_CHARS:
                mapping[body] = "<redacted:private-key>"
    return mapping


def _marker(kind: str) -> str:
    return "<redacted:" + kind.lower().replace(" ", "-") + ">"


def warm(texts: list[str]) -> None:
    """Scan sources ahead of rendering (call it in a worker thread: it is the slow part of redaction)."""
    for text in texts:
        secret_map(text)
