"""Votes: what several voters found on one task, matched into one finding per problem, each with how many of
them found it.

Two voters' findings are one problem when they are of one concern, on code within SLACK_LINES of each other (two
samples may quote a problem's code differently: the query's line, the call's line), and of one kind: the same
CWE or rule where both name one; otherwise the titles that agree best, or, when titles share too little (two
samples word one problem differently), the only such problem on the very code it quotes. Each voter counts
once per problem. The finding kept is the first voter's (the model's answer at temperature 0), with a fix from
the first voter that wrote one; its consensus records the count, the finders and their average stated
confidence, and its confidence is the voters' (consensus/confidence.py). Analyzer findings pass through
untouched: they were never a vote.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from manyeyes.consensus.confidence import from_votes
from manyeyes.dispatch import Completed
from manyeyes.models import Consensus, Finding
from manyeyes.synthesis.merge import title_similarity
from manyeyes.synthesis.rules import canonical_set

SLACK_LINES = 2
SAME_TITLE = 0.25  # word overlap at which two voters' titles on the same code name the same problem


@dataclass
class Ballot:
    """One voter's model findings on a task: the voter's number (1: the first sample) and its model."""

    vote: int
    model: str
    findings: list[Finding]


@dataclass
class Tallied:
    findings: list[Finding] = field(default_factory=list)  # one per problem, each with its consensus
    tasks: int = 0  # the model tasks whose voters answered
    merged: int = 0  # findings that joined another voter's


def ballots_by_task(completed: list[Completed]) -> dict[str, list[Ballot]]:
    """Each model task's ballot box: its first sample's and its extra votes' model findings. A voter that answered
    (or salvaged part of an answer) was asked; one that failed or was skipped was not."""
    boxes: dict[str, list[Ballot]] = {}
    for item in completed:
        if item.task.offline:
            continue
        voted = [f for f in item.report.findings if f.by_model_only]
        if item.outcome.state == "done" or voted:
            boxes.setdefault(item.task.ballot, []).append(Ballot(item.task.vote, item.task.agent, voted))
    return boxes


def tally_votes(completed: list[Completed]) -> Tallied:
    """Every model task's voters tallied, one ballot box per task."""
    boxes = ballots_by_task(completed)
    result = Tallied(tasks=len(boxes))
    for ballots in boxes.values():
        found, merged = tally(ballots)
        result.findings.extend(found)
        result.merged += merged
    return result


@dataclass
class _Problem:
    members: list[tuple[Ballot, Finding]] = field(default_factory=list)

    def voted(self, ballot: Ballot) -> bool:
        return any(b.vote == ballot.vote for b, _ in self.members)


def tally(ballots: list[Ballot]) -> tuple[list[Finding], int]:
    """One finding per problem the voters of one task found, with its consensus; and how many findings joined
    another voter's (the votes merged). `ballots` are the voters that answered: they are the votes asked."""
    problems: list[_Problem] = []
    merged = 0
    for ballot in sorted(ballots, key=lambda b: b.vote):
        for finding in ballot.findings:
            match = _match(finding, [p for p in problems if not p.voted(ballot)])
            if match is None:
                problems.append(_Problem([(ballot, finding)]))
            else:
                match.members.append((ballot, finding))
                merged += 1
    return [_decided(problem, len(ballots)) for problem in problems], merged


def _match(finding: Finding, open_problems: list[_Problem]) -> _Problem | None:
    """The problem this finding is a vote for, among those its voter has not voted for yet."""
    near = [p for p in open_problems if _compatible(p.members[0][1], finding)]
    named = [p for p in near if _named_alike(p.members[0][1], finding)]
    if named:
        return named[0]
    scored = [(title_similarity(p.members[0][1].title, finding.title), p) for p in near]
    best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
    if best[0] >= SAME_TITLE:
        return best[1]
    on_its_code = [p for p in near if p.members[0][1].span.overlaps(finding.span)]
    return on_its_code[0] if len(on_its_code) == 1 else None


def _compatible(a: Finding, b: Finding) -> bool:
    """Could be one problem: one concern, nearby code, and no CWE or rule that says otherwise."""
    if set(a.concerns).isdisjoint(b.concerns) or not a.span.overlaps(b.span, slack=SLACK_LINES):
        return False
    if a.cwe and b.cwe and set(a.cwe).isdisjoint(b.cwe):
        return False
    return not (a.rules and b.rules and canonical_set(a.rules).isdisjoint(canonical_set(b.rules)))


def _named_alike(a: Finding, b: Finding) -> bool:
    return bool(set(a.cwe) & set(b.cwe) or canonical_set(a.rules) & canonical_set(b.rules))


def _decided(problem: _Problem, asked: int) -> Finding:
    first = problem.members[0][1]
    kept = first.model_copy(deep=True)
    if kept.fix is None:
        kept.fix = next((f.fix for _, f in problem.members if f.fix is not None), None)
    for _, other in problem.members[1:]:
        kept.cwe.extend(c for c in other.cwe if c not in kept.cwe)
    stated = sum(f.confidence for _, f in problem.members) / len(problem.members)
    kept.consensus = Consensus(
        found_by=len(problem.members),
        asked=max(asked, len(problem.members)),
        voters=[b.model for b, _ in problem.members],
        stated=round(stated, 3),
    )
    kept.confidence = from_votes(kept.consensus)
    return kept
