"""The offline agent: a concern's analyzer hits for one file, from the shared offline panel."""

from __future__ import annotations

from manyeyes.agents.analyzers.panel import OfflinePanel
from manyeyes.agents.base import AgentReport
from manyeyes.plan.planner import Task


class OfflineAgent:
    def __init__(self, panel: OfflinePanel):
        self.panel = panel

    async def review(self, task: Task) -> AgentReport:
        findings, failures = await self.panel.hits(task.concern, task.chunk.document.path)
        return AgentReport(findings=findings, error="; ".join(failures) or None)
