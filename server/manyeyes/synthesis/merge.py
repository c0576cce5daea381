"""The synthesizer: one ranked, de-duplicated set of findings from everything the panel raised.

Deterministic on purpose: merging and ranking are rules, not another model call, so the same panel output always
gives the same result and costs nothing.

    merge      findings on overlapping code about the same problem become one, keeping every source
    reconcile  two fixes touching the same code: the higher-ranked keeps its fix, the other gets a note
    rank       severity first, then confidence
    filter     min severity, dismissed fingerprints, then a cap per file with a count of what was left out
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from manyeyes.models import Finding, Severity
from manyeyes.synthesis.fingerprint import assign_fingerprints

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = {
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "is",
    "be",
    "use",
    "for",
    "on",
    "with",
    "and",
    "or",
    "this",
    "it",
}
TITLE_SIMILARITY = 0.4


@dataclass
class Synthesis:
    findings: list[Finding]
    omitted: dict[str, int] = field(default_factory=dict)
    suppressed: int = 0


def synthesize(
    findings: list[Finding], *, min_severity: Severity, max_per_file: int, suppressed: set[str] | None = None
) -> Synthesis:
    return select(consolidate(findings), min_severity=min_severity, max_per_file=max_per_file, suppressed=suppressed)


def consolidate(findings: list[Finding]) -> list[Finding]:
    """Merged, ranked, reconciled and fingerprinted: everything, before any filter. The editor keeps this so a
    settings change re-filters at once, without reviewing again."""
    merged = rank(merge(findings))
    reconcile_fixes(merged)
    assign_fingerprints(merged)
    return merged


def select(
    ranked: list[Finding], *, min_severity: Severity, max_per_file: int, suppressed: set[str] | None = None
) -> Synthesis:
    """What to show of consolidated findings: not dismissed, severe enough, within the per-file cap."""
    dismissed = suppressed or set()
    kept = [f for f in ranked if f.fingerprint not in dismissed]
    suppressed_count = len(ranked) - len(kept)
    kept = [f for f in kept if f.severity.at_least(min_severity)]
    capped, omitted = cap_per_file(kept, max_per_file)
    return Synthesis(capped, omitted, suppressed_count)


def merge(findings: list[Finding]) -> list[Finding]:
    by_path: dict[str, list[list[Finding]]] = defaultdict(list)  # only findings of one file can merge
    for finding in sorted(findings, key=lambda f: -f.score):
        groups = by_path[finding.path]
        group = next((g for g in groups if any(same_problem(finding, other) for other in g)), None)
        if group is None:
            groups.append([finding])
        else:
            group.append(finding)
    return [_combine(group) for groups in by_path.values() for group in groups]


def same_problem(a: Finding, b: Finding) -> bool:
    if a.path != b.path or not a.span.overlaps(b.span):
        return False
    if set(a.cwe) & set(b.cwe) or set(a.rules) & set(b.rules):
        return True
    if not set(a.concerns) & set(b.concerns):
        return False
    return a.span.start_line == b.span.start_line or title_similarity(a.title, b.title) >= TITLE_SIMILARITY


def title_similarity(a: str, b: str) -> float:
    words_a, words_b = _words(a), _words(b)
    if not words_a or not words_b:
        return 0.0
    return len(words_a & words_b) / len(words_a | words_b)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS}


def _combine(group: list[Finding]) -> Finding:
    """The best-ranked finding of the group, with every concern, source, rule and CWE of the others."""
    primary = group[0].model_copy(deep=True)
    disagreement = 1.0
    for other in group:
        disagreement *= 1.0 - other.confidence
        for attribute in ("concerns", "sources", "rules", "cwe"):
            _extend_unique(getattr(primary, attribute), getattr(other, attribute))
        if primary.fix is None and other.fix is not None:
            primary.fix = other.fix
        primary.help_uri = primary.help_uri or other.help_uri
    if len(group) > 1:
        # Independent agreement raises confidence, short of certainty.
        primary.confidence = round(min(1.0 - disagreement, 0.99), 3)
        primary.notes.append("also raised by: " + ", ".join(sorted({s for f in group[1:] for s in f.sources})))
    return primary


def _extend_unique(target: list, values: list) -> None:
    for value in values:
        if value not in target:
            target.append(value)


def rank(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.score, f.path, f.span.start_line, f.title))


def reconcile_fixes(ranked: list[Finding]) -> None:
    """Fixes that touch the same code cannot both apply: the higher-ranked finding keeps its fix."""
    taken: dict[str, list[Finding]] = defaultdict(list)
    for finding in ranked:
        if finding.fix is None:
            continue
        rival = next((t for t in taken[finding.path] if t.fix.span.overlaps(finding.fix.span)), None)
        if rival is None:
            taken[finding.path].append(finding)
        else:
            finding.notes.append(f"fix withheld: it overlaps the fix for the higher-ranked '{rival.title}'")
            finding.fix = None


def cap_per_file(ranked: list[Finding], limit: int) -> tuple[list[Finding], dict[str, int]]:
    kept, counts, omitted = [], defaultdict(int), defaultdict(int)
    for finding in ranked:
        counts[finding.path] += 1
        if counts[finding.path] <= limit:
            kept.append(finding)
        else:
            omitted[finding.path] += 1
    return kept, dict(omitted)
