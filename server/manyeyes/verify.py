"""Checking a proposed rewrite before it is offered: it must parse, and Python must lint no worse than before.

The rewrite is spliced into a scratch copy of the whole document, so a change that breaks the code around it
(an indentation that no longer fits, a name it still needs) is caught too.
"""

from __future__ import annotations

import ast
import json
from collections import Counter
from dataclasses import dataclass

from manyeyes.agents.analyzers.base import run_tool
from manyeyes.agents.analyzers.ruff import ruff_command
from manyeyes.plan.documents import Document, split_lines


@dataclass
class Verdict:
    ok: bool
    problem: str | None = None
    lint_before: int | None = None
    lint_after: int | None = None


def splice(text: str, start: int, end: int, code: str) -> str:
    """The document with lines start..end (1-based, inclusive) replaced by `code`."""
    lines = split_lines(text)
    new_lines = lines[: start - 1] + code.split("\n") + lines[end:]
    return "\n".join(new_lines) + ("\n" if text.endswith("\n") else "")


def verify_rewrite(document: Document, start: int, end: int, code: str) -> Verdict:
    original = "\n".join(document.lines[start - 1 : end])
    if code.strip("\n") == original.strip("\n"):
        return Verdict(False, "the proposal changes nothing")
    if "<redacted:" in code:
        return Verdict(False, "the proposal contains a redaction marker instead of the original text")
    if document.language != "python":
        return Verdict(True)
    after = splice(document.text, start, end, code)
    try:
        ast.parse(after)
    except SyntaxError as exc:
        return Verdict(False, f"it does not parse (line {exc.lineno}: {exc.msg})")
    before_codes, after_codes = lint_codes(document.text), lint_codes(after)
    introduced = Counter(after_codes) - Counter(before_codes)  # fixing one problem does not pay for a new one
    if introduced:
        listed = ", ".join(sorted(introduced.elements())[:5])
        return Verdict(
            False,
            f"it lints worse: {sum(introduced.values())} new ruff finding(s) ({listed})",
            len(before_codes),
            len(after_codes),
        )
    return Verdict(True, None, len(before_codes), len(after_codes))


def lint_codes(text: str) -> list[str]:
    """The ruff rule codes hit in a Python text, with the panel's rule sets plus pyflakes' undefined names."""
    argv = ruff_command("--stdin-filename", "scratch.py", "-")
    proc = run_tool(argv, cwd=None, input_text=text)
    try:
        return [item["code"] or "syntax" for item in json.loads(proc.stdout)]
    except json.JSONDecodeError:
        return []
