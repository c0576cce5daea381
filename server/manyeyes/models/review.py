"""A review's request and its result, with the reports of each step that made it (agents, consensus, verification,
fixes, baseline, instructions)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_serializer, field_validator

from manyeyes.models.findings import Finding
from manyeyes.safety import plain
from manyeyes.vocabulary import Concern, ReviewKind


class DocumentSource(BaseModel):
    """A document as a front end names it. `key` is its identity there (the editor's URI): the result gives it back
    for every reviewed document, so no front end rebuilds an identity from a path. `text` is the front end's own
    text of it (an editor's unsaved buffer); None: read from disk."""

    key: str
    path: Path  # absolute, or relative to the workspace root
    text: str | None = None


class ReviewRequest(BaseModel):
    """What to review. Paths are absolute or relative to the workspace root."""

    kind: ReviewKind = ReviewKind.files
    workspace: Path
    paths: list[Path] = Field(default_factory=list)
    lines: tuple[int, int] | None = None  # for a selection: inclusive, 1-based
    diff_base: str | None = None  # a ref; None with kind=diff means unstaged changes
    staged: bool = False
    # The documents the front end names, with its key for each and its text when it has one (unsaved).
    sources: list[DocumentSource] = Field(default_factory=list)
    # An untrusted workspace's own dismissals are shown, marked, instead of hiding findings.
    trusted: bool = True
    # Report only what the base lacks (engine/baseline.py): the git ref whose version of each file is compared, ""
    # for the index (unstaged changes); None compares nothing.
    compare_with: str | None = None

    def source(self, path: Path) -> DocumentSource | None:
        """The front end's document at `path`: as it spelled the path, else the same file by another spelling (a
        symbolic link, a relative path)."""
        spelled = next((s for s in self.sources if s.path.as_posix() == path.as_posix()), None)
        if spelled is not None or not self.sources:
            return spelled
        real = _real(path, self.workspace)
        return next((s for s in self.sources if _real(s.path, self.workspace) == real), None)


TaskState = Literal["queued", "running", "done", "failed", "cancelled", "skipped"]


class AgentOutcome(BaseModel):
    task_id: str
    agent: str  # "offline" or the model name
    concern: Concern
    target: str  # "path:start-end"
    state: TaskState = "queued"
    duration_s: float = 0.0
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0  # of prompt_tokens, read from the provider's prompt cache (a shared prefix)
    completion_tokens: int = 0
    # What the task's model calls cost, cached prompt tokens at the cached price (llm/client.py). A call whose price
    # is found nowhere makes it unknown: cost_known False, and cost_usd then counts only what is known (0.0 for
    # one call), so code that adds costs up keeps working. Every front end shows an unknown cost as unknown, never
    # as $0, and the JSON report writes it as null.
    cost_usd: float = 0.0
    cost_known: bool = True
    retries: int = 0
    findings: int = 0
    dropped: int = 0  # findings rejected: unanchored quotes or invalid items
    cached: bool = False  # answered from the cache, no model call
    error: str | None = None
    instructions: list[str] = Field(default_factory=list)  # the project instruction files its prompt carried
    vote: int = 1  # which voter of its task this agent is: 1 the first sample, 2.. the extra votes (consensus/)
    escalated: str | None = None  # why an extra vote runs ("calls a sink: eval"), for the board

    @field_serializer("cost_usd")
    def _unknown_cost_is_null(self, cost: float) -> float | None:
        return cost if self.cost_known else None


class Escalation(BaseModel):
    """A task that got extra votes (and its findings the skeptic), and why (consensus/escalation.py)."""

    task_id: str
    concern: Concern
    target: str
    reason: str
    votes: int  # voters in all, the first sample included


class ConsensusReport(BaseModel):
    """What the consensus stage did: which tasks escalated, and what each stage removed (the board's counts)."""

    escalated: list[Escalation] = Field(default_factory=list)
    left_out: int = 0  # tasks that qualified for extra votes but did not fit the escalation budget
    merged_votes: int = 0  # findings of extra votes that matched another voter's (one finding, more votes)
    removed: dict[str, int] = Field(default_factory=dict)  # stage -> findings it removed ("skeptic", "min_confidence")


class NotReviewed(BaseModel):
    path: str
    reason: str


class Rejection(BaseModel):
    """A finding the verifier rejected, and why: kept in the result so a dropped finding is never silent."""

    path: str
    line: int
    title: str
    reason: str

    _one_line = field_validator("title", "reason")(lambda value: plain.one_line(value, 300))


class Dismissal(BaseModel):
    """An analyzer hit a model agent dismissed, and the reason it gave, or a finding a project instruction's
    `ignore` list dropped: kept in the result, so evidence is never lost without a trace. `kept`: a security hit a
    model dismissed is demoted, not dropped (unless model_may_drop_security)."""

    path: str
    line: int
    rule: str
    title: str
    reason: str
    by: str  # the model, or "instruction REVIEW.md"
    kept: bool

    _one_line = field_validator("title", "reason")(lambda value: plain.one_line(value, 300))

    @classmethod
    def of(cls, finding: Finding, reason: str, by: str, kept: bool = False) -> Dismissal:
        return cls(
            path=finding.path,
            line=finding.span.start_line,
            rule=finding.rule_id,
            title=finding.title,
            reason=reason,
            by=by,
            kept=kept,
        )


class AfterAgents(BaseModel):
    """What the model calls a step after the agents made cost (verification, fix repairs): totals() adds it up."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True  # False: a call's price was found nowhere, cost_usd counts only what is known

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @field_serializer("cost_usd")
    def _unknown_cost_is_null(self, cost: float) -> float | None:
        return cost if self.cost_known else None


class VerificationReport(AfterAgents):
    """What the verification step did to the model findings no analyzer backs (consensus/verification.py)."""

    checked: int = 0
    confirmed: int = 0
    disputed: int = 0  # rejected, but a majority of voters found it: kept, less sure
    rejected: list[Rejection] = Field(default_factory=list)  # dropped
    errors: list[str] = Field(default_factory=list)  # calls that failed: their findings stay unverified


class FixCheckReport(AfterAgents):
    """What checking the fixes models wrote did (rewrite/fixes.py); each withdrawn fix's reason is a note on its
    finding ("fix withdrawn: ...")."""

    checked: int = 0  # model fixes checked
    passed: int = 0  # offered, marked checked (repaired ones included)
    repaired: int = 0  # of passed: after one repair call
    withdrawn: int = 0  # not offered: failed (after the repair), or their related tests failed
    unchecked: int = 0  # offered, marked not checked: no parser for their language
    tested: int = 0  # of passed: their related tests ran and passed (verify_fixes_with_tests)
    errors: list[str] = Field(default_factory=list)  # repair calls that failed


class InstructionUse(BaseModel):
    """A project instruction file the review read (plan/instructions.py): where it applies, how many agent tasks
    carried it, and how many findings its `ignore` list dropped."""

    id: str  # the rule id of findings that violate it: "project/REVIEW"
    source: str  # the file, workspace-relative
    applies_to: list[str] = Field(default_factory=list)  # globs; empty: everywhere
    concerns: list[Concern] = Field(default_factory=list)  # empty: every concern
    tasks: int = 0
    violations: int = 0  # findings reported as violations of it
    ignored: int = 0


class BaselineReport(BaseModel):
    """What `--new-only` or `--baseline` compared the findings with (engine/baseline.py): the findings the base already
    had are not in the report, only counted here."""

    ref: str  # the base: a git ref, or "the index" for unstaged changes
    already_there: int = 0  # findings the base version already had
    compared: int = 0  # files with findings whose base version was reviewed (a file with none needs no base)
    new_files: int = 0  # files with findings that the base does not have: all their findings are new
    model_answers: Literal["none", "cached only"] = "none"  # base code is never sent to a model


class ReviewResult(BaseModel):
    findings: list[Finding] = Field(default_factory=list)
    reviewed: list[str] = Field(default_factory=list)  # paths of the files the panel reviewed
    outcomes: list[AgentOutcome] = Field(default_factory=list)
    not_reviewed: list[NotReviewed] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # e.g. "x.py: syntax error, sliced by line windows"
    omitted: dict[str, int] = Field(default_factory=dict)  # path -> findings left out by the per-file cap
    suppressed: int = 0
    duration_s: float = 0.0
    phases: dict[str, float] = Field(default_factory=dict)  # seconds spent planning, grounding, dispatching, ...
    verification: VerificationReport | None = None  # None: nothing needed checking, or verification is off
    fix_checks: FixCheckReport | None = None  # None: no model wrote a fix
    consensus: ConsensusReport | None = None  # None: no model reviewed
    dismissed: list[Dismissal] = Field(default_factory=list)  # analyzer hits model agents judged false
    baseline: BaselineReport | None = None  # --new-only / --baseline: what the findings were compared with
    instructions: list[InstructionUse] = Field(default_factory=list)  # the project's instruction files, as used
    dismissed_by_change: int = 0  # dismissals the reviewed change adds: its findings stay, marked (a diff review)
    # The text each reviewed file had when it was read: every position in this result refers to it. Front ends
    # check it against what the user has now before they place anything (not part of the JSON report).
    texts: dict[str, str] = Field(default_factory=dict, exclude=True, repr=False)
    # Every finding before the filters (severity, confidence, dismissals, the per-file cap): what a front end keeps
    # to show again under other settings or dismissals (the editor), or to score (eval). Not in the JSON report.
    consolidated: list[Finding] = Field(default_factory=list, exclude=True, repr=False)
    # Reviewed path -> the key the front end gave that document (DocumentSource.key); not in the JSON report.
    keys: dict[str, str] = Field(default_factory=dict, exclude=True, repr=False)

    @property
    def failed(self) -> list[AgentOutcome]:
        return [o for o in self.outcomes if o.state == "failed"]

    def totals(self) -> tuple[int, int, float | None]:
        """(prompt tokens, completion tokens, cost in USD) over every agent, the verifier and fix repairs. The cost
        is None, unknown, when any call's is: a total that leaves out what it cannot price is not the total. The part
        that is known is `known_cost_usd()`, a lower bound."""
        after = self.after_agents()
        known = all(o.cost_known for o in self.outcomes) and all(a.cost_known for a in after)
        return (
            sum(o.prompt_tokens for o in self.outcomes) + sum(a.prompt_tokens for a in after),
            sum(o.completion_tokens for o in self.outcomes) + sum(a.completion_tokens for a in after),
            self.known_cost_usd() if known else None,
        )

    def known_cost_usd(self) -> float:
        """What the calls with a known price cost: the whole cost when every price is known, else a lower bound."""
        return sum(o.cost_usd for o in self.outcomes) + sum(a.cost_usd for a in self.after_agents())

    def after_agents(self) -> list[AfterAgents]:
        """The steps after the agents that made model calls: verification, fix repairs."""
        return [step for step in (self.verification, self.fix_checks) if step is not None]

    def cached_prompt_tokens(self) -> int:
        """Prompt tokens, of totals()' first, that the provider read from its prompt cache (agents' calls)."""
        return sum(o.cached_prompt_tokens for o in self.outcomes)


def _real(path: Path, workspace: Path) -> Path:
    return (path if path.is_absolute() else workspace / path).resolve()
