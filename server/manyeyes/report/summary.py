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
    return line + (f" ({'; '.join(extras)})" if extras else "")
