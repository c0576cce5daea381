"""The synthesizer: one ranked, de-duplicated set of findings from everything the panel raised.

Deterministic on purpose: merging and ranking are rules, not another model call, so the same panel output always
gives the same result and costs nothing.

    merge      only the same problem becomes one finding: the same rule (or rules synthesis/rules.py declares
               equivalent), or the same CWE, on overlapping code; a model finding that names neither joins the
               finding of its concern that it quotes. Two problems on one line stay two findings.
    agree      confidence rises only with independent sources: the same analyzer twice is one source
    reconcile  two fixes touching the same code: the higher-ranked keeps its fix, the other gets a note
    rank       severity, then confidence, then the concern's impact (synthesis/policy.py)
    filter     dismissed fingerprints, min severity and min confidence, then a cap per file

Every step is indexed by file, rule and span, so a file with tens of thousands of findings synthesizes in
seconds, and merging can be interrupted between files and every thousand findings (`checkpoint`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from manyeyes.models import Finding, Severity, Span
from manyeyes.synthesis import policy
from manyeyes.synthesis.fingerprint import assign_fingerprints
from manyeyes.synthesis.rules import canonical_set

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset("the a an of to in is be use for on with and or this it".split())
TITLE_SIMILARITY = 0.4  # two unnamed model findings on the same code: the same problem when titles agree this much
MAX_CANDIDATES = 50  # an unnamed model finding is compared with at most this many findings on its lines
Checkpoint = Callable[[], None]  # called between files; raises SynthesisStopped to stop (a cancelled review)


class SynthesisStopped(Exception):
    """Raised by a checkpoint: the review was cancelled, its synthesis is not wanted any more."""


@dataclass
class Synthesis:
    findings: list[Finding]
    omitted: dict[str, int] = field(default_factory=dict)
    suppressed: int = 0


def consolidate(findings: list[Finding], checkpoint: Checkpoint = lambda: None) -> list[Finding]:
    """Merged, ranked, reconciled and fingerprinted: everything, before any filter. The editor keeps this so a
    settings change re-filters at once, without reviewing again."""
    merged = rank(merge(findings, checkpoint))
    reconcile_fixes(merged)
    assign_fingerprints(merged)
    return merged


def select(
    ranked: list[Finding],
    *,
    min_severity: Severity,
    max_per_file: int,
    suppressed: set[str] | None = None,
    min_confidence: float = 0.0,
) -> Synthesis:
    """What to show of consolidated findings: not dismissed, severe and sure enough, within the per-file cap."""
    dismissed = suppressed or set()
    kept = [f for f in ranked if f.fingerprint not in dismissed]
    suppressed_count = len(ranked) - len(kept)
    kept = [f for f in kept if f.severity.at_least(min_severity) and f.confidence >= min_confidence]
    capped, omitted = cap_per_file(kept, max_per_file)
    return Synthesis(capped, omitted, suppressed_count)


def merge(findings: list[Finding], checkpoint: Checkpoint = lambda: None) -> list[Finding]:
    groups = _Groups(len(findings))
    by_path: dict[str, list[int]] = defaultdict(list)
    for index, finding in enumerate(findings):
        by_path[finding.path].append(index)
    for indices in by_path.values():
        checkpoint()
        for members in _by_named_problem(findings, indices).values():
            _join_overlapping(findings, members, groups)
        _join_unnamed_model_findings(findings, indices, groups)
    combined = []
    for count, members in enumerate(groups.members()):
        if count % 1000 == 999:
            checkpoint()  # a file with tens of thousands of findings is one long step: stop inside it too
        combined.append(_combine([findings[i] for i in members]))
    return combined


def _by_named_problem(findings: list[Finding], indices: list[int]) -> dict[tuple[str, str], list[int]]:
    """The findings of one file under each rule (canonical) and each CWE they name."""
    named: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index in indices:
        finding = findings[index]
        for rule in canonical_set(finding.rules):
            named[("rule", rule)].append(index)
        for cwe in finding.cwe:
            named[("cwe", cwe)].append(index)
    return named


def _join_overlapping(findings: list[Finding], members: list[int], groups: _Groups) -> None:
    """One sweep over the findings of one named problem in start order: each joins the run it overlaps."""
    ordered = sorted(members, key=lambda i: _start(findings[i].span))
    run_end, run_head = None, None
    for index in ordered:
        span = findings[index].span
        if run_end is not None and _start(span) < run_end:
            groups.union(run_head, index)
            run_end = max(run_end, _end(span))
        else:
            run_head, run_end = index, _end(span)


def _join_unnamed_model_findings(findings: list[Finding], indices: list[int], groups: _Groups) -> None:
    """A model finding that names no rule and no CWE joins the finding of its concern whose code it quotes: the
    only one there, or the one whose title says the same."""
    at_line: dict[int, list[int]] = defaultdict(list)
    for index in indices:
        span = findings[index].span
        for line in range(span.start_line, min(span.end_line, span.start_line + 20) + 1):
            at_line[line].append(index)
    for index in indices:
        finding = findings[index]
        if finding.rules or finding.cwe or not finding.by_model_only:
            continue
        candidates = _overlapping_same_concern(findings, index, at_line)
        match = _best_match(finding, [findings[c] for c in candidates])
        if match is not None:
            groups.union(candidates[match], index)


def _overlapping_same_concern(findings: list[Finding], index: int, at_line: dict[int, list[int]]) -> list[int]:
    finding = findings[index]
    seen: dict[int, None] = {}
    for line in finding.span.lines():
        for other in at_line.get(line, ())[:MAX_CANDIDATES]:
            same_concern = set(findings[other].concerns) & set(finding.concerns)
            if other != index and same_concern and overlaps(findings[other].span, finding.span):
                seen[other] = None
    return list(seen)[:MAX_CANDIDATES]


def _best_match(finding: Finding, candidates: list[Finding]) -> int | None:
    """The candidate that is the same problem: the only analyzer finding of the concern on that code, else the one
    whose title agrees."""
    backed = [i for i, c in enumerate(candidates) if not c.by_model_only]
    if len(backed) == 1 and len(candidates) == 1:
        return backed[0]
    scored = [(title_similarity(finding.title, c.title), i) for i, c in enumerate(candidates)]
    best = max(scored, default=(0.0, None))
    return best[1] if best[0] >= TITLE_SIMILARITY else None


def overlaps(a: Span, b: Span) -> bool:
    """The spans share code: lines and, where both name columns on a shared line, columns."""
    return _start(a) < _end(b) and _start(b) < _end(a)


def _start(span: Span) -> tuple[int, int]:
    return span.start_line, span.start_col


def _end(span: Span) -> tuple[int, float]:
    return span.end_line, span.end_col or float("inf")  # end_col 0: to the end of the line


def title_similarity(a: str, b: str) -> float:
    words_a, words_b = _words(a), _words(b)
    if not words_a or not words_b:
        return 0.0
    return len(words_a & words_b) / len(words_a | words_b)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS}


def _combine(group: list[Finding]) -> Finding:
    """The best-ranked finding of the group, with every concern, source, rule and CWE of the others; confidence
    raised only by sources independent of one another; the most trustworthy fix among them."""
    group = sorted(group, key=_rank_key)
    primary = group[0].model_copy(deep=True)
    for other in group[1:]:
        for attribute in ("concerns", "sources", "rules", "cwe", "notes"):
            _extend_unique(getattr(primary, attribute), getattr(other, attribute))
        primary.help_uri = primary.help_uri or other.help_uri
    primary.fix = _best_fix(group)
    primary.consensus = primary.consensus or next((f.consensus for f in group if f.consensus), None)
    independent = _confidence_by_source(group)
    if len(independent) > 1:
        disagreement = 1.0
        for confidence in independent.values():
            disagreement *= 1.0 - confidence
        primary.confidence = round(min(1.0 - disagreement, 0.99), 3)
        others = sorted(set(independent) - {primary.sources[0].label})
        primary.notes.append("also raised by: " + ", ".join(others))
    return primary


def _confidence_by_source(group: list[Finding]) -> dict[str, float]:
    """Each distinct source's best confidence in this problem: one tool saying it twice is still one voice."""
    best: dict[str, float] = {}
    for finding in group:
        for source in finding.sources[:1]:  # a finding speaks for the source that raised it
            best[source.label] = max(best.get(source.label, 0.0), finding.confidence)
    return best


def _best_fix(group: list[Finding]):
    """A tool's safe fix, else a tool's fix, else a model's: the fix keeps the source that wrote it."""
    fixes = [f.fix for f in group if f.fix is not None]
    return min(fixes, key=lambda fix: (fix.by_model, not fix.safe), default=None)


def _extend_unique(target: list, values: Iterable) -> None:
    for value in values:
        if value not in target:
            target.append(value)


def rank(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=_rank_key)


def _rank_key(finding: Finding) -> tuple:
    return (
        -finding.severity.rank,
        -finding.confidence,
        -policy.concern_impact(finding.concerns),
        finding.path,
        finding.span.start_line,
        finding.title,
    )


def reconcile_fixes(ranked: list[Finding]) -> None:
    """Fixes that touch the same code cannot both apply: the higher-ranked finding keeps its fix."""
    taken: dict[tuple[str, int], Finding] = {}  # (path, line) -> the finding whose fix covers that line
    for finding in ranked:
        if finding.fix is None:
            continue
        fix_span = finding.fix.span
        lines = range(fix_span.start_line, fix_span.end_line + 1)
        rival = next(
            (r for line in lines if (r := taken.get((finding.path, line))) and overlaps(r.fix.span, fix_span)),
            None,
        )
        if rival is None:
            taken.update({(finding.path, line): finding for line in lines})
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


class _Groups:
    """Union-find over finding indices: which findings are one problem."""

    def __init__(self, size: int):
        self._parent = list(range(size))

    def find(self, index: int) -> int:
        while self._parent[index] != index:
            self._parent[index] = self._parent[self._parent[index]]
            index = self._parent[index]
        return index

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self._parent[max(root_a, root_b)] = min(root_a, root_b)

    def members(self) -> list[list[int]]:
        groups: dict[int, list[int]] = defaultdict(list)
        for index in range(len(self._parent)):
            groups[self.find(index)].append(index)
        return list(groups.values())
