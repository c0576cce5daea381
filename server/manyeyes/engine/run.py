"""The review engine: plan -> dispatch (each agent grounded first) -> escalate -> synthesize -> verify, as one
cancellable run.

The CLI and the language server are thin front ends over `ReviewRun`. With a model configured, the offline
panel's analyzers start with the fan-out and their hits go to each model agent as evidence (agents/grounding.py);
if a model agent fails, its chunk's analyzer hits are reported instead (marked unconfirmed), so a provider outage
never empties a review. Tasks whose chunk is risky or whose answer is uncertain then get more voters
(consensus/escalation.py), whose findings are matched into one finding per problem with its count of votes
(consensus/votes.py); model findings neither an analyzer nor every voter backs face a skeptic before they are
ranked (consensus/verification.py), and each finding's confidence says why (consensus/confidence.py).
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
import anyio.to_thread

from manyeyes.agents.analyzers.panel import OfflinePanel
from manyeyes.agents.base import Agent
from manyeyes.agents.grounding import GroundedAgent, evidence_for, not_confirmed, start_analyzers
from manyeyes.agents.model import ModelAgent
from manyeyes.agents.offline import OfflineAgent
from manyeyes.cache import Cache
from manyeyes.config import Settings
from manyeyes.consensus.confidence import reasons
from manyeyes.consensus.escalation import VotePlanner
from manyeyes.consensus.votes import tally_votes
from manyeyes.dispatch import Budget, Completed, DispatchedRun, Dispatcher, Subscriber
from manyeyes.engine import checks
from manyeyes.engine.baseline import keep_new
from manyeyes.engine.bookkeeping import (
    PhaseClock,
    budget_notes,
    instruction_uses,
    removed_by_consensus,
    without_model_review,
)
from manyeyes.engine.prepare import prepare_model_tasks
from manyeyes.engine.silencing import Silencing
from manyeyes.models import (
    BaselineReport,
    ConsensusReport,
    Finding,
    ReviewRequest,
    ReviewResult,
)
from manyeyes.plan.documents import Document
from manyeyes.plan.planner import Plan, Task, plan_review
from manyeyes.safety.redact import without_secrets
from manyeyes.synthesis import policy
from manyeyes.synthesis.merge import SynthesisStopped, consolidate, select


class ReviewRun(DispatchedRun):
    def __init__(
        self,
        request: ReviewRequest,
        settings: Settings,
        client=None,
        cache: Cache | None = None,
        grounding: bool = True,
    ):
        self.request = request
        # False: no analyzer runs, so the model agents get no evidence and no analyzer finding is reported (an
        # evaluation instrument, evaluation/runner.py: figures of the models alone; not a user setting)
        self._grounding = grounding
        self.settings = settings
        self._client = client
        self._cache = cache  # model answers by content; a front end that keeps one re-reviews for free
        self.dispatcher = Dispatcher(
            settings.concurrency,
            settings.task_timeout_s,
            settings.run_deadline_s,
            Budget(settings.run_token_budget, settings.max_cost_usd, self._prompt_cost),
            stagger=settings.stagger_fanout,
        )
        self._consolidated: list[Finding] = []  # every finding so far, before the filters (the result carries it)
        self._phase_listeners: list[Callable[[str], None]] = []

    def on_phase(self, listener: Callable[[str], None]) -> None:
        """Told what the run does after the agents (verification), so a board does not just sit at 100%."""
        self._phase_listeners.append(listener)

    def _announce(self, phase: str) -> None:
        for listener in self._phase_listeners:
            listener(phase)

    async def execute(self) -> ReviewResult:
        clock = PhaseClock()
        plan = await anyio.to_thread.run_sync(plan_review, self.request, self.settings)
        if any(not t.offline for t in plan.tasks):
            keyed = self._client is None  # a client given is keyed by its giver
            await anyio.to_thread.run_sync(prepare_model_tasks, plan, self.settings, keyed)
        clock.lap("plan")
        analyzers = None if self._grounding else []  # None: the default analyzers
        async with OfflinePanel(plan.documents, plan.tests, analyzers, trusted=self.request.trusted) as panel:
            agent_for = self._agent_factory(panel)
            async with anyio.create_task_group() as group:
                group.start_soon(start_analyzers, plan.tasks, panel)
                completed = await self.dispatcher.run(plan.tasks, agent_for)
                if self.dispatcher.cancelled:  # nobody waits for the analyzers: closing the panel stops them
                    group.cancel_scope.cancel()
            votes = VotePlanner(self.settings)
            completed += await self._votes(votes, completed, agent_for)
            for item in completed:  # an agent stopped before it grounded still leaves its analyzer hits behind
                if item.outcome.state != "done" and not item.task.offline and not self.dispatcher.cancelled:
                    item.report.evidence = item.report.evidence or await evidence_for(item.task, panel)
            problems = panel.problems() + (panel.uncovered(self.settings.concerns) if self._grounding else [])
            clock.lap("dispatch")
        result = await self._assemble(plan, completed, clock, votes)
        clock.lap("synthesize")
        result.notes.extend(problems)
        result.notes.extend(budget_notes(result, self.settings))
        result.phases, result.duration_s = clock.phases, clock.total
        return result

    async def _votes(self, planner: VotePlanner, completed: list[Completed], agent_for) -> list[Completed]:
        """The extra votes the answers earn, round after round (none after a cancel or past the run's deadline):
        risky or uncertain tasks get a second voter, tasks whose voters disagree one more (consensus/)."""
        if all(item.task.offline for item in completed):
            return []
        added: list[Completed] = []
        tasks = planner.first_round(completed)
        while tasks and not (self.dispatcher.cancelled or self.dispatcher.out_of_time):
            escalating = len({t.votes_for for t in tasks})
            self._announce(f"escalating {escalating} task(s): {len(tasks)} more vote(s)")
            added += await self.dispatcher.run(tasks, agent_for)
            tasks = planner.next_round(completed + added)
        return added

    def _agent_factory(self, panel: OfflinePanel):
        offline = OfflineAgent(panel)
        model: Agent | None = None

        def agent_for(task: Task) -> Agent:
            nonlocal model
            if task.offline:
                return offline
            if model is None:
                model = GroundedAgent(panel, ModelAgent(self._model_client(), self._cache))
            return model

        return agent_for

    def _prompt_cost(self, task: Task) -> float:
        from manyeyes.llm.client import prompt_cost

        return prompt_cost(self.settings, task.agent, task.context.estimated_tokens) or 0.0

    def _model_client(self):
        if self._client is None:
            from manyeyes.llm.client import ModelClient

            self._client = ModelClient(self.settings)
        return self._client

    async def _assemble(
        self, plan: Plan, completed: list[Completed], clock: PhaseClock, votes: VotePlanner
    ) -> ReviewResult:
        documents = {d.path: d for d in plan.documents}
        findings: list[Finding] = []
        silencing = Silencing(self.request, self.settings)
        notes = list(plan.notes)  # the plan stays as planned; the run's notes are the result's
        for item in completed:
            task, report = item.task, item.report
            if task.offline:
                findings.extend(report.findings)
            elif task.vote == 1:  # the evidence is the first sample's to settle; the model findings are votes
                findings.extend(f for f in report.findings if not f.by_model_only)
                notes.extend(report.notes)
                if item.outcome.state != "done":
                    why = f"the model agent did not answer ({item.outcome.error})"
                    findings.extend(not_confirmed(report.evidence, why))
                for hit, reason in report.dismissed:
                    findings.extend(silencing.model_dismissal(hit, reason, task.agent))
        tallied = tally_votes(completed)
        findings.extend(tallied.findings)
        consensus = None
        if tallied.tasks:
            escalated, left_out = votes.report()
            consensus = ConsensusReport(escalated=escalated, left_out=left_out, merged_votes=tallied.merged)
        findings = [f for f in findings if _in_focus(f, documents)]
        findings = silencing.instructions_ignore(findings, plan.instructions)
        policy.override(findings, self.settings.severity_overrides)
        self._consolidated = await self._consolidate(findings)
        self._consolidated, silenced = silencing.inline_comments(self._consolidated, documents, notes)
        baseline = await self._keep_new(documents, notes)
        verification = None
        if not self.dispatcher.cancelled:  # the user wants it over: nothing more is spent on checking
            self._consolidated, verification = await checks.verify(
                self._consolidated,
                documents,
                self.settings,
                self._model_client,
                self._cache,
                self.dispatcher.tokens_used,
                self._announce,
            )
        clock.lap("verify")
        for finding in self._consolidated:
            finding.confidence_reasons = reasons(finding)
        self._consolidated, fix_checks = await checks.check_fixes(
            self._consolidated,
            documents,
            self.settings,
            self._model_client,
            self._cache,
            plan.tests,
            self.request,
            self.dispatcher.tokens_used + (verification.tokens if verification else 0),
            repairs=not self.dispatcher.cancelled,
            announce=self._announce,
        )
        clock.lap("fixes")
        if self._cache is not None and self._cache.problem:  # a cache that turned itself off says so
            notes.append(self._cache.problem)
        synthesis = select(
            self._consolidated,
            min_severity=self.settings.min_severity,
            max_per_file=self.settings.max_findings_per_file,
            suppressed=silencing.team_dismissals(self._consolidated, plan.suppressions, notes),
            min_confidence=self.settings.min_confidence,
        )
        return ReviewResult(
            findings=[without_secrets(f) for f in synthesis.findings],
            reviewed=list(documents),
            texts={path: document.text for path, document in documents.items()},
            outcomes=[c.outcome for c in completed],
            not_reviewed=plan.not_reviewed + without_model_review(completed),
            notes=notes,
            omitted=synthesis.omitted,
            suppressed=synthesis.suppressed + silenced,
            verification=verification,
            fix_checks=fix_checks,
            dismissed=silencing.dismissed,
            consensus=removed_by_consensus(consensus, verification, self._consolidated, self.settings.min_confidence),
            baseline=baseline,
            instructions=instruction_uses(plan, completed, synthesis.findings, silencing.dismissed),
            dismissed_by_change=silencing.by_change,
            consolidated=self._consolidated,
            keys={path: document.key for path, document in documents.items() if document.key is not None},
        )

    async def _keep_new(self, documents: dict[str, Document], notes: list[str]) -> BaselineReport | None:
        """Only what the base lacks, when the request compares with one (before the verifier spends anything)."""
        if self.request.compare_with is None:
            return None
        texts = {path: document.text for path, document in documents.items()}
        newness = await keep_new(self._consolidated, texts, self.request, self.settings, self._cache, everything)
        self._consolidated = newness.findings
        if newness.note:
            notes.append(newness.note)
        return newness.report

    async def _consolidate(self, findings: list[Finding]) -> list[Finding]:
        """Synthesis off the event loop, stopping between files once the run is cancelled: a cancelled review of
        a file with tens of thousands of findings ends at once, not after merging them."""

        def checkpoint() -> None:
            if self.dispatcher.cancelled:
                raise SynthesisStopped

        try:
            return await anyio.to_thread.run_sync(lambda: consolidate(findings, checkpoint), abandon_on_cancel=True)
        except SynthesisStopped:
            return []  # the review was cancelled: nobody waits for its findings


def _in_focus(finding: Finding, documents: dict[str, Document]) -> bool:
    document = documents.get(finding.path)
    return document is None or document.in_focus(finding.span.start_line, finding.span.end_line)


async def everything(request: ReviewRequest, settings: Settings, client, cache: Cache | None) -> list[Finding]:
    """Every finding a review makes, before the filters (how baseline.py reviews a change's base)."""
    result = await ReviewRun(request, settings, client=client, cache=cache).execute()
    return result.consolidated


async def review(request: ReviewRequest, settings: Settings, subscriber: Subscriber | None = None) -> ReviewResult:
    run = ReviewRun(request, settings)
    if subscriber:
        run.subscribe(subscriber)
    return await run.execute()
