import time

from manyeyes.models import Concern, Finding, Fix, Severity, Source, Span
from manyeyes.synthesis import policy
from manyeyes.synthesis.fingerprint import fingerprint
from manyeyes.synthesis.merge import consolidate, select


def make_source(label: str) -> Source:
    kind, _, name = label.rpartition(":")
    return Source(kind="model" if kind else "analyzer", name=name)


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
    columns=(1, 0),
):
    fix = None
    if fix_lines:
        fix = Fix(
            span=Span(start_line=fix_lines[0], end_line=fix_lines[1]), replacement="pass", source=make_source(source)
        )
    return Finding(
        path=path,
        concerns=[concern],
        severity=severity,
        confidence=confidence,
        title=title,
        span=Span(start_line=line, start_col=columns[0], end_line=line, end_col=columns[1]),
        evidence=evidence or f"code line {line}",
        cwe=list(cwe),
        rules=list(rules),
        sources=[make_source(source)],
        fix=fix,
    )


def run(findings, **kwargs):
    kwargs.setdefault("min_severity", Severity.info)
    kwargs.setdefault("max_per_file", 50)
    return select(consolidate(findings), **kwargs)


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
    assert {s.label for s in merged[0].sources} == {"bandit", "model:x"}
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


def test_two_problems_on_one_line_stay_two_with_their_own_fixes():
    shell = finding(5, "shell", rules=["B602"], cwe=["CWE-78"], severity=Severity.high, columns=(5, 37))
    md5 = finding(5, "md5", rules=["B324"], cwe=["CWE-327"], columns=(46, 64))
    context = finding(
        9, "Use a context manager", concern=Concern.readability, rules=["SIM115"], columns=(9, 20), source="ruff"
    )
    context.fix = Fix(
        span=Span(start_line=9, start_col=9, end_line=9, end_col=20),
        replacement="with",
        description="Use with",
        source=make_source("ruff"),
    )
    not_in = finding(
        9, "Test for membership", concern=Concern.readability, rules=["E713"], columns=(30, 44), source="ruff"
    )
    not_in.fix = Fix(
        span=Span(start_line=9, start_col=30, end_line=9, end_col=44),
        replacement="x not in y",
        description="Convert to not in",
        source=make_source("ruff"),
    )
    result = run([shell, md5, context, not_in]).findings
    assert sorted(f.rules[0] for f in result) == ["B324", "B602", "E713", "SIM115"]
    fixes = {f.rules[0]: f.fix.description for f in result if f.fix}
    assert fixes == {"SIM115": "Use with", "E713": "Convert to not in"}


def test_the_same_problem_from_bandit_and_ruff_is_one_finding_with_both_sources():
    bandit = finding(
        4, "Try, Except, Pass detected.", rules=["B110"], cwe=["CWE-703"], severity=Severity.low, confidence=0.9
    )
    ruff = finding(
        4, "Use contextlib.suppress", concern=Concern.readability, rules=["SIM105"], source="ruff", confidence=0.9
    )
    (merged,) = run([bandit, ruff]).findings
    assert {s.label for s in merged.sources} == {"bandit", "ruff"} and set(merged.rules) == {"B110", "SIM105"}
    assert merged.confidence == 0.99 and any(n.startswith("also raised by: ") for n in merged.notes)


def test_one_tool_reporting_twice_is_not_agreement():
    first = finding(7, "'f' is hard to follow", rules=["radon-cc-D"], source="radon", confidence=0.8)
    second = finding(7, "'A.f' is hard to follow", rules=["radon-cc-D"], source="radon", confidence=0.8)
    (merged,) = run([first, second]).findings
    assert merged.confidence == 0.8 and not any(n.startswith("also raised by") for n in merged.notes)


def test_shell_injection_ranks_above_complexity_and_tools_are_put_on_one_scale():
    complexity = finding(
        1,
        "'handler' is hard to follow",
        concern=Concern.readability,
        rules=["radon-cc-F"],
        severity=Severity.high,
        source="radon",
        confidence=0.8,
    )
    shell = finding(30, "subprocess call with shell=True", rules=["B602"], severity=Severity.high, confidence=0.9)
    unpickle = finding(40, "Pickle can be unsafe", rules=["B301"], severity=Severity.medium, confidence=0.9)
    sql = finding(50, "Possible SQL injection", rules=["B608"], severity=Severity.medium, confidence=0.4)
    literal = finding(60, "shell=True seems safe", rules=["B602"], severity=Severity.low, confidence=0.9)
    ranked = run(policy.grade([complexity, shell, unpickle, sql, literal])).findings
    assert [f.rules[0] for f in ranked] == ["B602", "B301", "B608", "radon-cc-F", "B602"]
    assert [f.severity for f in ranked] == [Severity.high] * 3 + [Severity.medium, Severity.low]
    assert ranked[2].confidence == 0.85  # SQL injection: the rule's reliability, not bandit's "LOW"


def test_production_only_rules_are_dropped_in_tests():
    kept = policy.grade(
        [
            finding(3, "assert", rules=["B101"], path="tests/test_a.py"),
            finding(4, "Possible hardcoded password", rules=["B106"], path="tests/test_a.py"),
            finding(5, "shell", rules=["B602"], severity=Severity.high, path="tests/test_a.py"),
        ]
    )
    assert [f.rules[0] for f in kept] == ["B602"]


def test_a_model_finding_without_ids_joins_the_analyzer_finding_it_quotes():
    bandit = finding(
        5,
        "subprocess call with shell=True identified",
        rules=["B602"],
        cwe=["CWE-78"],
        severity=Severity.high,
        confidence=0.9,
    )
    model = finding(5, "User input reaches a shell", severity=Severity.critical, confidence=0.7, source="model:m")
    (merged,) = run([bandit, model]).findings
    assert {s.label for s in merged.sources} == {"bandit", "model:m"} and merged.severity is Severity.critical


def test_min_confidence_filters():
    result = run(
        [finding(1, "a", rules=["A"], confidence=0.3), finding(9, "b", rules=["B"], confidence=0.8)], min_confidence=0.5
    )
    assert [f.title for f in result.findings] == ["b"]


def test_synthesis_is_linear_on_a_file_with_every_line_flagged():
    gaps = [
        finding(i, f"no test refers to function 'f{i}'", concern=Concern.tests, rules=["test-gap"], source="test-gap")
        for i in range(1, 50_001, 4)
    ]
    style = [
        finding(i, "Unused variable", concern=Concern.readability, rules=["F841"], source="ruff")
        for i in range(3, 50_001, 4)
    ]
    started = time.monotonic()
    merged = consolidate(gaps + style)
    assert len(merged) == len(gaps) + len(style)
    assert time.monotonic() - started < 30  # quadratic merging took 65 s for the test-gap half alone


def test_a_cancelled_synthesis_stops_inside_one_large_file():
    from manyeyes.synthesis.merge import SynthesisStopped

    calls = []

    def checkpoint():
        calls.append(1)
        if len(calls) > 2:
            raise SynthesisStopped

    gaps = [
        finding(i, f"gap {i}", concern=Concern.tests, rules=["test-gap"], source="test-gap") for i in range(1, 20_001)
    ]
    started = time.monotonic()
    try:
        consolidate(gaps, checkpoint)
    except SynthesisStopped:
        pass
    else:
        raise AssertionError("synthesis did not stop")
    assert len(calls) == 3 and time.monotonic() - started < 30
