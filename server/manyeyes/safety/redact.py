"""Secret redaction: applied to every message before it leaves the machine.

A message is redacted in three steps, and `redact(text, path)` applies the same three to a source itself, so a
model's quote of the code it saw can be anchored in the source:

1. lines: each source a message quotes (the reviewed file, its related test) is scanned once with detect-secrets,
   with the rules of its file type (`.env` and YAML as config: unquoted `KEY=value` counts). A secret shorter than
   MIN_SECRET_CHARS is replaced only where it stands: its line maps to the same line with the value replaced, and
   a message line ending with that line (after the line-number gutter) gets the replacement. Config files also
   take their unquoted secret-named values this way (rules.py with config=True).
2. tokens: longer secrets become a token -> marker map (`<redacted:kind>`) applied wherever the token appears: in
   the numbered code, the imports, an analyzer's title that quotes a password.
3. content: the rules of rules.py, which need no source; the model client applies them again to every message.

Lines are never added or removed, so line numbers keep meaning the same lines. Private key blocks are blanked
line by line: their body lines look like any other base64.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from manyeyes.safety.rules import is_placeholder, marker, redact_content

if TYPE_CHECKING:
    from manyeyes.models import Finding
from manyeyes.safety.secret_files import is_config_suffix, scan_suffix

_LEFT_CHARS = re.compile(r"[A-Za-z0-9_\-+/.~]")
_RIGHT_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.~]")  # base64 padding only ever ends a token
_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_KEY_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
MIN_SECRET_CHARS = 6  # shorter "secrets" are fragments, and replacing them everywhere would garble code
_lock = threading.Lock()  # detect-secrets keeps its settings in a global

# Lines that can hold a secret the scans recognise: a secret-like name, a provider key's prefix, a password in a
# URL, a key block, a long token. Only these are scanned (detect-secrets costs half a millisecond a line); in code
# a secret is a string literal, so a code line also needs a quote (config files hold bare values).
_CANDIDATE = re.compile(
    r"(?i)secret|passw|pwd|token|api.?key|private.?key|auth|credential|bearer|webhook"
    r"|AKIA|ASIA|sk-|sk_|rk_|ghp_|gho_|ghu_|ghs_|ghr_|github_pat|xox|AIza|eyJ|://[^/\s]*:[^@\s]*@|BEGIN"
    r"|[A-Za-z0-9+/_\-]{32,}"
)
_QUOTE = re.compile(r"[\"'`]")


def might_hold_secret(line: str, bare_values: bool) -> bool:
    """Whether a line is worth a detect-secrets scan; `bare_values`: the file writes values unquoted (config)."""
    return bool(_CANDIDATE.search(line)) and (bare_values or bool(_QUOTE.search(line)))


def redact_quote(quote: str, path: str) -> str:
    """A few lines quoted from a source, for a report: scanned only if one of them might hold a secret (the
    content rules apply to all), so redacting hundreds of findings' quotes costs milliseconds."""
    bare_values = is_config_suffix(scan_suffix(path))
    if any(might_hold_secret(line, bare_values) for line in quote.split("\n")):
        return redact(quote, path)
    return redact_content(quote)


Source = tuple[str, str]  # (path, text): the path chooses the rules, see secret_files.scan_suffix


@dataclass(frozen=True)
class SourceSecrets:
    """What one source's scan found: where to redact in place, and what to replace everywhere."""

    lines: dict[str, str]  # a line holding a short or config-style secret -> that line with it replaced in place
    tokens: dict[str, str]  # a secret long enough to be replaced wherever it appears -> its marker


def redact(text: str, path: str) -> str:
    """The source as a model is shown it: every secret replaced by its marker; same number of lines."""
    found = secret_map(text, path)
    return _apply(text, found.lines, found.tokens)


def redact_message(message: str, sources: Iterable[Source] = ()) -> str:
    """A message about to be sent, with the secrets of the sources it quotes replaced, then the content rules."""
    lines: dict[str, str] = {}
    tokens: dict[str, str] = {}
    for path, text in sources:
        found = secret_map(text, path)
        lines.update(found.lines)
        tokens.update(found.tokens)
    return _apply(message, lines, tokens)


def _apply(text: str, lines: dict[str, str], tokens: dict[str, str]) -> str:
    return redact_content(substitute(_rewrite_lines(text, lines), tokens))


def substitute(text: str, mapping: dict[str, str]) -> str:
    for token in sorted(mapping, key=len, reverse=True):  # a longer secret may contain a shorter one
        text = text.replace(token, mapping[token])
    return text


def _rewrite_lines(text: str, lines: dict[str, str]) -> str:
    """Every line ending with a source line that holds a positional secret gets that line's redacted form."""
    if not lines:
        return text
    return _line_pattern(tuple(sorted(lines, key=len, reverse=True))).sub(lambda m: lines[m.group(0)], text)


@lru_cache(maxsize=64)
def _line_pattern(lines: tuple[str, ...]) -> re.Pattern:
    return re.compile("(?:" + "|".join(map(re.escape, lines)) + r")(?=\n|\Z)")  # longest first: the whole line


def secret_map(text: str, path: str) -> SourceSecrets:
    """What to redact in one source, scanned with the rules of its file type (cached per type and text).
    Scanning costs about half a millisecond a line, so callers that care about latency warm this cache off the
    event loop (the engine does)."""
    return _scan_source(text, scan_suffix(path))


@lru_cache(maxsize=256)
def _scan_source(text: str, suffix: str) -> SourceSecrets:
    if not text:
        return SourceSecrets({}, {})
    lines = text.split("\n")
    tokens = _private_key_lines(lines)
    shown = list(lines)
    for number, found in _scan(lines, "snippet" + suffix).items():
        shown[number - 1] = _place_secrets(lines[number - 1], found, tokens)
    if is_config_suffix(suffix):
        shown = redact_content("\n".join(shown), config=True).split("\n")
    return SourceSecrets({line: new for line, new in zip(lines, shown) if new != line}, tokens)


def _place_secrets(line: str, found: list[tuple[str, str]], tokens: dict[str, str]) -> str:
    """Long secrets go to the token map; short ones are replaced in this line, where they stand."""
    spans = []
    for kind, value in found:
        if value not in line or is_placeholder(value):  # detect-secrets takes `password = "changeme"` for one
            continue
        start, end = _token_span(line, value)
        if end - start >= MIN_SECRET_CHARS:
            tokens.setdefault(line[start:end], marker(kind))
        else:
            spans.append((start, end, marker(kind)))
    for start, end, mark in sorted(set(spans), reverse=True):
        line = line[:start] + mark + line[end:]
    return line


def _scan(lines: list[str], filename: str) -> dict[int, list[tuple[str, str]]]:
    """Secrets by 1-based line number, with detect-secrets' own false-positive filters applied. The filename
    chooses detect-secrets' keyword patterns (quoted values in code, `key = value` in config files).

    `_process_line_based_plugins` is what detect-secrets runs for a file; its public `scan_line` is an ad-hoc mode
    without entropy limits (it flags `range` and `print`), and `scan_file` reads from disk.
    """
    from detect_secrets.core.scan import _process_line_based_plugins
    from detect_secrets.settings import default_settings

    found: dict[int, list[tuple[str, str]]] = {}
    with _lock, default_settings():
        for secret in _process_line_based_plugins(list(enumerate(lines, 1)), filename=filename):
            if secret.secret_value:
                found.setdefault(secret.line_number, []).append((secret.type, secret.secret_value))
    return found


def _token_span(line: str, value: str) -> tuple[int, int]:
    """The whole token the secret sits in: some detectors report only a prefix of the secret. The last
    occurrence: a value follows its key (`pass: pa`)."""
    start = line.rfind(value)
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


def warm(sources: Iterable[Source]) -> None:
    """Scan sources ahead of rendering (call it in a worker thread: it is the slow part of redaction)."""
    for path, text in sources:
        secret_map(text, path)


def without_secrets(finding: Finding) -> Finding:
    """A copy of a finding for the result, with no secret in it: the quoted code as redaction leaves it, every
    text through the content rules, and a fix that would write a secret left out (a report is not a place for
    one; the editor, which keeps the findings unredacted on the user's machine, still offers it)."""
    copy = finding.model_copy(deep=True)
    copy.evidence = redact_quote(finding.evidence, finding.path) if finding.evidence else ""
    copy.title, copy.explanation = redact_content(copy.title), redact_content(copy.explanation)
    copy.notes = [redact_content(note) for note in copy.notes]
    if copy.fix is not None and redact_quote(copy.fix.replacement, finding.path) != copy.fix.replacement:
        copy.fix = None
        copy.notes.append("fix not shown: it contains a secret")
    return copy
