"""Stable fingerprints: a finding keeps its identity when code around it moves or is re-indented.

The key is the file, the concern, the rule or CWE when there is one, and the quoted code with whitespace
collapsed; line numbers and the wording of a model's title are left out, since both change between runs.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from manyeyes.models import Finding


def fingerprint(finding: Finding) -> str:
    code = " ".join(finding.evidence.split())
    kind = (finding.rules or finding.cwe or [""])[0]
    key = "|".join([finding.path, finding.concerns[0].value, kind, code])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def assign_fingerprints(findings: list[Finding]) -> None:
    """Set each finding's fingerprint; repeats of the same key get an occurrence suffix so each stays unique."""
    seen: Counter[str] = Counter()
    for finding in findings:
        base = fingerprint(finding)
        seen[base] += 1
        finding.fingerprint = base if seen[base] == 1 else f"{base}:{seen[base]}"
