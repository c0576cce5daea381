"""Code framed as data in what a model reads.

The code under review, its imports, its related test file, and the findings another model wrote are all text a
stranger may control. Each is put between two marker lines that carry a boundary the text cannot contain: it is
derived from the texts themselves and checked against them, so no file can close the block it sits in (a test
file's triple backticks could close a Markdown fence). The boundary is the same for every agent of one chunk, so
the prompt prefix they share stays identical (providers cache it). Paths are quoted like strings, so a file name
with a newline cannot start a line of the prompt. Invisible characters are written out (`<U+200B>`) after
redaction, so a model reads what is there; `seen_text` is the same transformation, for anchoring quotes.
"""

from __future__ import annotations

import hashlib
import json

from manyeyes.safety.redact import redact
from manyeyes.safety.unicode import reveal


def boundary(*texts: str, avoid: tuple[str, ...] = ()) -> str:
    """A marker none of the texts (nor those in `avoid`) contains, derived from `texts` only: stable for the same
    texts, so what one agent alone is shown (the tests agent's related test) does not change the shared prefix."""
    digest = hashlib.sha256("\0".join(texts).encode("utf-8", "surrogatepass")).hexdigest()
    for start in range(len(digest) - 12):
        candidate = f"DATA-{digest[start : start + 12]}"
        if not any(candidate in text for text in texts + avoid):
            return candidate
    raise AssertionError("no boundary found")  # 52 candidates of 48 random bits: cannot all occur


def block(label: str, text: str, mark: str) -> str:
    """A delimited block of untrusted text."""
    return f"<<<{mark} {label}\n{text}\n{mark}>>>"


def quoted_path(path: str) -> str:
    """A path as a JSON string: quotes, backslashes and line breaks escaped."""
    return json.dumps(path, ensure_ascii=False)


def shown(message: str) -> str:
    """A redacted message as the model reads it: invisible characters written out, lines unchanged."""
    return reveal(message)


def seen_text(text: str, path: str) -> str:
    """A source as the model saw it (redacted, invisible characters written out), to anchor its quotes in."""
    return reveal(redact(text, path))
