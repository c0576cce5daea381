"""Dismissed findings: kept per workspace in .manyeyes/suppressions.jsonl (one JSON object a line), and written in
the code as `# manyeyes: ignore[rule]` comments.

The CLI and the editor read the same file, so a finding dismissed in one stays dismissed in the other. Both kinds
come from the repository: in a workspace that is not trusted they mark the findings they name instead of hiding
them.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from manyeyes.models import Finding
from manyeyes.safety import plain, reading
from manyeyes.synthesis.rules import canonical_set

log = logging.getLogger(__name__)
SUPPRESSIONS_FILE = Path(".manyeyes") / "suppressions.jsonl"
MAX_SUPPRESSIONS_BYTES = 16_000_000
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class Suppression:
    """One dismissal: which finding (its fingerprint), what it was, and why, who and when the team dismissed it.
    Records written before reasons were kept have only the fingerprint and what the finding was."""

    fingerprint: str
    path: str = ""
    rule: str = ""
    concerns: tuple[str, ...] = ()
    title: str = ""
    evidence: str = ""  # the finding's quoted code (secrets redacted), to tell when that code is gone
    reason: str = ""
    by: str = ""
    dismissed_at: str = ""

    @classmethod
    def of(cls, value) -> Suppression:
        """A record from one line's JSON; ValueError when it is not one."""
        if not isinstance(value, dict) or not isinstance(value.get("fingerprint"), str) or not value["fingerprint"]:
            raise ValueError("no fingerprint")
        text = {k: value.get(k) if isinstance(value.get(k), str) else "" for k in _TEXT_FIELDS}
        concerns = value.get("concerns")
        listed = tuple(c for c in concerns if isinstance(c, str)) if isinstance(concerns, list) else ()
        return cls(fingerprint=value["fingerprint"], concerns=listed, **text)

    def to_json(self) -> dict:
        record = {k: v for k, v in asdict(self).items() if v}
        record["concerns"] = list(self.concerns)
        return record


_TEXT_FIELDS = ("path", "rule", "title", "evidence", "reason", "by", "dismissed_at")


@dataclass
class Suppressions:
    records: list[Suppression] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # lines that are not records, said once each

    @property
    def fingerprints(self) -> set[str]:
        return {r.fingerprint for r in self.records}


def read_suppressions(workspace: Path, text: str | None = None) -> Suppressions:
    """The workspace's dismissals (or those in `text`, another version of the file); broken lines are notes."""
    found = Suppressions()
    if text is None:
        try:
            text = reading.read_text(workspace / SUPPRESSIONS_FILE, MAX_SUPPRESSIONS_BYTES, workspace)
        except reading.Missing:
            return found
        except reading.Unreadable as exc:
            found.notes.append(f"{SUPPRESSIONS_FILE.as_posix()}: not read ({exc.reason}); nothing in it is dismissed")
            return found
    for number, line in enumerate(text.splitlines(), 1):
        try:
            found.records.append(Suppression.of(json.loads(line)))
        except ValueError:
            if line.strip():
                found.notes.append(f"{SUPPRESSIONS_FILE.as_posix()}:{number}: not a suppression record; skipped")
    return found


def load_suppressions(workspace: Path) -> set[str]:
    suppressions = read_suppressions(workspace)
    for note in suppressions.notes:
        log.warning("%s", note)
    return suppressions.fingerprints


UNTRUSTED_NOTE = (
    "dismissed in this repository's .manyeyes/suppressions.jsonl; shown anyway, because the workspace is not trusted"
)
UNTRUSTED_COMMENT_NOTE = "a 'manyeyes: ignore' comment silences it; shown anyway, because the workspace is not trusted"
IN_CHANGE_COMMENT_NOTE = (
    "a 'manyeyes: ignore' comment this change adds silences it; shown anyway: a change cannot dismiss its own findings"
)


def in_change_note(record: Suppression) -> str:
    why = f" ({record.reason})" if record.reason else ""
    return (
        f"dismissed by this change in {SUPPRESSIONS_FILE.as_posix()}{why}; shown anyway: a change cannot dismiss "
        "its own findings"
    )


def added_by_change(workspace: Path, current: Suppressions, base: str | None, staged: bool) -> list[Suppression]:
    """The dismissals a change under review adds (against the ref `base`, or staged against HEAD): they hide
    nothing in the review of that change, or a pull request could silence its own review by editing the file."""
    from manyeyes.plan import gitdiff

    if staged:
        current = read_suppressions(workspace, gitdiff.staged_text(workspace, workspace / SUPPRESSIONS_FILE) or "")
    before = gitdiff.base_text(workspace, workspace / SUPPRESSIONS_FILE, base or "HEAD") or ""
    known = read_suppressions(workspace, before).fingerprints
    return [r for r in current.records if r.fingerprint not in known]


def mark_untrusted_dismissals(findings: list[Finding], fingerprints: set[str], note: str = UNTRUSTED_NOTE) -> None:
    """In a workspace that is not trusted, the repository's dismissals hide nothing: each finding they would have
    hidden says so instead, so a hostile repository cannot silence its own shell injection."""
    for finding in findings:
        if finding.fingerprint in fingerprints and note not in finding.notes:
            finding.notes.append(note)


def add_suppression(workspace: Path, finding: Finding, reason: str = "", by: str = "") -> Suppression:
    """Record a dismissal of `finding`, with the reason and who gave it (default: the user running manyeyes)."""
    record = dismissal_of(finding, reason, by or current_user())
    append_records(workspace, [record])
    return record


def dismissal_of(finding: Finding, reason: str, by: str) -> Suppression:
    return Suppression(
        fingerprint=finding.fingerprint,
        path=finding.path,
        rule=finding.rule_id,
        concerns=tuple(c.value for c in finding.concerns),
        title=finding.title,
        evidence=finding.evidence[:400],
        reason=plain.one_line(reason, MAX_REASON_CHARS),
        by=plain.one_line(by, 100),
        dismissed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def append_records(workspace: Path, records: list[Suppression]) -> None:
    if not records:
        return
    path = workspace / SUPPRESSIONS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in records)


def remove_records(workspace: Path, fingerprints: set[str]) -> None:
    """Remove the records of these fingerprints (prune); every other line stays as it was, one that is not a record
    included. Written beside the file and renamed over it, so a reader never sees half."""
    path = workspace / SUPPRESSIONS_FILE
    lines = reading.read_text(path, MAX_SUPPRESSIONS_BYTES, workspace).splitlines(keepends=True)
    kept = [line for line in lines if _fingerprint_of(line) not in fingerprints]
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text("".join(kept), encoding="utf-8")
    os.replace(scratch, path)


def _fingerprint_of(line: str) -> str | None:
    try:
        return Suppression.of(json.loads(line)).fingerprint
    except ValueError:
        return None


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return ""


# `# manyeyes: ignore` silences every finding on its line (or, alone on a line, on the next one);
# `# manyeyes: ignore[B602, CWE-78]` only those rules. Any comment syntax works: the marker is what counts.
_INLINE = re.compile(r"manyeyes:\s*ignore(?:\[([^\]\n]*)\])?")


@dataclass
class InlineIgnores:
    fingerprints: set[str] = field(default_factory=set)  # findings the comments silence
    notes: list[str] = field(default_factory=list)  # comments that silence nothing, said once each
    in_change: set[str] = field(default_factory=set)  # of fingerprints, those silenced by a comment the change adds


def inline_ignores(
    findings: list[Finding], texts: dict[str, str], changed: Callable[[str, int], bool] | None = None
) -> InlineIgnores:
    """What the reviewed files' `manyeyes: ignore` comments silence, and which of them name a rule not reported
    where they stand. `changed(path, line)`: the comment's line is part of the change under review."""
    result = InlineIgnores()
    by_line: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    for finding in findings:
        by_line[(finding.path, finding.span.start_line)].append(finding)
    for path, text in texts.items():
        for number, comment_line, rules in _comments(text):
            matched = _silenced(by_line.get((path, number), []), rules)
            result.fingerprints.update(f.fingerprint for f in matched)
            if changed is not None and changed(path, comment_line):
                result.in_change.update(f.fingerprint for f in matched)
            unmatched = sorted(rules - {r for f in matched for r in (*f.rules, *f.cwe)}) if rules else []
            if unmatched or not matched:
                named = f"[{', '.join(unmatched)}]" if unmatched else ""
                result.notes.append(f"{path}:{number}: 'manyeyes: ignore{named}' silences nothing reported there")
    return result


def _comments(text: str):
    """(line the comment applies to, the comment's own line, the rules it names or an empty set for all) for every
    ignore comment."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        match = _INLINE.search(line)
        if match is None:
            continue
        alone = line[: match.start()].strip() in ("#", "//", "--", "/*", "<!--", ";")
        rules = {r.strip() for r in (match.group(1) or "").split(",") if r.strip()}
        yield (index + 2 if alone else index + 1), index + 1, rules


def _silenced(findings: list[Finding], rules: set[str]) -> list[Finding]:
    if not rules:
        return findings
    wanted = canonical_set(list(rules))
    return [f for f in findings if wanted & canonical_set([*f.rules, *f.cwe])]
