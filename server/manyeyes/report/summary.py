"""The one-line summary and the counts every human-readable format shares."""

from __future__ import annotations

from collections import Counter

from manyeyes.models import ReviewResult, Severity


def severity_counts(result: ReviewResult) -> str:
    counts = Counter(f.severity for f in result.findings)
    parts = [f"{counts[s]} {s.value}" for s in Severity if counts[s]]
    return ", ".join(parts) if parts else "none"


def summary_line(result: ReviewResult) -> str:
    prompt, completion, cost = result.totals()
    states = Counter(o.state for o in result.outcomes)
    agents = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    files = len({f.path for f in result.findings})
    line = (
        f"{len(result.findings)} finding(s) ({severity_counts(result)}) in {files} file(s); "
        f"{len(result.outcomes)} agent task(s) ({agents or 'none'}); "
        f"{prompt + completion:,} tokens, ${cost:.4f}; {result.duration_s:.2f}s"
    )
    extras = []
    if result.omitted:
        extras.append(f"{sum(result.omitted.values())} left out by the per-file cap")
    if result.suppressed:
        extras.append(f"{result.suppressed} dismissed")
    if result.verification and result.verification.rejected:
        extras.append(f"{len(result.verification.rejected)} rejected by verification")
    return line + (f" ({'; '.join(extras)})" if extras else "")


def verification_lines(result: ReviewResult) -> list[str]:
    """What verification did, for the human-readable formats: the counts, each rejection and why, failures."""
    check = result.verification
    if check is None:
        return []
    unsure = check.checked - check.confirmed - len(check.rejected)
    lines = [
        f"{check.checked} model finding(s) checked: {check.confirmed} confirmed, {len(check.rejected)} rejected, "
        f"{unsure} left as they were"
    ]
    lines += [f"rejected {r.path}:{r.line} {r.title}: {r.reason or 'no reason given'}" for r in check.rejected]
    lines += [f"not checked: {error}" for error in check.errors]
    return lines
