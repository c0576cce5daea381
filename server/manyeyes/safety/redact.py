"""Secret redaction: applied to every message before it leaves the machine.

detect-secrets finds the secrets line by line; each is replaced by a marker naming its kind, so the line count and
every other character of the line stay, and line numbers in prompts and replies keep meaning the same lines.
Private key blocks are blanked whole: their body lines look like any other base64.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

_LEFT_CHARS = re.compile(r"[A-Za-z0-9_\-+/.~]")
_RIGHT_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.~]")  # base64 padding only ever ends a token
_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_KEY_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_lock = threading.Lock()  # detect-secrets keeps its settings in a global


def redact_message(text: str, sources: tuple[str, ...] = ()) -> str:
    """A message about to leave the machine: secrets detected in it, and every secret found in `sources` (the
    code it quotes) wherever it appears, in any shape: an analyzer's title may quote a password outside code."""
    redacted = redact(text)
    for secret in sorted({s for source in sources for s in secrets_in(source)}, key=len, reverse=True):
        redacted = redacted.replace(secret, "<redacted:secret>")
    return redacted


@lru_cache(maxsize=256)
def secrets_in(text: str) -> frozenset[str]:
    """The secret tokens in a text, as whole tokens (what `redact` replaces)."""
    lines = text.split("\n")
    found = set()
    for number, secrets in _scan(lines).items():
        line = lines[number - 1]
        found.update(line[start:end] for start, end, _ in (_token_span(line, v, k) for k, v in secrets if v in line))
    return frozenset(s for s in found if len(s) >= 6)


@lru_cache(maxsize=256)
def redact(text: str) -> str:
    """The text with every detected secret replaced by `<redacted:kind>`; same number of lines."""
    lines = text.split("\n")
    secrets = _scan(lines)
    in_key = False
    for index, line in enumerate(lines):
        if in_key or _KEY_BEGIN.search(line):
            in_key = not _KEY_END.search(line)
            lines[index] = _blank_key_line(line)
        elif index + 1 in secrets:
            lines[index] = _redact_line(line, secrets[index + 1])
    return "\n".join(lines)


def _redact_line(line: str, found: list[tuple[str, str]]) -> str:
    spans = _merge(sorted(_token_span(line, value, kind) for kind, value in found if value in line))
    for start, end, kind in reversed(spans):
        line = line[:start] + "<redacted:" + kind.lower().replace(" ", "-") + ">" + line[end:]
    return line


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


def _token_span(line: str, value: str, kind: str) -> tuple[int, int, str]:
    """The whole token the secret sits in: some detectors report only a prefix of the secret."""
    start = line.find(value)
    end = start + len(value)
    while start > 0 and _LEFT_CHARS.match(line[start - 1]):
        start -= 1
    while end < len(line) and _RIGHT_CHARS.match(line[end]):
        end += 1
    return start, end, kind


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        if merged and start <= merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, kind))
    return merged


def _blank_key_line(line: str) -> str:
    indent = line[: len(line) - len(line.lstrip())]
    return indent + "<redacted:private-key>"
