"""Text others wrote, shown as plain text: a model's titles, explanations, rule ids and fix descriptions, and
tool messages that quote the reviewed code.

A model reply may have been steered by the code it reviewed, and an analyzer's message may quote that code. Shown
in an editor's hover or a pull-request comment as Markdown, such text could load an image from anywhere (with a
secret in its URL), link to a `command:` URI, or inject HTML. Everything that reaches a person therefore goes
through here: one line where one line is expected, no control or invisible characters (they are written out),
a length limit, and Markdown escaped so it renders as the characters it is, links and images included.
"""

from __future__ import annotations

import re

from manyeyes.safety.unicode import reveal

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")
_SPACES = re.compile(r"[ \t]+")
# What makes Markdown of text: emphasis, code, links and images (brackets), HTML and entities, tables, strikes.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>!|~&])")
# Automatic links need no brackets: `https://x` and `www.x` are links in GitHub's and VS Code's Markdown.
_AUTOLINK = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{1,20}):(//)|\b(www)\.")
_RULE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.:/\-]{0,39}$")
ELLIPSIS = "…"


def one_line(text: str, limit: int = 200) -> str:
    """A title, a code action's label, a reason: one line, visible characters, at most `limit` characters."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", _BREAKS.sub(" ", reveal(text)))).strip()
    return _shorten(text, limit)


def paragraph(text: str, limit: int = 2000) -> str:
    """An explanation: line breaks kept, other control and invisible characters written out or removed."""
    text = _BREAKS.sub("\n", reveal(text))
    text = "\n".join(_SPACES.sub(" ", _CONTROL.sub(" ", line)).strip() for line in text.split("\n"))
    return _shorten(text.strip(), limit)


def rule_id(text: str | None) -> str | None:
    """A rule id a model gave, if it looks like one (`B602`, `PERF401`, `python.lang.eval`); None otherwise."""
    if text is None:
        return None
    text = text.strip()
    return text if _RULE_ID.match(text) else None


def markdown(text: str) -> str:
    """Markdown that renders as exactly these characters: no emphasis, links, images, HTML or automatic links."""
    escaped = _MARKDOWN.sub(r"\\\1", text)
    return _AUTOLINK.sub(lambda m: f"{m.group(1)}\\:{m.group(2)}" if m.group(1) else f"{m.group(3)}\\.", escaped)


def code_span(text: str) -> str:
    """Inline code that the text cannot close (a fence longer than any run of backticks in it), one line,
    with table pipes escaped as GFM requires."""
    text = one_line(text, 300).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS
