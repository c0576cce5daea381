"""Grounding: a model task gets the analyzer hits for its concern inside its chunk, to confirm or dismiss, the
text that shows them to the model, and what becomes of each hit once the model has answered (`settle_evidence`).

In a review, grounding happens inside each agent's task rather than as a step before the fan-out: every analyzer
starts at once, and each agent waits only for the analyzers of its own concern, so the tests agent does not wait
for bandit and the board shows an agent as running while its evidence is gathered. The plan stays as planned: the
agent works on a grounded copy of its task, and the evidence travels back in its report.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from manyeyes.agents.analyzers.panel import OfflinePanel
from manyeyes.agents.analyzers.taint import TAINT_NOTE
from manyeyes.agents.base import Agent, AgentReport
from manyeyes.agents.parsing import Parsed, RawDismissal
from manyeyes.models import Finding
from manyeyes.plan.planner import Task
from manyeyes.synthesis.rules import canonical, canonical_set

# What to do with each hit is in the system prompt, which every agent's cache shares: said here again, it was
# about 50 tokens every agent paid uncached.
EVIDENCE_HEADING = "Analyzer evidence:"
# More hits of one rule than this become one line: thirty "unused variable" lines cost a prompt hundreds of
# tokens and tell the model nothing the first one and the line numbers do not.
MAX_HITS_LISTED_PER_RULE = 3


async def evidence_for(task: Task, panel: OfflinePanel) -> list[Finding]:
    """A task's evidence: its concern's analyzer hits inside its chunk."""
    hits, _ = await panel.hits(task.concern, task.chunk.document.path)
    return [h for h in hits if task.chunk.start <= h.span.start_line <= task.chunk.end]


async def grounded(task: Task, panel: OfflinePanel) -> Task:
    """The task as its agent sees it: a copy that carries its evidence (the planned task is left as planned)."""
    return replace(task, context=replace(task.context, evidence=await evidence_for(task, panel)))


async def ground_all(tasks: list[Task], panel: OfflinePanel) -> list[Task]:
    """Every model task grounded up front, offline ones as they are: for what must be complete before anything is
    sent (a dry run, a refactoring's tasks)."""
    await start_analyzers(tasks, panel)
    return [task if task.offline else await grounded(task, panel) for task in tasks]


async def start_analyzers(tasks: list[Task], panel: OfflinePanel) -> None:
    """Run the analyzers the model tasks' concerns need, in parallel."""
    concerns = sorted({t.concern for t in tasks if not t.offline}, key=lambda c: c.value)
    if concerns:
        await panel.start_all(concerns)


class GroundedAgent:
    """A model agent that grounds its task first. A task triage stood by runs only when an analyzer flagged its
    chunk for its concern: triage never overrules an analyzer."""

    def __init__(self, panel: OfflinePanel, model: Agent):
        self._panel = panel
        self._model = model

    async def review(self, task: Task) -> AgentReport:
        task = await grounded(task, self._panel)
        if task.stood_down:
            return AgentReport(skipped=f"triage: {task.standby}")
        report = await self._model.review(task)
        report.evidence = task.context.evidence
        return report


def render_evidence(task: Task) -> str:
    """The evidence as the model reads it. The code is already in the prompt with line numbers, so a hit is its
    line, rule, analyzer and title; many hits of one rule are one line."""
    if not task.context.evidence:
        return ""
    lines = ["", EVIDENCE_HEADING]
    for (rule, source), hits in _by_rule_in_code_order(task.context.evidence):
        if len(hits) <= MAX_HITS_LISTED_PER_RULE:
            lines += [f"- line {h.span.start_line}, rule {rule} ({source}): {h.title}{_taint(h)}" for h in hits]
        else:
            where = line_ranges([h.span.start_line for h in hits])
            lines.append(f"- lines {where}, rule {rule} ({source}), {len(hits)} hits like: {hits[0].title}")
    return "\n".join(lines) + "\n"


def _taint(hit: Finding) -> str:
    """What the taint rules said of a hit (where its request data comes from, or that none reaches it): the model
    confirms or dismisses with that evidence."""
    said = next((note for note in hit.notes if note.startswith(TAINT_NOTE)), None)
    return f" ({said[len(TAINT_NOTE) :].rstrip('.')})" if said else ""


def _by_rule_in_code_order(hits: list[Finding]) -> list[tuple[tuple[str, str], list[Finding]]]:
    groups: dict[tuple[str, str], list[Finding]] = {}
    for hit in sorted(hits, key=lambda h: h.span.start_line):
        groups.setdefault(("/".join(hit.rules) or "-", hit.sources[0].label), []).append(hit)
    return list(groups.items())


def line_ranges(numbers: list[int]) -> str:
    """[5, 6, 7, 9] -> "5-7, 9"."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


@dataclass
class Settled:
    """What became of a task's evidence once its model answered."""

    kept: list[Finding] = field(default_factory=list)  # hits the model confirmed, and hits it said nothing about
    dismissed: list[tuple[Finding, str]] = field(default_factory=list)  # hits it judged false, with its reason
    notes: list[str] = field(default_factory=list)  # dismissals of hits it was never shown


def settle_evidence(task: Task, parsed: Parsed, confirmed_by: list[Finding], line_shift: int = 0) -> Settled:
    """Evidence is never erased by a model's silence: a hit stays unless the model dismissed it by naming its rule
    and line with a reason about the code (not a project instruction). A hit it confirmed (a finding of the same
    rule on the same code) stays as it is, for the synthesizer to merge with that finding; a hit it ignored stays,
    marked not confirmed."""
    settled = Settled()
    unused = list(parsed.dismissed)
    for hit in task.context.evidence:
        rule = canonical(hit.rules[0]) if hit.rules else None
        dismissal = _dismissal_of(hit, rule, unused, line_shift)
        cited = _cited_instruction(task, dismissal.reason) if dismissal else None
        if any(rule in canonical_set(f.rules) and f.span.overlaps(hit.span, slack=1) for f in confirmed_by):
            settled.kept.append(hit)
        elif cited is not None:
            why = f"the model dismissed it citing {cited}; instructions drop analyzer hits only by their `ignore` list"
            settled.kept.extend(not_confirmed([hit], why))
        elif dismissal is not None:
            settled.dismissed.append((hit, dismissal.reason))
        else:
            settled.kept.extend(not_confirmed([hit], "the model agent neither confirmed nor dismissed it"))
    settled.notes = [
        f"{task.chunk.document.path}: the {task.concern.value} agent dismissed {d.rule}"
        f"{f' at line {d.line + line_shift}' if d.line else ''}, which it was not shown; ignored"
        for d in unused
    ]
    return settled


def _cited_instruction(task: Task, reason: str) -> str | None:
    """The project instruction a dismissal gives as its reason: a convention is not evidence that a hit is false
    (an instruction file saying "report nothing" must not erase what the analyzers found)."""
    given, lowered = task.context.instructions, reason.lower()
    named = next((i.source for i in given if i.id.lower() in lowered or i.source.lower() in lowered), None)
    if named is None and given and ("instruction" in lowered or "convention" in lowered):
        return "the project's instructions"
    return named


def _dismissal_of(hit: Finding, rule: str | None, dismissals: list[RawDismissal], line_shift: int):
    """The dismissal naming this hit (its rule, and its line when the model gave one), taken from the list."""
    for dismissal in dismissals:
        named = rule is not None and canonical(dismissal.rule) == rule
        placed = dismissal.line is None or abs(dismissal.line + line_shift - hit.span.start_line) <= 1
        if named and placed:
            if dismissal.line is not None:
                dismissals.remove(dismissal)  # one line, one hit; a rule-wide dismissal covers them all
            return dismissal
    return None


def not_confirmed(hits: list[Finding], why: str) -> list[Finding]:
    """Analyzer hits no model confirmed, kept as they were with the reason: silence is not evidence against a hit,
    so it costs no confidence (a lower one would let the default min_confidence hide what the model ignored)."""
    kept = []
    for hit in hits:
        copy = hit.model_copy(deep=True)
        copy.notes.append(f"analyzer finding, not confirmed: {why}")
        kept.append(copy)
    return kept
