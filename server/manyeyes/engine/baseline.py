"""Only what a change adds (`--new-only` with `--diff` or `--staged`, `--baseline REF` for a files review): the base
version of every reviewed file is reviewed too, and a finding the base already had is left out, before the verifier
spends anything on it and before the filters (so the per-file cap counts only new findings).

The base is reviewed by the offline panel, plus the model answers the cache already holds for it: base code is
never sent to a model (a cache miss fails that agent on purpose, and its chunk's analyzer hits stand in, as after
any failed agent). Matching is synthesis/newness.py's; this module finds the base texts and runs the base review.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from manyeyes.cache import Cache
from manyeyes.config import Settings
from manyeyes.errors import ManyeyesError
from manyeyes.llm.errors import ModelCallError
from manyeyes.models import ALL_CONCERNS, BaselineReport, DocumentSource, Finding, ReviewKind, ReviewRequest
from manyeyes.plan import gitdiff
from manyeyes.synthesis.newness import split_new

# Runs a whole review and returns every finding before the filters: the engine's, handed in by the engine (this
# module runs inside its synthesis, so importing it here would tie the two in a circle).
Reviewer = Callable[[ReviewRequest, Settings, "CacheOnlyClient", Cache | None], Awaitable[list[Finding]]]

NOT_SENT = "base code is never sent to a model: only answers already in the cache are used"


class CacheOnlyClient:
    """The model client of a base review: every call is refused, so only cached answers count. It carries the
    settings because the endpoint is part of an answer's cache key (agents/model.py)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def complete(self, model: str, messages: list[dict], **_) -> None:
        raise ModelCallError("not in the answer cache", NOT_SENT)


def base_ref(kind: ReviewKind, diff_base: str | None, staged: bool, baseline: str | None) -> str:
    """What a change is measured against: `--baseline REF`, the `--diff` base, HEAD for staged changes, else the
    index (""): the version unstaged changes are changes to."""
    if baseline is not None:
        return baseline
    if staged:
        return "HEAD"
    return diff_base or ""


@dataclass
class Newness:
    findings: list[Finding]  # the ones the base does not have
    report: BaselineReport | None  # None: the base could not be reviewed (`note` says why; every finding stays)
    note: str | None = None


async def keep_new(
    findings: list[Finding],
    texts: dict[str, str],
    request: ReviewRequest,
    settings: Settings,
    cache: Cache | None,
    reviewer: Reviewer,
) -> Newness:
    """The findings of the reviewed files (`texts`: path -> text reviewed) that their base versions do not have."""
    ref = request.compare_with or ""
    label = ref or "the index"
    with_findings = {f.path for f in findings}  # a file with no finding has none the change adds: not compared
    compared = {path: text for path, text in texts.items() if path in with_findings}
    try:
        renamed = _renames(request) if request.kind is ReviewKind.diff else {}
        was = {now: old for old, now in renamed.items()}  # path now -> path in the base
        bases = _base_texts(request, ref, [was.get(path, path) for path in compared])
        concerns = [c for c in ALL_CONCERNS if any(c in f.concerns for f in findings)]
        focused = settings.model_copy(update={"concerns": concerns})
        base_findings = await _review_base(request, focused, bases, cache, reviewer)
    except ManyeyesError as exc:
        return Newness(findings, None, f"the base ({label}) could not be reviewed, so every finding is shown: {exc}")
    versions = {now: (bases[was.get(now, now)], text) for now, text in compared.items() if was.get(now, now) in bases}
    new, existing = split_new(findings, base_findings, renamed, versions)
    report = BaselineReport(
        ref=label,
        already_there=sum(1 for f in existing if _shown(f, settings)),
        compared=len(bases),
        new_files=len(compared) - len(bases),
        model_answers="cached only" if not settings.offline and cache is not None else "none",
    )
    return Newness(new, report)


def _shown(finding: Finding, settings: Settings) -> bool:
    """Whether the filters would have shown it: only those count as "already there" in the summary."""
    return finding.severity.at_least(settings.min_severity) and finding.confidence >= settings.min_confidence


def _base_texts(request: ReviewRequest, ref: str, base_paths: list[str]) -> dict[str, str]:
    """{base path: text} for the files that exist in the base (as UTF-8)."""
    absolute = {request.workspace / path: path for path in base_paths}
    found = gitdiff.base_texts(request.workspace, list(absolute), ref)
    return {absolute[path]: text for path, text in found.items()}


def _renames(request: ReviewRequest) -> dict[str, str]:
    workspace = request.workspace.resolve()
    renames = {}
    for change in gitdiff.changed_files(request.workspace, request.diff_base, request.staged):
        if change.old_path is not None:
            try:
                old = change.old_path.resolve().relative_to(workspace).as_posix()
                renames[old] = change.path.resolve().relative_to(workspace).as_posix()
            except ValueError:
                continue  # renamed across the workspace's edge: compared as a new file
    return renames


async def _review_base(
    request: ReviewRequest, settings: Settings, bases: dict[str, str], cache: Cache | None, reviewer: Reviewer
) -> list[Finding]:
    """Every finding of the base versions, before any filter (a base finding hidden by a filter still existed), for
    the concerns `settings` names (those of the findings compared: no other concern's can match)."""
    if not bases:
        return []
    paths = [request.workspace / rel for rel in bases]
    base_request = ReviewRequest(
        kind=ReviewKind.files,
        workspace=request.workspace,
        paths=paths,
        sources=[DocumentSource(key=rel, path=path, text=bases[rel]) for path, rel in zip(paths, bases)],
        trusted=request.trusted,
    )
    quiet = {"voting": "off", "verify_findings": False, "verify_fixes_with_tests": False}
    if cache is None:
        quiet |= {"model": None, "models": {}, "verifier_model": None}  # nothing to read answers from
    return await reviewer(base_request, settings.model_copy(update=quiet), CacheOnlyClient(settings), cache)
