"""A finding's confidence from agreement, by one rule, and the reasons a user is shown for it.

The rule (docs/consensus.md):

1. Voters. A model finding starts from its finders' own stated confidence (their average), c. When n voters were
   asked and k found it, c is multiplied by (k + 1) / (n + 1): 3 of 3 keep c, 2 of 3 give 0.75 c, 1 of 3 half.
   One voter (n = 1) keeps c. Unanimity of two or more voters moves c halfway to 1: agreement is a check.
2. Verifier. "confirmed" moves c halfway to 1. "rejected" drops the finding when no majority of voters found it
   (one voter of one, one of two, one of three); a majority finding the verifier rejects keeps c and is shown as
   disputed, with the verifier's reason (the skeptic overrules a lone voter, not a majority). "unsure", or no
   verdict, leaves c as it is.
3. Analyzers. A finding an analyzer also raised combines the independent sources as the synthesizer always has:
   1 - (1 - c_model) x (1 - c_analyzer) (synthesis/merge.py).

Capped at 0.99: nothing a panel says is certain.
"""

from __future__ import annotations

from manyeyes.models import Consensus, Finding

CAP = 0.99


def from_votes(consensus: Consensus) -> float:
    """Step 1: the voters' confidence in a finding."""
    confidence = consensus.stated
    if consensus.asked > 1:
        confidence *= (consensus.found_by + 1) / (consensus.asked + 1)
        if consensus.unanimous:
            confidence = _halfway(confidence)
    return _capped(confidence)


def after_verdict(confidence: float, consensus: Consensus) -> float | None:
    """Step 2: the confidence once the verifier has spoken; None: the finding is dropped."""
    if consensus.verdict == "confirmed":
        return _capped(_halfway(confidence))
    if consensus.verdict == "rejected":
        return confidence if consensus.majority and consensus.asked > 1 else None
    return confidence


def reasons(finding: Finding) -> list[str]:
    """Why the finding's confidence is what it is, in the words the hover and the reports use: "2 of 3 voters",
    "verified by model:b", "backed by bandit B608"."""
    said: list[str] = []
    consensus = finding.consensus
    if consensus is not None:
        said.append(_votes_text(consensus))
        verdict = _verdict_text(consensus)
        if verdict:
            said.append(verdict)
    analyzers = [s.name for s in finding.sources if s.kind == "analyzer"]
    if analyzers:
        rules = f" {', '.join(finding.rules[:2])}" if finding.rules else ""
        said.append(f"backed by {', '.join(dict.fromkeys(analyzers))}{rules}")
    return said


def _votes_text(consensus: Consensus) -> str:
    models = ", ".join(f"model:{m}" for m in dict.fromkeys(consensus.voters))
    if consensus.asked == 1:
        return f"one voter ({models})" if models else "one voter"
    return f"{consensus.found_by} of {consensus.asked} voters" + (f" ({models})" if models else "")


def _verdict_text(consensus: Consensus) -> str | None:
    who = f"model:{consensus.verifier}" if consensus.verifier else "the verifier"
    why = f": {consensus.verdict_reason}" if consensus.verdict_reason else ""
    if consensus.verdict == "confirmed":
        return f"verified by {who}{why}"
    if consensus.verdict == "rejected":
        return f"disputed by {who}{why}"
    if consensus.verdict == "unsure":
        return f"{who} was unsure{why}"
    return None


def _halfway(confidence: float) -> float:
    return confidence + (1.0 - confidence) / 2


def _capped(confidence: float) -> float:
    return round(min(max(confidence, 0.0), CAP), 3)
