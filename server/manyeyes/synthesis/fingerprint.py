"""Stable fingerprints: a finding keeps its identity when code around it moves or is re-indented.

The key is the file, the finding's rule id (canonical: bandit's B602 and ruff's S602 are one problem, so the
fingerprint does not depend on which tool ranked first; a model finding without a rule or CWE is keyed by its
concern), and the quoted code with whitespace collapsed; line numbers and the wording of a model's title are left
out, since both change between runs.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from manyeyes.models import Finding
from manyeyes.synthesis.rules import canonical


def fingerprint(finding: Finding) -> str:
    code = " ".join(finding.evidence.split())
    key = "|".join([finding.path, canonical(finding.rule_id), code])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def assign_fingerprints(findings: list[Finding]) -> None:
    """Set each finding's fingerprint; repeats of the same key get an occurrence suffix so each stays unique."""
    seen: Counter[str] = Counter()
    for finding in findings:
        base = fingerprint(finding)
        seen[base] += 1
        finding.fingerprint = base if seen[base] == 1 else f"{base}:{seen[base]}"
