"""The answer cache on disk: shared by CLI runs (and the language server), bounded, safe with two processes, and
never a reason for a review to fail. MANYEYES_CACHE_DIR is a fresh directory per test (tests/conftest.py)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from manyeyes.agents.model import CachedAnswer
from manyeyes.agents.parsing import parse_reply
from manyeyes.cache import CACHE_FILE, MB, LayeredCache, LruCache, cache_dir, disk_cache
from manyeyes.cache_disk import DiskCache
from manyeyes.devtools.fake_provider import FakeProvider, Reply
from manyeyes.engine import ReviewRun
from manyeyes.models import ReviewRequest
from manyeyes.consensus.verification import verdicts_from_json, verify_findings

from tests.conftest import FAKE_KEY_ENV, write
from tests.unit.test_verification import DOCUMENT, Scripted, model_finding

CODE = """import subprocess


def run(user_input):
    subprocess.call("ls " + user_input, shell=True)
    return [x for x in range(3)]
"""
UNBACKED = {  # no analyzer backs it: it is verified, so the verifier's answer is cached too
    "title": "user_input is never validated",
    "severity": "medium",
    "confidence": 0.9,
    "line": 4,
    "quote": "def run(user_input):",
}
TITLE = UNBACKED["title"]
CONFIRMED = Reply(content=json.dumps({"verdicts": [{"id": "f1", "verdict": "confirmed", "reason": "no test"}]}))


@pytest.fixture
def scripted(fake):
    fake.script("security", Reply(findings=[UNBACKED]))
    fake.script("verify", CONFIRMED)
    return fake


@pytest.fixture
def app(workspace):
    return write(workspace, "app.py", CODE)


def cli(workspace: Path, fake: FakeProvider, *extra: str) -> tuple[int, dict]:
    """`manyeyes review app.py` in its own process, as a user runs it; (exit code, the JSON report)."""
    env = dict(os.environ, MANYEYES_API_KEY_ENV=FAKE_KEY_ENV, **{FAKE_KEY_ENV: "sk-fake"})
    command = [sys.executable, "-m", "manyeyes", "review", "app.py", "--model", "openai/fake"]
    command += ["--api-base", fake.url, "--format", "json", *extra]
    proc = subprocess.run(command, cwd=workspace, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def titles(report: dict) -> list[str]:
    return sorted(f["title"] for f in report["findings"])


def cache_notes(report: dict) -> list[str]:
    return [n for n in report["notes"] if "answer cache" in n]


# (a) and (b): a second run of unchanged code costs nothing; --no-cache asks again and keeps nothing


@pytest.mark.parametrize("voting", ["off", "escalate"])
def test_a_second_cli_run_on_unchanged_code_sends_nothing(workspace, app, scripted, fresh_answer_cache, voting):
    _, first = cli(workspace, scripted, "--voting", voting)
    if voting == "off":  # one sample: its finding is verified
        assert len(scripted.requests_for("security")) == 1 and len(scripted.requests_for("verify")) == 1
    else:  # the shell call escalates the chunk: two voters agree, nothing is left to verify
        assert len(scripted.requests_for("security")) == 2 and not scripted.requests_for("verify")
    assert TITLE in titles(first)
    assert (fresh_answer_cache / CACHE_FILE).is_file()
    scripted.requests.clear()
    _, second = cli(workspace, scripted, "--voting", voting)
    assert scripted.requests == []  # neither the agents, nor their votes, nor the verifier asked again
    assert titles(second) == titles(first)
    asked = [o for o in second["outcomes"] if o["state"] != "skipped"]  # not skipped by the planner's triage
    assert asked and all(o["cached"] for o in asked)
    kept = next(f for f in second["findings"] if f["title"] == TITLE)
    said = "verified by model:openai/fake: no test" if voting == "off" else "2 of 2 voters (model:openai/fake)"
    assert said in kept["confidence_reasons"]


def test_a_re_run_replays_what_the_cache_cost_against_the_token_budget(workspace, app, scripted, fresh_answer_cache):
    """A first run the budget cut short: a re-run answered from the cache makes the same choices (the answers
    count what they cost when asked) instead of spending what they saved on agents the first run left out."""
    long_answer = {**UNBACKED, "explanation": "Any caller's text reaches the shell unchecked here. " * 30}
    scripted.script("security", Reply(findings=[long_answer]))
    # the first samples fit by their estimates; billed, the long answer included, they leave no room for a vote
    (workspace / ".manyeyes.toml").write_text("run_token_budget = 3900\n")
    _, first = cli(workspace, scripted, "--voting", "escalate")
    left_out = [o["task_id"] for o in first["outcomes"] if (o["error"] or "").startswith("run token budget")]
    assert left_out and all(".v" in task for task in left_out)  # the shell call's extra vote
    scripted.requests.clear()
    _, second = cli(workspace, scripted, "--voting", "escalate")
    assert scripted.requests == []
    assert [o["task_id"] for o in second["outcomes"] if (o["error"] or "").startswith("run token budget")] == left_out
    assert titles(second) == titles(first)


def test_no_cache_asks_the_model_again_and_keeps_nothing(workspace, app, scripted):
    cli(workspace, scripted, "--no-cache", "--voting", "off")
    sent = len(scripted.requests)
    assert sent >= 2 and scripted.requests_for("verify")
    cli(workspace, scripted, "--voting", "off")
    assert len(scripted.requests) == 2 * sent  # nothing was kept by the --no-cache run
    _, report = cli(workspace, scripted, "--no-cache", "--voting", "off")
    assert len(scripted.requests) == 3 * sent  # what the last run kept is not read
    assert not any(o["cached"] for o in report["outcomes"])


def test_the_cache_setting_off_is_no_cache(workspace, app, scripted, fresh_answer_cache):
    # the user's setting: a repository may not keep answers on the user's disk, nor stop the user's cache
    user_config = Path(os.environ["XDG_CONFIG_HOME"]) / "manyeyes" / "config.toml"
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text("cache = false\n")
    cli(workspace, scripted)
    sent = len(scripted.requests)
    cli(workspace, scripted)
    assert sent and len(scripted.requests) == 2 * sent and not (fresh_answer_cache / CACHE_FILE).exists()


def test_a_project_file_cannot_turn_the_cache_off(workspace, app, scripted, fresh_answer_cache):
    write(workspace, ".manyeyes.toml", "cache = false\n")
    cli(workspace, scripted)
    sent = len(scripted.requests)
    cli(workspace, scripted)
    assert sent and len(scripted.requests) == sent  # the second run read the user's cache


def test_an_answer_from_another_endpoint_is_not_reused(workspace, app, scripted):
    cli(workspace, scripted)
    agents = len(scripted.requests) - len(scripted.requests_for("verify"))
    with FakeProvider() as other:
        cli(workspace, other)
        assert len(other.requests) == agents  # same model name, same code: another server, asked again


# (c) a file that is not this cache's is moved aside and rebuilt; the review does not notice


@pytest.mark.parametrize("kind", ["random bytes", "foreign database"])
def test_a_broken_or_foreign_cache_file_is_moved_aside_and_rebuilt(workspace, app, scripted, fresh_answer_cache, kind):
    path = fresh_answer_cache / CACHE_FILE
    if kind == "random bytes":
        path.write_bytes(os.urandom(64 * 1024))
    elif kind == "foreign database":
        with sqlite3.connect(path) as other:
            other.execute("CREATE TABLE answers (key TEXT PRIMARY KEY, value BLOB)")  # looks alike: not ours
            other.execute("INSERT INTO answers VALUES ('k', x'80049500')")
        other.close()
    code, report = cli(workspace, scripted)
    assert code == 0 and TITLE in titles(report) and cache_notes(report) == []
    assert len(scripted.requests_for("security")) == 2  # the escalated chunk's second voter
    assert (fresh_answer_cache / f"{CACHE_FILE}.broken").is_file()
    scripted.requests.clear()
    cli(workspace, scripted)
    assert scripted.requests == []  # the rebuilt cache works


def test_a_damaged_entry_is_a_miss(tmp_path):
    cache = DiskCache(tmp_path / CACHE_FILE, MB)
    cache.put("k", {"a": 1})
    cache.close()
    with sqlite3.connect(tmp_path / CACHE_FILE) as db:
        db.execute("UPDATE answers SET value = 'not json{'")
    db.close()
    cache = DiskCache(tmp_path / CACHE_FILE, MB)
    assert cache.get("k") is None and cache.problem is None


# (d) a directory that cannot be written: the review works, one note says the cache is off


def test_an_unwritable_cache_directory_turns_the_cache_off_with_one_note(workspace, app, scripted, monkeypatch):
    blocker = workspace.parent / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("MANYEYES_CACHE_DIR", str(blocker / "cache"))
    code, report = cli(workspace, scripted)
    assert code == 0 and TITLE in titles(report)
    [note] = cache_notes(report)
    assert "answer cache off" in note and str(blocker / "cache") in note
    assert "failed" not in {o["state"] for o in report["outcomes"]}


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="permissions do not bind root")
def test_a_read_only_cache_directory_turns_the_cache_off(tmp_path):
    directory = tmp_path / "cache"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        cache = DiskCache(directory / CACHE_FILE, MB)
        cache.put("k", [1])
        assert cache.get("k") is None and "answer cache off" in cache.problem
    finally:
        directory.chmod(0o700)


def test_a_cache_that_turned_off_stays_off_and_says_so_once(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cache = DiskCache(blocker / "cache" / CACHE_FILE, MB)
    for n in range(5):
        cache.put(f"k{n}", [n])
        assert cache.get(f"k{n}") is None
    assert "answer cache off" in cache.problem
    assert len([r for r in caplog.records if "answer cache off" in r.getMessage()]) == 1


# (e) the size bound evicts the least recently used


def test_the_size_bound_evicts_the_least_recently_used(tmp_path, monkeypatch):
    monkeypatch.setattr("manyeyes.cache_disk.TOUCH_AFTER_S", 0.0)  # every hit counts as a use
    bound = 40_000
    cache = DiskCache(tmp_path / CACHE_FILE, bound)
    value = "x" * 1000
    for n in range(200):
        cache.put(f"k{n}", value)
        assert cache.get("k0") == value  # read all along: the most recently used, never evicted
    with sqlite3.connect(tmp_path / CACHE_FILE) as db:
        count, total = db.execute("SELECT count(*), sum(size) FROM answers").fetchone()
    db.close()
    assert total <= bound and 30 <= count <= 40
    assert cache.get("k1") is None and cache.get("k100") is None  # the oldest went first
    assert cache.get("k199") == value and cache.get("k0") == value
    assert cache.problem is None


def test_the_bound_comes_from_cache_max_mb():
    assert disk_cache(3).max_bytes == 3 * MB
    assert disk_cache(3).path == cache_dir() / CACHE_FILE


# (f) two processes writing at once


WRITER = """
import sys, time
from pathlib import Path
from manyeyes.cache_disk import DiskCache
path, name, start = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
cache = DiskCache(path, 64 * 1024 * 1024)
while not start.exists():
    time.sleep(0.001)
for n in range(400):
    cache.put(f"{name}-{n}", {"n": n, "by": name, "text": "y" * 300})
    cache.put(f"shared-{n % 20}", {"by": name, "n": n})
    assert cache.get(f"{name}-{n}")["n"] == n
    cache.get(f"shared-{(n + 7) % 20}")
print(cache.problem or "ok")
"""


def test_two_processes_writing_at_once_do_not_corrupt_it(tmp_path):
    path, start = tmp_path / CACHE_FILE, tmp_path / "start"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, str(start)], stdout=subprocess.PIPE, text=True)
        for name in ("cli", "editor")
    ]
    start.touch()
    outputs = [w.communicate(timeout=120)[0].strip() for w in writers]
    assert [w.returncode for w in writers] == [0, 0] and outputs == ["ok", "ok"]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM answers").fetchone() == (2 * 400 + 20,)
    db.close()
    cache = DiskCache(path, 64 * MB)
    assert cache.get("cli-399")["by"] == "cli" and cache.get("editor-0")["by"] == "editor"


# (g) what is cached round-trips through JSON; what does not decode is a miss


def test_verdicts_round_trip_through_the_disk_cache(tmp_path):
    def verify(client, cache):
        findings = [model_finding(5, "real"), model_finding(20, "invented")]
        return anyio.run(lambda: verify_findings(findings, {"a.py": DOCUMENT}, client, 4, 5, cache))

    client = Scripted({"f1": "confirmed", "f2": "rejected"})
    first_kept, first = verify(client, DiskCache(tmp_path / CACHE_FILE, MB))
    kept, report = verify(client, DiskCache(tmp_path / CACHE_FILE, MB))  # as another process would
    assert len(client.calls) == 1
    assert kept == first_kept and kept[0].consensus.verdict_reason == "because f1"
    assert [(r.title, r.reason) for r in report.rejected] == [("invented", "because f2")]
    assert report.confirmed == first.confirmed == 1


def test_verdicts_that_do_not_decode_are_a_miss():
    assert verdicts_from_json({"f1": ["confirmed", "ok"]}) == {"f1": ("confirmed", "ok")}
    for old in (None, "x", {"f1": "confirmed"}, {"f1": ["maybe", "?"]}, {"f1": ["confirmed"]}, [["f1", "ok"]]):
        assert verdicts_from_json(old) is None
    client = Scripted({"f1": "rejected"})
    cache = LruCache()
    findings = [model_finding(5, "x")]
    anyio.run(lambda: verify_findings(findings, {"a.py": DOCUMENT}, client, 4, 5, cache))
    [key] = cache._entries
    cache.put(key, {"format": 1})  # what an older manyeyes might have left
    anyio.run(lambda: verify_findings(findings, {"a.py": DOCUMENT}, client, 4, 5, cache))
    assert len(client.calls) == 2


def test_a_model_answer_round_trips_through_json():
    reply = json.dumps(
        {
            "findings": [{**UNBACKED, "cwe": "CWE-78", "fix": {"replacement": "pass", "description": "d"}}],
            "dismissed": [{"rule": "B602", "line": 5, "reason": "constant input"}],
        }
    )
    answer = CachedAnswer(parse_reply(reply), 17)
    assert answer.parsed.findings and answer.parsed.dismissed
    again = CachedAnswer.from_json(json.loads(json.dumps(answer.to_json())))
    assert again == answer
    for old in (None, [], "x", {"parsed": {}}, {**answer.to_json(), "format": 0}, {**answer.to_json(), "parsed": 1}):
        assert CachedAnswer.from_json(old) is None


class Forgetful:
    """A cache holding only values an older manyeyes would have left: every one of them must be a miss."""

    problem = None

    def __init__(self):
        self.puts = 0

    def get(self, key):
        return {"parsed": "an old format", "chunk_start": 1}

    def put(self, key, value):
        json.dumps(value)  # what is stored is JSON
        self.puts += 1


def test_a_cached_model_answer_that_does_not_decode_is_asked_again(workspace, app, scripted, model_settings):
    cache = Forgetful()
    settings = model_settings(verify_findings=False)
    run = ReviewRun(ReviewRequest(workspace=workspace, paths=[app]), settings, cache=cache)
    result = anyio.run(run.execute)
    asked = [o for o in result.outcomes if o.state == "done"]
    assert asked and len(scripted.requests) == len(asked) == cache.puts
    assert not any(o.cached for o in result.outcomes)


# the language server: the memory cache in front of the disk one while the setting is on, at each review


def test_the_server_session_follows_the_cache_settings(tmp_path, fresh_answer_cache):
    from manyeyes.lsp.session import Session

    session = Session()
    session.set_folders([tmp_path])
    layered = session.cache_for(session.settings_for(tmp_path))
    assert isinstance(layered, LayeredCache) and layered.front is session.memory
    assert session.disk.path == fresh_answer_cache / CACHE_FILE and session.disk.max_bytes == 200 * MB
    session.configured_settings = {"cache_max_mb": 5}
    session.reload_settings()
    assert session.cache_for(session.settings_for(tmp_path)).back is session.disk and session.disk.max_bytes == 5 * MB
    session.configured_settings = {"cache": False}
    session.reload_settings()
    assert session.cache_for(session.settings_for(tmp_path)) is session.memory


def test_the_memory_cache_in_front_fills_from_the_disk(tmp_path):
    disk = DiskCache(tmp_path / CACHE_FILE, MB)
    disk.put("k", {"v": 1})
    layered = LayeredCache(LruCache(), disk)
    assert layered.get("k") == {"v": 1} and layered.front.get("k") == {"v": 1}
    layered.put("j", [2])
    assert DiskCache(tmp_path / CACHE_FILE, MB).get("j") == [2]
