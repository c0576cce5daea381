"""`manyeyes review` as a user runs it: a real process, the offline panel, exit codes and every format."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write


def manyeyes(*args, cwd: Path, env=None):
    return subprocess.run(
        [sys.executable, "-m", "manyeyes", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_offline_review_finds_the_shell_injection_at_its_line(workspace, vulnerable):
    proc = manyeyes("review", "app.py", "--format", "json", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    shell = [f for f in result["findings"] if "B602" in f["rules"]]
    assert len(shell) == 1
    assert shell[0]["span"]["start_line"] == 5 and shell[0]["cwe"] == ["CWE-78"]
    assert shell[0]["severity"] == "high" and [s["name"] for s in shell[0]["sources"]] == ["bandit"]
    assert shell[0]["sources"][0]["kind"] == "analyzer" and shell[0]["sources"][0]["version"]
    assert {o["state"] for o in result["outcomes"]} == {"done"}
    assert len(result["outcomes"]) == 4


def test_fail_on_sets_the_exit_code(workspace, vulnerable):
    assert manyeyes("review", "app.py", "--fail-on", "high", cwd=workspace).returncode == 1
    assert manyeyes("review", "app.py", "--fail-on", "critical", cwd=workspace).returncode == 0


def test_text_report_and_summary(workspace, vulnerable):
    proc = manyeyes("review", "app.py", "--concerns", "security,tests", cwd=workspace)
    assert "app.py:5:5: high security [B602, CWE-78]" in proc.stdout
    assert "no test refers to function 'run'" in proc.stdout
    assert "4 agent" not in proc.stdout and "2 agent task(s) (2 done)" in proc.stdout


def test_sarif_is_valid_shape_for_code_scanning(workspace, vulnerable):
    proc = manyeyes("review", "app.py", "--format", "sarif", cwd=workspace)
    sarif = json.loads(proc.stdout)
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-schema-2.1.0.json")
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    result = next(r for r in run["results"] if r["ruleId"] == "B602")
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "B602"
    assert result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 5
    assert len(result["partialFingerprints"]["manyeyesFingerprint/v1"]) >= 20
    assert rules["B602"]["properties"]["security-severity"] == "8.0"
    assert run["invocations"][0]["executionSuccessful"] is True
    fingerprints = [r["partialFingerprints"]["manyeyesFingerprint/v1"] for r in run["results"]]
    assert len(fingerprints) == len(set(fingerprints))


def test_markdown_and_output_file(workspace, vulnerable):
    proc = manyeyes("review", "app.py", "--format", "markdown", "--output", "report.md", cwd=workspace)
    assert proc.returncode == 0 and proc.stdout == ""
    text = (workspace / "report.md").read_text()
    assert text.startswith("## manyeyes review") and "| high | `app.py:5` | security |" in text


def test_lines_limits_the_review_to_a_selection(workspace, vulnerable):
    proc = manyeyes("review", "app.py", "--lines", "8-12", "--format", "json", cwd=workspace)
    lines = {f["span"]["start_line"] for f in json.loads(proc.stdout)["findings"]}
    assert lines and all(8 <= line <= 12 for line in lines)


@pytest.mark.parametrize(
    "args, message",
    [
        (["review", "missing.py"], "no such file or directory: missing.py"),
        (["review", "--concerns", "security,style"], "unknown concern 'style'"),
        (["review", "app.py", "--lines", "9-2"], "need 1 <= A <= B"),
        (["review", "--diff"], "not a git repository"),
        (["review", "--diff", "main"], "not a git repository"),
    ],
)
def test_usage_errors_are_one_clear_line_and_exit_2(workspace, vulnerable, args, message):
    proc = manyeyes(*args, cwd=workspace)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_bad_inputs_are_reported_not_crashed(workspace, vulnerable):
    (workspace / "blob.py").write_bytes(b"\x00\x01\x02")
    write(workspace, "empty.py", "")
    write(
        workspace,
        "new_syntax.py",
        "def f[T](x: T) -> T:\n    return eval(x)\n"
        if sys.version_info < (3, 12)
        else "def f(x):\n    return eval(x\n",
    )
    write(workspace, "huge.py", "x = 1\n" * 50_000)
    write(workspace, "pyproject.toml", "[tool.manyeyes\nbroken = ")
    proc = manyeyes("review", ".", "--format", "json", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    assert "pyproject.toml: cannot be read" in proc.stderr and "Traceback" not in proc.stderr
    result = json.loads(proc.stdout)
    reasons = {n["path"]: n["reason"] for n in result["not_reviewed"]}
    assert reasons["blob.py"] == "binary file" and reasons["empty.py"] == "empty file"
    assert reasons["huge.py"].startswith("50,000 lines")
    assert any(f["path"] == "app.py" and "B602" in f["rules"] for f in result["findings"])
    assert any("new_syntax.py" in note for note in result["notes"])


def test_invalid_settings_fall_back_with_a_warning(workspace, vulnerable):
    write(workspace, ".manyeyes.toml", "max_findings_per_file = 'many'\nmodel = 'openai/gpt-4o'\n")
    proc = manyeyes("review", "app.py", "--format", "json", cwd=workspace)
    assert proc.returncode == 0
    assert "invalid value for 'max_findings_per_file'" in proc.stderr
    assert "'model' can only be set in user config" in proc.stderr
    assert all(o["agent"] == "offline" for o in json.loads(proc.stdout)["outcomes"])


def test_dry_run_offline_sends_nothing(workspace, vulnerable):
    proc = manyeyes("review", "app.py", "--dry-run", cwd=workspace)
    assert proc.returncode == 0
    assert "nothing is sent" in proc.stdout and "offline panel" in proc.stdout
    assert "0 model call(s)" in proc.stdout


def git(cwd, *args):
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
            "HOME": str(cwd),
            "PATH": "/usr/bin:/bin",
        },
    )


def test_diff_review_reviews_only_changed_code(workspace):
    old = "import subprocess\n\n\ndef old(cmd):\n    subprocess.call(cmd, shell=True)\n"
    write(workspace, "mod.py", old)
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", ".")
    git(workspace, "commit", "-qm", "base")
    write(workspace, "mod.py", old + "\n\ndef new(cmd):\n    return eval(cmd)\n")
    write(workspace, "fresh.py", "import pickle\n\n\ndef load(b):\n    return pickle.loads(b)\n")
    proc = manyeyes("review", "--diff", "--concerns", "security", "--format", "json", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    found = {(f["path"], f["rules"][0]) for f in json.loads(proc.stdout)["findings"]}
    assert ("mod.py", "B307") in found  # eval in the new function
    assert ("mod.py", "B602") not in found  # the old shell=True is unchanged
    assert ("fresh.py", "B301") in found  # untracked files are changes too
    git(workspace, "add", "mod.py")
    staged = manyeyes("review", "--staged", "--concerns", "security", "--format", "json", cwd=workspace)
    assert {f["path"] for f in json.loads(staged.stdout)["findings"]} == {"mod.py"}
    against = manyeyes("review", "--diff", "nope-ref", cwd=workspace)
    assert against.returncode == 2 and "unknown git ref 'nope-ref'" in against.stderr


def test_bundled_example_reviews(tmp_path):
    example = Path(__file__).resolve().parents[2] / "examples" / "shop"
    # Its own project (the default workspace would be this repository, whose pyproject.toml configures ruff).
    proc = manyeyes("review", ".", "--workspace", ".", "--format", "json", cwd=example)
    result = json.loads(proc.stdout)
    rules = {r for f in result["findings"] for r in f["rules"]}
    assert {"B602", "B608", "B301", "B324", "E722", "PERF401", "test-gap"} <= rules
    assert not any(f["path"].startswith("tests/") and "test-gap" in f["rules"] for f in result["findings"])
