"""The wiring into other people's CI, run for real: the GitHub Action's review step on a temporary repository
(everything but the upload, which needs GitHub), the GitLab job's script, and the pre-commit hook through the real
`pre-commit` tool, which installs it from a copy of this checkout and blocks a commit with a high finding."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import write
from tests.e2e.test_cli_offline import git
from tests.e2e.test_pull_requests import OLD, SCHEMA, commit

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # where the `manyeyes` entry point of the running environment is
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


@pytest.fixture
def pull_request(tmp_path) -> tuple[Path, str]:
    """A repository whose last commit plants a new injection beside an old one; and its base commit."""
    origin = tmp_path / "origin"
    write(origin, "app.py", OLD)
    git(origin, "init", "-q", "-b", "main")
    commit(origin, "base")
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=origin, capture_output=True, text=True).stdout.strip()
    write(origin, "app.py", OLD + "\n\ndef run(expr):\n    return eval(expr)\n")
    commit(origin, "the pull request")
    return origin, base


def ci_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        (tmp_path / name).write_text("")
        env[name] = str(tmp_path / name)
    env.update(RUNNER_TEMP=str(tmp_path), PATH=f"{BIN}:{env['PATH']}", **extra)
    return env


def test_the_action_is_composite_pinned_and_runs_its_script():
    action = yaml.safe_load((PROJECT / "action.yml").read_text())
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    used = [step["uses"] for step in steps if "uses" in step]
    assert used and all(PINNED.match(name) for name in used), used
    assert any("integrations/github/review.sh" in step.get("run", "") for step in steps)
    assert (PROJECT / "integrations" / "github" / "review.sh").is_file()
    assert {"base", "fail-on", "model", "new-only", "upload-sarif"} <= set(action["inputs"])


def test_the_action_reviews_a_shallow_pull_request_checkout(pull_request, tmp_path):
    origin, base = pull_request
    checkout = tmp_path / "checkout"  # as actions/checkout leaves it: one commit, no base
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{origin}", str(checkout))
    env = ci_env(tmp_path, MANYEYES_BASE=base, MANYEYES_FAIL_ON="high", MANYEYES_REVIEW_MODEL="openai/gpt-4o-mini")
    env["GIT_ALLOW_PROTOCOL"] = "file"
    proc = subprocess.run(
        ["bash", str(PROJECT / "integrations" / "github" / "review.sh")],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "fetching the base" in proc.stdout and "reviewing offline: no API key" in proc.stderr
    annotations = [line for line in proc.stdout.splitlines() if line.startswith("::error")]
    assert len(annotations) == 1 and "file=app.py,line=9," in annotations[0] and "B307" in annotations[0]

    outputs = dict(line.split("=", 1) for line in (tmp_path / "GITHUB_OUTPUT").read_text().splitlines())
    assert outputs["exit-code"] == "1"  # a high finding: the action's last step fails the job
    sarif = json.loads(Path(outputs["sarif"]).read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"] if r["level"] == "error"} == {"B307"}
    assert all(r["baselineState"] == "new" for r in sarif["runs"][0]["results"])
    summary = (tmp_path / "GITHUB_STEP_SUMMARY").read_text()
    assert "## manyeyes review" in summary and "already in" in summary


def test_the_gitlab_job_writes_a_code_quality_report(pull_request, tmp_path):
    origin, base = pull_request
    job = yaml.safe_load((PROJECT / "integrations" / "gitlab" / "manyeyes.gitlab-ci.yml").read_text())["manyeyes"]
    script = [line for line in job["script"] if "pip install" not in line]  # manyeyes is installed here
    env = ci_env(tmp_path, CI_MERGE_REQUEST_DIFF_BASE_SHA=base)
    proc = subprocess.run(["bash", "-c", "\n".join(script)], cwd=origin, env=env, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr  # --fail-on high
    report = json.loads((origin / job["artifacts"]["reports"]["codequality"]).read_text())
    assert [(i["check_name"], i["location"]["lines"]["begin"]) for i in report if i["severity"] == "critical"] == [
        ("B307", 9)
    ]


# A request parameter that reaches a shell in an Express handler: only semgrep's taint rules see it.
EXPRESS = """const express = require("express");
const { exec } = require("child_process");
const app = express();
app.get("/ping", (req, res) => {
  exec("ping -c 1 " + req.query.host, (err, out) => res.send(out));
});
"""

@pytest.mark.timeout(600)
def test_the_pre_commit_hook_blocks_a_commit_with_a_high_finding(tmp_path):
    if shutil.which("pre-commit", path=str(BIN)) is None:
        pytest.fail("pre-commit is a test dependency: pip install -e '.[test]'")
    hook_repo = tmp_path / "hook"  # this checkout as it is now, committed: what pre-commit installs
    hook_repo.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml"):
        shutil.copy(PROJECT / name, hook_repo / name)
    shutil.copytree(
        PROJECT / "server", hook_repo / "server", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    git(hook_repo, "init", "-q", "-b", "main")
    commit(hook_repo, "hook")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True).stdout.strip()

    target = tmp_path / "target"
    write(target, "clean.py", "def double(x):\n    return 2 * x\n")
    git(target, "init", "-q", "-b", "main")
    env = {**ci_env(tmp_path), "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "HOME": str(tmp_path)}
    for name, value in (("user.name", "t"), ("user.email", "t@t")):
        git(target, "config", name, value)
    pre_commit = [str(BIN / "pre-commit")]
    tried = subprocess.run(
        [*pre_commit, "try-repo", str(hook_repo), "manyeyes", "--files", "clean.py"],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert tried.returncode == 0, tried.stdout + tried.stderr
    assert re.search(r"manyeyes review \(offline\)\.+Passed", tried.stdout), tried.stdout

    config = {"repos": [{"repo": str(hook_repo), "rev": rev, "hooks": [{"id": "manyeyes"}]}]}
    (target / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    subprocess.run([*pre_commit, "install"], cwd=target, env=env, check=True, capture_output=True)
    git_env = {**env, "PATH": f"{BIN}:/usr/bin:/bin"}
    run_git = lambda *args: subprocess.run(["git", *args], cwd=target, env=git_env, capture_output=True, text=True)  # noqa: E731
    run_git("add", "clean.py", ".pre-commit-config.yaml")
    assert run_git("commit", "-qm", "clean").returncode == 0
    write(target, "app.py", OLD)
    write(target, "server.js", EXPRESS)
    run_git("add", "app.py", "server.js")
    blocked = run_git("commit", "-qm", "an injection")
    assert blocked.returncode != 0
    said = blocked.stdout + blocked.stderr
    assert "app.py:5:5: high security [B602" in said
    # the hook's environment has semgrep: a request parameter reaching a shell in JavaScript is found
    assert "server.js:5:8: high security [js-command-injection" in said and "semgrep is not installed" not in said
    assert run_git("log", "--format=%s").stdout.split() == ["clean"]
