"""Consensus through the real litellm path against the fake provider: votes, escalation, the skeptic, the
verifier that is never the finder, and what the user is shown about it."""

import json

import anyio
from manyeyes.devtools.fake_provider import Reply
from manyeyes.engine import ReviewRun
from manyeyes.models import ReviewRequest
from manyeyes.report import render

from tests.conftest import write

RISKY = """def calculate(expression):
    value = eval(expression)
    return value


def label(value):
    text = "value: " + str(value)
    return text.strip()
"""
QUIET = """def add(a, b):
    total = a + b
    return total
"""
EVAL = {  # the problem, as three samples quote it: on line 2, on line 1, on line 2 again
    "title": "eval of caller input",
    "severity": "high",
    "confidence": 0.8,
    "line": 2,
    "quote": "value = eval(expression)",
    "cwe": "CWE-95",
}
EVAL_AT_DEF = {**EVAL, "title": "expression is evaluated as code", "line": 1, "quote": "def calculate(expression):"}
LONE = {
    "title": "label leaks the value",
    "severity": "medium",
    "confidence": 0.6,
    "line": 7,
    "quote": 'text = "value: " + str(value)',
}


def verdicts(*items) -> Reply:
    return Reply(content=json.dumps({"verdicts": [dict(zip(("id", "verdict", "reason"), i)) for i in items]}))


def review(workspace, settings, *paths):
    request = ReviewRequest(workspace=workspace, paths=[workspace / p for p in paths or ("app.py",)])
    run = ReviewRun(request, settings)
    phases = []
    run.on_phase(phases.append)
    return anyio.run(run.execute), phases


def test_three_voters_give_counts_and_confidences_and_the_skeptic_drops_a_lone_finding(workspace, fake, model_settings):
    write(workspace, "app.py", RISKY)
    fake.script("security", Reply(findings=[EVAL, LONE]), Reply(findings=[EVAL_AT_DEF]), Reply(findings=[EVAL]))
    fake.script("verify", verdicts(("f1", "rejected", "the value is an int the caller already shows")))
    settings = model_settings(concerns=["security"], escalation_share=2.0)
    result, phases = review(workspace, settings)
    first, *votes = fake.requests_for("security")
    assert len(votes) == 2 and first["temperature"] == 0
    assert [(v["temperature"], v["seed"]) for v in votes] == [(0.8, 1), (0.8, 2)]  # two more samples of one model
    # the eval call earned a second voter; the two disagreed on the lone finding, so a third broke the tie
    assert phases[:2] == ["escalating 1 task(s): 1 more vote(s)"] * 2
    [escalation] = result.consensus.escalated
    assert escalation.votes == 3
    assert escalation.reason == (
        "analyzer hit (B307); calls eval; unconfirmed high finding 'eval of caller input'; "
        "voters disagree on 'label leaks the value'"
    )
    # the voters' finding and bandit's B307 name the same weakness (CWE-95) on the same line: one finding
    [found] = [f for f in result.findings if f.span.start_line == 2]
    assert found.rules == ["B307"] and found.cwe == ["CWE-95"]
    # the voters' 0.8, graded 0.75 as a model's word alone (synthesis/policy.py), unanimous: halfway to 1, 0.875;
    # bandit's hit (0.9) backs it independently: 1 - 0.125 * 0.1
    assert (found.consensus.found_by, found.consensus.asked, found.confidence) == (3, 3, 0.988)
    assert found.confidence_reasons == ["3 of 3 voters (model:openai/fake-model)", "backed by bandit B307"]
    # the lone finding faced the skeptic, who made the case against it: dropped, listed with the reason
    [request] = fake.requests_for("verify")
    sent = request["messages"][1]["content"]
    assert "found by 1 of 3 reviewers" in sent and "strongest case against it" in sent and "eval of" not in sent
    assert "label leaks the value" not in {f.title for f in result.findings}
    assert [(r.title, r.reason) for r in result.verification.rejected] == [
        ("label leaks the value", "the value is an int the caller already shows")
    ]
    assert result.consensus.removed == {"skeptic": 1}
    text = render(result, "text")
    assert (
        "3 of 3 voters" in text
        and "3 voters, analyzer hit (B307); calls eval" in text
        and "1 task(s) escalated" in text
    )
    sarif = json.loads(render(result, "sarif"))["runs"][0]["results"]
    ranked = next(r for r in sarif if r["ruleId"] == "B307")
    assert ranked["rank"] == 98.8 and ranked["properties"]["confidenceReasons"] == found.confidence_reasons


def test_only_risky_or_uncertain_tasks_get_more_votes(workspace, fake, model_settings):
    write(workspace, "app.py", RISKY)
    write(workspace, "quiet.py", QUIET)
    fake.script("security", Reply(findings=[]))
    result, _ = review(workspace, model_settings(concerns=["security"], thorough=True), "app.py", "quiet.py")
    asked = [json.dumps(r["messages"]) for r in fake.requests_for("security")]
    assert sum('\\"app.py\\"' in m for m in asked) == 2  # the chunk calling eval: a second voter
    assert sum('\\"quiet.py\\"' in m for m in asked) == 1  # nothing risky, nothing found: one sample
    vote = next(o for o in result.outcomes if o.vote == 2)
    assert vote.escalated == "analyzer hit (B307); calls eval" and vote.target.startswith("app.py")


def test_the_verifier_model_never_checks_its_own_findings(workspace, fake, model_settings):
    write(workspace, "app.py", RISKY)
    # model a (first sample) finds the lone problem, model b (the second voter) does not
    fake.script("security", Reply(findings=[LONE]), Reply(findings=[]))
    fake.script("verify", verdicts(("f1", "confirmed", "value may hold a secret")))
    settings = model_settings(
        concerns=["security"],
        model=None,
        models={"security": ["openai/model-a", "openai/model-b"]},
        verifier_model="openai/model-a",
        voting="always",
        votes=2,
    )
    result, _ = review(workspace, settings)
    assert [r["model"] for r in fake.requests_for("security")] == ["model-a", "model-b"]
    [request] = fake.requests_for("verify")
    assert request["model"] == "model-b"  # model-a found it: the concern's other model checks it
    found = next(f for f in result.findings if f.title == LONE["title"])
    assert found.confidence_reasons == [
        "1 of 2 voters (model:openai/model-a)",
        "verified by model:openai/model-b: value may hold a secret",
    ]
    assert found.confidence == 0.7  # 0.6 x 2/3 = 0.4, confirmed: halfway to 1


def test_a_verifier_that_answers_garbage_leaves_the_finding_unverified(workspace, fake, model_settings):
    write(workspace, "app.py", RISKY)
    fake.script("security", Reply(findings=[LONE]), Reply(findings=[]))
    fake.script("verify", Reply(content="I think they are all fine!"))
    result, _ = review(workspace, model_settings(concerns=["security"], voting="always", votes=2))
    assert LONE["title"] not in {f.title for f in result.findings}  # 1 of 2 voters, unverified: 0.4, below 0.5
    assert result.consensus.removed == {"min_confidence": 1}
    assert result.verification.errors and "unparseable verdicts" in result.verification.errors[0]
    fake.script("security", Reply(findings=[LONE]), Reply(findings=[]))
    shown, _ = review(workspace, model_settings(concerns=["security"], voting="always", votes=2, min_confidence=0.3))
    found = next(f for f in shown.findings if f.title == LONE["title"])
    assert found.consensus.verdict is None and found.confidence_reasons == ["1 of 2 voters (model:openai/fake-model)"]
    assert found.confidence == 0.4  # as the votes left it: a failed check neither raises nor hides it


def test_votes_stop_at_the_run_token_budget(workspace, fake, model_settings):
    write(workspace, "app.py", RISKY)
    fake.script("security", Reply(findings=[EVAL]))
    first, _ = review(workspace, model_settings(concerns=["security"], voting="off"))
    spent = sum(o.prompt_tokens + o.completion_tokens for o in first.outcomes)
    fake.requests.clear()
    result, _ = review(workspace, model_settings(concerns=["security"], run_token_budget=spent + 10, cache=False))
    vote = next(o for o in result.outcomes if o.vote == 2)
    assert vote.state == "skipped" and "run token budget" in vote.error
    assert len(fake.requests_for("security")) == 1
    found = next(f for f in result.findings if f.span.start_line == 2)  # with bandit's B307 (CWE-95 both)
    assert found.consensus.asked == 1  # the vote that did not run was not asked
