"""Escalation: extra votes where they matter, not on every task.

The first sample of every task has answered. A task earns more voters (`votes`, taken from the concern's models
in turn) when its chunk is risky or its answer is uncertain, highest priority first:

    3  a finding of high severity or above that only this voter made and no analyzer backs; an analyzer hit of
       high severity or above in the chunk
    2  a medium analyzer hit in the chunk; a security chunk that calls an injection sink (eval, execute, loads...)
    1  a medium finding only this voter made, that no analyzer backs; a security chunk that calls another sink
       (open, md5, random, getenv...)

Low and informational findings and hits never escalate: the verifier checks the findings, more votes would cost
more than they are worth. The extra votes may spend `escalation_share` times what the first round spent
(estimated per task from what its first sample cost), so by default a review costs at most about twice one
sample; tasks that qualify but do not fit are counted, not run. `voting = "always"` gives every task its votes
(within the run's budget only), `"off"` none. Deterministic: the same first round escalates the same tasks, so a
re-run reads its votes from the cache too.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from manyeyes.config import Settings
from manyeyes.dispatch import Completed
from manyeyes.models import Concern, Escalation, Finding, Severity
from manyeyes.plan.planner import Task
from manyeyes.plan.triage import sinks_called

ANSWER_TOKENS = 400  # a first sample answered from the cache cost nothing: its prompt and this answer estimate it


@dataclass
class Candidate:
    task: Task
    priority: int
    reasons: list[str] = field(default_factory=list)
    tokens_per_vote: int = 0


@dataclass
class VotePlan:
    """The extra vote tasks to run, and what the board and the result say about them."""

    tasks: list[Task] = field(default_factory=list)
    escalated: list[Escalation] = field(default_factory=list)
    left_out: int = 0


def plan_votes(completed: list[Completed], settings: Settings) -> VotePlan:
    """Which first samples get more voters, as vote tasks ready for the dispatcher."""
    if settings.voting == "off":
        return VotePlan()
    candidates = [c for item in completed if (c := _candidate(item, settings)) is not None]
    if settings.voting == "escalate":
        spent = sum(_tokens(item) for item in completed if _first_model_sample(item))
        chosen, left_out = _within(candidates, settings.escalation_share * spent, settings)
    else:
        chosen, left_out = candidates, 0
    plan = VotePlan(left_out=left_out)
    for candidate in chosen:
        votes = _vote_tasks(candidate, settings)
        plan.tasks.extend(votes)
        task = candidate.task
        plan.escalated.append(
            Escalation(
                task_id=task.id,
                concern=task.concern,
                target=task.chunk.label,
                reason="; ".join(candidate.reasons),
                votes=1 + len(votes),
            )
        )
    return plan


def _first_model_sample(item: Completed) -> bool:
    return not item.task.offline and item.task.vote == 1


def _candidate(item: Completed, settings: Settings) -> Candidate | None:
    task = item.task
    if not _first_model_sample(item) or item.outcome.state != "done" or settings.votes_for(task.concern) < 2:
        return None
    candidate = Candidate(task, 0, tokens_per_vote=_tokens(item))
    if settings.voting == "always":
        candidate.reasons.append("voting: always")
        return candidate
    _rate_evidence(candidate, task.context.evidence)
    if task.concern is Concern.security:
        injection, other = sinks_called(task.chunk)
        if injection or other:
            _raise(candidate, 2 if injection else 1, f"calls {', '.join((injection or other)[:3])}")
    _rate_findings(candidate, [f for f in item.report.findings if f.by_model_only])
    return candidate if candidate.priority else None


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


def _within(candidates: list[Candidate], allowed: float, settings: Settings) -> tuple[list[Candidate], int]:
    """The highest-priority candidates whose extra votes fit in `allowed` tokens; and how many did not fit."""
    chosen, spent = [], 0
    for candidate in sorted(candidates, key=lambda c: -c.priority):  # stable: plan order within a priority
        cost = candidate.tokens_per_vote * (settings.votes_for(candidate.task.concern) - 1)
        if spent + cost <= allowed:
            chosen.append(candidate)
            spent += cost
    return chosen, len(candidates) - len(chosen)


def _tokens(item: Completed) -> int:
    """What one sample of this task costs: what its first one did, or its estimate when that was read from the
    cache (the escalation must not change because an answer was cached)."""
    outcome = item.outcome
    if outcome.cached or not (outcome.prompt_tokens or outcome.completion_tokens):
        return item.task.context.estimated_tokens + ANSWER_TOKENS
    return outcome.prompt_tokens + outcome.completion_tokens


def _vote_tasks(candidate: Candidate, settings: Settings) -> list[Task]:
    """Voters 2..N of a task: the concern's models in turn, each model's next sample."""
    task = candidate.task
    models = settings.voters_for(task.concern) or [task.agent]
    reason = "; ".join(candidate.reasons)
    votes = []
    for vote in range(2, settings.votes_for(task.concern) + 1):
        voter = vote - 1
        votes.append(
            Task(
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
        )
    return votes
