"""The one contract every agent keeps: a task in, a report out. A failure is a report with an error, never an
exception, so one agent going wrong never touches the others."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from manyeyes.models import Finding
from manyeyes.plan.planner import Task


@dataclass
class Proposal:
    """A refactoring agent's rewrite of its chunk's lines."""

    code: str
    summary: str


@dataclass
class AgentReport:
    findings: list[Finding] = field(default_factory=list)
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0  # of prompt_tokens, read from the provider's prompt cache
    completion_tokens: int = 0
    cost_usd: float = 0.0  # at known prices (a call with none counts 0.0 here, and makes cost_known False)
    cost_known: bool = True
    retries: int = 0
    dropped: int = 0
    error: str | None = None  # set: the agent failed (its findings, if any, were salvaged)
    skipped: str | None = None  # set: the agent had nothing to do (the planner's triage), and why
    cached: bool = False  # answered from the cache: no model call
    # A cached answer: what it cost when the model was asked. Counted against the run's token budget though not
    # billed, so that a re-run on unchanged code makes the choices the first run made (which votes fit) and asks
    # the model nothing.
    replayed_tokens: int = 0
    proposal: Proposal | None = None  # refactoring agents only
    dismissed: list[tuple[Finding, str]] = field(default_factory=list)  # analyzer hits judged false, with the reason
    notes: list[str] = field(default_factory=list)  # what the review should say about this agent's answer
    evidence: list[Finding] = field(default_factory=list)  # the analyzer hits its task was grounded with


class Agent(Protocol):
    async def review(self, task: Task) -> AgentReport: ...
