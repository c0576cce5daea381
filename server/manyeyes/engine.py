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

import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread

from manyeyes.agents.analyzers.panel import OfflinePanel
from manyeyes.agents.base import Agent
from manyeyes.agents.grounding import GroundedAgent, attach_evidence, ground_all, not_confirmed, start_analyzers
from manyeyes.agents.model import ModelAgent, quoted_sources, render_messages
from manyeyes.agents.offline import OfflineAgent
from manyeyes.cache import Cache
from manyeyes.config import Settings
from manyeyes.consensus.confidence import reasons
from manyeyes.consensus.escalation import VotePlanner
from manyeyes.consensus.verification import independent_verifier, needs_verification, own_finder, verify_findings
from manyeyes.consensus.votes import tally_votes
from manyeyes.dispatch import Budget, Completed, DispatchedRun, Dispatcher, Subscriber
from manyeyes.llm.keys import check_keys, check_prices
from manyeyes.llm.loader import load_litellm
from manyeyes.models import (
    BaselineReport,
    Concern,
    ConsensusReport,
    Dismissal,
    Finding,
    FixCheckReport,
    InstructionUse,
    NotReviewed,
    ReviewKind,
    ReviewRequest,
    ReviewResult,
    Severity,
    VerificationReport,
)
from manyeyes.plan.context import TestIndex, estimate_tokens
from manyeyes.plan.documents import Document
from manyeyes.plan.instructions import Instructions
from manyeyes.plan.planner import Plan, Task, plan_review
from manyeyes.safety.redact import warm as warm_redaction
from manyeyes.safety.redact import without_secrets
from manyeyes.synthesis import policy
from manyeyes.synthesis.fixes import FixChecker, needs_check
from manyeyes.synthesis.merge import SynthesisStopped, consolidate, select
from manyeyes.synthesis.suppressions import (
    IN_CHANGE_COMMENT_NOTE,
    SUPPRESSIONS_FILE,
    UNTRUSTED_COMMENT_NOTE,
    Suppressions,
    added_by_change,
    in_change_note,
    inline_ignores,
    mark_untrusted_dismissals,
)


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
        self.dismissed_by_change = 0  # dismissals the change under review adds, not honoured in its review
        self._phase_listeners: list[Callable[[str], None]] = []

    def on_phase(self, listener: Callable[[str], None]) -> None:
        """Told what the run does after the agents (verification), so a board does not just sit at 100%."""
        self._phase_listeners.append(listener)

    async def execute(self) -> ReviewResult:
        clock = _PhaseClock()
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
                    await attach_evidence(item.task, panel)
            problems = panel.problems() + (panel.uncovered(self.settings.concerns) if self._grounding else [])
            clock.lap("dispatch")
        result = await self._assemble(plan, completed, clock, votes)
        clock.lap("synthesize")
        result.notes.extend(problems)
        result.notes.extend(self._budget_notes(result))
        result.phases, result.duration_s = clock.phases, clock.total
        return result

    def _budget_notes(self, result: ReviewResult) -> list[str]:
        """What a dollar budget left: "$0.4200 of the $1.5 budget spent" (every model call: agents, votes, the
        verifier, fix repairs), so the user sees how close the review came before raising it."""
        budget = self.settings.max_cost_usd
        if not budget or all(o.agent == "offline" for o in result.outcomes):
            return []  # no budget, or nothing a budget counts
        cost = result.totals()[2]
        spent = f"${cost:.4f}" if cost is not None else f"at least ${result.known_cost_usd():.4f} (a price unknown)"
        return [f"cost budget: {spent} of the ${budget:g} budget spent"]

    async def _votes(self, planner: VotePlanner, completed: list[Completed], agent_for) -> list[Completed]:
        """The extra votes the answers earn, round after round (none after a cancel or past the run's deadline):
        risky or uncertain tasks get a second voter, tasks whose voters disagree one more (consensus/)."""
        if all(item.task.offline for item in completed):
            return []
        added: list[Completed] = []
        tasks = planner.first_round(completed)
        while tasks and not (self.dispatcher.cancelled or self.dispatcher.out_of_time):
            escalating = len({t.votes_for for t in tasks})
            for listener in self._phase_listeners:
                listener(f"escalating {escalating} task(s): {len(tasks)} more vote(s)")
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
        self, plan: Plan, completed: list[Completed], clock: _PhaseClock, votes: VotePlanner
    ) -> ReviewResult:
        documents = {d.path: d for d in plan.documents}
        findings: list[Finding] = []
        dismissed: list[Dismissal] = []
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
                    findings.extend(not_confirmed(task.context.evidence, why))
                for hit, reason in report.dismissed:
                    findings.extend(self._dismiss(hit, reason, task.agent, dismissed))
        tallied = tally_votes(completed)
        findings.extend(tallied.findings)
        consensus = None
        if tallied.tasks:
            escalated, left_out = votes.report()
            consensus = ConsensusReport(escalated=escalated, left_out=left_out, merged_votes=tallied.merged)
        findings = [f for f in findings if _in_focus(f, documents)]
        findings = _without_ignored(findings, plan.instructions, dismissed)
        policy.override(findings, self.settings.severity_overrides)
        self._consolidated = await self._consolidate(findings)
        silenced = self._apply_inline_ignores(documents, notes)
        baseline = await self._keep_new(documents, notes)
        verification = await self._verify(documents)
        clock.lap("verify")
        for finding in self._consolidated:
            finding.confidence_reasons = reasons(finding)
        fix_checks = await self._check_fixes(documents, verification, plan.tests)
        clock.lap("fixes")
        if self._cache is not None and self._cache.problem:  # a cache that turned itself off says so
            notes.append(self._cache.problem)
        synthesis = select(
            self._consolidated,
            min_severity=self.settings.min_severity,
            max_per_file=self.settings.max_findings_per_file,
            suppressed=self._dismissed(plan.suppressions, notes),
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
            dismissed=dismissed,
            consensus=self._removed(consensus, verification),
            baseline=baseline,
            instructions=instruction_uses(plan, completed, synthesis.findings, dismissed),
            dismissed_by_change=self.dismissed_by_change,
            consolidated=self._consolidated,
        )

    async def _keep_new(self, documents: dict[str, Document], notes: list[str]) -> BaselineReport | None:
        """Only what the base lacks, when the request compares with one (before the verifier spends anything)."""
        if self.request.compare_with is None:
            return None
        from manyeyes.baseline import keep_new

        texts = {path: document.text for path, document in documents.items()}
        newness = await keep_new(self._consolidated, texts, self.request, self.settings, self._cache, everything)
        self._consolidated = newness.findings
        if newness.note:
            notes.append(newness.note)
        return newness.report

    def _removed(self, consensus: ConsensusReport | None, verification: VerificationReport | None):
        """What each consensus stage removed, for the board: the skeptic's drops, and what min_confidence hides."""
        if consensus is None:
            return None
        if verification is not None and verification.rejected:
            consensus.removed["skeptic"] = len(verification.rejected)
        hidden = sum(1 for f in self._consolidated if f.confidence < self.settings.min_confidence)
        if hidden:
            consensus.removed["min_confidence"] = hidden
        return consensus

    def _dismiss(self, hit: Finding, reason: str, model: str, dismissed: list[Dismissal]) -> list[Finding]:
        """A hit a model dismissed is recorded with its reason; a security hit stays, demoted, unless the user lets
        models drop security findings: a model steered by the code must not be able to erase its evidence."""
        keep = Concern.security in hit.concerns and not self.settings.model_may_drop_security
        dismissed.append(Dismissal.of(hit, reason, model, kept=keep))
        return (
            [demoted(hit, f"dismissed by model:{model} ({reason}); kept, demoted, as a security hit")] if keep else []
        )

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

    def _apply_inline_ignores(self, documents: dict[str, Document], notes: list[str]) -> int:
        """`# manyeyes: ignore[rule]` comments: what they silence is not a finding (so every front end agrees); in
        an untrusted workspace, or written by the change under review, they only mark it. Comments that silence
        nothing become notes. Returns the count."""
        texts = {path: d.text for path, d in documents.items()}
        changed = (lambda path, line: documents[path].in_focus(line, line)) if self._reviews_a_change else None
        inline = inline_ignores(self._consolidated, texts, changed)
        notes.extend(inline.notes)
        if not self.request.trusted:
            mark_untrusted_dismissals(self._consolidated, inline.fingerprints, UNTRUSTED_COMMENT_NOTE)
            return 0
        mark_untrusted_dismissals(self._consolidated, inline.in_change, IN_CHANGE_COMMENT_NOTE)
        self.dismissed_by_change += len(inline.in_change)
        silenced = inline.fingerprints - inline.in_change
        self._consolidated = [f for f in self._consolidated if f.fingerprint not in silenced]
        return len(silenced)

    def _dismissed(self, suppressions: Suppressions, notes: list[str]) -> set[str]:
        """The workspace's dismissals; in an untrusted workspace they only mark the findings they name, and those
        the change under review adds mark them too."""
        notes.extend(suppressions.notes)
        if not self.request.trusted:
            mark_untrusted_dismissals(self._consolidated, suppressions.fingerprints)
            return set()
        if not self._reviews_a_change:
            return suppressions.fingerprints
        request = self.request
        added = added_by_change(request.workspace, suppressions, request.diff_base, request.staged)
        for record in added:
            mark_untrusted_dismissals(self._consolidated, {record.fingerprint}, in_change_note(record))
        if added:
            self.dismissed_by_change += len(added)
            listed = "; ".join(
                f"{r.rule or r.fingerprint} in {r.path or '?'}: {r.reason or 'no reason'}" for r in added
            )
            notes.append(f"this change dismisses {len(added)} finding(s) in {SUPPRESSIONS_FILE.as_posix()} ({listed})")
        return suppressions.fingerprints - {r.fingerprint for r in added}

    @property
    def _reviews_a_change(self) -> bool:
        """A review of a change that will be merged (against a ref, or staged for a commit): its own dismissals do
        not count. Unstaged work in the editor is the user's own, dismissed as they go."""
        request = self.request
        return request.kind is ReviewKind.diff and (request.diff_base is not None or request.staged)

    async def _verify(self, documents: dict[str, Document]) -> VerificationReport | None:
        """Model findings no analyzer backs get a second look (not after a cancel: the user wants it over)."""
        if not self.settings.verify_findings or self.dispatcher.cancelled:
            return None
        count = sum(1 for f in self._consolidated if needs_verification(f))
        if not count:
            return None
        budget = self.settings.run_token_budget
        if budget and self.dispatcher.tokens_used >= budget:
            return VerificationReport(errors=[f"run token budget ({budget:,}) spent: findings left unverified"])
        for listener in self._phase_listeners:
            listener(f"verifying {count} finding(s)")
        settings = self.settings
        self._consolidated, report = await verify_findings(
            self._consolidated,
            documents,
            self._model_client(),
            settings.concurrency,
            settings.task_timeout_s,
            self._cache,
            self._verifier(),
        )
        return report

    def _verifier(self):
        """Who checks a finding: `verifier_model`, never on its own findings (another of the concern's models
        then); without one, the finding's own finder."""
        chosen = self.settings.verifier_model
        if chosen is None:
            return own_finder
        return independent_verifier(chosen, lambda f: [m for c in f.concerns for m in self.settings.voters_for(c)])

    async def _check_fixes(
        self, documents: dict[str, Document], verification: VerificationReport | None, tests: TestIndex
    ) -> FixCheckReport | None:
        """Fixes models wrote must parse and lint no worse before they are offered (synthesis/fixes.py)."""
        count = sum(1 for f in self._consolidated if needs_check(f))
        if not count:
            return None
        for listener in self._phase_listeners:
            listener(f"checking {count} fix(es)")
        checker = FixChecker(self.settings, self._model_client, self._cache, tests, self.request)
        spent = self.dispatcher.tokens_used + (verification.tokens if verification else 0)
        self._consolidated, report = await checker.check(
            self._consolidated, documents, repairs=not self.dispatcher.cancelled, spent_tokens=spent
        )
        return report


def prepare_model_tasks(plan: Plan, settings: Settings, check_keys_too: bool = True) -> None:
    """The slow, blocking preparation of model calls, for a worker thread: importing litellm (seconds), checking
    that every model has its key (unless the caller brought its own client) and, under a dollar budget, a price,
    and scanning every source a prompt will quote for secrets."""
    load_litellm()
    models = {t.agent for t in plan.tasks if not t.offline} | settings.all_models()  # the voters and the verifier too
    if check_keys_too:
        check_keys(settings, models)
    if settings.max_cost_usd:
        check_prices(settings, models)
    warm_redaction(list({source for t in plan.tasks if not t.offline for source in quoted_sources(t)}))


class _PhaseClock:
    def __init__(self) -> None:
        self.started = self.last = time.monotonic()
        self.phases: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.phases[name] = round(now - self.last, 3)
        self.last = now

    @property
    def total(self) -> float:
        return round(time.monotonic() - self.started, 3)


DISMISSED_CONFIDENCE_FACTOR = 0.8


def without_model_review(completed: list[Completed]) -> list[NotReviewed]:
    """Files whose every model task was skipped by a budget or the deadline (not by triage): not reviewed by a model,
    said per file, so a change too large for the budget lists what the models left out instead of timing out."""
    by_file: dict[str, list[Completed]] = {}
    for item in completed:
        if not item.task.offline and item.task.vote == 1:
            by_file.setdefault(item.task.chunk.document.path, []).append(item)
    notices = []
    for path, items in by_file.items():
        skipped = [
            i.outcome
            for i in items
            if i.outcome.state == "skipped" and not (i.outcome.error or "").startswith("triage:")
        ]
        if skipped and all(i.outcome.state == "skipped" for i in items):
            reason = f"not reviewed by a model: {skipped[0].error}; the offline analyzers reviewed it"
            notices.append(NotReviewed(path=path, reason=reason))
    return notices


def _without_ignored(findings: list[Finding], instructions: Instructions, dismissed: list[Dismissal]) -> list[Finding]:
    """The spec check of the reduce step: what a project instruction's `ignore` list says the team never wants
    reported is dropped, recorded with the instruction that dropped it."""
    kept = []
    for finding in findings:
        ignoring = instructions.ignoring(finding)
        if ignoring is None:
            kept.append(finding)
            continue
        instruction, entry = ignoring
        reason = entry.reason or f"{instruction.source} says not to report {entry.rule}"
        dismissed.append(Dismissal.of(finding, reason, f"instruction {instruction.source}"))
    return kept


def instruction_uses(
    plan: Plan, completed: list[Completed], findings: list[Finding], dismissed: list[Dismissal]
) -> list[InstructionUse]:
    """Each instruction file the review read: how many tasks carried it, what it made and what it dropped."""
    uses = []
    for instruction in plan.instructions.items:
        carried = sum(1 for item in completed if instruction in item.task.context.instructions)
        uses.append(
            InstructionUse(
                id=instruction.id,
                source=instruction.source,
                applies_to=list(instruction.applies_to),
                concerns=sorted(instruction.concerns or (), key=lambda c: c.value),
                tasks=carried,
                violations=sum(1 for f in findings if instruction.id in f.rules),
                ignored=sum(1 for d in dismissed if d.by == f"instruction {instruction.source}"),
            )
        )
    return uses


def demoted(hit: Finding, note: str) -> Finding:
    """A finding one severity lower and less sure, with the reason."""
    copy = hit.model_copy(deep=True)
    copy.severity = next(s for s in Severity if s.rank == max(hit.severity.rank - 1, 0))
    copy.confidence = round(copy.confidence * DISMISSED_CONFIDENCE_FACTOR, 3)
    copy.notes.append(note)
    return copy


def _in_focus(finding: Finding, documents: dict[str, Document]) -> bool:
    document = documents.get(finding.path)
    return document is None or document.in_focus(finding.span.start_line, finding.span.end_line)


@dataclass
class DryRunTask:
    task: Task
    messages: list[dict]
    estimated_tokens: int


async def dry_run(request: ReviewRequest, settings: Settings) -> tuple[Plan, list[DryRunTask]]:
    """What a review would send, after redaction, with token estimates; nothing is sent."""
    plan = await anyio.to_thread.run_sync(plan_review, request, settings)
    async with OfflinePanel(plan.documents, plan.tests) as panel:
        await ground_all(plan.tasks, panel)
    sources = [source for t in plan.tasks if not t.offline for source in quoted_sources(t)]
    await anyio.to_thread.run_sync(warm_redaction, sources)
    planned = []
    for task in plan.tasks:
        if task.offline or task.stood_down:
            continue
        messages = render_messages(task)
        planned.append(DryRunTask(task, messages, sum(estimate_tokens(m["content"]) for m in messages)))
    return plan, planned


async def everything(request: ReviewRequest, settings: Settings, client, cache: Cache | None) -> list[Finding]:
    """Every finding a review makes, before the filters (how baseline.py reviews a change's base)."""
    result = await ReviewRun(request, settings, client=client, cache=cache).execute()
    return result.consolidated


async def review(request: ReviewRequest, settings: Settings, subscriber: Subscriber | None = None) -> ReviewResult:
    run = ReviewRun(request, settings)
    if subscriber:
        run.subscribe(subscriber)
    return await run.execute()
