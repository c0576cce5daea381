"""The evaluation as a table for the terminal."""

from __future__ import annotations

from manyeyes.evaluation.score import Recall, Score, Verdicts


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _row(name: str, recall: Recall) -> str:
    data = recall.as_dict()
    return (
        f"  {name:<22} {data['labels']:>7} {data['found']:>7} {_percent(data['recall']):>8}"
        f" {data['with_cwe']:>9} {data['found_cwe']:>9} {_percent(data['recall_cwe']):>10}"
    )


def _tokens(result: Score) -> str:
    if not result.tokens:
        return "  tokens: 0 (no model calls)"
    votes = f"; {result.escalated} task(s) escalated, {result.extra_votes} extra vote(s)" if result.escalated else ""
    return (
        f"  tokens: {result.tokens:,} (prompt {result.prompt_tokens:,}, completion {result.completion_tokens:,}); "
        f"{result.tokens_per_case:,.1f} per case{votes}"
    )


def _verdicts(name: str, verdicts: Verdicts) -> str:
    return (
        f"  {name}: precision {_percent(verdicts.precision)}, recall {_percent(verdicts.recall)} "
        f"(true positives {verdicts.true_positives}, false positives {verdicts.false_positives}, "
        f"missed {verdicts.false_negatives}, true negatives {verdicts.true_negatives})"
    )


def to_table(result: Score) -> str:
    header = f"  {'':<22} {'labels':>7} {'found':>7} {'recall':>8} {'with CWE':>9} {'CWE found':>9} {'CWE recall':>10}"
    lines = [
        f"corpus {result.corpus} (exhaustive: {result.exhaustive}): {result.cases} case(s), {result.lines:,} lines, "
        f"concerns: {', '.join(result.concerns)}"
        + (f", {result.not_reviewed} not reviewed" if result.not_reviewed else ""),
        "",
        header,
    ]
    lines.extend(_row(concern, recall) for concern, recall in sorted(result.by_concern.items()))
    lines.append(_row("all", result.total()))
    if result.by_cwe:
        lines += ["", "  by CWE:"]
        lines.extend(_row(cwe, recall) for cwe, recall in sorted(result.by_cwe.items(), key=lambda kv: -kv[1].labels))
    precision = _percent(result.precision) if result.precision is not None else "n/a (labels not exhaustive)"
    lines += [
        "",
        f"  findings: {result.findings:,} (matching a label {result.true_positives:,}, false positives "
        f"{result.false_positives:,}, unlabeled {result.unlabeled:,}); precision {precision}",
        f"  traps hit: {result.traps_hit}/{result.traps}; {result.findings_per_kloc} findings per 1,000 lines"
        + (f"; {result.dropped} model finding(s) dropped by anchoring" if result.dropped else "")
        + (f"; {result.rejected_by_verification} rejected by verification" if result.rejected_by_verification else ""),
        _tokens(result),
    ]
    if result.verdicts is not None:
        lines += ["", _verdicts("case verdicts (files labelled whole)", result.verdicts)]
        lines.extend(_verdicts(f"  {cwe}", v) for cwe, v in sorted(result.verdicts_by_cwe.items()))
    if not result.grounding:
        lines.append("  grounding off: model agents alone (no analyzer evidence or findings); triage off")
    if result.shown is not None:
        shown = result.shown
        lines.append(
            f"  as shown (default min_confidence): {shown.findings:,} findings, recall "
            f"{_percent(shown.total().as_dict()['recall'])}, {shown.findings_per_kloc} per 1,000 lines"
            + (f", precision {_percent(shown.precision)}" if shown.precision is not None else "")
            + (
                f", case precision {_percent(shown.verdicts.precision)} at recall {_percent(shown.verdicts.recall)}"
                if shown.verdicts is not None
                else ""
            )
        )
    return "\n".join(lines) + "\n"
