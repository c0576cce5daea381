"""Severity by impact, confidence by evidence: the one policy every finding passes before it is merged and ranked.

Tools grade by their own scales: bandit calls `pickle.loads` and `eval` "medium" and a hard-coded key "low", radon
calls a long function "high". The policy (docs/findings.md explains each line) puts every finding on one scale:

- impact families by rule and CWE: command, code and SQL injection and unsafe deserialization are high; a
  hard-coded credential is high when its value looks like a real secret (detect-secrets agrees), medium otherwise;
  weak hashes are at most medium, non-cryptographic randomness at most low; complexity, style and performance are
  never above medium; an undefined name only an annotation uses is not an error (ruff.py marks it);
- literal input keeps the tool's "low": `subprocess.call("ls", shell=True)` runs no one else's command;
- findings that only matter in production code (asserts, placeholder passwords, /tmp paths) are dropped in tests;
- confidence is the rule's reliability (RELIABILITY, the analyzer's own certainty where it gives one), never a
  model's unchecked say-so above UNVERIFIED_MODEL_CAP; agreement and verification raise it later;
- `severity_overrides` in settings has the last word, per rule (`override`, applied by the engine).

Analyzer findings are graded as the panel produces them, model findings as the agent anchors them, so what a
later step adjusts (an unconfirmed hit, a dismissed one) is never graded back.
"""

from __future__ import annotations

from manyeyes.concerns import ConcernSpec, spec_of
from manyeyes.models import Concern, Finding, Severity
from manyeyes.plan.context import is_test_path
from manyeyes.synthesis.rules import canonical

# Canonical rule -> the severity of the problem when the tool found non-literal input (see _respects_literal).
IMPACT = {
    "B602": Severity.high,  # shell=True with a variable command (and MEP-shell, os.system)
    "B604": Severity.high,
    "B609": Severity.high,
    "B608": Severity.high,  # SQL built from strings
    "B307": Severity.high,  # eval / exec (and MEP-eval)
    "B301": Severity.high,  # pickle, dill, shelve, yaml.load (and MEP-deserialize)
    "B302": Severity.high,  # marshal
    "B614": Severity.high,  # torch.load
    "B701": Severity.high,  # jinja2 autoescape off: cross-site scripting
    "B501": Severity.high,  # TLS verification off
    "B105": Severity.medium,  # a password-named string: high only when the secrets scan sees a real one (MES-secret)
    "MES-secret": Severity.high,
    "B107": Severity.medium,
}
# Canonical rule or rule prefix -> the most severe a finding of it may be.
CAPS = {
    "B324": Severity.medium,  # weak hash: HMAC-SHA1 and checksums are not password storage
    "B303": Severity.medium,
    "B311": Severity.low,  # random for non-cryptographic use
    "radon-cc": Severity.medium,  # complexity is a readability problem, never a vulnerability
    "radon-cc-C": Severity.low,
    "test-gap": Severity.medium,
}
# Tools that grade literal input low on purpose: their "low" survives IMPACT.
_LITERAL_AWARE = {"B602", "B604", "B609"}
# Rules about production behaviour: in test code they are how tests are written, not problems.
PRODUCTION_ONLY = {
    *("B101", "B105", "B106", "B107", "B108", "B311", "B404", "B603", "B607", "B113", "MEP-secret"),
    *("radon-cc", "radon-cc-C"),
}
# How often a rule's hit is a real problem (its precision), where the tool gives no certainty of its own or its
# certainty is known to be off. Sources: docs/findings.md.
RELIABILITY = {
    "B608": 0.85,
    "B307": 0.9,
    "B301": 0.85,
    "B602": 0.9,
    "B501": 0.95,
    "B105": 0.4,
    "B107": 0.4,
    "B110": 0.8,
    "F821": 0.95,
    "radon-cc": 0.8,
    "radon-cc-C": 0.45,  # complexity 11-20: shown to whoever lowers min_confidence, not by default
    "test-gap": 0.6,
    # bandit's informational checks: an import of subprocess, a subprocess call without a shell, a partial
    # executable path, random for a temporary name, an assert. Almost never a problem on their own (16 of the top
    # 20 findings on pallets/click, none useful: docs/evaluation.md), so they are hidden at the default
    # min_confidence and shown to whoever lowers it.
    "B404": 0.3,
    # An import of pickle, telnetlib, ftplib, an XML parser or xmlrpc: what matters is the call on data
    # (B301, B3xx, the taint rules), which is reported where it is; the import alone is not a problem.
    **{rule: 0.3 for rule in ("B401", "B402", "B403", "B405", "B406", "B407", "B408", "B409", "B410", "B411")},
    "B603": 0.4,
    "B607": 0.4,
    "B311": 0.5,  # random for a token is a vulnerability, for a temporary name nothing: shown, low
    "B101": 0.4,
    "MES-secret": 0.9,  # detect-secrets' own filters, and manyeyes' provider-key and secret-name rules
    # Measured: precision of ruff's rule on the line-exhaustive perflint-fixtures corpus, where a rule has at
    # least 10 findings there (hits matching a label / findings; 2026-11-29). Capped at 0.95: a fixture is not
    # everyone's code.
    "PERF101": 0.95,  # 13 / 13
    "PERF102": 0.63,  # 12 / 19
    "PERF401": 0.88,  # 29 / 33
    "PERF403": 0.95,  # 22 / 22
}
UNVERIFIED_MODEL_CAP = 0.75  # a model's own confidence, unchecked by verification or an analyzer


def concern_impact(concerns: list[Concern]) -> int:
    """How a finding's concerns rank it beside others of the same severity (concerns.py: security first)."""
    return max((spec_of(c).impact for c in concerns), default=0)


def grade(findings: list[Finding], specs: dict[Concern, ConcernSpec] | None = None) -> list[Finding]:
    """Every finding on the policy's scale, as it comes from its analyzer or model; findings that do not apply
    where they are (production-only rules in tests) are left out. `specs`: concerns a project defines, beside
    the built-in ones (their severity caps). Idempotent."""
    graded = []
    for finding in findings:
        if _production_only_in_tests(finding):
            continue
        finding.severity = _severity(finding, specs or {})
        finding.confidence = _confidence(finding)
        graded.append(finding)
    return graded


def override(findings: list[Finding], overrides: dict[str, Severity]) -> None:
    """The user's `severity_overrides`: the last word on a rule's severity (any of a finding's rules)."""
    if not overrides:
        return
    for finding in findings:
        chosen = next((overrides[r] for r in finding.rules if r in overrides), None)
        if chosen is not None:
            finding.severity = chosen


def _keys(finding: Finding, equivalents: bool = True) -> list[str]:
    """What the policy's tables are read by, most specific first: the finding's first rule, its family
    ("radon-cc" for radon-cc-D; rank C, complexity 11 to 20, is everyday code and reads apart), and with
    `equivalents` the canonical rule of its group (B102 and B307 are both eval-like code execution)."""
    if not finding.rules:
        return []
    rule = finding.rules[0]
    keys = [rule, "radon-cc" if rule.startswith("radon-cc") and rule != "radon-cc-C" else rule]
    return [*keys, canonical(rule)] if equivalents else keys


def _lookup(table: dict, finding: Finding):
    return next((table[key] for key in _keys(finding) if key in table), None)


def _production_only_in_tests(finding: Finding) -> bool:
    """Read by the rule itself only: MES-secret shares B105's group, but a real key in a test is still a key."""
    return is_test_path(finding.path) and any(k in PRODUCTION_ONLY for k in _keys(finding, equivalents=False))


def _severity(finding: Finding, specs: dict[Concern, ConcernSpec]) -> Severity:
    severity = finding.severity
    impact = _lookup(IMPACT, finding)
    literal = severity is Severity.low and any(k in _LITERAL_AWARE for k in _keys(finding))
    if impact is not None and not literal:
        severity = max(severity, impact, key=lambda s: s.rank)
    cap = _lookup(CAPS, finding) or _concern_cap(finding, specs)
    if cap is not None and severity.rank > cap.rank:
        severity = cap
    return severity


def _concern_cap(finding: Finding, specs: dict[Concern, ConcernSpec]) -> Severity | None:
    """The concerns' own caps (readability and performance: medium; a project's concern: its `severity`), the
    loosest of them, unless the finding is also a security finding."""
    if Concern.security in finding.concerns:
        return None
    caps = [spec_of(c, specs).severity for c in finding.concerns]
    return None if None in caps else max(caps, key=lambda s: s.rank)


def _confidence(finding: Finding) -> float:
    if finding.by_model_only:
        return min(finding.confidence, UNVERIFIED_MODEL_CAP)
    reliability = _lookup(RELIABILITY, finding)
    return reliability if reliability is not None else finding.confidence
