"""Consensus without a provider: the confidence rule, matching votes, choosing what escalates, choosing the
verifier, and the settings that drive them (the wire and the whole run are in tests/e2e/test_consensus.py)."""

import pytest
from manyeyes.agents.base import AgentReport
from manyeyes.config import Settings, load_settings
from manyeyes.consensus.confidence import after_verdict, from_votes, reasons
from manyeyes.consensus.escalation import VotePlanner
from manyeyes.consensus.verification import independent_verifier, needs_verification
from manyeyes.consensus.votes import Ballot, tally
from manyeyes.dispatch import Completed
from manyeyes.models import AgentOutcome, Concern, Consensus, Severity
from manyeyes.plan.context import TaskContext
from manyeyes.plan.documents import Document
from manyeyes.plan.planner import Task
from manyeyes.plan.slicing import Chunk

from tests.conftest import write
from tests.unit.test_synthesis import finding, make_source

# -- the rule ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("found_by", "asked", "expected"),
    [
        (1, 1, 0.8),  # one voter: its own word
        (3, 3, 0.9),  # unanimous: halfway from 0.8 to 1
        (2, 3, 0.6),  # 0.8 x 3/4
        (1, 3, 0.4),  # 0.8 x 2/4
        (1, 2, 0.533),  # 0.8 x 2/3
        (2, 2, 0.9),
    ],
)
def test_votes_set_the_confidence_by_the_documented_rule(found_by, asked, expected):
    assert from_votes(Consensus(found_by=found_by, asked=asked, stated=0.8)) == expected


def test_a_verdict_moves_it_halfway_up_or_drops_what_no_majority_found():
    lone = Consensus(found_by=1, asked=3, stated=0.8)
    majority = Consensus(found_by=2, asked=3, stated=0.8)
    assert after_verdict(0.4, lone.model_copy(update={"verdict": "confirmed"})) == 0.7
    assert after_verdict(0.4, lone.model_copy(update={"verdict": "rejected"})) is None  # the skeptic overrules one
    assert after_verdict(0.6, majority.model_copy(update={"verdict": "rejected"})) == 0.6  # disputed: kept as it was
    assert after_verdict(0.8, Consensus(verdict="rejected")) is None  # one voter of one: dropped
    assert after_verdict(0.6, majority.model_copy(update={"verdict": "unsure"})) == 0.6


def test_the_reasons_say_votes_verdict_and_backing():
    backed = finding(3, "SQL built from input", source="model:openai/a", rules=["B608"])
    backed.sources.append(make_source("bandit"))
    backed.consensus = Consensus(
        found_by=2, asked=3, voters=["openai/a", "openai/a"], verdict="confirmed", verifier="openai/b",
        verdict_reason="the id comes from the query string",
    )  # fmt: skip
    assert reasons(backed) == [
        "2 of 3 voters (model:openai/a)",
        "verified by model:openai/b: the id comes from the query string",
        "backed by bandit B608",
    ]
    backed.confidence_reasons = reasons(backed)
    assert backed.confidence_text.startswith("0.50 (2 of 3 voters (model:openai/a); verified by model:openai/b")


# -- matching votes ---------------------------------------------------------------------------------------------


def vote(line, title, cwe=(), model="openai/a", severity=Severity.medium, confidence=0.8):
    return finding(line, title, source=f"model:{model}", cwe=cwe, severity=severity, confidence=confidence)


def test_voters_that_quote_different_lines_of_one_problem_are_one_finding_with_three_votes():
    ballots = [
        Ballot(1, "openai/a", [vote(12, "SQL injection in lookup", ["CWE-89"]), vote(30, "invented", [])]),
        Ballot(2, "openai/a", [vote(11, "query built with an f-string", ["CWE-89"], confidence=0.6)]),
        Ballot(3, "openai/b", [vote(13, "unsanitised id reaches execute", ["CWE-89"])]),
    ]
    found, merged = tally(ballots)
    sql, invented = found
    assert (sql.span.start_line, sql.consensus.found_by, sql.consensus.asked, merged) == (12, 3, 3, 2)
    assert sql.consensus.voters == ["openai/a", "openai/a", "openai/b"]
    assert sql.consensus.stated == pytest.approx(0.733, abs=0.001) and sql.confidence == 0.867
    assert (invented.consensus.found_by, invented.confidence) == (1, 0.4)  # 1 of 3: 0.8 x 2/4


def test_two_problems_on_one_line_stay_two_and_a_voter_counts_once_per_problem():
    ballots = [
        Ballot(1, "m", [vote(5, "SQL injection", ["CWE-89"]), vote(5, "Weak hash", ["CWE-327"])]),
        Ballot(2, "m", [vote(5, "SQL injection", ["CWE-89"]), vote(6, "SQL injection again", ["CWE-89"])]),
    ]
    found, _ = tally(ballots)
    counts = sorted((f.cwe[0], f.consensus.found_by) for f in found)
    assert counts == [("CWE-327", 1), ("CWE-89", 1), ("CWE-89", 2)]  # voter 2's second CWE-89 is its own


def test_unanimous_findings_skip_the_skeptic_and_the_rest_face_it():
    found, _ = tally([Ballot(v, "m", [vote(5, "SQL injection", ["CWE-89"])]) for v in (1, 2, 3)])
    assert not needs_verification(found[0])
    lone, _ = tally([Ballot(1, "m", [vote(5, "x")]), Ballot(2, "m", [])])
    assert needs_verification(lone[0])
    assert needs_verification(vote(5, "one sample, one voter"))


# -- who verifies -----------------------------------------------------------------------------------------------


def test_the_verifier_is_never_the_finder():
    verifier_of = independent_verifier("openai/c", lambda f: ["openai/a", "openai/b"])
    found_by_a = vote(5, "x", model="openai/a")
    found_by_a.consensus = Consensus(voters=["openai/a"])
    found_by_c = vote(5, "x", model="openai/c")
    found_by_c.consensus = Consensus(voters=["openai/c"])
    found_by_all = vote(5, "x", model="openai/a")
    found_by_all.consensus = Consensus(found_by=3, asked=4, voters=["openai/a", "openai/b", "openai/c"])
    assert verifier_of(found_by_a) == "openai/c"
    assert verifier_of(found_by_c) == "openai/a"  # the chosen verifier found it: the concern's next model
    assert verifier_of(found_by_all) is None  # nobody independent is left: it stays unverified, and says so


# -- escalation -------------------------------------------------------------------------------------------------

SAFE = "def add(a, b):\n    total = a + b\n    return total\n"
RISKY = "def run(expr):\n    value = eval(expr)\n    return value\n"


def completed(text, concern=Concern.security, findings=(), evidence=(), tokens=1000, task_id="t1"):
    document = Document(path=f"{task_id}.py", text=text, language="python")
    context = TaskContext(estimated_tokens=tokens)
    task = Task(task_id, concern, Chunk(document, 1, 3, None), "openai/a", context)
    outcome = AgentOutcome(task_id=task_id, agent="openai/a", concern=concern, target=f"{task_id}.py:1-3")
    outcome.state, outcome.prompt_tokens = "done", tokens
    return Completed(task, outcome, AgentReport(findings=list(findings), evidence=list(evidence)))


def first_round(items, settings):
    """(the planner, the vote tasks it plans after the first samples)."""
    planner = VotePlanner(settings)
    return planner, planner.first_round(items)


def answered(vote_task, findings=()):
    """A vote task as the dispatcher returns it once its voter answered."""
    outcome = AgentOutcome(task_id=vote_task.id, agent=vote_task.agent, concern=vote_task.concern, target="x")
    outcome.state, outcome.prompt_tokens = "done", 1000
    return Completed(vote_task, outcome, AgentReport(findings=list(findings)))


def test_only_risky_chunks_and_uncertain_findings_escalate_highest_first():
    items = [
        completed(SAFE, task_id="quiet"),
        completed(SAFE, findings=[vote(2, "style", severity=Severity.low)], task_id="low"),
        completed(SAFE, findings=[vote(2, "off by one")], task_id="medium"),
        completed(RISKY, task_id="sink"),
        completed(SAFE, findings=[vote(2, "data race", severity=Severity.high)], task_id="high"),
        completed(SAFE, concern=Concern.performance, evidence=[finding(2, "loop", rules=["PERF401"])], task_id="hit"),
    ]
    planner, tasks = first_round(items, Settings(model="openai/a", escalation_share=0.5))
    escalated, left_out = planner.report()
    assert [(e.task_id, e.votes) for e in escalated] == [("high", 2), ("sink", 2), ("hit", 2)]
    assert escalated[1].reason == "calls eval" and escalated[2].reason == "analyzer hit (PERF401)"
    assert left_out == 1  # the medium one: 6,000 tokens spent, half of it allowed, three second voters use it up
    assert [t.id for t in tasks] == ["high.v2", "sink.v2", "hit.v2"]
    assert all(t.votes_for == t.id.split(".")[0] and t.escalated for t in tasks)
    _, default = first_round(items, Settings(model="openai/a"))
    assert [t.votes_for for t in default] == ["high", "sink", "hit", "medium"]


def test_voters_that_disagree_get_one_more_voter_up_to_votes():
    race = vote(2, "data race", severity=Severity.high)
    first = completed(SAFE, findings=[race], task_id="t1")
    planner, [second] = first_round([first], Settings(model="m", escalation_share=5))
    agreed = planner.next_round([first, answered(second, [race])])
    assert agreed == []  # both found it: nothing to settle
    planner, [second] = first_round([first], Settings(model="m", escalation_share=5))
    [third] = planner.next_round([first, answered(second, [])])  # the second voter did not find it
    assert (third.id, third.vote, third.sample, third.escalated) == ("t1.v3", 3, 2, "voters disagree on 'data race'")
    assert planner.next_round([first, answered(second, []), answered(third, [])]) == []  # 3 voters: the most
    [record] = planner.report()[0]
    assert record.votes == 3 and record.reason == "unconfirmed high finding 'data race'; voters disagree on 'data race'"
    planner, [second] = first_round([first], Settings(model="m", escalation_share=1))
    assert planner.next_round([first, answered(second, [])]) == []  # the allowance is spent
    assert planner.report()[1] == 0  # ... but the task did escalate: it is not "left out"


def test_a_security_chunk_calling_any_known_sink_is_risky_but_after_injection_sinks():
    weak_hash = "def digest(data):\n    value = md5(data)\n    return value\n"
    items = [completed(weak_hash, task_id="hash"), completed(RISKY, task_id="eval")]
    items.append(completed(weak_hash, concern=Concern.performance, task_id="perf"))  # a sink is a security risk
    fragment = "        md = hashlib.md5()\n        os.system (cmd)\n"  # does not parse: read as text
    items.append(completed(fragment, task_id="fragment"))
    items.append(completed("def pattern(p):\n    found = re.compile(p)\n    return found\n", task_id="regex"))
    planner, _ = first_round(items, Settings(model="m"))
    reasons = [(e.task_id, e.reason) for e in planner.report()[0]]
    # re.compile is not the builtin compile: no risk (seen on the standard library's http and json)
    assert reasons == [("eval", "calls eval"), ("fragment", "calls system"), ("hash", "calls md5")]


def test_the_share_bounds_the_extra_votes_and_always_or_off_override_it():
    items = [completed(RISKY, task_id=f"t{i}") for i in range(4)]
    assert len(first_round(items, Settings(model="m", escalation_share=0.5))[1]) == 2  # 2 x 1,000 of 4,000
    assert first_round(items, Settings(model="m", escalation_share=0))[1] == []
    always = first_round(items, Settings(model="m", voting="always", escalation_share=0))[1]
    assert len(always) == 4 * 2  # every task all three voters, whatever the share
    assert first_round(items, Settings(model="m", voting="off"))[1] == []
    planner, _ = first_round([completed(SAFE, task_id="q")], Settings(model="m", voting="always"))
    assert planner.report()[0][0].reason == "voting: always"


def test_each_model_of_a_concern_is_a_voter_in_turn():
    settings = Settings(models={Concern.security: ["openai/a", "anthropic/b"]}, votes=4, voting="always")
    _, tasks = first_round([completed(RISKY)], settings)
    assert [(t.vote, t.agent, t.sample) for t in tasks] == [
        (2, "anthropic/b", 0),
        (3, "openai/a", 1),
        (4, "anthropic/b", 1),
    ]


def test_a_failed_or_cached_first_sample_is_judged_fairly():
    failed = completed(RISKY)
    failed.outcome.state = "failed"
    assert first_round([failed], Settings(model="m"))[1] == []  # a provider that failed once: not again
    cached = completed(RISKY, tokens=0)
    cached.outcome.cached, cached.task.context.estimated_tokens = True, 600
    assert len(first_round([cached], Settings(model="m"))[1]) == 1  # estimated, not free


# -- settings ---------------------------------------------------------------------------------------------------


def test_votes_and_models_take_numbers_lists_and_per_concern_tables(workspace, tmp_path):
    user = write(
        tmp_path,
        "user.toml",
        "model = 'openai/a'\nverifier_model = 'openai/c'\n[votes]\nsecurity = 5\n"
        "[models]\nsecurity = ['openai/a', 'openai/b']\n",
    )
    settings = load_settings(workspace, user_config=user).settings
    assert settings.votes_for(Concern.security) == 5 and settings.votes_for(Concern.tests) == 3  # the default
    assert settings.voters_for(Concern.security) == ["openai/a", "openai/b"]
    assert settings.model_for(Concern.security) == "openai/a"
    assert settings.all_models() == {"openai/a", "openai/b", "openai/c"}


def test_nonsense_votes_and_models_get_one_message_each_and_fall_back(workspace, tmp_path):
    user = write(tmp_path, "user.toml", "votes = 0\nvoting = 'sometimes'\n[models]\nsecurity = []\n")
    loaded = load_settings(workspace, {"votes": "many"}, user_config=user)
    assert loaded.settings.votes == 3 and loaded.settings.voting == "escalate" and loaded.settings.models == {}
    assert [w.split("'")[1] for w in loaded.warnings] == ["votes", "voting", "models", "votes"]


def test_a_project_may_lower_the_votes_but_not_raise_them_or_pick_the_verifier(workspace, tmp_path):
    write(
        workspace,
        ".manyeyes.toml",
        "votes = 9\nvoting = 'always'\nescalation_share = 5.0\nverifier_model = 'openai/evil'\n",
    )
    loaded = load_settings(workspace, user_config=tmp_path / "none.toml")
    settings = loaded.settings
    assert (settings.votes, settings.voting, settings.escalation_share, settings.verifier_model) == (
        3,
        "escalate",
        1.25,
        None,
    )
    assert len(loaded.warnings) == 4
    write(workspace, ".manyeyes.toml", "voting = 'off'\n[votes]\nsecurity = 1\n")
    lowered = load_settings(workspace, user_config=tmp_path / "none.toml")
    assert lowered.settings.voting == "off" and lowered.settings.votes_for(Concern.security) == 1, lowered.warnings


def test_the_hover_says_why_and_escapes_what_a_model_wrote():
    from manyeyes.lsp.convert import hover_markdown

    shown = finding(3, "SQL built from input", source="model:openai/a", rules=["B608"])
    shown.sources.append(make_source("bandit"))
    shown.consensus = Consensus(
        found_by=2, asked=3, voters=["openai/a", "openai/b"], verdict="confirmed", verifier="openai/c",
        verdict_reason="the id comes from *request.args*",
    )  # fmt: skip
    shown.confidence_reasons = reasons(shown)
    hover = hover_markdown(shown)
    assert "Confidence 0.50 (2 of 3 voters (model:openai/a, model:openai/b); verified by model:openai/c: " in hover
    assert "\\*request.args\\*" in hover and "backed by bandit B608)" in hover


def test_two_samples_that_word_one_problem_differently_on_the_same_code_are_one_vote():
    first = vote(8, "Unbounded read of the upload")  # no CWE, no rule: only the words and the code tell
    second = vote(8, "Request body loaded into memory whole")
    elsewhere = vote(20, "Request body loaded into memory whole")
    found, merged = tally([Ballot(1, "m", [first]), Ballot(2, "m", [second, elsewhere])])
    assert merged == 1 and [(f.span.start_line, f.consensus.found_by) for f in found] == [(8, 2), (20, 1)]
    # but two problems the first voter told apart on one line are not both claimed by one differently-worded vote
    sql, race = vote(8, "SQL built by concatenation"), vote(8, "Race between check and use")
    found, _ = tally([Ballot(1, "m", [sql, race]), Ballot(2, "m", [vote(8, "Something is off here")])])
    assert sorted(f.consensus.found_by for f in found) == [1, 1, 1]
