"""Scoring findings against labels, by the convention of ../shared/corpora/README.md.

a line label is found by a finding of its concern covering the line, one line of slack either side;
a file label (line null) by any finding of its concern in the file;
with a CWE, two figures: matched on the concern alone, and on the CWE too (or a close relative);
a label with real=false is a trap: a finding matching it is a false positive;
case verdicts, where files are labelled whole with a CWE (a benchmark of real cases and safe look-alikes): a case
is flagged when a finding in it has the label's CWE (or a close relative), and scored as a true or false positive
or negative, as such benchmarks score tools;
precision only where the corpus is exhaustive ("line": every flagged line is labeled, "file": every file is
labeled real or safe); otherwise unmatched findings are counted as "unlabeled".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from manyeyes.evaluation.corpus import Corpus, Label
from manyeyes.models import Concern, Finding

LINE_SLACK = 1
# CWEs that name the same weakness at different grain; a finding with one of a family matches a label with another.
CWE_FAMILIES = [
    {"CWE-327", "CWE-328", "CWE-326", "CWE-916"},  # weak crypto and hashes
    {"CWE-77", "CWE-78", "CWE-88"},  # command injection
    {"CWE-89", "CWE-564"},  # SQL injection
    {"CWE-94", "CWE-95", "CWE-96"},  # code injection, eval
    {"CWE-22", "CWE-23", "CWE-36", "CWE-73"},  # path traversal
    {"CWE-259", "CWE-321", "CWE-798"},  # hard-coded credentials
    {"CWE-330", "CWE-338"},  # weak randomness
    {"CWE-295", "CWE-297"},  # certificate validation
    {"CWE-377", "CWE-379", "CWE-108"},  # insecure temporary files
    {"CWE-611", "CWE-776", "CWE-827"},  # XML external entities
    {"CWE-502", "CWE-915"},  # deserialization
    {"CWE-319", "CWE-311"},  # cleartext transmission
]


def cwe_matches(finding_cwes: list[str], label_cwe: str) -> bool:
    family = next((f for f in CWE_FAMILIES if label_cwe in f), {label_cwe})
    return any(c in family for c in finding_cwes)


def finding_matches(finding: Finding, label: Label) -> bool:
    if finding.path != label.file or label.concern not in finding.concerns:
        return False
    if label.line is None:
        return True
    return finding.span.start_line - LINE_SLACK <= label.line <= finding.span.end_line + LINE_SLACK


@dataclass
class Recall:
    labels: int = 0
    found: int = 0  # matched on the concern
    found_cwe: int = 0  # matched on the CWE too (labels with a CWE only)
    with_cwe: int = 0

    def add(self, found: bool, has_cwe: bool, found_cwe: bool) -> None:
        self.labels += 1
        self.found += found
        self.with_cwe += has_cwe
        self.found_cwe += found_cwe

    def as_dict(self) -> dict:
        return {
            "labels": self.labels,
            "found": self.found,
            "recall": _ratio(self.found, self.labels),
            "with_cwe": self.with_cwe,
            "found_cwe": self.found_cwe,
            "recall_cwe": _ratio(self.found_cwe, self.with_cwe),
        }


@dataclass
class Verdicts:
    """Case files labelled whole, flagged or not with their CWE."""

    true_positives: int = 0  # real, flagged
    false_positives: int = 0  # a safe look-alike, flagged
    false_negatives: int = 0
    true_negatives: int = 0

    @property
    def precision(self) -> float | None:
        return _ratio(self.true_positives, self.true_positives + self.false_positives)

    @property
    def recall(self) -> float | None:
        return _ratio(self.true_positives, self.true_positives + self.false_negatives)

    def add(self, real: bool, flagged: bool) -> None:
        if real:
            self.true_positives += flagged
            self.false_negatives += not flagged
        else:
            self.false_positives += flagged
            self.true_negatives += not flagged

    def as_dict(self) -> dict:
        return {
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
            "true_negatives": self.true_negatives,
            "precision": self.precision,
            "recall": self.recall,
        }


@dataclass
class Score:
    corpus: str
    exhaustive: str
    concerns: list[str]
    by_concern: dict[str, Recall] = field(default_factory=lambda: defaultdict(Recall))
    by_cwe: dict[str, Recall] = field(default_factory=lambda: defaultdict(Recall))
    findings: int = 0
    true_positives: int = 0
    false_positives: int = 0
    unlabeled: int = 0
    traps: int = 0
    traps_hit: int = 0
    lines: int = 0
    cases: int = 0
    not_reviewed: int = 0
    dropped: int = 0  # model findings the pipeline rejected (quotes not in the file, invalid items)
    rejected_by_verification: int = 0  # model findings the verifier judged not real
    escalated: int = 0  # agent tasks that got more voters (consensus/escalation.py)
    extra_votes: int = 0  # the vote tasks they got
    grounding: bool = True  # False: the model agents reviewed alone, no analyzer ran (eval --no-grounding)
    prompt_tokens: int = 0  # what the run's model calls (agents and verifier) read and wrote: 0 offline
    completion_tokens: int = 0
    shown: Score | None = None  # the same scoring of what a user is shown with the default min_confidence
    verdicts: Verdicts | None = None  # case files labelled whole with a CWE, if the corpus has them
    verdicts_by_cwe: dict[str, Verdicts] = field(default_factory=lambda: defaultdict(Verdicts))

    @property
    def precision(self) -> float | None:
        if self.exhaustive == "none":
            return None
        return _ratio(self.true_positives, self.true_positives + self.false_positives)

    @property
    def findings_per_kloc(self) -> float:
        return round(1000 * self.findings / self.lines, 2) if self.lines else 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def tokens_per_case(self) -> float:
        """The run's tokens over the corpus's case files: the cost beside recall and precision."""
        return round(self.tokens / self.cases, 1) if self.cases else 0.0

    def total(self) -> Recall:
        total = Recall()
        for recall in self.by_concern.values():
            total.labels += recall.labels
            total.found += recall.found
            total.with_cwe += recall.with_cwe
            total.found_cwe += recall.found_cwe
        return total

    def as_dict(self) -> dict:
        return {
            "corpus": self.corpus,
            "exhaustive": self.exhaustive,
            "concerns": self.concerns,
            "cases": self.cases,
            "not_reviewed": self.not_reviewed,
            "lines": self.lines,
            "recall": self.total().as_dict(),
            "by_concern": {k: v.as_dict() for k, v in sorted(self.by_concern.items())},
            "by_cwe": {k: v.as_dict() for k, v in sorted(self.by_cwe.items())},
            "findings": self.findings,
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "unlabeled": self.unlabeled,
            "precision": self.precision,
            "traps": self.traps,
            "traps_hit": self.traps_hit,
            "case_verdicts": self.verdicts.as_dict() if self.verdicts else None,
            "case_verdicts_by_cwe": {k: v.as_dict() for k, v in sorted(self.verdicts_by_cwe.items())},
            "findings_per_kloc": self.findings_per_kloc,
            "dropped": self.dropped,
            "rejected_by_verification": self.rejected_by_verification,
            "escalated": self.escalated,
            "extra_votes": self.extra_votes,
            "grounding": self.grounding,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "tokens": self.tokens,
            "tokens_per_case": self.tokens_per_case,
            "shown": self.shown.as_dict() if self.shown else None,
        }


def score(corpus: Corpus, findings: list[Finding], concerns: list[Concern], lines: int, not_reviewed: int) -> Score:
    result = Score(
        corpus=corpus.info.name,
        exhaustive=corpus.info.exhaustive,
        concerns=[c.value for c in concerns],
        lines=lines,
        cases=len(corpus.cases),
        not_reviewed=not_reviewed,
    )
    labels = [label for label in corpus.labels if label.concern in concerns]
    findings = [f for f in findings if any(c in concerns for c in f.concerns)]
    _score_recall(result, [label for label in labels if label.real], findings)
    _score_findings(result, corpus, labels, findings)
    _score_cases(result, labels, findings)
    return result


def _score_cases(result: Score, labels: list[Label], findings: list[Finding]) -> None:
    whole = [label for label in labels if label.line is None and label.cwe]
    if not whole:
        return
    result.verdicts = Verdicts()
    for label in whole:
        flagged = any(finding_matches(f, label) and cwe_matches(f.cwe, label.cwe) for f in findings)
        result.verdicts.add(label.real, flagged)
        result.verdicts_by_cwe[label.cwe].add(label.real, flagged)


def _score_recall(result: Score, real: list[Label], findings: list[Finding]) -> None:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_file[finding.path].append(finding)
    for label in real:
        matching = [f for f in by_file[label.file] if finding_matches(f, label)]
        found_cwe = bool(label.cwe) and any(cwe_matches(f.cwe, label.cwe) for f in matching)
        result.by_concern[label.concern.value].add(bool(matching), bool(label.cwe), found_cwe)
        if label.cwe:
            result.by_cwe[label.cwe].add(bool(matching), True, found_cwe)


def _score_findings(result: Score, corpus: Corpus, labels: list[Label], findings: list[Finding]) -> None:
    """Each finding is a true positive (matches a real label), a trap hit, a false positive where the corpus is
    exhaustive, or unlabeled where it is not."""
    traps = [label for label in labels if not label.real]
    result.traps = len(traps)
    result.traps_hit = sum(1 for trap in traps if any(finding_matches(f, trap) for f in findings))
    labeled_files = {label.file for label in corpus.labels}
    for finding in findings:
        result.findings += 1
        real = [label for label in labels if label.real and finding_matches(finding, label)]
        if real:
            result.true_positives += 1
        elif any(finding_matches(finding, trap) for trap in traps):
            result.false_positives += 1
        elif corpus.info.exhaustive == "line" or (corpus.info.exhaustive == "file" and finding.path in labeled_files):
            result.false_positives += 1
        else:
            result.unlabeled += 1


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
