"""Verification of model findings no analyzer backs, with a scripted client (the wire is tested in e2e)."""

import json

import anyio
import pytest
from manyeyes.agents.parsing import ParseError
from manyeyes.cache import LruCache
from manyeyes.llm.client import ModelReply
from manyeyes.llm.errors import ModelCallError
from manyeyes.plan.documents import Document
from manyeyes.consensus.verification import needs_verification, parse_verdicts, verify_findings

from tests.unit.test_synthesis import finding, make_source

TEXT = "".join(f"line_{n} = {n}\n" for n in range(1, 31)) + 'token = "AKIAIOSFODNN7EXAMPLE"\n'
DOCUMENT = Document(path="a.py", text=TEXT, language="python")


class Scripted:
    """Answers every call with the verdicts given, by finding id; records the messages it was sent."""

    def __init__(self, verdicts=None, error=None, cost_known=True):
        self.verdicts, self.error, self.calls, self.cost_known = verdicts or {}, error, [], cost_known

    async def complete(self, model, messages, *, schema=None, sample=0):
        self.calls.append((model, messages))
        if self.error:
            raise self.error
        items = [{"id": i, "verdict": v, "reason": f"because {i}"} for i, v in self.verdicts.items()]
        return ModelReply(json.dumps({"verdicts": items}), "stop", None, 100, 20, 0.001, cost_known=self.cost_known)


def model_finding(line, title, model="openai/m"):
    return finding(line, title, source=f"model:{model}")


def verify(findings, client, cache=None):
    return anyio.run(lambda: verify_findings(findings, {"a.py": DOCUMENT}, client, 4, 5, cache))


def test_only_findings_no_analyzer_backs_are_verified():
    assert needs_verification(model_finding(3, "x"))
    assert not needs_verification(finding(3, "x", source="bandit"))
    backed = model_finding(3, "x")
    backed.sources.append(make_source("bandit"))  # merged with an analyzer's hit on the same problem
    assert not needs_verification(backed)


def test_rejected_findings_are_dropped_with_their_reason_and_confirmed_ones_say_so():
    grounded = finding(2, "shell", source="bandit")
    real, invented, unanswered = model_finding(5, "real"), model_finding(20, "invented"), model_finding(25, "?")
    client = Scripted({"f1": "confirmed", "f2": "rejected"})
    kept, report = verify([grounded, real, invented, unanswered], client)
    assert [f.title for f in kept] == ["shell", "real", "?"]
    confirmed = kept[1].consensus
    assert (confirmed.verdict, confirmed.verifier, confirmed.verdict_reason) == ("confirmed", "openai/m", "because f1")
    assert kept[1].confidence == 0.75 and kept[2].consensus is None  # halfway from 0.5 to 1; unanswered: as it was
    assert (report.checked, report.confirmed) == (3, 1)
    assert [(r.line, r.title, r.reason) for r in report.rejected] == [(20, "invented", "because f2")]
    assert (report.prompt_tokens, report.completion_tokens) == (100, 20)
    [(model, messages)] = client.calls  # one call for the file, only the unbacked findings in it
    user = messages[1]["content"]
    assert model == "openai/m" and "Concern: verify" in user and "shell" not in user
    # only the lines around each finding (3 either side), not the file
    assert "   17 | line_17 = 17" in user and "   28 | line_28 = 28" in user
    assert "    9 |" not in user and "   16 |" not in user and "   29 |" not in user


def test_each_model_checks_its_own_findings_and_secrets_never_leave():
    client = Scripted()
    verify([model_finding(29, "a", "openai/m"), model_finding(30, "b", "anthropic/c")], client)
    assert sorted(model for model, _ in client.calls) == ["anthropic/c", "openai/m"]
    assert all("AKIAIOSFODNN7EXAMPLE" not in json.dumps(messages) for _, messages in client.calls)


def test_a_failed_check_keeps_the_findings_as_they_were():
    findings = [model_finding(5, "real")]
    kept, report = verify(findings, Scripted(error=ModelCallError("rate limited", "HTTP 429")))
    assert kept == findings and report.errors == ["a.py: rate limited: HTTP 429"] and report.checked == 1


def test_a_crashing_verifier_costs_the_check_not_the_review():
    findings = [model_finding(5, "real")]
    kept, report = verify(findings, Scripted(error=KeyError("usage")))
    assert kept == findings and report.errors == ["a.py: verifier crashed: KeyError: 'usage'"]


def test_verdicts_are_cached_by_content():
    cache = LruCache()
    client = Scripted({"f1": "rejected"})
    assert verify([model_finding(5, "invented")], client, cache)[0] == []
    assert verify([model_finding(5, "invented")], client, cache)[0] == []
    assert len(client.calls) == 1


def test_verdict_parsing_tolerates_prose_and_reads_unknown_verdicts_as_unsure():
    text = 'Sure:\n```json\n{"verdicts": [{"id": "f1", "verdict": "Confirmed"}, {"id": "f2", "verdict": "maybe"}]}\n```'
    assert parse_verdicts(text) == {"f1": ("confirmed", ""), "f2": ("unsure", "")}
    with pytest.raises(ParseError, match="no 'verdicts' list"):
        parse_verdicts('{"findings": []}')


def test_a_verifier_call_with_no_known_price_makes_the_cost_unknown():
    _, priced = verify([model_finding(5, "real")], Scripted({"f1": "confirmed"}))
    _, unpriced = verify([model_finding(5, "real")], Scripted({"f1": "confirmed"}, cost_known=False))
    assert priced.cost_known and not unpriced.cost_known
    assert unpriced.model_dump(mode="json")["cost_usd"] is None  # shown as unknown, never as $0
