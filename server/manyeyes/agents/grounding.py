"""Grounding: a model task gets the analyzer hits for its concern inside its chunk, to confirm or dismiss, and
the text that shows them to the model.

In a review, grounding happens inside each agent's task rather than as a step before the fan-out: every analyzer
starts at once, and each agent waits only for the analyzers of its own concern, so the tests agent does not wait
for bandit and the board shows an agent as running while its evidence is gathered.
"""

from __future__ import annotations

from manyeyes.agents.analyzers.panel import OfflinePanel
from manyeyes.agents.base import Agent, AgentReport
from manyeyes.models import Finding
from manyeyes.plan.planner import Task

EVIDENCE_HEADING = (
    "Analyzer evidence for this code (confirm the real ones with their rule id, leave out the false ones):"
)
# More hits of one rule than this become one line: thirty "unused variable" lines cost a prompt hundreds of
# tokens and tell the model nothing the first one and the line numbers do not.
MAX_HITS_LISTED_PER_RULE = 3


async def attach_evidence(task: Task, panel: OfflinePanel) -> None:
    hits, _ = await panel.hits(task.concern, task.chunk.document.path)
    task.context.evidence = [h for h in hits if task.chunk.start <= h.span.start_line <= task.chunk.end]


async def ground_all(tasks: list[Task], panel: OfflinePanel) -> None:
    """Ground every model task up front: for what must be complete before anything is sent (a dry run, a
    refactoring's single task)."""
    model_tasks = [t for t in tasks if not t.offline]
    await start_analyzers(model_tasks, panel)
    for task in model_tasks:
        await attach_evidence(task, panel)


async def start_analyzers(tasks: list[Task], panel: OfflinePanel) -> None:
    """Run the analyzers the model tasks' concerns need, in parallel."""
    concerns = sorted({t.concern for t in tasks if not t.offline}, key=lambda c: c.value)
    if concerns:
        await panel.start_all(concerns)


class GroundedAgent:
    """A model agent that grounds its task first."""

    def __init__(self, panel: OfflinePanel, model: Agent):
        self._panel = panel
        self._model = model

    async def review(self, task: Task) -> AgentReport:
        await attach_evidence(task, self._panel)
        return await self._model.review(task)


def render_evidence(task: Task) -> str:
    """The evidence as the model reads it. The code is already in the prompt with line numbers, so a hit is its
    line, rule, analyzer and title; many hits of one rule are one line."""
    if not task.context.evidence:
        return ""
    lines = ["", EVIDENCE_HEADING]
    for (rule, source), hits in _by_rule_in_code_order(task.context.evidence):
        if len(hits) <= MAX_HITS_LISTED_PER_RULE:
            lines += [f"- line {h.span.start_line}, rule {rule} ({source}): {h.title}" for h in hits]
        else:
            where = line_ranges([h.span.start_line for h in hits])
            lines.append(f"- lines {where}, rule {rule} ({source}), {len(hits)} hits like: {hits[0].title}")
    return "\n".join(lines) + "\n"


def _by_rule_in_code_order(hits: list[Finding]) -> list[tuple[tuple[str, str], list[Finding]]]:
    groups: dict[tuple[str, str], list[Finding]] = {}
    for hit in sorted(hits, key=lambda h: h.span.start_line):
        groups.setdefault(("/".join(hit.rules) or "-", hit.sources[0]), []).append(hit)
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
