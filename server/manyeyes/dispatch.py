"""The fan-out: every task of a plan runs concurrently under one limiter.

Each task has a timeout, the run an overall deadline and a budget in tokens and dollars (`Budget`). With
staggering, a span's other agents wait for its first one's answer, so the provider has cached their shared prompt
prefix (`leaders`). The run can be cancelled as a whole, or one agent at a time (the board's cancel) while the
others go on; an agent that fails or raises fails alone. Every state change of a task is published to subscribers
as a copy of its AgentOutcome (the boards of the CLI and the editors).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio

from manyeyes.agents.base import Agent, AgentReport
from manyeyes.llm.errors import KEY_REJECTED
from manyeyes.models import AgentOutcome
from manyeyes.plan.context import CACHEABLE_PREFIX_TOKENS
from manyeyes.plan.planner import Task

log = logging.getLogger(__name__)
Subscriber = Callable[[AgentOutcome], None]


@dataclass
class Completed:
    task: Task
    outcome: AgentOutcome
    report: AgentReport


@dataclass
class Budget:
    """What a run may spend: tokens and dollars (0: no limit). A model task starts only while its estimated prompt
    fits beside what is spent and what the running tasks are estimated to spend; one may go over by its answer."""

    tokens: int = 0
    usd: float = 0.0
    cost_of: Callable[[Task], float] | None = None  # the price of a task's estimated prompt, for the dollar limit
    tokens_used: int = 0
    usd_used: float = 0.0
    _held: dict[str, tuple[int, float]] = field(default_factory=dict)  # running task id -> its estimates

    def admit(self, task: Task) -> str | None:
        """None, and the task's estimates held until it reports; or why it may not start."""
        if task.offline:
            return None
        tokens = task.context.estimated_tokens
        usd = self.cost_of(task) if self.usd and self.cost_of is not None else 0.0
        held_tokens = sum(t for t, _ in self._held.values())
        held_usd = sum(u for _, u in self._held.values())
        if self.tokens and self.tokens_used + held_tokens + tokens > self.tokens:
            return f"run token budget ({self.tokens:,}) reached"
        if self.usd and self.usd_used + held_usd + usd > self.usd:
            return f"run cost budget (${self.usd:g}) reached, ${self.usd_used:.4f} spent"
        self._held[task.id] = (tokens, usd)
        return None

    def spend(self, task: Task, report: AgentReport) -> None:
        self.release(task)
        self.tokens_used += report.prompt_tokens + report.completion_tokens + report.replayed_tokens
        self.usd_used += report.cost_usd

    def release(self, task: Task) -> None:
        self._held.pop(task.id, None)


class Dispatcher:
    def __init__(
        self,
        concurrency: int,
        task_timeout_s: float,
        run_deadline_s: float,
        budget: Budget | None = None,
        stagger: bool = False,
    ):
        self.concurrency = concurrency
        self.task_timeout_s = task_timeout_s
        self.run_deadline_s = run_deadline_s
        self.budget = budget or Budget()
        self.stagger = stagger  # a chunk's other agents wait for its first one's answer (see leaders())
        self._leader_of: dict[str, str] = {}
        self._answered: dict[str, anyio.Event] = {}
        self._subscribers: list[Subscriber] = []
        self._scope: anyio.CancelScope | None = None
        self._cancelled = False
        self._task_scopes: dict[str, anyio.CancelScope] = {}
        self._cancelled_tasks: set[str] = set()
        self._rejected_keys: dict[str, str] = {}  # model -> the provider's refusal: its other tasks are not sent
        self._deadline: float | None = None  # the run's, from its first round: a later round (votes) shares it

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
    def out_of_time(self) -> bool:
        """The run deadline has passed (only once a round has run)."""
        return self._deadline is not None and anyio.current_time() >= self._deadline

    @property
    def tokens_used(self) -> int:
        return self.budget.tokens_used

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
        self._leader_of = leaders(tasks) if self.stagger else {}
        self._answered = {leader: anyio.Event() for leader in set(self._leader_of.values())}
        with anyio.CancelScope() as self._scope:
            if self._cancelled:
                self._scope.cancel()
            if self._deadline is None:
                self._deadline = anyio.current_time() + self.run_deadline_s
            with anyio.move_on_at(self._deadline):
                async with anyio.create_task_group() as group:
                    for item in completed:
                        group.start_soon(self._run_one, item, agent_for(item.task), limiter)
        self._scope = None
        self._close_unfinished(completed)
        return completed

    async def _run_one(self, item: Completed, agent: Agent, limiter: anyio.CapacityLimiter) -> None:
        scope = self._task_scopes[item.task.id]
        try:
            with scope:  # cancelled by cancel_task only; the run's own cancellation goes through it untouched
                await self._after_leader(item.task)
                await self._run_limited(item, agent, limiter)
        finally:
            self.budget.release(item.task)  # a task cancelled while it ran holds nothing any more
            if item.task.id in self._answered:
                self._answered[item.task.id].set()
        self._task_scopes.pop(item.task.id, None)
        if scope.cancelled_caught:
            item.report = AgentReport()
            self._finish(item.outcome, "cancelled", "cancelled by the user")

    async def _after_leader(self, task: Task) -> None:
        leader = self._leader_of.get(task.id)
        if leader is not None:
            await self._answered[leader].wait()

    async def _run_limited(self, item: Completed, agent: Agent, limiter: anyio.CapacityLimiter) -> None:
        async with limiter:
            outcome = item.outcome
            refusal = self._key_rejected(item.task) or self.budget.admit(item.task)
            if refusal:
                return self._finish(outcome, "skipped", refusal)
            outcome.state = "running"
            self._emit(outcome)
            started = time.monotonic()
            item.report = await self._review(agent, item.task)
            outcome.duration_s = round(time.monotonic() - started, 3)
            self.budget.spend(item.task, item.report)
            if (item.report.error or "").startswith(KEY_REJECTED):
                self._rejected_keys.setdefault(item.task.agent, item.report.error)
            self._record(outcome, item.report)

    def _key_rejected(self, task: Task) -> str | None:
        """A provider that rejected the key rejects every request with it: one failure says so, the rest of that
        model's tasks are not sent (hundreds of identical 401s help nobody)."""
        if task.agent not in self._rejected_keys:
            return None
        return f"not sent: the provider rejected the key for {task.agent} (see the first failed agent)"

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
        outcome.cached_prompt_tokens = report.cached_prompt_tokens
        outcome.cost_usd, outcome.cost_known, outcome.retries = report.cost_usd, report.cost_known, report.retries
        outcome.findings, outcome.dropped, outcome.cached = (
            len(report.findings),
            report.dropped,
            report.cached,
        )
        if report.skipped:
            return self._finish(outcome, "skipped", report.skipped)
        self._finish(outcome, "failed" if report.error else "done", report.error)

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


def leaders(tasks: list[Task]) -> dict[str, str]:
    """Follower task id -> the task it waits for. The agents of one chunk and model share their prompt up to the
    concern brief; a provider caches that prefix once it has answered a request with it (Anthropic's documented
    rule; OpenAI's cache fills while it reads the first), so the chunk's first needed task goes alone and the others
    follow its answer and are billed the prefix at the cached price. Only where the prefix is long enough for a
    provider to cache at all."""
    groups: dict[tuple, list[Task]] = {}
    for task in tasks:
        if not task.offline and task.standby is None and task.context.prefix_tokens >= CACHEABLE_PREFIX_TOKENS:
            key = (task.agent, task.chunk.document.path, task.chunk.start, task.chunk.end)
            groups.setdefault(key, []).append(task)
    return {follower.id: group[0].id for group in groups.values() for follower in group[1:]}


def _outcome_of(task: Task) -> AgentOutcome:
    return AgentOutcome(
        task_id=task.id,
        agent=task.agent,
        concern=task.concern,
        target=task.chunk.label,
        vote=task.vote,
        escalated=task.escalated,
        instructions=[i.source for i in task.context.instructions],
    )


class DispatchedRun:
    """What a front end drives, a review or a refactor alike: follow every agent's state, cancel the whole run or one
    agent, and `execute()` for the result (each kind of run has its own)."""

    dispatcher: Dispatcher

    def subscribe(self, subscriber: Subscriber) -> None:
        self.dispatcher.subscribe(subscriber)

    def cancel(self) -> None:
        self.dispatcher.cancel()

    def cancel_agent(self, task_id: str) -> bool:
        """Stop one agent; the others finish and the run concludes from what they found."""
        return self.dispatcher.cancel_task(task_id)
