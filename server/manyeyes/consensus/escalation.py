"""Escalation: extra votes where they matter, one voter at a time, not on every task.

The first sample of every task has answered. A task earns a second voter (taken from the concern's models in
turn) when its chunk is risky or its answer uncertain, highest priority first:

    3  a finding of high severity or above that only this voter made and no analyzer backs; an analyzer hit of
       high severity or above in the chunk
    2  a medium analyzer hit in the chunk; a security chunk that calls an injection sink (eval, execute, loads...)
    1  a medium finding only this voter made, that no analyzer backs; a security chunk that calls another sink
       (open, md5, random, getenv...)

Low and informational findings and hits never escalate: the verifier checks the findings, more votes would cost
more than they are worth. Then, round after round, an escalated task whose voters disagree (a medium or worse
finding that not all of them made) gets one more voter to break the tie, up to `votes` voters. All the extra
votes together may spend `escalation_share` times what the first round spent (a vote is estimated at what its
task's first sample cost, from the cache as when it was asked): by default 1.25, a review measured at 1.55 to 1.83
times one sample (1.0 left nothing for the tie-breaking third voters, docs/evaluation.md); tasks that qualify but
do not fit are counted, not run. `voting = "always"` gives every task all its `votes` at once (within the run's
budget only), `"off"` none. Deterministic: the same answers escalate the same tasks, so a re-run reads its votes
from the cache too.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from manyeyes.config import Settings
from manyeyes.consensus.votes import ballots_by_task, tally
from manyeyes.dispatch import Completed
from manyeyes.models import Concern, Escalation, Finding, Severity
from manyeyes.plan.planner import Task
from manyeyes.plan.triage import sinks_called

ANSWER_TOKENS = 400  # an answer whose cost is not known (an older cache entry): its prompt and this estimate it


@dataclass
class Candidate:
    task: Task
    priority: int = 0
    reasons: list[str] = field(default_factory=list)
    tokens_per_vote: int = 0
    voters: int = 1  # how many it has had so far


class VotePlanner:
    """The extra votes of one run, round after round, within one allowance."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.escalated: dict[str, Escalation] = {}  # first-sample task id -> what the board and result say
        self.left_out: set[str] = set()  # tasks that qualified but did not fit the allowance
        self._allowed = 0.0
        self._spent = 0.0
        self._cost: dict[str, int] = {}  # first-sample task id -> tokens one more vote is estimated to cost

    def first_round(self, completed: list[Completed]) -> list[Task]:
        """After the first samples: one more voter where a chunk is risky or an answer uncertain (every voter at
        once with `voting = "always"`)."""
        if self.settings.voting == "off":
            return []
        firsts = [item for item in completed if _first_model_sample(item)]
        self._allowed = self.settings.escalation_share * sum(_tokens(item) for item in firsts)
        candidates = [c for item in firsts if (c := self._first_candidate(item)) is not None]
        if self.settings.voting == "always":
            return [vote for c in candidates for vote in self._add_votes(c, self._votes_for(c.task) - 1)]
        return self._within_allowance(candidates)

    def next_round(self, completed: list[Completed]) -> list[Task]:
        """Escalated tasks whose voters disagree get one more voter, up to `votes`, while the allowance lasts."""
        if self.settings.voting != "escalate":
            return []
        boxes = ballots_by_task(completed)
        firsts = {item.task.id: item.task for item in completed if item.task.vote == 1}
        asked = dict.fromkeys(firsts, 0)
        for item in completed:
            asked[item.task.ballot] = asked.get(item.task.ballot, 0) + 1
        candidates = []
        for task_id in self.escalated:
            task = firsts[task_id]
            if asked[task_id] < self._votes_for(task):
                candidate = _disagreement(task, boxes.get(task_id, []), self._cost[task_id], asked[task_id])
                candidates.extend([candidate] if candidate else [])
        return self._within_allowance(candidates)

    def report(self) -> tuple[list[Escalation], int]:
        return list(self.escalated.values()), len(self.left_out - set(self.escalated))

    def _first_candidate(self, item: Completed) -> Candidate | None:
        task = item.task
        if item.outcome.state != "done" or self._votes_for(task) < 2:
            return None
        self._cost[task.id] = _tokens(item)
        candidate = Candidate(task, tokens_per_vote=self._cost[task.id])
        if self.settings.voting == "always":
            candidate.reasons.append("voting: always")
            return candidate
        _rate_evidence(candidate, item.report.evidence)
        if task.concern is Concern.security:
            injection, other = sinks_called(task.chunk)
            if injection or other:
                _raise(candidate, 2 if injection else 1, f"calls {', '.join((injection or other)[:3])}")
        _rate_findings(candidate, [f for f in item.report.findings if f.by_model_only])
        return candidate if candidate.priority else None

    def _within_allowance(self, candidates: list[Candidate]) -> list[Task]:
        """One more voter for each candidate that fits, highest priority first (plan order within a priority)."""
        tasks = []
        for candidate in sorted(candidates, key=lambda c: -c.priority):
            if self._spent + candidate.tokens_per_vote <= self._allowed:
                self._spent += candidate.tokens_per_vote
                tasks.extend(self._add_votes(candidate, 1))
            else:
                self.left_out.add(candidate.task.id)
        return tasks

    def _add_votes(self, candidate: Candidate, count: int) -> list[Task]:
        task, reason = candidate.task, "; ".join(candidate.reasons)
        record = self.escalated.get(task.id)
        if record is None:
            record = Escalation(task_id=task.id, concern=task.concern, target=task.chunk.label, reason=reason, votes=1)
            self.escalated[task.id] = record
        elif reason not in record.reason:
            record.reason += f"; {reason}"
        first = candidate.voters + 1
        record.votes = candidate.voters + count
        return [self._vote_task(task, vote, reason) for vote in range(first, first + count)]

    def _vote_task(self, task: Task, vote: int, reason: str) -> Task:
        """Voter `vote` of a task: the concern's models in turn, each model's next sample."""
        models = self.settings.voters_for(task.concern) or [task.agent]
        voter = vote - 1
        return Task(
            id=f"{task.id}.v{vote}",
            concern=task.concern,
            chunk=task.chunk,
            agent=models[voter % len(models)],
            context=copy.copy(task.context),
            vote=vote,
            sample=voter // len(models),
            votes_for=task.id,
            escalated=reason,
        )

    def _votes_for(self, task: Task) -> int:
        return self.settings.votes_for(task.concern)


def _first_model_sample(item: Completed) -> bool:
    return not item.task.offline and item.task.vote == 1


def _disagreement(task: Task, ballots: list, cost: int, voters: int) -> Candidate | None:
    """A candidate for one more voter when the voters so far disagree on a medium or worse finding."""
    if len(ballots) < voters:
        return None  # a voter failed: its silence is no disagreement to settle
    found, _ = tally(ballots)
    split = [f for f in found if f.consensus.found_by < f.consensus.asked and f.severity.at_least(Severity.medium)]
    if not split:
        return None
    worst = max(split, key=lambda f: f.severity.rank)
    priority = 3 if worst.severity.at_least(Severity.high) else 1
    reason = f"voters disagree on '{worst.title[:60]}'"
    return Candidate(task, priority, [reason], tokens_per_vote=cost, voters=voters)


def _rate_evidence(candidate: Candidate, hits: list[Finding]) -> None:
    hits = [h for h in hits if h.severity.at_least(Severity.medium)]  # a low hit is no risk worth a vote
    if not hits:
        return
    severe = any(h.severity.at_least(Severity.high) for h in hits)
    rules = ", ".join(dict.fromkeys(h.rule_id for h in hits))
    _raise(candidate, 3 if severe else 2, f"analyzer hit ({rules})")


def _rate_findings(candidate: Candidate, findings: list[Finding]) -> None:
    severe = [f for f in findings if f.severity.at_least(Severity.high)]
    medium = [f for f in findings if f.severity is Severity.medium]
    if severe:
        _raise(candidate, 3, f"unconfirmed {severe[0].severity.value} finding '{severe[0].title[:60]}'")
    elif medium:
        _raise(candidate, 1, f"{len(medium)} unconfirmed medium finding(s)")


def _raise(candidate: Candidate, priority: int, reason: str) -> None:
    candidate.priority = max(candidate.priority, priority)
    candidate.reasons.append(reason)


def _tokens(item: Completed) -> int:
    """What one sample of this task costs: what its first one did, when it was asked (an answer from the cache
    replays what it cost then, so a re-run escalates as the first run did); its estimate where nothing is known."""
    outcome = item.outcome
    spent = item.report.replayed_tokens if outcome.cached else outcome.prompt_tokens + outcome.completion_tokens
    return spent or item.task.context.estimated_tokens + ANSWER_TOKENS
