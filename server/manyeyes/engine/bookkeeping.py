"""What a review says about itself beside its findings: the time each phase took, what a dollar budget left, the
files no model reviewed, and how each project instruction file was used."""

from __future__ import annotations

import time

from manyeyes.config import Settings
from manyeyes.dispatch import Completed
from manyeyes.models import (
    ConsensusReport,
    Dismissal,
    Finding,
    InstructionUse,
    NotReviewed,
    ReviewResult,
    VerificationReport,
)
from manyeyes.plan.planner import Plan


class PhaseClock:
    def __init__(self) -> None:
        self.started = self.last = time.monotonic()
        self.phases: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.phases[name] = round(now - self.last, 3)
        self.last = now

    @property
    def total(self) -> float:
        return round(time.monotonic() - self.started, 3)


def budget_notes(result: ReviewResult, settings: Settings) -> list[str]:
    """What a dollar budget left: "$0.4200 of the $1.5 budget spent" (every model call: agents, votes, the
    verifier, fix repairs), so the user sees how close the review came before raising it."""
    budget = settings.max_cost_usd
    if not budget or all(o.agent == "offline" for o in result.outcomes):
        return []  # no budget, or nothing a budget counts
    cost = result.totals()[2]
    spent = f"${cost:.4f}" if cost is not None else f"at least ${result.known_cost_usd():.4f} (a price unknown)"
    return [f"cost budget: {spent} of the ${budget:g} budget spent"]


def without_model_review(completed: list[Completed]) -> list[NotReviewed]:
    """Files whose every model task was skipped by a budget or the deadline (not by triage): not reviewed by a model,
    said per file, so a change too large for the budget lists what the models left out instead of timing out."""
    by_file: dict[str, list[Completed]] = {}
    for item in completed:
        if not item.task.offline and item.task.vote == 1:
            by_file.setdefault(item.task.chunk.document.path, []).append(item)
    notices = []
    for path, items in by_file.items():
        skipped = [
            i.outcome
            for i in items
            if i.outcome.state == "skipped" and not (i.outcome.error or "").startswith("triage:")
        ]
        if skipped and all(i.outcome.state == "skipped" for i in items):
            reason = f"not reviewed by a model: {skipped[0].error}; the offline analyzers reviewed it"
            notices.append(NotReviewed(path=path, reason=reason))
    return notices


def instruction_uses(
    plan: Plan, completed: list[Completed], findings: list[Finding], dismissed: list[Dismissal]
) -> list[InstructionUse]:
    """Each instruction file the review read: how many tasks carried it, what it made and what it dropped."""
    uses = []
    for instruction in plan.instructions.items:
        carried = sum(1 for item in completed if instruction in item.task.context.instructions)
        uses.append(
            InstructionUse(
                id=instruction.id,
                source=instruction.source,
                applies_to=list(instruction.applies_to),
                concerns=sorted(instruction.concerns or (), key=lambda c: c.value),
                tasks=carried,
                violations=sum(1 for f in findings if instruction.id in f.rules),
                ignored=sum(1 for d in dismissed if d.by == f"instruction {instruction.source}"),
            )
        )
    return uses


def removed_by_consensus(
    consensus: ConsensusReport | None, verification: VerificationReport | None, findings: list[Finding], floor: float
) -> ConsensusReport | None:
    """What each consensus stage removed, for the board: the skeptic's drops, and what `min_confidence` (`floor`)
    hides."""
    if consensus is None:
        return None
    if verification is not None and verification.rejected:
        consensus.removed["skeptic"] = len(verification.rejected)
    hidden = sum(1 for f in findings if f.confidence < floor)
    if hidden:
        consensus.removed["min_confidence"] = hidden
    return consensus
