"""Characters a reader cannot see: what they are, and how to make them visible.

Code can say one thing to a compiler and another to the person (or model) reading it: bidirectional controls
reorder what an editor shows (Trojan Source, CVE-2021-42574), zero-width characters split or join identifiers
invisibly, Unicode tag characters carry whole hidden sentences (instructions for an AI reviewer among them), and
letters from another script pass for Latin ones (`раypal` with a Cyrillic `р`). The analyzer that reports them is
agents/analyzers/hidden.py; `reveal` is applied to everything a model is shown and to model text an editor shows.
"""

from __future__ import annotations

import re
import unicodedata

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u00ad\u034f\u115f\u1160\u3164")
_TAGS = "\U000e0000-\U000e007f"
_VARIATION = "\ufe00-\ufe0f\U000e0100-\U000e01ef"
_INVISIBLE = re.compile(f"[{''.join(sorted(BIDI_CONTROLS | ZERO_WIDTH))}{_TAGS}{_VARIATION}]")
_TAG_RUN = re.compile(f"[{_TAGS}]+")
_IDENTIFIER = re.compile(r"[^\W\d]\w*", re.UNICODE)


def invisible(text: str) -> list[re.Match]:
    """Every invisible or direction-changing character in the text, in order."""
    return list(_INVISIBLE.finditer(text))


def describe(char: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED')}"


def reveal(text: str) -> str:
    """The text with each invisible character written out as `<U+XXXX>` and each run of tag characters as the
    hidden ASCII it spells, so a reader (or a model) sees what is there. Line breaks are left alone: line numbers
    keep meaning the same lines."""
    text = _TAG_RUN.sub(lambda m: f"<hidden tag text: {tag_text(m.group())!r}>", text)
    return _INVISIBLE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def tag_text(run: str) -> str:
    """What a run of Unicode tag characters spells (each is an invisible copy of an ASCII character)."""
    return "".join(chr(ord(c) - 0xE0000) for c in run if 0xE0020 <= ord(c) <= 0xE007E)


def mixed_script_identifiers(line: str) -> list[tuple[re.Match, set[str]]]:
    """Identifiers that mix letters of different scripts (Latin with Cyrillic or Greek, ...), and the scripts."""
    mixed = []
    for match in _IDENTIFIER.finditer(line):
        scripts = {_script(c) for c in match.group() if c.isalpha()} - {"COMMON"}
        if len(scripts) > 1:
            mixed.append((match, scripts))
    return mixed


def _script(char: str) -> str:
    """The script of a letter, from its Unicode name (the standard library has no script property)."""
    if char.isascii():
        return "LATIN"
    name = unicodedata.name(char, "")
    head = name.split(" ", 1)[0]
    return "LATIN" if head in ("LATIN", "FULLWIDTH") else head or "COMMON"
