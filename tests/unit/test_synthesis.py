from manyeyes.models import Concern, Finding, Fix, Severity, Span
from manyeyes.synthesis.fingerprint import fingerprint
from manyeyes.synthesis.merge import synthesize


def finding(
    line,
    title,
    *,
    concern=Concern.security,
    severity=Severity.medium,
    confidence=0.5,
    source="bandit",
    cwe=(),
    rules=(),
    evidence=None,
    fix_lines=None,
    path="a.py",
):
    fix = None
    if fix_lines:
        fix = Fix(span=Span(start_line=fix_lines[0], end_line=fix_lines[1]), replacement="pass")
    return Finding(
        path=path,
        concerns=[concern],
        severity=severity,
        confidence=confidence,
        title=title,
        span=Span(start_line=line, end_line=line),
        evidence=evidence or f"code line {line}",
        cwe=list(cwe),
        rules=list(rules),
        sources=[source],
        fix=fix,
    )


def run(findings, **kwargs):
    kwargs.setdefault("min_severity", Severity.info)
    kwargs.setdefault("max_per_file", 50)
    return synthesize(findings, **kwargs)


def test_same_cwe_on_overlapping_code_merges_and_keeps_all_sources():
    merged = run(
        [
            finding(3, "SQL injection", cwe=["CWE-89"], confidence=0.6, source="bandit"),
            finding(
                3,
                "Query built from user input",
                cwe=["CWE-89"],
                severity=Severity.high,
                confidence=0.8,
                source="model:x",
            ),
        ]
    ).findings
    assert len(merged) == 1
    assert merged[0].severity is Severity.high and merged[0].title == "Query built from user input"
    assert set(merged[0].sources) == {"bandit", "model:x"}
    assert merged[0].confidence == 0.92  # 1 - 0.4 * 0.2: agreement raises confidence


def test_different_problems_on_different_lines_stay_apart():
    assert len(run([finding(3, "SQL injection"), finding(9, "Weak hash")]).findings) == 2


def test_cross_concern_duplicate_merges_by_rule():
    merged = run(
        [
            finding(5, "Bare except", concern=Concern.readability, rules=["E722"]),
            finding(5, "Swallowed exception", concern=Concern.security, rules=["E722"]),
        ]
    ).findings
    assert len(merged) == 1 and set(merged[0].concerns) == {Concern.readability, Concern.security}


def test_ranking_is_severity_then_confidence():
    titles = [
        f.title
        for f in run(
            [
                finding(1, "low sure", severity=Severity.low, confidence=0.99),
                finding(10, "high unsure", severity=Severity.high, confidence=0.3),
                finding(20, "high sure", severity=Severity.high, confidence=0.9),
            ]
        ).findings
    ]
    assert titles == ["high sure", "high unsure", "low sure"]


def test_overlapping_fixes_keep_only_the_higher_ranked():
    result = run(
        [
            finding(3, "first", severity=Severity.high, fix_lines=(3, 4), rules=["A1"]),
            finding(
                4,
                "second",
                severity=Severity.low,
                fix_lines=(4, 5),
                concern=Concern.performance,
                rules=["B1"],
            ),
        ]
    ).findings
    assert result[0].fix is not None and result[1].fix is None
    assert "fix withheld" in result[1].notes[0]


def test_cap_per_file_counts_what_it_left_out():
    findings = [finding(i * 10 + 1, f"issue {i}", rules=[f"R{i}"]) for i in range(5)]
    result = run(findings, max_per_file=2)
    assert len(result.findings) == 2 and result.omitted == {"a.py": 3}


def test_min_severity_filters():
    result = run(
        [
            finding(1, "a", severity=Severity.low, rules=["A"]),
            finding(9, "b", severity=Severity.high, rules=["B"]),
        ],
        min_severity=Severity.medium,
    )
    assert [f.title for f in result.findings] == ["b"]


def test_fingerprint_survives_moves_and_reindenting_but_not_code_changes():
    base = finding(3, "Shell injection", evidence="os.system(cmd)", rules=["B605"])
    moved = finding(40, "Shell injection, rephrased", evidence="        os.system(cmd)", rules=["B605"])
    changed = finding(3, "Shell injection", evidence="os.system(safe)", rules=["B605"])
    assert fingerprint(base) == fingerprint(moved)
    assert fingerprint(base) != fingerprint(changed)


def test_dismissed_fingerprints_are_suppressed():
    first = run([finding(3, "x", rules=["R"], evidence="eval(x)")]).findings[0]
    result = run([finding(30, "x moved", rules=["R"], evidence="  eval(x)")], suppressed={first.fingerprint})
    assert result.findings == [] and result.suppressed == 1
