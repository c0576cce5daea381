"""A team that teaches its reviewer: dismissals keep their reason, who and when (`manyeyes dismiss`, the editor's
quick action), later reviews give the reasons to the agents, `suppressions list|prune` keep the file honest, and a
change under review cannot dismiss its own findings."""

import json
import re

import anyio
from manyeyes.engine import ReviewRun
from manyeyes.models import ReviewRequest
from manyeyes.synthesis.suppressions import add_suppression, read_suppressions

from tests.conftest import write
from tests.e2e.test_cli_offline import git, manyeyes
from tests.e2e.test_pull_requests import OLD, commit

MD5 = """import hashlib


def cache_name(data):
    return hashlib.md5(data).hexdigest()
"""
REASON = "md5 only names cache files here; nothing secret depends on it"


def offline_findings(workspace, path="app.py"):
    proc = manyeyes("review", path, "--format", "json", cwd=workspace)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)["findings"]


def test_dismiss_records_the_reason_who_and_when_and_hides_the_finding(workspace):
    write(workspace, "app.py", MD5)
    [weak] = [f for f in offline_findings(workspace) if "B324" in f["rules"]]
    proc = manyeyes("dismiss", weak["fingerprint"][:10], "--reason", REASON, "--by", "ana", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"dismissed {weak['fingerprint']} app.py: ")
    [record] = read_suppressions(workspace).records
    assert (record.rule, record.reason, record.by, record.concerns) == ("B324", REASON, "ana", ("security",))
    assert record.dismissed_at and "hashlib.md5(data)" in record.evidence
    assert not [f for f in offline_findings(workspace) if "B324" in f["rules"]]
    again = manyeyes("dismiss", weak["fingerprint"], "--reason", REASON, cwd=workspace)
    assert again.stdout.startswith("already dismissed") and len(read_suppressions(workspace).records) == 1


def test_dismiss_refuses_what_it_cannot_name_and_a_missing_reason(workspace):
    write(workspace, "app.py", MD5)
    unknown = manyeyes("dismiss", "0123456789abcdef", "--reason", REASON, cwd=workspace)
    assert unknown.returncode == 2 and "not found in an offline review" in unknown.stdout
    short = manyeyes("dismiss", "0123456789abcdef", "--reason", " ", cwd=workspace)
    assert short.returncode == 2 and "--reason must say why" in short.stderr
    assert not (workspace / ".manyeyes").exists()


def test_dismiss_finds_a_models_finding_in_a_json_report(workspace):
    write(workspace, "app.py", MD5)
    report = {"findings": [dict(offline_findings(workspace)[0], fingerprint="feedc0ffee0123456789", title="A model's")]}
    (workspace / "review.json").write_text(json.dumps(report))
    proc = manyeyes("dismiss", "feedc0ffee", "--reason", "not a problem", "--report", "review.json", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    assert [r.title for r in read_suppressions(workspace).records] == ["A model's"]


def test_list_and_prune_keep_what_they_cannot_read(workspace):
    app = write(workspace, "app.py", MD5)
    write(workspace, "gone.py", MD5)
    for path in ("app.py", "gone.py"):
        [weak] = [f for f in offline_findings(workspace, path) if "B324" in f["rules"]]
        assert manyeyes("dismiss", weak["fingerprint"], "--reason", REASON, cwd=workspace).returncode == 0
    with (workspace / ".manyeyes" / "suppressions.jsonl").open("a") as handle:
        handle.write("a line someone broke\n")
    (workspace / "gone.py").unlink()
    listed = manyeyes("suppressions", "list", cwd=workspace)
    assert "note: .manyeyes/suppressions.jsonl:3: not a suppression record; skipped" in listed.stdout
    assert listed.stdout.count(REASON) == 2 and "2 dismissal(s) in .manyeyes/suppressions.jsonl" in listed.stdout
    as_json = json.loads(manyeyes("suppressions", "list", "--format", "json", cwd=workspace).stdout.split("\n", 1)[1])
    assert [r["path"] for r in as_json] == ["app.py", "gone.py"]
    dry = manyeyes("suppressions", "prune", "--dry-run", cwd=workspace)
    assert "1 of 2 dismissal(s) would be removed" in dry.stdout and len(read_suppressions(workspace).records) == 2
    app.write_text(MD5.replace("md5", "sha256"))  # the dismissed code is gone from app.py too
    pruned = manyeyes("suppressions", "prune", cwd=workspace)
    assert "2 of 2 dismissal(s) removed" in pruned.stdout
    lines = (workspace / ".manyeyes" / "suppressions.jsonl").read_text().splitlines()
    assert lines == ["a line someone broke"]  # prune removes records, never a line it does not understand


def test_a_dismissal_with_a_reason_reaches_later_reviews_prompts(workspace, fake, model_settings):
    app = write(workspace, "lib/app.py", MD5)
    write(workspace, "lib/other.py", MD5.replace("cache_name", "other_name"))
    write(workspace, "elsewhere/far.py", MD5.replace("cache_name", "far_name"))
    settings = model_settings(voting="off", verify_findings=False, thorough=True)
    first = anyio.run(ReviewRun(ReviewRequest(workspace=workspace, paths=[app]), settings).execute)
    weak = next(f for f in first.findings if "B324" in f.rules)
    add_suppression(workspace, weak, REASON, by="ana")
    silent = next(f for f in first.findings if "B324" not in f.rules)
    add_suppression(workspace, silent)  # no reason: hides the finding, teaches nothing
    fake.requests.clear()
    paths = [workspace / "lib", workspace / "elsewhere"]
    anyio.run(ReviewRun(ReviewRequest(workspace=workspace, paths=paths), settings).execute)
    prompts = {
        re.search(r'File: "([^"]+)"', r["messages"][1]["content"]).group(1): r["messages"][1]["content"]
        for r in fake.requests_for("security")
    }
    taught = 'B324 in "lib/app.py": "' + weak.title
    assert taught in prompts["lib/app.py"] and REASON in prompts["lib/app.py"]
    assert taught in prompts["lib/other.py"]  # the same folder: the same reason likely holds
    assert REASON not in prompts["elsewhere/far.py"]
    assert "Findings this team dismissed before" in prompts["lib/app.py"]
    assert silent.title not in prompts["lib/app.py"]
    for concern in ("performance", "readability", "tests"):  # a security dismissal teaches the security agent
        assert all(REASON not in r["messages"][1]["content"] for r in fake.requests_for(concern))
    fake.requests.clear()
    untrusted = ReviewRequest(workspace=workspace, paths=paths, trusted=False)
    anyio.run(ReviewRun(untrusted, settings).execute)
    assert fake.requests and all(REASON not in json.dumps(r) for r in fake.requests)


def test_a_change_cannot_dismiss_its_own_findings(tmp_path):
    repo = tmp_path / "repo"
    write(repo, "app.py", OLD)
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "base")
    [old] = [f for f in offline_findings(repo) if "B602" in f["rules"]]
    assert manyeyes("dismiss", old["fingerprint"], "--reason", "a build script", cwd=repo).returncode == 0
    commit(repo, "the team dismisses the old shell call")
    git(repo, "checkout", "-q", "-b", "feature")
    write(
        repo,
        "app.py",
        OLD + "\n\ndef run(cmd):\n    eval(cmd)\n\n\ndef call(cmd):\n    exec(cmd)  # manyeyes: ignore\n",
    )
    [planted] = [f for f in offline_findings(repo) if f["span"]["start_line"] == 9 and "security" in f["concerns"]]
    assert manyeyes("dismiss", planted["fingerprint"], "--reason", "trust me", cwd=repo).returncode == 0
    commit(repo, "plant eval and exec, and dismiss them")

    proc = manyeyes("review", "--diff", "main", "--format", "json", cwd=repo)
    report = json.loads(proc.stdout)
    lines = {f["span"]["start_line"]: f for f in report["findings"] if "security" in f["concerns"]}
    assert 5 not in lines  # dismissed in main: the team's decision holds
    assert any("dismissed by this change" in note and "(trust me)" in note for note in lines[9]["notes"])
    assert any("comment this change adds silences it" in note for note in lines[13]["notes"])
    assert report["dismissed_by_change"] == 2
    assert any(
        n.startswith("this change dismisses 1 finding(s) in .manyeyes/suppressions.jsonl") for n in report["notes"]
    )
    text = manyeyes("review", "--diff", "main", cwd=repo).stdout
    assert "2 dismissal(s) added by this change, not honoured" in text
    plain = json.loads(manyeyes("review", "--format", "json", cwd=repo).stdout)  # a files review: the team's word
    assert not [f for f in plain["findings"] if f["span"]["start_line"] in (9, 13) and "security" in f["concerns"]]
