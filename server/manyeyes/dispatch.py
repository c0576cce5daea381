"""The fan-out: every task of a plan runs concurrently under one limiter.

Each task has a timeout, the run an overall deadline and a token budget. The run can be cancelled as a whole, or
one agent at a time (the board's cancel) while the others go on; an agent that fails or raises fails alone. Every
state change of a task is published to subscribers as a copy of its AgentOutcome (the boards of the CLI and the
editors).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio

from manyeyes.agents.base import Agent, AgentReport
from manyeyes.models import AgentOutcome
from manyeyes.plan.planner import Task

log = logging.getLogger(__name__)
Subscriber = Callable[[AgentOutcome], None]


@dataclass
class Completed:
    task: Task
    outcome: AgentOutcome
    report: AgentReport


class Dispatcher:
    def __init__(self, concurrency: int, task_timeout_s: float, run_deadline_s: float, run_token_budget: int = 0):
        self.concurrency = concurrency
        self.task_timeout_s = task_timeout_s
        self.run_deadline_s = run_deadline_s
        self.run_token_budget = run_token_budget
        self._subscribers: list[Subscriber] = []
        self._scope: anyio.CancelScope | None = None
        self._cancelled = False
        self._task_scopes: dict[str, anyio.CancelScope] = {}
        self._cancelled_tasks: set[str] = set()
        self._tokens_used = 0

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def cancel(self) -> None:
        """Stop the whole run: running tasks are cancelled, queued ones never start."""
        self._cancelled = True
        if self._scope is not None:
            self._scope.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def tokens_used(self) -> int:
        return self._tokens_used

    def cancel_task(self, task_id: str) -> bool:
        """Stop one agent, queued or running; the rest of the run goes on. False when it is not in this run or
        has already finished."""
        scope = self._task_scopes.get(task_id)
        if scope is None or task_id in self._cancelled_tasks:
            return False
        self._cancelled_tasks.add(task_id)
        scope.cancel()
        return True

    async def run(self, tasks: list[Task], agent_for: Callable[[Task], Agent]) -> list[Completed]:
        completed = [Completed(t, _outcome_of(t), AgentReport()) for t in tasks]
        for item in completed:
            self._emit(item.outcome)
        limiter = anyio.CapacityLimiter(self.concurrency)
        self._task_scopes = {item.task.id: anyio.CancelScope() for item in completed}
        with anyio.CancelScope() as self._scope:
            if self._cancelled:
                self._scope.cancel()
            with anyio.move_on_after(self.run_deadline_s):
                async with anyio.create_task_group() as group:
                    for item in completed:
                        group.start_soon(self._run_one, item, agent_for(item.task), limiter)
        self._scope = None
        self._close_unfinished(completed)
        return completed

    async def _run_one(self, item: Completed, agent: Agent, limiter: anyio.CapacityLimiter) -> None:
        scope = self._task_scopes[item.task.id]
        with scope:  # cancelled by cancel_task only; the run's own cancellation goes through it untouched
            await self._run_limited(item, agent, limiter)
        self._task_scopes.pop(item.task.id, None)
        if scope.cancelled_caught:
            item.report = AgentReport()
            self._finish(item.outcome, "cancelled", "cancelled by the user")

    async def _run_limited(self, item: Completed, agent: Agent, limiter: anyio.CapacityLimiter) -> None:
        async with limiter:
            outcome = item.outcome
            if self._over_budget(item.task):
                return self._finish(outcome, "skipped", f"run token budget ({self.run_token_budget:,}) reached")
            outcome.state = "running"
            self._emit(outcome)
            started = time.monotonic()
            item.report = await self._review(agent, item.task)
            outcome.duration_s = round(time.monotonic() - started, 3)
            self._record(outcome, item.report)

    async def _review(self, agent: Agent, task: Task) -> AgentReport:
        try:
            with anyio.fail_after(self.task_timeout_s):
                return await agent.review(task)
        except TimeoutError:
            return AgentReport(error=f"timed out after {self.task_timeout_s:g}s")
        except anyio.get_cancelled_exc_class():
            raise
        except Exception as exc:  # an agent bug fails that agent only
            log.exception("agent crashed on %s", task.id)
            return AgentReport(error=f"agent crashed: {type(exc).__name__}: {exc}")

    def _record(self, outcome: AgentOutcome, report: AgentReport) -> None:
        outcome.prompt_tokens, outcome.completion_tokens = report.prompt_tokens, report.completion_tokens
        outcome.cost_usd, outcome.retries = report.cost_usd, report.retries
        outcome.findings, outcome.dropped, outcome.cached = (
            len(report.findings),
            report.dropped,
            report.cached,
        )
        self._tokens_used += report.prompt_tokens + report.completion_tokens
        self._finish(outcome, "failed" if report.error else "done", report.error)

    def _over_budget(self, task: Task) -> bool:
        if task.offline or not self.run_token_budget:
            return False
        return self._tokens_used + task.context.estimated_tokens > self.run_token_budget

    def _close_unfinished(self, completed: list[Completed]) -> None:
        reason = "review cancelled" if self._cancelled else f"run deadline ({self.run_deadline_s:g}s) reached"
        for item in completed:
            if item.outcome.state in ("queued", "running"):
                item.report = AgentReport()
                self._finish(item.outcome, "cancelled", reason)

    def _finish(self, outcome: AgentOutcome, state: str, error: str | None) -> None:
        outcome.state = state
        outcome.error = error
        self._emit(outcome)

    def _emit(self, outcome: AgentOutcome) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(outcome.model_copy())
            except Exception:  # a broken board must not break the review
                log.exception("progress subscriber failed")


def _outcome_of(task: Task) -> AgentOutcome:
    return AgentOutcome(task_id=task.id, agent=task.agent, concern=task.concern, target=task.chunk.label)
