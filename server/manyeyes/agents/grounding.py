"""Grounding: a model task gets the analyzer hits for its concern inside its chunk, to confirm or dismiss.

In a review, grounding happens inside each agent's task rather than as a step before the fan-out: every analyzer
starts at once, and each agent waits only for the analyzers of its own concern, so the tests agent does not wait
for bandit and the board shows an agent as running while its evidence is gathered.
"""

from __future__ import annotations

from manyeyes.agents.analyzers.panel import OfflinePanel
from manyeyes.agents.base import Agent, AgentReport
from manyeyes.plan.planner import Task


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
