"""Quick fixes a model wrote in a review are checked before they are offered: spliced into a scratch copy they must
parse and lint no worse; a failing one gets one repair call, and is withdrawn (the finding kept, with the reason)
if the repair fails too. Tools' fixes are left as they are. Model reviews run against the fake provider."""

import json
import time

import anyio
from manyeyes.cache import LruCache
from manyeyes.config import Settings, load_settings
from manyeyes.devtools.fake_provider import Reply
from manyeyes.engine import ReviewRun
from manyeyes.lsp.convert import hover_markdown
from manyeyes.models import Concern, Finding, Fix, ReviewRequest, Severity, Source, Span
from manyeyes.plan.documents import Document
from manyeyes.report import render
from manyeyes.rewrite.fixes import FixChecker
from manyeyes.rewrite.gate import verify_rewrite

from tests.conftest import FAKE_KEY_ENV, write

TOTAL = """
def total(values):
    result = 0
    for value in values:
        result += value
    return result
"""
BROKEN = "    result = (0"  # does not parse
GOOD = "    result: int = 0"
UNDEFINED = "    result = start_value"  # F821: an undefined name, a new ruff finding


def finding(replacement: str, quote: str = "    result = 0", line: int = 2) -> dict:
    return {
        "title": "Accumulator has no type",
        "severity": "low",
        "confidence": 0.8,
        "line": line,
        "quote": quote,
        "explanation": "Say what result holds.",
        "fix": {"replacement": replacement, "description": "annotate the accumulator"},
    }


def repair(code: str) -> Reply:
    return Reply(content=json.dumps({"code": code, "summary": "repaired"}))


def review(workspace, settings, path="app.py", cache=None, phases=None):
    run = ReviewRun(ReviewRequest(workspace=workspace, paths=[workspace / path]), settings, cache=cache)
    if phases is not None:
        run.on_phase(phases.append)
    return anyio.run(run.execute)


def settings_for(model_settings) -> Settings:
    return model_settings(thorough=True, verify_findings=False)


def titled(result, title="Accumulator has no type") -> Finding:
    return next(f for f in result.findings if f.title == title)


def test_a_fix_that_does_not_parse_is_repaired_once_and_offered_checked(workspace, fake, model_settings):
    write(workspace, "app.py", TOTAL)
    fake.script("readability", Reply(findings=[finding(BROKEN)]))
    fake.script("repair", repair(GOOD))
    phases = []
    result = review(workspace, settings_for(model_settings), phases=phases)
    fix = titled(result).fix
    assert fix is not None and fix.replacement == GOOD and fix.by_model
    assert (fix.checked, fix.check_note) == (True, "parses, lints no worse, after one repair")
    assert fix.span == Span(start_line=2, end_line=2)
    [request] = fake.requests_for("repair")  # one repair call, with the reason and the rejected replacement
    sent = request["messages"][1]["content"]
    assert "it does not parse (line 2:" in sent and BROKEN in sent and "Accumulator has no type" in sent
    assert "checking 1 fix(es)" in phases
    check = result.fix_checks
    assert (check.checked, check.passed, check.repaired, check.withdrawn) == (1, 1, 1, 0)
    assert check.prompt_tokens > 0 and check.completion_tokens > 0  # the repair call's tokens are counted ...
    agents = sum(o.prompt_tokens for o in result.outcomes)
    assert result.totals()[0] == agents + check.prompt_tokens  # ... in the review's totals
    shown = json.loads(render(result, "json"))["findings"]
    fixed = next(f for f in shown if f["title"] == "Accumulator has no type")["fix"]
    assert (fixed["checked"], fixed["check_note"]) == (True, "parses, lints no worse, after one repair")
    assert "fix checked: parses, lints no worse" in render(result, "text")
    sarif = json.loads(render(result, "sarif"))["runs"][0]["results"]
    assert {"check": "fix checked: parses, lints no worse, after one repair"} in [
        fix.get("properties") for r in sarif for fix in r.get("fixes", [])
    ]


def test_a_fix_still_broken_after_the_repair_is_withdrawn_and_the_finding_kept(workspace, fake, model_settings):
    write(workspace, "app.py", TOTAL)
    fake.script("readability", Reply(findings=[finding(BROKEN)]))
    fake.script("repair", repair("    result = [0"))
    result = review(workspace, settings_for(model_settings))
    kept = titled(result)
    assert kept.fix is None
    [note] = [n for n in kept.notes if n.startswith("fix withdrawn:")]
    assert "does not parse" in note and note.endswith("after one repair")
    assert len(fake.requests_for("repair")) == 1  # one repair, never a second
    assert (result.fix_checks.withdrawn, result.fix_checks.passed) == (1, 0)


def test_a_failed_repair_call_withdraws_the_fix_and_says_why(workspace, fake, model_settings):
    write(workspace, "app.py", TOTAL)
    fake.script("readability", Reply(findings=[finding(BROKEN)]))
    fake.script("repair", Reply(content="I would rather not."))
    result = review(workspace, settings_for(model_settings))
    kept = titled(result)
    assert kept.fix is None
    assert any(n.startswith("fix withdrawn: it does not parse") and "the repair failed" in n for n in kept.notes)
    assert result.fix_checks.errors  # the failed call is listed


def test_a_fix_that_adds_a_lint_error_is_not_offered(workspace, fake, model_settings):
    write(workspace, "app.py", TOTAL)
    fake.script("readability", Reply(findings=[finding(UNDEFINED)]))
    fake.script("repair", repair(UNDEFINED))  # the repair does not help
    result = review(workspace, settings_for(model_settings))
    kept = titled(result)
    assert kept.fix is None
    assert any(n.startswith("fix withdrawn: it lints worse") and "F821" in n for n in kept.notes)
    assert "lints worse" in fake.requests_for("repair")[0]["messages"][1]["content"]


def test_a_good_fix_passes_without_a_repair_call(workspace, fake, model_settings):
    write(workspace, "app.py", TOTAL)
    fake.script("readability", Reply(findings=[finding(GOOD)]))
    result = review(workspace, settings_for(model_settings))
    fix = titled(result).fix
    assert (fix.replacement, fix.checked, fix.check_note) == (GOOD, True, "parses, lints no worse")
    assert fake.requests_for("repair") == []
    assert result.fix_checks.passed == 1 and result.fix_checks.prompt_tokens == 0
    assert "fix checked: parses, lints no worse" in hover_markdown(titled(result))


def test_fixes_of_a_cached_answer_are_checked_too_and_the_repair_is_cached(workspace, fake, model_settings):
    write(workspace, "app.py", TOTAL)
    fake.script("readability", Reply(findings=[finding(BROKEN)]))
    fake.script("repair", repair(GOOD))
    cache = LruCache()
    settings = settings_for(model_settings)
    first = review(workspace, settings, cache=cache)
    asked = len(fake.requests)
    again = review(workspace, settings, cache=cache)
    assert len(fake.requests) == asked  # the answers and the repair came from the cache
    assert any(o.cached for o in again.outcomes)
    for result in (first, again):
        fix = titled(result).fix
        assert (fix.replacement, fix.checked) == (GOOD, True)
    assert again.fix_checks.checked == 1 and again.fix_checks.prompt_tokens == 0


def test_a_fix_in_a_language_without_a_parser_is_offered_marked_not_checked(workspace, fake, model_settings):
    write(workspace, "app.swift", "func total(values: [Int]) -> Int {\n  var result = 0\n  return result\n}\n")
    nit = finding("  var result = (0", quote="  var result = 0")  # broken, but nothing here can tell
    fake.script("readability", Reply(findings=[nit]))
    result = review(workspace, settings_for(model_settings), path="app.swift")
    fix = titled(result).fix
    assert (fix.checked, fix.check_note) == (False, "no parser for swift")
    assert fix.check_label == "fix not checked (no parser for swift)"
    assert "fix not checked (no parser for swift)" in hover_markdown(titled(result))
    assert fake.requests_for("repair") == [] and result.fix_checks.unchecked == 1


def test_a_javascript_fix_that_does_not_parse_is_repaired_by_its_grammar(workspace, fake, model_settings):
    write(workspace, "app.js", "function total(values) {\n  let result = 0;\n  return result;\n}\n")
    fake.script("readability", Reply(findings=[finding("  let result = (0;", quote="  let result = 0;")]))
    fake.script("repair", repair("  const result = 0;"))
    result = review(workspace, settings_for(model_settings), path="app.js")
    fix = titled(result).fix
    assert (fix.replacement, fix.checked, fix.check_note) == ("  const result = 0;", True, "parses, after one repair")
    [request] = fake.requests_for("repair")
    assert "it does not parse (line 2: syntax error)" in request["messages"][1]["content"]


DOCUMENT = Document(path="a.py", text="import os\n\n\ndef f():\n    return 1\n", language="python")


def hand_made(kind: str, replacement: str) -> Finding:
    source = Source(kind=kind, name="ruff" if kind == "analyzer" else "openai/fake-model")
    span = Span(start_line=5, end_line=5)
    return Finding(
        path="a.py",
        concerns=[Concern.readability],
        severity=Severity.low,
        confidence=0.9,
        title=f"{kind} fix",
        span=span,
        fix=Fix(span=span, replacement=replacement, description="d", source=source),
        sources=[source],
    )


def test_analyzer_fixes_are_left_as_their_tool_wrote_them():
    broken = "    return (1"
    checker = FixChecker(Settings(), client=lambda: None)
    findings = [hand_made("analyzer", broken), hand_made("model", broken)]
    checked, report = anyio.run(lambda: checker.check(findings, {"a.py": DOCUMENT}, repairs=False))
    tool, model = checked
    assert tool is findings[0] and tool.fix.replacement == broken and tool.fix.checked is None
    [note] = model.notes
    assert model.fix is None and note.startswith("fix withdrawn: it does not parse (line 5:")
    assert note.endswith("(not repaired: the review was cancelled)")
    assert (report.checked, report.withdrawn) == (1, 1)


def test_in_a_review_only_the_model_fix_is_checked(workspace, fake, model_settings):
    write(workspace, "app.py", TOTAL + "\n\ndef empty(value):\n    return value == None\n")
    fake.script("readability", Reply(findings=[finding(GOOD)]))
    result = review(workspace, settings_for(model_settings))
    tool = next(f for f in result.findings if "E711" in f.rules)
    assert tool.fix is not None and tool.fix.source.name == "ruff" and tool.fix.checked is None
    assert titled(result).fix.checked is True and result.fix_checks.checked == 1


# verify_fixes_with_tests: the related test file runs on a scratch copy, in a trusted workspace, when the user asks.

TEST_APP = """
from app import total


def test_total():
    assert total([1, 2]) == 3
"""
OFF_BY_ONE = "    result = 1"  # parses, lints the same, and breaks the test
SLOW = '    result = __import__("time").sleep(60) or 0'  # parses, lints the same, and hangs the test


def with_tests(workspace, tmp_path):
    """A workspace whose module has a related test file, whose conftest leaves a marker (with the environment's
    variable names) wherever the tests run."""
    write(workspace, "app.py", TOTAL)
    write(workspace, "tests/test_app.py", TEST_APP)
    marker = tmp_path / "tests-ran"
    write(
        workspace,
        "tests/conftest.py",
        f"import os\n\nwith open({str(marker)!r}, 'a') as out:\n    out.write(' '.join(sorted(os.environ)) + '\\n')\n",
    )
    return marker


def test_a_fix_its_related_tests_fail_with_is_not_offered(workspace, tmp_path, fake, model_settings):
    marker = with_tests(workspace, tmp_path)
    fake.script("readability", Reply(findings=[finding(OFF_BY_ONE)]))
    result = review(workspace, model_settings(thorough=True, verify_findings=False, verify_fixes_with_tests=True))
    kept = titled(result)
    assert kept.fix is None and fake.requests_for("repair") == []  # parse and lint passed: nothing to repair
    [note] = [n for n in kept.notes if n.startswith("fix withdrawn:")]
    assert note.startswith("fix withdrawn: tests/test_app.py fails (") and note.endswith("with it")
    assert len(marker.read_text().splitlines()) == 2  # once without the fix (it passed), once with it
    assert (workspace / "app.py").read_text() == TOTAL.lstrip("\n")  # the user's tree is not touched


def test_a_fix_its_related_tests_pass_with_is_offered_and_says_so(
    workspace, tmp_path, fake, model_settings, monkeypatch
):
    marker = with_tests(workspace, tmp_path)
    monkeypatch.setenv("MANYEYES_TEST_DEPLOY_TOKEN", "tok-123")
    fake.script("readability", Reply(findings=[finding(GOOD)]))
    result = review(workspace, model_settings(thorough=True, verify_findings=False, verify_fixes_with_tests=True))
    fix = titled(result).fix
    assert fix.check_note == "parses, lints no worse, tests/test_app.py passes" and result.fix_checks.tested == 1
    names = set(marker.read_text().split())
    assert names and "PATH" in names  # the tests ran, without keys, tokens or the model's key variable
    assert "MANYEYES_TEST_DEPLOY_TOKEN" not in names and FAKE_KEY_ENV not in names


def test_a_fix_that_hangs_its_tests_times_out_and_is_not_offered(
    workspace, tmp_path, fake, model_settings, monkeypatch
):
    monkeypatch.setattr("manyeyes.rewrite.gate.TEST_TIMEOUT_S", 3.0)
    with_tests(workspace, tmp_path)
    fake.script("readability", Reply(findings=[finding(SLOW)]))
    started = time.monotonic()
    result = review(workspace, model_settings(thorough=True, verify_findings=False, verify_fixes_with_tests=True))
    assert time.monotonic() - started < 30
    kept = titled(result)
    assert kept.fix is None
    assert "fix withdrawn: tests/test_app.py timed out after 3s with it" in kept.notes


def test_no_test_runs_with_the_setting_off_or_in_an_untrusted_workspace(workspace, tmp_path, fake, model_settings):
    marker = with_tests(workspace, tmp_path)
    fake.script("readability", Reply(findings=[finding(OFF_BY_ONE)]))
    off = review(workspace, model_settings(thorough=True, verify_findings=False))
    request = ReviewRequest(workspace=workspace, paths=[workspace / "app.py"], trusted=False)
    settings = model_settings(thorough=True, verify_findings=False, verify_fixes_with_tests=True)
    untrusted = anyio.run(ReviewRun(request, settings).execute)
    assert not marker.exists()
    for result in (off, untrusted):  # checked as always, the tests aside: offered
        fix = titled(result).fix
        assert (fix.replacement, fix.check_note) == (OFF_BY_ONE, "parses, lints no worse")


def test_a_project_cannot_turn_test_runs_on(workspace, tmp_path):
    write(workspace, ".manyeyes.toml", "verify_fixes_with_tests = true\n")
    loaded = load_settings(workspace, user_config=tmp_path / "none.toml")
    assert loaded.settings.verify_fixes_with_tests is False
    assert any("can only be set in user config" in w for w in loaded.warnings)


def test_what_no_parser_can_judge_is_unchecked_and_markers_are_never_written_back():
    broken = Document(path="b.py", text="def f(:\n    return 1\n", language="python")
    verdict = verify_rewrite(broken, 2, 2, "    return (2")
    assert verdict.ok and verdict.unchecked == "the file does not parse without the change either"
    verdict = verify_rewrite(DOCUMENT, 5, 5, "    return '<U+200B>'")
    assert not verdict.ok and "invisible character written out" in verdict.problem
    assert verify_rewrite(DOCUMENT, 5, 5, "    return 2").note == "parses, lints no worse"
    go = Document(path="a.go", text="package a\n", language="go")
    assert verify_rewrite(go, 1, 1, "package b").note == "parses"  # tree-sitter's Go grammar
    assert not verify_rewrite(go, 1, 1, "package (").ok
    tsx = Document(path="v.tsx", text="const v = <div>{x}</div>;\n", language="typescript")
    assert verify_rewrite(tsx, 1, 1, "const v = <span>{x}</span>;").note == "parses"  # the TSX grammar
    swift = Document(path="a.swift", text="import Foundation\n", language="swift")
    assert verify_rewrite(swift, 1, 1, "import Darwin").unchecked == "no parser for swift"
    kotlin = Document(path="a.kt", text="package a\n", language="kotlin")
    assert verify_rewrite(kotlin, 1, 1, "package b").note == "parses"  # tree-sitter's Kotlin grammar
    assert not verify_rewrite(kotlin, 1, 1, "package (").ok
