"""Refactoring a selection: concern agents propose rewrites in parallel, one merged rewrite is checked, repaired
once if the checks reject it, and offered only if it passes.

    propose   one task per goal concern (model: a rewrite; offline: the analyzers' fixes), through the dispatcher
    merge     one proposal is taken as it is; several are merged by one model call (offline: fixes applied together)
    verify    spliced into a scratch copy: it must parse and, for Python, lint no worse (rewrite/gate.py)
    repair    a rejected model rewrite gets one repair call with the reason; rejected again, it is reported
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio.to_thread

from manyeyes.agents.analyzers.panel import OfflinePanel
from manyeyes.agents.base import AgentReport, Proposal
from manyeyes.agents.grounding import ground_all
from manyeyes.agents.prompts import load_prompt
from manyeyes.agents.refactor import (
    OfflineRefactorAgent,
    RefactorAgent,
    apply_fixes,
    ask_for_code,
    code_messages,
)
from manyeyes.concerns import Registry, load_registry
from manyeyes.config import Settings
from manyeyes.dispatch import Completed, DispatchedRun, Dispatcher
from manyeyes.llm.loader import load_litellm
from manyeyes.models import AfterAgents, Concern, Finding, ReviewRequest
from manyeyes.plan import context as ctx
from manyeyes.plan.documents import Document
from manyeyes.plan.planner import Task, load_documents
from manyeyes.plan.slicing import Chunk
from manyeyes.rewrite.gate import verify_rewrite
from manyeyes.safety.redact import warm as warm_redaction
from manyeyes.synthesis.merge import consolidate


@dataclass
class RefactorResult:
    path: str
    start: int
    end: int
    code: str | None = None  # the checked rewrite of lines start..end; None: nothing is offered
    summary: str = ""
    problem: str | None = None  # why nothing is offered
    from_model: bool = False
    after_agents: AfterAgents = field(default_factory=AfterAgents)  # the merge and repair calls (the board adds them)


class RefactorRun(DispatchedRun):
    def __init__(self, request: ReviewRequest, settings: Settings, goal: list[Concern], client=None):
        self.request, self.settings, self.goal = request, settings, goal
        self._client = client
        self._concerns = Registry()  # with the settings' own concerns once execute() has read them
        self.dispatcher = Dispatcher(settings.concurrency, settings.task_timeout_s, settings.run_deadline_s)

    async def execute(self) -> RefactorResult:
        loaded = await anyio.to_thread.run_sync(load_documents, self.request, self.settings)
        if not loaded.documents:
            reason = loaded.not_reviewed[0].reason if loaded.not_reviewed else "nothing to refactor"
            return RefactorResult(path="", start=0, end=0, problem=reason)
        document = loaded.documents[0]
        start, end = self._lines(document)
        result = RefactorResult(path=document.path, start=start, end=end)
        tests = ctx.TestIndex.scan(self.request.workspace, self.settings)
        request = self.request
        self._concerns = await anyio.to_thread.run_sync(
            load_registry, self.settings, request.workspace, request.trusted
        )
        tasks = self._tasks(Chunk(document, start, end), tests, result)
        if result.problem:
            return result
        completed = await self._propose(document, tasks, tests)
        await self._conclude(document, completed, result)
        return result

    def _lines(self, document: Document) -> tuple[int, int]:
        first, last = self.request.lines or (1, len(document.lines))
        return max(first, 1), min(last, len(document.lines))

    def _tasks(self, chunk: Chunk, tests: ctx.TestIndex, result: RefactorResult) -> list[Task]:
        tasks = []
        for index, concern in enumerate(self.goal):
            spec = self._concerns.spec(concern)
            model = self.settings.model_for(concern)
            if model is None:
                tasks.append(Task(f"r{index + 1}", concern, chunk, "offline", concern_spec=spec))
                continue
            built = ctx.build_context(chunk, concern, tests, self.settings.task_token_budget)
            if isinstance(built, str):
                result.problem = f"the selection is too large to refactor: {built}"
                return []
            tasks.append(Task(f"r{index + 1}", concern, chunk, model, built, concern_spec=spec))
        return tasks

    async def _propose(self, document: Document, tasks: list[Task], tests: ctx.TestIndex) -> list[Completed]:
        if any(not t.offline for t in tasks):
            await anyio.to_thread.run_sync(load_litellm)
            await anyio.to_thread.run_sync(warm_redaction, [(document.path, document.text)])
        async with OfflinePanel([document], tests) as panel:
            tasks = await ground_all(tasks, panel)
            offline = OfflineRefactorAgent(panel)
            model = RefactorAgent(self._model_client()) if any(not t.offline for t in tasks) else None
            return await self.dispatcher.run(tasks, lambda t: offline if t.offline else model)

    async def _conclude(self, document: Document, completed: list[Completed], result: RefactorResult) -> None:
        original = "\n".join(document.lines[result.start - 1 : result.end])
        proposals = [c for c in completed if c.report.proposal and c.report.proposal.code.strip() != original.strip()]
        if not proposals:
            failures = [f"{c.task.concern.value}: {c.outcome.error}" for c in completed if c.outcome.error]
            result.problem = "no change proposed" + (f" ({'; '.join(failures)})" if failures else "")
            return
        result.from_model = any(not c.task.offline for c in proposals)
        proposal = await self._merge(document, proposals, result)
        if proposal is None:
            return
        verdict = await anyio.to_thread.run_sync(verify_rewrite, document, result.start, result.end, proposal.code)
        if not verdict.ok and result.from_model:
            proposal = await self._repair(document, proposal, verdict.problem, result)
            verdict = (
                await anyio.to_thread.run_sync(verify_rewrite, document, result.start, result.end, proposal.code)
                if proposal
                else verdict
            )
        if not verdict.ok:
            result.problem = f"the proposal was rejected: {verdict.problem}"
            return
        result.code, result.summary = proposal.code, proposal.summary

    async def _merge(self, document: Document, proposals: list[Completed], result: RefactorResult) -> Proposal | None:
        if len(proposals) == 1:
            return proposals[0].report.proposal
        if not result.from_model:
            fixes: list[Finding] = consolidate([f for c in proposals for f in c.report.findings])
            lines = document.lines[result.start - 1 : result.end]
            summary = "; ".join(dict.fromkeys(f.fix.description for f in fixes if f.fix))
            return Proposal(apply_fixes(lines, result.start, [f for f in fixes if f.fix]), summary)
        listed = "\n\n".join(
            f"Rewrite for {c.task.concern.value}:\n```\n{c.report.proposal.code}\n```" for c in proposals
        )
        prompt = load_prompt("merge").render(
            start=str(result.start),
            end=str(result.end),
            original="\n".join(document.lines[result.start - 1 : result.end]),
            proposals=listed,
        )
        return await self._ask(proposals[0].task, prompt, result, "merging the proposals failed")

    async def _repair(self, document: Document, proposal: Proposal, problem: str, result: RefactorResult):
        prompt = load_prompt("repair").render(
            start=str(result.start), end=str(result.end), problem=problem, code=proposal.code
        )
        task = Task("repair", self.goal[0], Chunk(document, result.start, result.end), self._first_model())
        return await self._ask(task, prompt, result, "repairing the proposal failed")

    async def _ask(self, task: Task, prompt: str, result: RefactorResult, failure: str) -> Proposal | None:
        report = AgentReport()
        model = task.agent if not task.offline else self._first_model()
        proposal = await ask_for_code(self._model_client(), model, code_messages(task, prompt), report)
        spent = result.after_agents
        spent.prompt_tokens += report.prompt_tokens
        spent.completion_tokens += report.completion_tokens
        spent.cost_usd += report.cost_usd
        spent.cost_known = spent.cost_known and report.cost_known
        if proposal is None:
            result.problem = f"{failure}: {report.error}"
        return proposal

    def _first_model(self) -> str:
        return next(m for m in (self.settings.model_for(c) for c in self.goal) if m)

    def _model_client(self):
        if self._client is None:
            from manyeyes.llm.client import ModelClient

            self._client = ModelClient(self.settings)
        return self._client
