"""The one-line summary and the counts every human-readable format shares."""

from __future__ import annotations

from collections import Counter

from manyeyes.models import ReviewResult, Severity


def severity_counts(result: ReviewResult) -> str:
    counts = Counter(f.severity for f in result.findings)
    parts = [f"{counts[s]} {s.value}" for s in Severity if counts[s]]
    return ", ".join(parts) if parts else "none"


def cost_text(cost: float | None, known: float = 0.0) -> str:
    """A cost as people read it: "$0.0123"; "cost unknown" when a price was found nowhere (never "$0"), with the
    part that is known as a lower bound when there is one."""
    if cost is not None:
        return f"${cost:.4f}"
    return f"cost unknown (at least ${known:.4f})" if known > 0 else "cost unknown"


def tokens_text(tokens: int, cached: int) -> str:
    """Tokens as people read them: "12,345 tokens", and how many the provider read from its prompt cache, if any."""
    return f"{tokens:,} tokens" + (f" ({cached:,} cached)" if cached else "")


def summary_line(result: ReviewResult) -> str:
    prompt, completion, cost = result.totals()
    states = Counter(o.state for o in result.outcomes)
    agents = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    files = len({f.path for f in result.findings})
    line = (
        f"{len(result.findings)} finding(s) ({severity_counts(result)}) in {files} file(s); "
        f"{len(result.outcomes)} agent task(s) ({agents or 'none'}); "
        f"{tokens_text(prompt + completion, result.cached_prompt_tokens())}, "
        f"{cost_text(cost, result.known_cost_usd())}; {result.duration_s:.2f}s"
    )
    extras = _skips(result)
    if result.baseline:
        extras.append(f"{result.baseline.already_there} already in {result.baseline.ref}, not shown")
    if result.omitted:
        extras.append(f"{sum(result.omitted.values())} left out by the per-file cap")
    if result.suppressed:
        extras.append(f"{result.suppressed} dismissed")
    if result.dismissed_by_change:
        extras.append(f"{result.dismissed_by_change} dismissal(s) added by this change, not honoured")
    ignored = sum(use.ignored for use in result.instructions)
    if ignored:
        extras.append(f"{ignored} left out by the project's instructions")
    if result.verification and result.verification.rejected:
        extras.append(f"{len(result.verification.rejected)} rejected by verification")
    if result.consensus and result.consensus.escalated:
        extras.append(f"{len(result.consensus.escalated)} task(s) escalated to more voters")
    return line + (f" ({'; '.join(extras)})" if extras else "")


def consensus_lines(result: ReviewResult) -> list[str]:
    """What the consensus stage did: the tasks that got more voters and why, and what each stage removed."""
    consensus = result.consensus
    if consensus is None:
        return []
    lines = [f"{e.target} ({e.concern.value}): {e.votes} voters, {e.reason}" for e in consensus.escalated]
    if consensus.left_out:
        lines.append(f"{consensus.left_out} more task(s) qualified for votes but did not fit the escalation budget")
    removed = ", ".join(f"{stage} {count}" for stage, count in consensus.removed.items())
    if removed:
        lines.append(f"removed: {removed} (min_confidence hides, the skeptic drops)")
    return lines


def instruction_lines(result: ReviewResult) -> list[str]:
    """Each project instruction file the review read: where it applied and what it changed."""
    lines = []
    for use in result.instructions:
        scope = ", ".join(use.applies_to) or "every file"
        concerns = ", ".join(c.value for c in use.concerns) or "every concern"
        effects = [f"in {use.tasks} model task(s)"] if use.tasks else []
        effects += [f"{use.violations} violation(s) reported"] if use.violations else []
        effects += [f"{use.ignored} finding(s) left out by its ignore list"] if use.ignored else []
        done = ", ".join(effects) or "no model read it and its ignore list matched nothing"
        lines.append(f"{use.source} ({use.id}; {scope}; {concerns}): {done}")
    return lines


def verification_lines(result: ReviewResult) -> list[str]:
    """What verification did, for the human-readable formats: the counts, each rejection and why, failures."""
    check = result.verification
    if check is None:
        return []
    unsure = check.checked - check.confirmed - len(check.rejected) - check.disputed
    disputed = f", {check.disputed} disputed (kept, less sure: most voters found them)" if check.disputed else ""
    lines = [
        f"{check.checked} model finding(s) checked: {check.confirmed} confirmed, {len(check.rejected)} rejected"
        f"{disputed}, {unsure} left as they were"
    ]
    lines += [f"rejected {r.path}:{r.line} {r.title}: {r.reason or 'no reason given'}" for r in check.rejected]
    lines += [f"not checked: {error}" for error in check.errors]
    return lines


def _skips(result: ReviewResult) -> list[str]:
    """Why agents were skipped: spared by triage, or a budget reached (the first such reason names it)."""
    skipped = [o.error or "" for o in result.outcomes if o.state == "skipped"]
    triaged = sum(1 for reason in skipped if reason.startswith("triage:"))
    budget = [reason for reason in skipped if not reason.startswith("triage:")]
    spared = [f"{triaged} spared by triage (--thorough runs them)"] if triaged else []
    return spared + ([f"{len(budget)} skipped: {budget[0]}"] if budget else [])
