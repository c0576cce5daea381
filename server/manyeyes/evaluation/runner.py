"""Running a review over every case of a corpus and scoring it.

The whole corpus is one review (the offline panel runs each analyzer once over all cases). The main score is on
everything the pipeline reports, nothing capped or filtered; `shown` scores what a user sees with the default
min_confidence (what the policy hides as unreliable is then missing from recall too).

With grounding off (`manyeyes eval --no-grounding`) the model agents review alone: no analyzer runs, so no
evidence reaches a prompt and no analyzer finding reaches the result, and the figures measure the models (and the
pipeline after them) only. Every chunk is then reviewed for every concern (triage off): a chunk triage stands by
runs only when an analyzer flags it, which no analyzer would, so triage's misses would count as the models'.
"""

from __future__ import annotations

from manyeyes.config import Settings
from manyeyes.dispatch import Subscriber
from manyeyes.engine import ReviewRun
from manyeyes.evaluation.corpus import Corpus, corpus_concerns
from manyeyes.evaluation.score import Score, score
from manyeyes.models import Concern, ReviewRequest, ReviewResult, Severity
from manyeyes.plan.documents import split_lines

__all__ = ["corpus_concerns", "evaluate", "evaluation_settings"]


def evaluation_settings(settings: Settings, concerns: list[Concern], grounding: bool = True) -> Settings:
    return settings.model_copy(
        update={
            "concerns": concerns,
            "min_severity": Severity.info,
            "max_findings_per_file": 1_000_000,
            "exclude": [],
            "max_file_lines": max(settings.max_file_lines, 100_000),
            "thorough": settings.thorough or not grounding,
            # the whole corpus is one review: a budget meant for one review would stop it part-way (the figures
            # report what the run spent instead)
            "run_token_budget": 0,
            "run_deadline_s": max(settings.run_deadline_s, 3600.0),
        }
    )


async def evaluate(
    corpus: Corpus,
    settings: Settings,
    concerns: list[Concern],
    subscriber: Subscriber | None = None,
    grounding: bool = True,
) -> tuple[Score, ReviewResult]:
    request = ReviewRequest(workspace=corpus.root, paths=[corpus.root / case for case in corpus.cases])
    run = ReviewRun(request, evaluation_settings(settings, concerns, grounding), grounding=grounding)
    if subscriber:
        run.subscribe(subscriber)
    result = await run.execute()
    lines = sum(_line_count(corpus, case) for case in corpus.cases)
    scored = score(corpus, result.consolidated, concerns, lines, len(result.not_reviewed))
    scored.shown = score(corpus, result.findings, concerns, lines, len(result.not_reviewed))
    scored.dropped = sum(o.dropped for o in result.outcomes)
    scored.rejected_by_verification = len(result.verification.rejected) if result.verification else 0
    prompt, completion, _ = result.totals()  # every agent's calls, their votes and the verifier's
    escalated = len(result.consensus.escalated) if result.consensus else 0
    extra_votes = sum(1 for o in result.outcomes if o.vote > 1)
    for each in (scored, scored.shown):
        each.grounding = grounding
        each.escalated, each.extra_votes = escalated, extra_votes
        each.prompt_tokens, each.completion_tokens = prompt, completion
    return scored, result


def _line_count(corpus: Corpus, case: str) -> int:
    try:
        return len(split_lines((corpus.root / case).read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return 0
