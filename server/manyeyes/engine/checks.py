"""The checks between the agents and the user: a skeptic's second look at model findings no analyzer backs
(consensus/verification.py), and the fixes models wrote, which must parse and lint no worse before they are offered
(rewrite/fixes.py). Each says what it is doing, so a board does not sit at 100% meanwhile."""

from __future__ import annotations

from collections.abc import Callable

from manyeyes.cache import Cache
from manyeyes.config import Settings
from manyeyes.consensus.verification import independent_verifier, needs_verification, own_finder, verify_findings
from manyeyes.models import Finding, FixCheckReport, ReviewRequest, VerificationReport
from manyeyes.plan.context import TestIndex
from manyeyes.plan.documents import Document
from manyeyes.rewrite.fixes import FixChecker, needs_check

Announce = Callable[[str], None]


async def verify(
    findings: list[Finding],
    documents: dict[str, Document],
    settings: Settings,
    client: Callable[[], object],
    cache: Cache | None,
    spent_tokens: int,
    announce: Announce,
) -> tuple[list[Finding], VerificationReport | None]:
    """Model findings no analyzer backs get a second look, within the run's token budget."""
    count = sum(1 for f in findings if needs_verification(f))
    if not settings.verify_findings or not count:
        return findings, None
    budget = settings.run_token_budget
    if budget and spent_tokens >= budget:
        return findings, VerificationReport(errors=[f"run token budget ({budget:,}) spent: findings left unverified"])
    announce(f"verifying {count} finding(s)")
    return await verify_findings(
        findings, documents, client(), settings.concurrency, settings.task_timeout_s, cache, _verifier(settings)
    )


def _verifier(settings: Settings):
    """Who checks a finding: `verifier_model`, never on its own findings (another of the concern's models then);
    without one, the finding's own finder."""
    chosen = settings.verifier_model
    if chosen is None:
        return own_finder
    return independent_verifier(chosen, lambda f: [m for c in f.concerns for m in settings.voters_for(c)])


async def check_fixes(
    findings: list[Finding],
    documents: dict[str, Document],
    settings: Settings,
    client: Callable[[], object],
    cache: Cache | None,
    tests: TestIndex,
    request: ReviewRequest,
    spent_tokens: int,
    repairs: bool,
    announce: Announce,
) -> tuple[list[Finding], FixCheckReport | None]:
    """The fixes models wrote, checked (and, with `repairs`, a rejected one repaired once) before they are offered."""
    count = sum(1 for f in findings if needs_check(f))
    if not count:
        return findings, None
    announce(f"checking {count} fix(es)")
    checker = FixChecker(settings, client, cache, tests, request)
    return await checker.check(findings, documents, repairs=repairs, spent_tokens=spent_tokens)
