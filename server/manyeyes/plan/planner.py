"""The planner: a review request becomes documents, chunks and the agent tasks the chunks need.

With a model configured, triage decides which concerns each chunk needs (plan/triage.py; a concern it skips
stands by in case an analyzer flags the chunk) and small neighbouring chunks of one concern share a task
(plan/batching.py). Every task carries the minimal context its agent needs (the numbered chunk, the file's
imports, the project's instructions for its path and concern, the findings the team dismissed nearby with their
reasons, for the tests concern the related test file) trimmed to a token budget. The offline panel's analyzers
work on whole files, so offline tasks are one per (concern, file). Whatever cannot be reviewed is returned as a
"not reviewed" notice with the reason. Files that hold secrets by nature (a `.env`, a private key) get no model
task unless `send_secret_files` says so: only the offline panel sees them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from manyeyes.concerns import ConcernSpec, Registry, load_registry, spec_of
from manyeyes.config import Settings
from manyeyes.models import Concern, NotReviewed, ReviewKind, ReviewRequest
from manyeyes.plan import context as ctx
from manyeyes.plan.batching import batch
from manyeyes.plan.documents import Document, Loaded, expand_paths, read_document, relative_to_workspace
from manyeyes.plan.instructions import Instructions, load_instructions
from manyeyes.plan.languages import CONFIG_LANGUAGES
from manyeyes.plan.lessons import Lessons
from manyeyes.plan.slicing import Chunk, slice_document
from manyeyes.plan.triage import triage
from manyeyes.safety.secret_files import SECRETS_FILE_REASON, is_secrets_file
from manyeyes.synthesis.suppressions import Suppressions, read_suppressions

CONFIG_MAX_LINES = 500  # a configuration file longer than this is data: no model reviews it


@dataclass
class Task:
    id: str
    concern: Concern
    chunk: Chunk
    agent: str  # "offline" or the litellm model string
    context: ctx.TaskContext = field(default_factory=ctx.TaskContext)
    # Why triage found nothing for this concern here: the task stands by and runs only if an analyzer flags its
    # chunk for its concern (agents/grounding.py).
    standby: str | None = None
    concern_spec: ConcernSpec | None = None  # None: the built-in concern's (concerns.py)
    # An extra vote (consensus/escalation.py): which voter of its task it is (1: the first sample, the task
    # itself), which sample of its model it asks for (0: the model's one answer at temperature 0), the task it votes
    # on, and why it runs.
    vote: int = 1
    sample: int = 0
    votes_for: str | None = None
    escalated: str | None = None

    @property
    def ballot(self) -> str:
        """The task whose findings this one's are votes on: its own id for a first sample."""
        return self.votes_for or self.id

    @property
    def offline(self) -> bool:
        return self.agent == "offline"

    @property
    def spec(self) -> ConcernSpec:
        """Its concern in the registry: the brief its agent reads, the refactor goal, the severity cap."""
        return self.concern_spec or spec_of(self.concern)

    @property
    def stood_down(self) -> bool:
        """Triage skipped it and no analyzer flagged its chunk (once grounded): nothing for a model to do."""
        return self.standby is not None and not self.context.evidence


@dataclass
class Plan:
    documents: list[Document]
    tasks: list[Task]
    not_reviewed: list[NotReviewed]
    notes: list[str]
    tests: ctx.TestIndex
    instructions: Instructions = field(default_factory=Instructions)
    concerns: Registry = field(default_factory=Registry)
    suppressions: Suppressions = field(default_factory=Suppressions)  # the workspace's dismissals, read once


def plan_review(request: ReviewRequest, settings: Settings, workspace_tests: ctx.TestIndex | None = None) -> Plan:
    loaded = load_documents(request, settings)
    tests = workspace_tests or ctx.TestIndex.scan(request.workspace, settings)
    reviewed = [d.path for d in loaded.documents]
    instructions = load_instructions(request.workspace, settings, request.trusted, reviewed)
    suppressions = read_suppressions(request.workspace)
    lessons = _lessons(request, settings, suppressions)
    registry = load_registry(settings, request.workspace, request.trusted)
    enabled = registry.enabled(settings)
    tasks: list[Task] = []
    not_reviewed = list(loaded.not_reviewed)
    notes: list[str] = [*instructions.notes, *registry.notes, *_needing_a_model(enabled, settings)]
    for document in loaded.documents:
        withheld = _withheld_from_models(document, settings)
        if withheld:
            not_reviewed.append(NotReviewed(path=document.path, reason=withheld))
        sliced = slice_document(document, settings.chunk_lines) if not (settings.offline or withheld) else None
        if sliced and sliced.note:
            notes.append(sliced.note)
        batches = batch(sliced.chunks, settings.chunk_lines) if sliced else []
        decisions = [triage(b, [s.name for s in enabled], settings.thorough) for b in batches]
        for spec in enabled:
            concern = spec.name
            if not spec.applies(document.path):
                continue
            model = None if withheld else settings.model_for(concern)
            if model is None:
                if spec.built_in:  # the offline panel's analyzers read only the built-in concerns
                    tasks.append(Task(_task_id(len(tasks)), concern, _whole(document), "offline", concern_spec=spec))
                continue
            for span, skips in zip(batches, decisions):
                given = instructions.for_task(document.path, concern)
                taught = lessons.for_task(document.path, concern)
                built = ctx.build_context(span, concern, tests, settings.task_token_budget, given, taught)
                if isinstance(built, str):
                    not_reviewed.append(NotReviewed(path=span.label, reason=built))
                    continue
                task = Task(_task_id(len(tasks)), concern, span, model, built, skips[concern], concern_spec=spec)
                tasks.append(task)
    _count_sharers(tasks)
    notes.extend(_instructions_left_out(tasks))
    return Plan(loaded.documents, tasks, _dedupe(not_reviewed), notes, tests, instructions, registry, suppressions)


def _needing_a_model(enabled: list[ConcernSpec], settings: Settings) -> list[str]:
    """A project's concern without a model: no offline analyzer reads it, so it is said, not silently empty."""
    return [
        f"concern {spec.name.value}: no model reviews it and no offline analyzer reads it; not reviewed"
        for spec in enabled
        if not spec.built_in and settings.model_for(spec.name) is None
    ]


def _lessons(request: ReviewRequest, settings: Settings, suppressions: Suppressions) -> Lessons:
    """The team's dismissals with reasons, for the agents (trusted workspaces, with a model, instructions on)."""
    if settings.offline or not request.trusted or not settings.instructions:
        return Lessons([])
    return Lessons(suppressions.records)


def _instructions_left_out(tasks: list[Task]) -> list[str]:
    """One note per instruction file some tasks had no room for."""
    left_out = Counter(i.source for t in tasks for i in t.context.instructions_left_out)
    return [
        f"{source}: left out of {count} task(s) whose token budget it did not fit (raise task_token_budget)"
        for source, count in left_out.items()
    ]


def _count_sharers(tasks: list[Task]) -> None:
    """How many needed agents of one model review each span: they send the same prompt prefix."""
    spans = Counter(_span_of(t) for t in tasks if not t.offline and t.standby is None)
    for task in tasks:
        task.context.shared_by = spans.get(_span_of(task), 1)


def _span_of(task: Task) -> tuple:
    return (task.agent, task.chunk.document.path, task.chunk.start, task.chunk.end)


def _withheld_from_models(document: Document, settings: Settings) -> str | None:
    """Why the offline panel alone reviews a file a model would: a secrets file (.env, a key), or data in a
    configuration language (thousands of lines of JSON are a fixture, not settings); None: a model may."""
    if settings.offline:
        return None
    if not settings.send_secret_files and is_secrets_file(document.path):
        return SECRETS_FILE_REASON
    if document.language in CONFIG_LANGUAGES and len(document.lines) > CONFIG_MAX_LINES:
        return (
            f"not sent to a model: {len(document.lines):,} lines of {document.language} are data, not configuration "
            f"(over {CONFIG_MAX_LINES}); the secrets scan read it"
        )
    return None


def load_documents(request: ReviewRequest, settings: Settings) -> Loaded:
    workspace = request.workspace
    if request.kind is ReviewKind.diff:
        return _load_diff(request, settings)
    unsaved = frozenset(str(s.path) for s in request.sources if s.text is not None)
    files, skipped = expand_paths(request.paths, workspace, settings, unsaved)
    focus = _selection_focus(request)
    documents, not_reviewed = [], list(skipped)
    for path in files:
        source = request.source(path)
        loaded = _read(request, path, settings, focus, source.text if source else None)
        (documents if isinstance(loaded, Document) else not_reviewed).append(loaded)
    return _keep_reviewable(documents, not_reviewed, focus)


def _read(request: ReviewRequest, path: Path, settings: Settings, focus, text: str | None):
    """One document (`text`: instead of the disk's), with the front end's key for it when it named it."""
    source = request.source(path)
    return read_document(path, request.workspace, settings, focus, text, source.key if source else None)


def _selection_focus(request: ReviewRequest) -> tuple[tuple[int, int], ...] | None:
    if request.lines is None:
        return None
    return (request.lines,)


def _load_diff(request: ReviewRequest, settings: Settings) -> Loaded:
    from manyeyes.plan import gitdiff

    documents, not_reviewed = [], []
    changes = gitdiff.changed_files(request.workspace, request.diff_base, request.staged)
    if not request.staged:
        changes += _unsaved_edits(request, {c.path.resolve() for c in changes})
    narrowed_to = [_absolute(p, request.workspace) for p in request.paths]
    for change in changes:
        if relative_to_workspace(change.path, request.workspace) is None:
            outside = f"changed outside the workspace {request.workspace}"
            not_reviewed.append(NotReviewed(path=change.path.as_posix(), reason=outside))
            continue
        if narrowed_to and not any(_within(change.path, folder) for folder in narrowed_to):
            continue  # the user named the paths to review
        source = request.source(change.path)
        text = gitdiff.staged_text(request.workspace, change.path) if request.staged else source and source.text
        focus = None if change.whole_file else tuple(change.ranges)
        if text is not None and not request.staged and not change.whole_file:
            base = gitdiff.base_text(request.workspace, change.path, request.diff_base)
            focus = tuple(gitdiff.changed_ranges(base, text)) if base is not None else focus
        loaded = _read(request, change.path, settings, focus, text)
        (documents if isinstance(loaded, Document) else not_reviewed).append(loaded)
    return _keep_reviewable(documents, not_reviewed, None)


def _absolute(path: Path, workspace: Path) -> Path:
    return (path if path.is_absolute() else workspace / path).resolve()


def _within(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder)


def _unsaved_edits(request: ReviewRequest, listed: set[Path]) -> list:
    """Editor buffers whose unsaved text differs from git's version while the file on disk does not (so git does
    not list them): they are changes too."""
    from manyeyes.plan import gitdiff

    edits = []
    for source in request.sources:
        path, text = source.path, source.text
        if text is None or path.resolve() in listed or relative_to_workspace(path, request.workspace) is None:
            continue
        base = gitdiff.base_text(request.workspace, path, request.diff_base)
        if base is not None and base != text:
            edits.append(gitdiff.FileChange(path, gitdiff.changed_ranges(base, text)))
    return edits


def _keep_reviewable(documents: list[Document], not_reviewed: list[NotReviewed], focus) -> Loaded:
    """Empty files and selections past the end are notices, not silent skips."""
    kept = []
    for document in documents:
        line_count = len(document.lines)
        if not document.text.strip():
            not_reviewed.append(NotReviewed(path=document.path, reason="empty file"))
        elif focus and focus[0][0] > line_count:
            not_reviewed.append(
                NotReviewed(
                    path=document.path,
                    reason=f"lines {focus[0][0]}-{focus[0][1]} are past its end ({line_count} lines)",
                )
            )
        else:
            kept.append(document)
    return Loaded(kept, not_reviewed)


def _whole(document: Document) -> Chunk:
    return Chunk(document, 1, max(len(document.lines), 1), None)


def _task_id(index: int) -> str:
    return f"t{index + 1}"


def _dedupe(items: list[NotReviewed]) -> list[NotReviewed]:
    seen, unique = set(), []
    for item in items:
        if (item.path, item.reason) not in seen:
            seen.add((item.path, item.reason))
            unique.append(item)
    return unique
