"""`manyeyes review --diff/--staged` in a hostile repository: git runs none of the repository's programs, and the
review still covers exactly the changed files (tests/hostile_repo.py describes the repository)."""

import json
import os
import subprocess
import sys

import pytest

from tests.hostile_repo import build_hostile_repo, marker_script

UNSTAGED = {("mod.py", "B307"), ("proc.py", "B311"), ("fresh.py", "B102")}
STAGED = {("staged.py", "B301")}
COMMITTED = {("later.py", "B324")}


@pytest.fixture
def hostile(tmp_path):
    return build_hostile_repo(tmp_path / "repo", tmp_path / "scratch")


def review(repo, *args: str, env=None):
    """The findings as (path, first rule); the markers are checked first, so a failure names what ran."""
    proc = subprocess.run(
        [sys.executable, "-m", "manyeyes", "review", *args, "--concerns", "security", "--min-severity", "low"]
        + ["--format", "json", "--no-board", "--workspace", str(repo.root)],
        cwd=repo.root,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert repo.fired() == [], "\n".join(repo.fired())
    assert proc.returncode == 0, proc.stderr
    return {(f["path"], f["rules"][0]) for f in json.loads(proc.stdout)["findings"]}


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--diff"], UNSTAGED),
        (["--diff", "HEAD"], UNSTAGED | STAGED),
        (["--staged"], STAGED),
        (["--diff", "<base>"], UNSTAGED | STAGED | COMMITTED),
    ],
    ids=["unstaged", "head", "staged", "base-sha"],
)
def test_a_hostile_repository_runs_nothing_and_is_reviewed(hostile, args, expected):
    found = review(hostile, *[hostile.base if a == "<base>" else a for a in args])
    assert expected <= found
    assert {path for path, _ in found} == {path for path, _ in expected}  # no other file, clean.py included
    assert ("mod.py", "B602") not in found  # the committed shell=True is not a change


def test_inherited_git_variables_neither_redirect_nor_run(hostile, tmp_path):
    """The user's environment is not the repository's, but a stray GIT_DIR or GIT_EXTERNAL_DIFF must not point the
    review at another repository or run a program either."""
    elsewhere = build_hostile_repo(tmp_path / "elsewhere", tmp_path / "scratch-elsewhere")
    env = dict(
        os.environ,
        GIT_DIR=str(elsewhere.root / ".git"),
        GIT_WORK_TREE=str(elsewhere.root),
        GIT_EXTERNAL_DIFF=str(tmp_path / "scratch" / "markers" / "diff.external"),
        GIT_PAGER=str(tmp_path / "scratch" / "markers" / "core.pager"),
        GIT_CONFIG_PARAMETERS=f"'core.fsmonitor'='{tmp_path / 'scratch' / 'markers' / 'core.fsmonitor'}'",
    )
    (elsewhere.root / "fresh.py").unlink()  # were GIT_DIR honoured, this repository's listing would differ
    found = review(hostile, "--diff", env=env)
    assert elsewhere.fired() == []
    assert found >= UNSTAGED


def test_a_filter_driver_with_an_odd_name_is_switched_off_too(hostile, tmp_path):
    """Driver names are matched as git matches them: dots and '=' included (the settings are passed as
    GIT_CONFIG_KEY_n/VALUE_n pairs, which need no quoting)."""
    clean = marker_script(tmp_path / "odd-clean", "filter.odd.name=x.clean", "cat", hostile.marker)
    (hostile.root / ".git" / "info").mkdir(exist_ok=True)
    (hostile.root / ".git" / "info" / "attributes").write_text("mod.py filter=odd.name=x\n")
    with (hostile.root / ".git" / "config").open("a") as config:
        config.write(f'[filter "odd.name=x"]\n\tclean = "{clean}"\n\trequired = true\n')
    assert ("mod.py", "B307") in review(hostile, "--diff")


def test_a_git_in_the_repository_is_never_the_git_run(hostile):
    """An empty PATH entry means the current directory, which is the repository: its `git` must not run."""
    marker_script(hostile.root / "git", "./git", "exit 1", hostile.marker)
    env = dict(os.environ, PATH=os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"))
    assert ("fresh.py", "B102") in review(hostile, "--diff", env=env)
