"""The board: the latest state of every agent task of a run, fed by the dispatcher's events.

Front ends draw it (the CLI's live board, the editor's progress and board view); it holds no drawing code.
"""

from __future__ import annotations

from collections import Counter

from manyeyes.models import AgentOutcome

FINISHED = ("done", "failed", "cancelled", "skipped")


class Board:
    def __init__(self) -> None:
        self.agents: dict[str, AgentOutcome] = {}
        self.overhead_tokens = 0  # model work outside the agents (verification), counted in the totals
        self.overhead_cost_usd = 0.0
        self.phase: str | None = None  # what the run does once the agents are done, e.g. "verifying 3 finding(s)"

    def charge(self, tokens: int, cost_usd: float) -> None:
        self.overhead_tokens += tokens
        self.overhead_cost_usd += cost_usd

    def update(self, outcome: AgentOutcome) -> None:
        self.agents[outcome.task_id] = outcome

    @property
    def states(self) -> Counter[str]:
        return Counter(o.state for o in self.agents.values())

    @property
    def percent(self) -> int:
        if not self.agents:
            return 0
        finished = sum(1 for o in self.agents.values() if o.state in FINISHED)
        return int(100 * finished / len(self.agents))

    @property
    def tokens(self) -> int:
        return self.overhead_tokens + sum(o.prompt_tokens + o.completion_tokens for o in self.agents.values())

    @property
    def cost_usd(self) -> float:
        return self.overhead_cost_usd + sum(o.cost_usd for o in self.agents.values())

    @property
    def findings(self) -> int:
        return sum(o.findings for o in self.agents.values())
