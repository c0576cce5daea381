"""Dismissed findings: kept per workspace in .manyeyes/suppressions.jsonl (one JSON object a line), and written in
the code as `# manyeyes: ignore[rule]` comments.

The CLI and the editor read the same file, so a finding dismissed in one stays dismissed in the other. Both kinds
come from the repository: in a workspace that is not trusted they mark the findings they name instead of hiding
them.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from manyeyes.models import Finding
from manyeyes.safety import reading
from manyeyes.synthesis.rules import canonical_set

log = logging.getLogger(__name__)
SUPPRESSIONS_FILE = Path(".manyeyes") / "suppressions.jsonl"
MAX_SUPPRESSIONS_BYTES = 16_000_000


def load_suppressions(workspace: Path) -> set[str]:
    path = workspace / SUPPRESSIONS_FILE
    try:
        lines = reading.read_text(path, MAX_SUPPRESSIONS_BYTES, workspace).splitlines()
    except reading.Unreadable:
        return set()
    fingerprints = set()
    for number, line in enumerate(lines, 1):
        try:
            fingerprints.add(str(json.loads(line)["fingerprint"]))
        except (ValueError, KeyError, TypeError):
            if line.strip():
                log.warning("%s:%d: not a suppression record; skipped", path, number)
    return fingerprints


UNTRUSTED_NOTE = (
    "dismissed in this repository's .manyeyes/suppressions.jsonl; shown anyway, because the workspace is not trusted"
)
UNTRUSTED_COMMENT_NOTE = "a 'manyeyes: ignore' comment silences it; shown anyway, because the workspace is not trusted"


def mark_untrusted_dismissals(findings: list[Finding], fingerprints: set[str], note: str = UNTRUSTED_NOTE) -> None:
    """In a workspace that is not trusted, the repository's dismissals hide nothing: each finding they would have
    hidden says so instead, so a hostile repository cannot silence its own shell injection."""
    for finding in findings:
        if finding.fingerprint in fingerprints and note not in finding.notes:
            finding.notes.append(note)


def add_suppression(workspace: Path, finding: Finding) -> None:
    path = workspace / SUPPRESSIONS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "fingerprint": finding.fingerprint,
        "path": finding.path,
        "title": finding.title,
        "dismissed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


# `# manyeyes: ignore` silences every finding on its line (or, alone on a line, on the next one);
# `# manyeyes: ignore[B602, CWE-78]` only those rules. Any comment syntax works: the marker is what counts.
_INLINE = re.compile(r"manyeyes:\s*ignore(?:\[([^\]\n]*)\])?")


@dataclass
class InlineIgnores:
    fingerprints: set[str] = field(default_factory=set)  # findings the comments silence
    notes: list[str] = field(default_factory=list)  # comments that silence nothing, said once each


def inline_ignores(findings: list[Finding], texts: dict[str, str]) -> InlineIgnores:
    """What the reviewed files' `manyeyes: ignore` comments silence, and which of them name a rule not reported
    where they stand."""
    result = InlineIgnores()
    by_line: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    for finding in findings:
        by_line[(finding.path, finding.span.start_line)].append(finding)
    for path, text in texts.items():
        for number, rules in _comments(text):
            matched = _silenced(by_line.get((path, number), []), rules)
            result.fingerprints.update(f.fingerprint for f in matched)
            unmatched = sorted(rules - {r for f in matched for r in (*f.rules, *f.cwe)}) if rules else []
            if unmatched or not matched:
                named = f"[{', '.join(unmatched)}]" if unmatched else ""
                result.notes.append(f"{path}:{number}: 'manyeyes: ignore{named}' silences nothing reported there")
    return result


def _comments(text: str):
    """(line the comment applies to, the rules it names or an empty set for all) for every ignore comment."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        match = _INLINE.search(line)
        if match is None:
            continue
        alone = line[: match.start()].strip() in ("#", "//", "--", "/*", "<!--", ";")
        rules = {r.strip() for r in (match.group(1) or "").split(",") if r.strip()}
        yield (index + 2 if alone else index + 1), rules


def _silenced(findings: list[Finding], rules: set[str]) -> list[Finding]:
    if not rules:
        return findings
    wanted = canonical_set(list(rules))
    return [f for f in findings if wanted & canonical_set([*f.rules, *f.cwe])]
