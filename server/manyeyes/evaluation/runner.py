"""Running a review over every case of a corpus and scoring it.

The whole corpus is one review (the offline panel runs each analyzer once over all cases). The main score is on
everything the pipeline reports, nothing capped or filtered; `shown` scores what a user sees with the default
min_confidence (what the policy hides as unreliable is then missing from recall too).
"""

from __future__ import annotations

from manyeyes.config import Settings
from manyeyes.dispatch import Subscriber
from manyeyes.engine import ReviewRun
from manyeyes.evaluation.corpus import Corpus
from manyeyes.evaluation.score import Score, score
from manyeyes.models import Concern, ReviewRequest, ReviewResult, Severity
from manyeyes.plan.documents import split_lines


def corpus_concerns(corpus: Corpus) -> list[Concern]:
    """The concerns the corpus has labels for: evaluating any other concern on it measures nothing."""
    present = {label.concern for label in corpus.labels}
    return [c for c in Concern if c in present] or list(Concern)


def evaluation_settings(settings: Settings, concerns: list[Concern]) -> Settings:
    return settings.model_copy(
        update={
            "concerns": concerns,
            "min_severity": Severity.info,
            "max_findings_per_file": 1_000_000,
            "exclude": [],
            "max_file_lines": max(settings.max_file_lines, 100_000),
        }
    )


async def evaluate(
    corpus: Corpus, settings: Settings, concerns: list[Concern], subscriber: Subscriber | None = None
) -> tuple[Score, ReviewResult]:
    request = ReviewRequest(workspace=corpus.root, paths=[corpus.root / case for case in corpus.cases])
    run = ReviewRun(request, evaluation_settings(settings, concerns))
    if subscriber:
        run.subscribe(subscriber)
    result = await run.execute()
    lines = sum(_line_count(corpus, case) for case in corpus.cases)
    scored = score(corpus, run.consolidated, concerns, lines, len(result.not_reviewed))
    scored.shown = score(corpus, result.findings, concerns, lines, len(result.not_reviewed))
    scored.dropped = sum(o.dropped for o in result.outcomes)
    scored.rejected_by_verification = len(result.verification.rejected) if result.verification else 0
    return scored, result


def _line_count(corpus: Corpus, case: str) -> int:
    try:
        return len(split_lines((corpus.root / case).read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return 0
