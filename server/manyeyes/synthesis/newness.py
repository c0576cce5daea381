"""Which findings a change adds: each finding of the reviewed code is looked for among the findings of its base
version (`--new-only`, `--baseline`).

A finding is the same problem in both versions when its file (followed through a rename), its canonical rule and
its quoted code without comments and whitespace are the same: line numbers are left out, so a finding whose line
only moved is not new, and so are comments, so a comment added to a line that already had a finding does not make
it new. Findings are counted, not just compared: a base with one `eval(x)` and a change that adds a second
reports one new finding. Where the base had fewer, the findings nearest to where the base's lines are now are the
ones already there.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from pathlib import PurePosixPath

from manyeyes.models import Finding
from manyeyes.synthesis.rules import canonical

# Line comments by file suffix; a suffix not listed gets no comment stripping (whitespace still collapses).
_HASH = {".py", ".pyi", ".rb", ".sh", ".bash", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".r"}
_DASHES = {".lua", ".sql"}
_SLASHES = {".js", ".jsx", ".ts", ".tsx", ".go", ".rs", ".java", ".kt", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs"}
_SLASHES |= {".swift", ".scala", ".php"}
# A string literal, kept whole so that a marker inside it is not taken for a comment.
_STRING = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`"


def comment_markers(path: str) -> tuple[str, ...]:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix == ".php":
        return ("//", "#")
    if suffix in _SLASHES:
        return ("//",)
    if suffix in _HASH:
        return ("#",)
    if suffix in _DASHES:
        return ("--",)
    return ()


def code_only(text: str, markers: tuple[str, ...]) -> str:
    """The code of a quote with its line comments removed and all whitespace collapsed."""
    if not markers:
        return " ".join(text.split())
    pattern = re.compile(f"({_STRING})|(?:{'|'.join(re.escape(m) for m in markers)}).*")
    lines = [pattern.sub(lambda m: m.group(1) or "", line) for line in text.splitlines()]
    return " ".join(" ".join(lines).split())


def problem_key(finding: Finding, path: str | None = None) -> tuple[str, str, str]:
    """What identifies a finding across versions of its file (`path`: the file's name in the version compared)."""
    where = path or finding.path
    return where, canonical(finding.rule_id), code_only(finding.evidence, comment_markers(finding.path))


def split_new(
    findings: list[Finding],
    base_findings: list[Finding],
    renamed: dict[str, str] | None = None,
    versions: dict[str, tuple[str, str]] | None = None,
) -> tuple[list[Finding], list[Finding]]:
    """(new, already there), each in the order given. `renamed` maps a base path to the path it has now;
    `versions` gives, per path now, (base text, text now), to place each base finding where its line is now.

    A base finding on a line the change left alone is still there, on its line now: it accounts for a finding
    there (a files review has it) and for nothing else (a diff review reports only changed lines, so the finding
    it left out must not be mistaken for one that moved). A base finding on a line the change touched accounts for
    the nearest finding of the same problem: the line that moved, or was edited around a comment."""
    renamed, versions = renamed or {}, versions or {}
    mappers = {path: _line_mapper(base, now) for path, (base, now) in versions.items()}
    places: dict[tuple[str, str, str], list[tuple[int, bool]]] = defaultdict(list)  # problem -> (line now, kept)
    for finding in base_findings:
        path = renamed.get(finding.path, finding.path)
        place = mappers.get(path, lambda line: (line, False))
        places[problem_key(finding, path)].append(place(finding.span.start_line))
    candidates = sorted(
        (abs(line - finding.span.start_line), index, (key, slot))
        for index, finding in enumerate(findings)
        for key in [problem_key(finding)]
        for slot, (line, kept) in enumerate(places.get(key, ()))
        if not kept or line == finding.span.start_line
    )
    existing: set[int] = set()
    taken: set[tuple] = set()
    for _, index, base in candidates:  # the nearest pairs first; each finding and each base finding pairs once
        if index not in existing and base not in taken:
            existing.add(index)
            taken.add(base)
    new = [f for i, f in enumerate(findings) if i not in existing]
    return new, [f for i, f in enumerate(findings) if i in existing]


def _line_mapper(base: str, now: str):
    """Where a base line is in the text now, and whether the change left it alone: through the unchanged blocks
    exactly, into a changed block at the same offset (capped by its length)."""
    opcodes = difflib.SequenceMatcher(a=base.splitlines(), b=now.splitlines(), autojunk=False).get_opcodes()

    def place(line: int) -> tuple[int, bool]:
        index = line - 1
        for tag, i1, i2, j1, j2 in opcodes:
            if i1 <= index < i2:
                return j1 + min(index - i1, max(j2 - j1 - 1, 0)) + 1, tag == "equal"
        return line, False

    return place
