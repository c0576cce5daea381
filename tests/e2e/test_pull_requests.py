"""manyeyes in a pull request, as CI runs it: only the findings a change adds (`--new-only`, `--baseline`), paths
relative to the repository root from any folder, SARIF that validates against the official schema, GitHub
workflow commands, GitLab's code quality report, and the clear errors git's odd states get."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import anyio
import jsonschema
import pytest
from manyeyes.cache import disk_cache
from manyeyes.devtools.fake_provider import Reply
from manyeyes.engine import ReviewRun
from manyeyes.models import Concern, ReviewKind, ReviewRequest

from tests.conftest import write
from tests.e2e.test_cli_offline import git, manyeyes

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif" / "sarif-schema-2.1.0.json").read_text())
OLD = """\
import subprocess


def build(cmd):
    subprocess.call(cmd, shell=True)
"""


def commit(repo: Path, message: str = "change") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    write(root, "app.py", OLD)
    write(root, "pkg/util.py", "def double(x):\n    return 2 * x\n")
    git(root, "init", "-q", "-b", "main")
    commit(root, "base")
    return root


def findings(proc) -> list[dict]:
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)["findings"]


def security(proc) -> set[tuple[str, str, int]]:
    return {(f["path"], f["rules"][0], f["span"]["start_line"]) for f in findings(proc) if "security" in f["concerns"]}


def test_new_only_reports_the_planted_injection_and_not_the_old_one_beside_it(repo):
    # The old shell=True moves down 10 lines and gets a comment; a new eval is planted beside it.
    moved = OLD.replace("import subprocess\n", "import subprocess\n" + "\n" * 10)
    moved = moved.replace("shell=True)", "shell=True)  # builds the project")
    write(repo, "app.py", moved + "\n\ndef run(expr):\n    return eval(expr)\n")
    every = security(manyeyes("review", "--diff", "HEAD", "--format", "json", cwd=repo))
    assert ("app.py", "B602", 15) in every  # a changed line: a plain --diff review reports it

    proc = manyeyes("review", "--diff", "HEAD", "--new-only", "--format", "json", cwd=repo)
    assert security(proc) == {("app.py", "B307", 19)}
    assert json.loads(proc.stdout)["baseline"]["already_there"] >= 1
    text = manyeyes("review", "--diff", "HEAD", "--new-only", cwd=repo)
    assert re.search(r"\d+ already in HEAD, not shown", text.stdout), text.stdout


def test_a_second_copy_of_an_old_problem_is_new_and_the_one_that_stayed_is_not(repo):
    write(repo, "app.py", OLD + "\n\ndef again(cmd):\n    subprocess.call(cmd, shell=True)\n")
    proc = manyeyes("review", "--staged", "--new-only", "--format", "json", cwd=repo)
    assert security(proc) == set()  # nothing staged yet
    git(repo, "add", "app.py")
    proc = manyeyes("review", "--staged", "--new-only", "--format", "json", cwd=repo)
    assert security(proc) == {("app.py", "B602", 9)}


def test_a_renamed_file_keeps_its_old_findings_old(repo):
    git(repo, "mv", "app.py", "tools.py")
    write(repo, "tools.py", OLD + "\n\ndef load(blob):\n    import pickle\n\n    return pickle.loads(blob)\n")
    commit(repo)
    proc = manyeyes("review", "--diff", "HEAD~1", "--new-only", "--format", "json", cwd=repo)
    # not B602, which moved with the file; nor B403, the import of pickle, which is hidden (the call is the finding)
    assert {rule for _, rule, _ in security(proc)} == {"B301"}


def test_baseline_shows_a_legacy_repository_only_what_is_new(repo):
    git(repo, "tag", "legacy")
    write(repo, "pkg/util.py", "import hashlib\n\n\ndef digest(b):\n    return hashlib.md5(b).hexdigest()\n")
    write(repo, "pkg/fresh.py", "def run(expr):\n    return eval(expr)\n")
    proc = manyeyes("review", ".", "--baseline", "legacy", "--concerns", "security", "--format", "json", cwd=repo)
    assert {(path, rule) for path, rule, _ in security(proc)} == {("pkg/util.py", "B324"), ("pkg/fresh.py", "B307")}
    report = json.loads(proc.stdout)["baseline"]
    assert report["ref"] == "legacy" and report["already_there"] == 1 and report["new_files"] == 1
    assert report["model_answers"] == "none"


def test_new_only_and_baseline_are_refused_where_they_mean_nothing(repo):
    alone = manyeyes("review", "app.py", "--new-only", cwd=repo)
    assert alone.returncode == 2 and "--new-only compares a change with its base" in alone.stderr
    both = manyeyes("review", "--diff", "--baseline", "HEAD", cwd=repo)
    assert both.returncode == 2 and "use --new-only" in both.stderr


def test_diff_from_a_subfolder_covers_the_whole_repository_with_root_relative_paths(repo):
    write(repo, "app.py", OLD + "\n\ndef run(expr):\n    return eval(expr)\n")
    write(repo, "pkg/util.py", "import pickle\n\n\ndef load(b):\n    return pickle.loads(b)\n")
    sub = repo / "pkg"
    everything = security(manyeyes("review", "--diff", "--format", "json", cwd=sub))
    assert ("app.py", "B307", 9) in everything and ("pkg/util.py", "B301", 5) in everything
    narrowed = security(manyeyes("review", ".", "--diff", "--format", "json", cwd=sub))
    assert {path for path, _, _ in narrowed} == {"pkg/util.py"}
    misread = manyeyes("review", "--diff", ".", cwd=sub)
    assert misread.returncode == 2 and "put paths before --diff" in misread.stderr

    sarif = json.loads(manyeyes("review", "--diff", "--format", "sarif", cwd=sub).stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert {"app.py", "pkg/util.py"} <= uris
    github = manyeyes("review", "--diff", "--format", "github", cwd=sub).stdout
    assert "::error file=pkg/util.py,line=5," in github and "::error file=app.py,line=9," in github


def test_a_path_outside_the_repository_is_refused_by_name(repo, tmp_path):
    write(tmp_path, "elsewhere.py", "x = 1\n")
    proc = manyeyes("review", str(tmp_path / "elsewhere.py"), cwd=repo / "pkg")
    assert proc.returncode == 2
    assert f"{tmp_path / 'elsewhere.py'} is outside the workspace {repo}" in proc.stderr


def test_a_symlinked_file_keeps_its_own_relative_name(repo):
    os.symlink("../app.py", repo / "pkg" / "linked.py")
    proc = manyeyes("review", "pkg/linked.py", "--concerns", "security", "--format", "sarif", cwd=repo)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(proc.stdout)["runs"][0]["results"]
    }
    assert uris == {"pkg/linked.py"}


def test_sarif_validates_and_its_fingerprints_survive_code_moving_10_lines(repo):
    first = json.loads(manyeyes("review", "app.py", "--format", "sarif", cwd=repo).stdout)
    write(repo, "app.py", OLD.replace("import subprocess\n", "import subprocess\n" + "# a note\n" * 10))
    moved = json.loads(manyeyes("review", "app.py", "--format", "sarif", "--sarif-category", "pr", cwd=repo).stdout)
    for log in (first, moved):
        jsonschema.Draft4Validator(SCHEMA).validate(log)

    def prints(log):
        return {
            (
                r["ruleId"],
                r["partialFingerprints"]["manyeyesFingerprint/v1"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in log["runs"][0]["results"]
        }

    before, after = prints(first), prints(moved)
    assert {(rule, fp) for rule, fp, _ in before} == {(rule, fp) for rule, fp, _ in after}
    assert {line for rule, _, line in before if rule == "B602"} == {5}
    assert {line for rule, _, line in after if rule == "B602"} == {15}

    run = moved["runs"][0]
    assert first["runs"][0]["automationDetails"] == {"id": "manyeyes/"} and run["automationDetails"] == {"id": "pr/"}
    driver = run["tool"]["driver"]
    assert driver["informationUri"].startswith("https://") and driver["semanticVersion"]
    shell = next(rule for rule in driver["rules"] if rule["id"] == "B602")
    assert shell["help"]["text"] and shell["help"]["markdown"] and shell["helpUri"].startswith("https://")
    assert shell["properties"]["security-severity"] == "8.0"  # high, by the severity policy


def test_github_annotations_are_workflow_commands_that_no_text_can_break_out_of(repo):
    # A finding whose text carries newlines, "::" and commas, as a hostile repository's code could make a title.
    write(repo, "app.py", OLD + "\n\ndef x(a):\n    return eval(a)  # ::add-mask::x,y\n")
    proc = manyeyes("review", "app.py", "--format", "github", "--fail-on", "high", cwd=repo)
    assert proc.returncode == 1
    commands = [line for line in proc.stdout.splitlines() if line.startswith("::")]
    pattern = re.compile(r"^::(error|warning|notice) ((?:[a-zA-Z]+=[^,:]*)(?:,[a-zA-Z]+=[^,:]*)*)::(.*)$")
    parsed = [pattern.match(line) for line in commands]
    assert commands and all(parsed), commands
    props = [dict(p.split("=", 1) for p in m.group(2).split(",")) for m in parsed]
    assert {(p["file"], p["line"]) for p in props} >= {("app.py", "5"), ("app.py", "9")}
    assert any(m.group(1) == "error" and "B602" in props[i]["title"] for i, m in enumerate(parsed))
    assert not any(line.startswith("::add-mask::") for line in proc.stdout.splitlines())


def test_codeclimate_report_for_gitlab(repo):
    proc = manyeyes("review", "app.py", "--format", "codeclimate", cwd=repo)
    issues = json.loads(proc.stdout)
    shell = next(i for i in issues if i["check_name"] == "B602")
    assert shell["severity"] == "critical" and shell["categories"] == ["Security"]
    assert shell["location"] == {"path": "app.py", "lines": {"begin": 5, "end": 5}}
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_one_review_writes_several_reports(repo, tmp_path):
    sarif, summary = tmp_path / "out.sarif", tmp_path / "summary.md"
    proc = manyeyes(
        "review",
        "app.py",
        "--format",
        "github",
        "--report",
        f"sarif={sarif}",
        "--report",
        f"markdown={summary}",
        cwd=repo,
    )
    assert proc.returncode == 0 and "::error file=app.py" in proc.stdout
    jsonschema.Draft4Validator(SCHEMA).validate(json.loads(sarif.read_text()))
    assert "## manyeyes review" in summary.read_text()
    bad = manyeyes("review", "app.py", "--report", "pdf=x.pdf", cwd=repo)
    assert bad.returncode == 2 and "--report takes FORMAT=PATH" in bad.stderr


def test_offline_if_no_key_reviews_offline_and_says_so(repo):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    proc = manyeyes(
        "review",
        "app.py",
        "--model",
        "openai/gpt-4o-mini",
        "--offline-if-no-key",
        "--format",
        "json",
        cwd=repo,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "reviewing offline: no API key for openai/gpt-4o-mini" in proc.stderr
    assert {o["agent"] for o in json.loads(proc.stdout)["outcomes"]} == {"offline"}
    strict = manyeyes("review", "app.py", "--model", "openai/gpt-4o-mini", cwd=repo, env=env)
    assert strict.returncode == 2 and "no API key" in strict.stderr
    forced = manyeyes(
        "review", "app.py", "--model", "openai/gpt-4o-mini", "--offline", "--format", "json", cwd=repo, env=env
    )
    assert forced.returncode == 0 and {o["agent"] for o in json.loads(forced.stdout)["outcomes"]} == {"offline"}


# Git's odd states: each gets a clear message and the exit code the README documents.


def test_a_shallow_clone_without_the_base_says_to_fetch_it(repo, tmp_path):
    write(repo, "app.py", OLD + "\n# two\n")
    commit(repo, "second")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{repo}", str(clone))
    proc = manyeyes("review", "--diff", "HEAD~1", "--new-only", cwd=clone)
    assert proc.returncode == 2
    assert "unknown git ref 'HEAD~1'" in proc.stderr and "shallow clone" in proc.stderr and "fetch" in proc.stderr


def test_detached_head_renames_deletions_binaries_and_submodules(repo, tmp_path):
    inner = tmp_path / "inner"
    write(inner, "lib.py", "x = 1\n")
    git(inner, "init", "-q", "-b", "main")
    commit(inner)
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "vendor/inner")
    commit(repo, "with a submodule")
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    git(repo, "checkout", "-q", "--detach")
    git(repo, "mv", "pkg/util.py", "pkg/maths.py")
    git(repo, "rm", "-q", "app.py")
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0binary")
    write(repo, "pkg/new.py", "def run(expr):\n    return eval(expr)\n")
    commit(repo)
    proc = manyeyes("review", "--diff", base, "--new-only", "--format", "json", cwd=repo)
    result = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    assert {(f["path"], f["rules"][0]) for f in result["findings"] if "security" in f["concerns"]} == {
        ("pkg/new.py", "B307")
    }
    assert {"path": "logo.png", "reason": "binary file"} in result["not_reviewed"]


def test_without_git_a_diff_review_says_so(repo, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(shutil.which("python3") or "/usr/bin/python3", bin_dir / "python3")
    env = {**os.environ, "PATH": str(bin_dir)}
    proc = manyeyes("review", "--diff", cwd=repo, env=env)
    assert proc.returncode == 2 and "no git executable on PATH" in proc.stderr


# With a model: base code is never sent, and the base's model findings come from the answer cache.

COLLECT = """\
import subprocess


def collect(items):
    out = []
    for item in items:
        out = out + [item]
    return out


def legacy_only(flag):
    return not flag
"""
QUADRATIC = {
    "title": "List rebuilt on every iteration",
    "severity": "medium",
    "confidence": 0.9,
    "line": 7,
    "quote": "out = out + [item]",
    "explanation": "out + [item] copies the whole list each time: quadratic.",
}


def test_new_only_with_a_model_sends_no_base_code_and_reads_the_base_from_the_cache(repo, fake, model_settings):
    write(repo, "perf.py", COLLECT)
    commit(repo, "the base, reviewed with the model when it was written")
    fake.script("performance", Reply(findings=[QUADRATIC]))
    settings = model_settings(concerns=[Concern.performance], voting="off", verify_findings=False)
    cache = disk_cache(settings.cache_max_mb)

    def review(request, cache):
        return anyio.run(ReviewRun(request, settings, cache=cache).execute)

    review(ReviewRequest(workspace=repo, paths=[repo / "perf.py"]), cache)
    asked_for_the_base = len(fake.requests)
    assert asked_for_the_base >= 1

    head = COLLECT.split("\n\n\ndef legacy_only")[0].replace("[item]", "[item]  # a copy each time") + "\n"
    write(repo, "perf.py", head)
    change = ReviewRequest(workspace=repo, kind=ReviewKind.diff, diff_base="HEAD", compare_with="HEAD")
    result = review(change, cache)
    sent = fake.requests[asked_for_the_base:]
    assert sent and not any("legacy_only" in json.dumps(body) for body in sent)  # code only the base has
    assert [f for f in result.findings if f.title == QUADRATIC["title"]] == []  # the cache knew the base had it
    assert result.baseline.model_answers == "cached only" and result.baseline.already_there == 1

    uncached = review(change, None)  # no cache: the base is reviewed by the analyzers alone
    assert [f.span.start_line for f in uncached.findings if f.title == QUADRATIC["title"]] == [7]
    assert not any("legacy_only" in json.dumps(body) for body in fake.requests[asked_for_the_base:])
    cache.close()


def test_a_change_too_large_for_the_budget_lists_what_no_model_reviewed(repo, fake, model_settings):
    for index in range(30):
        write(repo, f"mods/m{index}.py", f"def handler_{index}(expr):\n    return eval(expr)\n")
    settings = model_settings(concerns=[Concern.security], voting="off", verify_findings=False, run_token_budget=3000)
    change = ReviewRequest(workspace=repo, kind=ReviewKind.diff)
    result = anyio.run(ReviewRun(change, settings).execute)
    done = [o for o in result.outcomes if o.agent != "offline" and o.state == "done"]
    unreviewed = {n.path for n in result.not_reviewed if n.reason.startswith("not reviewed by a model: run token")}
    assert done and len(done) + len(unreviewed) == 30 and len(unreviewed) >= 20
    assert all("the offline analyzers reviewed it" in n.reason for n in result.not_reviewed if n.path in unreviewed)
    assert len({f.path for f in result.findings if "B307" in f.rules}) == 30  # every file still has its evidence
