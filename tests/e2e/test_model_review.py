"""Model reviews through the real litellm path against the fake provider on loopback."""

import json
import os
import re
import subprocess
import sys

import anyio
import pytest
from manyeyes.devtools.fake_provider import Fault, Reply
from manyeyes.engine import ReviewRun
from manyeyes.models import Concern, ReviewRequest

from tests.conftest import FAKE_KEY_ENV, write

ONE_FUNCTION = """import subprocess


def run(user_input):
    subprocess.call("ls " + user_input, shell=True)
    return [x for x in range(3)]
"""

SHELL = {
    "title": "Shell command built from user input",
    "severity": "critical",
    "confidence": 0.9,
    "line": 5,
    "quote": 'subprocess.call("ls " + user_input, shell=True)',
    "cwe": "CWE-78",
    "rule": "B602",
    "explanation": "user_input reaches a shell.",
    "fix": {"replacement": '    subprocess.call(["ls", user_input])', "description": "no shell"},
}
UNTESTED = {
    "title": "run has no test",
    "severity": "low",
    "confidence": 0.7,
    "line": 4,
    "quote": "def run(user_input):",
}


def review(workspace, settings, path="app.py"):
    run = ReviewRun(ReviewRequest(workspace=workspace, paths=[workspace / path]), settings)
    return anyio.run(run.execute)


@pytest.fixture
def app(workspace):
    return write(workspace, "app.py", ONE_FUNCTION)


def by_concern(result):
    """Each concern's first sample (an escalated task's extra votes are outcomes of their own)."""
    return {o.concern: o for o in result.outcomes if o.vote == 1}


def test_model_review_end_to_end(workspace, app, fake, model_settings):
    fake.latency = 1.0  # long enough for all four agents to be in flight together, even on a loaded machine
    fake.script("security", Reply(findings=[SHELL]))
    fake.script("tests", Reply(findings=[UNTESTED]))
    result = review(workspace, model_settings(thorough=True))  # every concern, the triage's skips aside
    outcomes = by_concern(result)
    assert {o.state for o in outcomes.values()} == {"done"}
    assert fake.peak_in_flight == 4  # one chunk, four concerns, all at once
    shell = next(f for f in result.findings if Concern.security in f.concerns)
    assert (shell.span.start_line, shell.severity.value, shell.cwe) == (5, "critical", ["CWE-78"])
    labels = [source.label for source in shell.sources]
    assert labels[0] == "model:openai/fake-model" and "bandit" in labels  # the confirmed hit merged with it
    assert shell.fix.replacement == '    subprocess.call(["ls", user_input])'
    assert outcomes[Concern.security].prompt_tokens > 0 and outcomes[Concern.security].completion_tokens > 0
    request = fake.requests_for("security")[0]
    assert request["max_tokens"] == 2048 and request["temperature"] == 0
    assert request["response_format"] == {"type": "json_object"}  # JSON mode: the fake model has no schema support
    assert "B602" in request["messages"][1]["content"]  # analyzer evidence grounds the model
    assert "    5 | " in request["messages"][1]["content"]
    assert request["messages"][0] == fake.requests_for("tests")[0]["messages"][0]  # shared, cacheable prefix


def test_verification_drops_what_the_verifier_rejects(workspace, app, fake, model_settings):
    invented = {
        "title": "List built needlessly",
        "severity": "medium",
        "confidence": 0.6,
        "line": 4,
        "quote": "def run(user_input):",
    }
    fake.script("security", Reply(findings=[SHELL]))
    fake.script("tests", Reply(findings=[UNTESTED]))
    fake.script("performance", Reply(findings=[invented]))
    verdicts = [
        {"id": "f1", "verdict": "rejected", "reason": "a three-item list costs nothing"},
        {"id": "f2", "verdict": "confirmed", "reason": "no test calls run"},
    ]
    fake.script("verify", Reply(content=json.dumps({"verdicts": verdicts})))
    write(workspace, "tests/test_app.py", "from app import run\n")  # no test-gap hit backs UNTESTED
    run = ReviewRun(ReviewRequest(workspace=workspace, paths=[app]), model_settings(voting="off"))  # one sample each
    phases = []
    run.on_phase(phases.append)
    result = anyio.run(run.execute)
    assert phases == ["verifying 2 finding(s)", "checking 1 fix(es)"]  # the model's fix is checked after it
    [request] = fake.requests_for("verify")  # one call for the file; SHELL is backed by bandit and not sent
    sent = request["messages"][1]["content"]
    assert "Finding f1 (performance, medium), lines 4-4:" in sent and "List built needlessly" in sent
    assert "Finding f2 (tests, low), lines 4-4:" in sent and "run has no test" in sent
    assert "Shell command" not in sent
    mark = re.search(r"<<<(DATA-\w+) reported\n", sent).group(1)
    assert f"<<<{mark} code\n" in sent and sent.count(f"{mark}>>>") == 4 + 1  # 4 blocks (+ the prompt naming it)
    titles = {f.title: f for f in result.findings}
    assert "List built needlessly" not in titles
    assert titles["run has no test"].confidence_reasons == [
        "one voter (model:openai/fake-model)",
        "verified by model:openai/fake-model: no test calls run",
    ]
    assert "Shell command built from user input" in titles
    check = result.verification
    assert (check.checked, check.confirmed, [r.reason for r in check.rejected]) == (
        2,
        1,
        ["a three-item list costs nothing"],
    )
    assert (
        check.prompt_tokens > 0
        and result.totals()[0] == sum(o.prompt_tokens for o in result.outcomes) + check.prompt_tokens
    )


def test_verification_respects_the_run_token_budget(workspace, app, fake, model_settings):
    explained = {**UNTESTED, "explanation": "Nothing calls run with any input, so a change to it breaks silently. " * 8}
    fake.script("tests", Reply(findings=[explained]))
    write(workspace, "tests/test_app.py", "from app import run\n")  # no test-gap hit backs UNTESTED
    # the four agents' estimated prompts (4 x about 935 tokens) fit; what they are billed, the tests agent's long
    # answer included, does not
    result = review(workspace, model_settings(run_token_budget=3800, thorough=True))
    assert {o.state for o in result.outcomes if o.vote == 1} == {"done"} and fake.requests_for("verify") == []
    votes = [o for o in result.outcomes if o.vote > 1]  # an escalated task's extra vote no longer fits either
    assert all(o.state == "skipped" and o.error.startswith("run token budget") for o in votes)
    assert result.verification.errors == ["run token budget (3,800) spent: findings left unverified"]
    assert any(f.title == "run has no test" for f in result.findings)


def test_verification_can_be_turned_off(workspace, app, fake, model_settings):
    fake.script("tests", Reply(findings=[UNTESTED]))
    result = review(workspace, model_settings(verify_findings=False))
    assert fake.requests_for("verify") == [] and result.verification is None
    assert any(f.title == "run has no test" for f in result.findings)


@pytest.mark.parametrize(
    "fault, expected",
    [
        (Fault("429", retry_after=0), "rate limited (HTTP 429)"),
        (Fault("500"), "provider error (HTTP 500)"),
        (Fault("malformed"), "malformed response from the provider"),
        (
            Fault("cutoff", partial='{"findings": [%s, {"title": "Unfin' % json.dumps(UNTESTED)),
            "reply cut off",
        ),
        (Fault("refusal"), "model refused: I can't help with that request."),
        (Fault("empty"), "empty reply"),
        (Reply(content="The code looks great to me!"), "unparseable reply: the reply has no JSON in it"),
        (Fault("timeout"), "timed out"),
    ],
)
def test_each_fault_fails_one_agent_and_the_others_survive(workspace, app, fake, model_settings, fault, expected):
    fake.script("tests", fault)
    fake.script("security", Reply(findings=[SHELL]))
    result = review(workspace, model_settings(task_timeout_s=1.5))
    outcomes = by_concern(result)
    assert outcomes[Concern.tests].state == "failed"
    assert expected in outcomes[Concern.tests].error
    assert outcomes[Concern.security].state == "done"
    assert any(f.sources[0].kind == "model" and f.span.start_line == 5 for f in result.findings)
    if getattr(fault, "kind", "") == "cutoff":
        assert "1 finding(s) salvaged" in outcomes[Concern.tests].error
        assert outcomes[Concern.tests].findings == 2  # the salvaged one, and the test-gap hit left unconfirmed


def test_failed_model_agent_falls_back_to_unconfirmed_analyzer_hits(workspace, app, fake, model_settings):
    fake.script("security", Fault("500"))
    result = review(workspace, model_settings())
    shell = next(f for f in result.findings if "B602" in f.rules)
    assert [s.label for s in shell.sources] == ["bandit"] and "not confirmed" in shell.notes[0]


def test_retry_after_is_honoured_and_retries_are_counted(workspace, app, fake, model_settings):
    fake.script("security", Fault("429", retry_after=1), Reply(findings=[SHELL]))
    result = review(workspace, model_settings(max_retries=2, concerns=["security"], voting="off"))
    outcome = by_concern(result)[Concern.security]
    assert outcome.state == "done" and outcome.retries == 1
    assert len(fake.requests) == 2  # no hidden SDK retries stacked under ours
    assert fake.arrivals[1] - fake.arrivals[0] >= 0.95


def test_persistent_rate_limit_gives_up_after_max_retries(workspace, app, fake, model_settings):
    fake.script("security", Fault("429", retry_after=0))
    result = review(workspace, model_settings(max_retries=2, concerns=["security"]))
    outcome = by_concern(result)[Concern.security]
    assert outcome.state == "failed" and "after 2 retries" in outcome.error
    assert len(fake.requests) == 3


def test_finding_quoting_code_not_in_the_file_is_dropped(workspace, app, fake, model_settings):
    invented = dict(SHELL, quote="os.system(request.args['cmd'])", line=5, rule=None, cwe=None)
    fake.script("security", Reply(findings=[invented]))
    result = review(workspace, model_settings(concerns=["security"]))
    outcome = by_concern(result)[Concern.security]
    assert outcome.state == "done" and outcome.dropped == 1
    assert not any(f.sources[0].kind == "model" for f in result.findings)
    assert any("B602" in f.rules for f in result.findings)  # the evidence the model ignored stays


def test_planted_secrets_never_reach_the_provider(workspace, fake, model_settings):
    secrets = ["AKIAIOSFODNN7EXAMPLE", "hunter2hunter2", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"]
    write(
        workspace,
        "conf.py",
        f'''
AWS = "{secrets[0]}"


def connect(host):
    password = "{secrets[1]}"
    token = "{secrets[2]}"
    return host, password, token
''',
    )
    write(workspace, "tests/test_conf.py", f'TOKEN = "{secrets[2]}"\n\n\ndef test_connect():\n    pass\n')
    fake.script(
        "security",
        Reply(
            findings=[
                {
                    "title": "Hard-coded password",
                    "severity": "high",
                    "line": 5,
                    "quote": 'password = "<redacted:secret-keyword>"',
                    "cwe": "CWE-259",
                }
            ]
        ),
    )
    result = review(workspace, model_settings(), path="conf.py")
    assert fake.requests, "the review sent nothing"
    bodies = json.dumps(fake.requests)
    assert not [s for s in secrets if s in bodies]
    assert "<redacted:" in bodies
    hit = next(f for f in result.findings if "CWE-259" in f.cwe and any(s.kind == "model" for s in f.sources))
    assert hit.span.start_line == 5 and "<redacted:" in hit.evidence  # anchored; reported without the secret
    assert secrets[1] not in hit.evidence


def test_cli_model_review_dry_run_and_unknown_model(workspace, app, fake):
    env = dict(os.environ, MANYEYES_API_KEY_ENV=FAKE_KEY_ENV, **{FAKE_KEY_ENV: "sk-fake"})
    fake.script("security", Reply(findings=[SHELL]))
    base = [sys.executable, "-m", "manyeyes", "review", "app.py", "--api-base", fake.url]
    dry = subprocess.run(
        base + ["--model", "openai/fake", "--dry-run"],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dry.returncode == 0 and fake.requests == []
    assert "Concern: security" in dry.stdout and "prompt tokens in 3 model call(s)" in dry.stdout
    assert "Skipped: t3 readability app.py:4-6: trivial (3 line(s) of code)" in dry.stdout  # triage says why
    assert "may get more voters, spending at most 1.25 times what these calls spent" in dry.stdout  # consensus ahead
    real = subprocess.run(
        base + ["--model", "openai/fake", "--format", "json", "--fail-on", "critical"],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert real.returncode == 1, real.stderr
    assert json.loads(real.stdout)["findings"][0]["severity"] == "critical"
    unknown = subprocess.run(
        base + ["--model", "no-such-provider-model"],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert unknown.returncode == 2 and "unknown model 'no-such-provider-model'" in unknown.stderr
    assert unknown.stdout == ""


def test_structured_output_where_the_model_supports_it():
    from manyeyes.agents.model import FINDINGS_SCHEMA
    from manyeyes.llm.client import _response_format
    from manyeyes.llm.loader import load_litellm

    litellm = load_litellm()
    structured = _response_format(litellm, "openai/gpt-4o-mini", FINDINGS_SCHEMA)
    assert structured["type"] == "json_schema"
    assert "findings" in structured["json_schema"]["schema"]["properties"]
    assert _response_format(litellm, "ollama/llama3", FINDINGS_SCHEMA) == {"type": "json_object"}


def test_a_missing_key_is_one_message_and_exit_2_before_any_request(workspace, app, fake):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", FAKE_KEY_ENV)}
    base = [sys.executable, "-m", "manyeyes", "review", "app.py", "--no-board", "--model"]
    for model, extra, variable in (
        ("openai/fake", ["--api-base", fake.url], FAKE_KEY_ENV),  # the variable api_key_env names is empty
        ("openai/gpt-4o-mini", [], "OPENAI_API_KEY"),  # the provider's own variable, as litellm knows it
    ):
        run_env = dict(env, MANYEYES_API_KEY_ENV=FAKE_KEY_ENV) if extra else env
        proc = subprocess.run(base + [model, *extra], cwd=workspace, env=run_env, capture_output=True, text=True)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("no API key") == 1 and variable in proc.stderr and "nothing was sent" in proc.stderr
        assert proc.stdout == "" and fake.requests == []


def test_max_cost_needs_a_price_and_skips_what_it_cannot_pay_for(workspace, app, fake, tmp_path):
    env = dict(os.environ, MANYEYES_API_KEY_ENV=FAKE_KEY_ENV, **{FAKE_KEY_ENV: "sk-fake"})
    review = [sys.executable, "-m", "manyeyes", "review", "app.py", "--no-board", "--model", "openai/fake"]
    review += ["--api-base", fake.url, "--thorough", "--concurrency", "1", "--format", "json"]
    proc = subprocess.run(review + ["--max-cost", "1"], cwd=workspace, env=env, capture_output=True, text=True)
    assert proc.returncode == 2 and "no price for openai/fake" in proc.stderr and fake.requests == []
    config = tmp_path / "config" / "manyeyes" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[prices."openai/fake"]\ninput = 1000.0\noutput = 1000.0\n')  # about $1 a prompt here
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    proc = subprocess.run(review + ["--max-cost", "1.5"], cwd=workspace, env=env, capture_output=True, text=True)
    report = json.loads(proc.stdout)
    outcomes = report["outcomes"]
    assert [o["state"] for o in outcomes].count("done") == 1 and len(fake.requests) == 1
    [spent] = [n for n in report["notes"] if n.startswith("cost budget: ")]
    assert spent.endswith(" of the $1.5 budget spent") and float(spent.split("$")[1].split()[0]) > 0.5
    skipped = [o for o in outcomes if o["state"] == "skipped"]  # three agents, and any extra vote, did not fit
    assert len([o for o in skipped if o["vote"] == 1]) == 3
    assert all(o["error"].startswith("run cost budget ($1.5) reached") for o in skipped)


def test_a_rejected_key_fails_one_agent_and_sends_nothing_more(workspace, fake, model_settings):
    write(workspace, "app.py", "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(3)))
    fake.script("security", Fault("401"))
    fake.script("performance", Fault("401"))
    fake.script("readability", Fault("401"))
    fake.script("tests", Fault("401"))
    result = review(workspace, model_settings(thorough=True, concurrency=1))
    states = [o.state for o in result.outcomes]
    assert states.count("failed") == 1 and len(fake.requests) == 1  # the provider said no once: nobody asks again
    [failed] = result.failed
    assert failed.error.startswith("authentication failed (check the API key)")
    skipped = [o for o in result.outcomes if o.state == "skipped"]
    assert len(skipped) == 3 and all("rejected the key for openai/fake-model" in o.error for o in skipped)
