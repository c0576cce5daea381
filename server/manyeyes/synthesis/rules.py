"""Which rule ids of different tools name the same problem.

Two findings are one problem when they carry the same rule, or rules this table declares equivalent: ruff's
flake8-bandit port (`S602`) and bandit (`B602`), the line patterns manyeyes applies to code that does not parse
(`MEP-shell`) and the bandit rules they stand in for, and a few cross-tool pairs about the same code (a
`try`-`except`-`pass` is bandit's B110 and ruff's SIM105). The first id of each group is its canonical id: it
names the group in fingerprints, so a finding keeps its identity whichever tool ranked first.
"""

from __future__ import annotations

# bandit's test ids that ruff's flake8-bandit rules (S + the same number) port one to one.
_BANDIT_PORTED_BY_RUFF = (
    "101 102 103 104 105 106 107 108 110 112 113 201 202 301 302 303 304 305 306 307 308 310 311 312 313 314 "
    "315 316 317 318 319 320 321 323 324 401 402 403 404 405 406 407 408 409 410 411 412 413 415 501 502 503 "
    "504 505 506 507 508 509 601 602 603 604 605 606 607 608 609 610 611 612 701 702 704"
).split()

_GROUPS: list[tuple[str, ...]] = [
    *((f"B{n}", f"S{n}") for n in _BANDIT_PORTED_BY_RUFF),
    # A swallowed exception: bandit's try-except-pass and try-except-continue, ruff's suppressible-exception.
    ("B110", "S110", "SIM105"),
    # Line patterns for Python that does not parse, and the bandit rules they stand in for.
    ("B602", "S602", "B605", "S605", "MEP-shell"),
    ("B307", "S307", "B102", "S102", "MEP-eval"),
    ("B301", "S301", "B506", "S506", "MEP-deserialize"),
    ("B324", "S324", "B303", "S303", "MEP-weak-hash"),
    ("B311", "S311", "MEP-weak-random"),
    ("B105", "S105", "B106", "S106", "B107", "S107", "MEP-secret", "MES-secret"),
    ("B608", "S608", "MEP-sql"),
    # A taint flow (semgrep, rules/) and the sink-only hit on the same call are one problem: the flow backs it.
    ("B608", "python-sql-injection"),
    ("B602", "python-command-injection"),
    ("B307", "python-code-injection"),
    ("B301", "python-deserialization"),
    ("B320", "S320", "python-xxe"),
    ("java-sql-injection", "java-sql-from-parameter"),
    ("java-command-injection", "java-command-from-parameter"),
]


def _canonical_table(groups: list[tuple[str, ...]]) -> dict[str, str]:
    """Rule -> canonical id; groups that share a rule are one group (union by their first-listed id)."""
    parent: dict[str, str] = {}

    def find(rule: str) -> str:
        while parent.setdefault(rule, rule) != rule:
            parent[rule] = parent[parent[rule]]
            rule = parent[rule]
        return rule

    for group in groups:
        for rule in group[1:]:
            first, other = find(group[0]), find(rule)
            if first != other:
                parent[max(first, other, key=_preference)] = min(first, other, key=_preference)
    return {rule: find(rule) for rule in parent}


def _preference(rule: str) -> tuple[int, str]:
    """bandit's ids name a group before ruff's and manyeyes' own (they are the ones CWE mappings cite)."""
    return (0 if rule.startswith("B") else 1, rule)


CANONICAL = _canonical_table(_GROUPS)


def canonical(rule: str) -> str:
    """The id that names a rule's group of equivalent rules (the rule itself when it has none)."""
    return CANONICAL.get(rule, rule)


def canonical_set(rules: list[str]) -> set[str]:
    return {canonical(rule) for rule in rules}
