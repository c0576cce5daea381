"""The shared prompt prefix billed once: cache markers where a provider needs them, cached tokens counted from the
provider's usage, and costs that are honest (cached tokens at the cached price, an unknown price never shown as
$0). Through the real litellm path against the fake provider on loopback, OpenAI's API and Anthropic's."""

import io
import json
import urllib.error
import urllib.request

import anyio
import pytest
from manyeyes.agents.analyzers import semgrep
from manyeyes.agents.messages import render_messages
from manyeyes.cli.board import TerminalBoard
from manyeyes.config import ModelPrice, load_settings
from manyeyes.devtools.fake_provider import FakeProvider, agent_of
from manyeyes.engine import ReviewRun
from manyeyes.llm.client import SHARED_PREFIX, cache_markers
from manyeyes.llm.loader import load_litellm
from manyeyes.models import AgentOutcome, Concern, ReviewRequest
from manyeyes.plan.context import TaskContext
from manyeyes.plan.documents import Document
from manyeyes.plan.planner import Chunk, Task
from manyeyes.report import render

from tests.conftest import write

APP = '''import subprocess


def run(user_input):
    """Lists what the user asks for."""
    subprocess.call("ls " + user_input, shell=True)
    total = 0
    for value in range(10):
        total += value
    return total
'''
CLAUDE = "anthropic/claude-sonnet-4-5"
SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def review(workspace, settings):
    run = ReviewRun(ReviewRequest(workspace=workspace, paths=[workspace / "app.py"]), settings)
    return anyio.run(run.execute)


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url + "/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def cached_of(answer: dict) -> int:
    return answer["usage"]["prompt_tokens_details"]["cached_tokens"]


def chat(context: str, brief: str, model: str = "fake") -> dict:
    return {
        "model": model,
        "messages": [{"role": "system", "content": "S" * 100}, {"role": "user", "content": context + brief}],
    }


@pytest.fixture
def app(workspace):
    return write(workspace, "app.py", APP)


@pytest.fixture
def settings(model_settings):
    """All four agents on every chunk (no triage), no answers kept on disk between tests, one request at a time:
    the fake caches a prompt once its answer begins, so what a request reads must not depend on timing."""
    # one sample per task: what is measured here is the prompt cache, not consensus's extra votes
    settings = {"thorough": True, "cache": False, "concurrency": 1, "voting": "off"}
    return lambda **overrides: model_settings(**{**settings, **overrides})


def by_request(result, fake: FakeProvider) -> list[tuple[AgentOutcome, int]]:
    """Each agent's outcome with the cached tokens the fake reported for its request."""
    outcomes = {o.concern.value: o for o in result.outcomes}
    return [(outcomes[agent_of(body)], cached) for body, cached in zip(fake.requests, fake.cached_tokens)]


# The fake provider caches like OpenAI


def test_the_fake_reports_a_long_shared_prefix_as_cached_in_steps_of_128_tokens(fake):
    context = "x" * 6000  # 1,500 tokens
    first = post(fake.url, chat(context, "\nConcern: security"))
    second = post(fake.url, chat(context, "\nConcern: tests"))
    shared = 100 + 1 + 6000 + len("\nConcern: ")  # the system prompt, the boundary between messages, the prefix
    assert cached_of(first) == 0  # nothing was sent before it
    assert cached_of(second) == shared // 4 // 128 * 128 == 1408
    assert second["usage"]["prompt_tokens"] == (100 + 6000 + len("\nConcern: tests")) // 4 + 1  # cached included
    assert post(fake.url, chat(context, "\nConcern: tests", model="other"))["usage"]["prompt_tokens_details"] == {
        "cached_tokens": 0  # another model, another cache
    }
    assert fake.cached_tokens == [0, 1408, 0]


def test_the_fake_caches_nothing_below_its_minimum_and_only_what_it_accepted():
    short = "x" * 2000  # 500 tokens: under OpenAI's 1024
    with FakeProvider() as fake:
        post(fake.url, chat(short, "a"))
        assert cached_of(post(fake.url, chat(short, "b"))) == 0
    with FakeProvider(min_cached_tokens=256) as fake:
        post(fake.url, chat(short, "a"))
        assert cached_of(post(fake.url, chat(short, "b"))) == 512  # 2,101 shared characters: 525 tokens
    with FakeProvider(min_cached_tokens=256, max_in_flight=0) as fake:  # every request turned away with a 429
        with pytest.raises(urllib.error.HTTPError):
            post(fake.url, chat(short, "a"))
        fake.max_in_flight = None
        assert cached_of(post(fake.url, chat(short, "b"))) == 0  # a rejected request was never received


# Markers: on the shared prefix for providers that need them, plain content for OpenAI-style ones


def test_rendered_messages_stay_strings_and_say_where_the_shared_context_ends():
    document = Document(path="app.py", text=APP.replace("ls ", f"ls {SECRET} "), language="python")
    messages = {}
    for concern in (Concern.security, Concern.tests):
        task = Task("t", concern, Chunk(document, 4, 10), "openai/x", TaskContext(shared_by=2))
        messages[concern] = render_messages(task)
    system, user = messages[Concern.security]
    assert isinstance(user["content"], str) and SECRET not in user["content"]  # what --dry-run shows, redacted
    context = user["content"][: user[SHARED_PREFIX]]
    assert "Code under review" in context and user["content"][len(context) :].startswith("Concern: security")
    other = messages[Concern.tests][1]
    assert other["content"][: other[SHARED_PREFIX]] == context  # the prefix every agent of the chunk shares
    alone = render_messages(Task("t", Concern.security, Chunk(document, 4, 10), "openai/x", TaskContext()))
    assert SHARED_PREFIX not in alone[1]  # one agent reads this span: a cache write would be paid for nothing


def test_claude_gets_cache_markers_on_the_system_prompt_and_the_shared_context(workspace, app, fake, settings):
    write(workspace, "app.py", APP.replace("ls ", f"ls {SECRET} "))
    fake.min_cached_tokens = 64  # Anthropic's minimum is 1024 tokens or more; this chunk's prefix is smaller
    result = review(workspace, settings(model=CLAUDE))  # litellm speaks Anthropic's Messages API to the fake
    assert {o.state for o in result.outcomes} == {"done"} and len(fake.requests) == 4
    assert fake.cache_markers == [["system[0]", "user[0]"]] * 4
    for body in fake.requests:
        assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
        context, brief = body["messages"][0]["content"]
        assert "Code under review" in context["text"] and brief["text"].startswith("Concern: ")
        assert "cache_control" not in brief and SHARED_PREFIX not in json.dumps(body)
        assert SECRET not in json.dumps(body) and "<redacted:" in context["text"]  # every part redacted
    # the first request wrote the prefix to the cache, the three others read it
    first, *others = fake.cached_tokens
    assert first == 0 and others[0] > 0 and set(others) == {others[0]}
    assert all(outcome.cached_prompt_tokens == cached for outcome, cached in by_request(result, fake))


def test_an_openai_model_gets_the_plain_prompt_without_markers(workspace, app, fake, settings):
    result = review(workspace, settings())
    assert {o.state for o in result.outcomes} == {"done"} and len(fake.requests) == 4
    assert fake.cache_markers == [[]] * 4
    for body in fake.requests:
        assert [type(m["content"]) for m in body["messages"]] == [str, str]  # one string each, as rendered
        assert SHARED_PREFIX not in json.dumps(body)


def test_only_providers_that_need_markers_get_them():
    assert cache_markers(CLAUDE)
    assert cache_markers("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert cache_markers("vertex_ai/claude-sonnet-4-5@20250929")
    assert not cache_markers("openai/gpt-4o")  # caches long prefixes by itself
    assert not cache_markers("deepseek/deepseek-chat")
    assert not cache_markers("gemini/gemini-2.5-flash")  # implicit caching; litellm's markers create stored caches
    assert not cache_markers("openai/fake-model")


# Cached tokens counted, and costs


def test_cached_tokens_reach_the_outcomes_the_summary_and_the_json_report(workspace, app, fake, settings):
    fake.min_cached_tokens = 128
    result = review(workspace, settings())
    first, *others = fake.cached_tokens
    assert first == 0 and others[0] > 0 and set(others) == {others[0]}  # the three after the first read its prefix
    assert all(outcome.cached_prompt_tokens == cached for outcome, cached in by_request(result, fake))
    total = sum(fake.cached_tokens)
    assert result.cached_prompt_tokens() == total
    assert f"({total:,} cached)" in render(result, "text")
    dumped = json.loads(render(result, "json"))
    assert sorted(o["cached_prompt_tokens"] for o in dumped["outcomes"]) == sorted(fake.cached_tokens)


def test_a_model_without_a_price_has_an_unknown_cost_never_zero(workspace, app, fake, settings):
    result = review(workspace, settings())  # litellm has no price for openai/fake-model, nor is it self-hosted
    assert all(not o.cost_known for o in result.outcomes) and result.totals()[2] is None
    text = render(result, "text")
    assert "cost unknown" in text and "$0.0000" not in text
    assert "cost unknown" in render(result, "markdown")
    assert {o["cost_usd"] for o in json.loads(render(result, "json"))["outcomes"]} == {None}

    board = TerminalBoard(io.StringIO(), max_rows=10)
    for outcome in result.outcomes:
        board.update(outcome)
    lines = board.render()
    assert all("unknown" in line and "$0.0000" not in line for line in lines[:4])
    assert lines[-1].endswith("| cost unknown")


def test_one_unknown_price_makes_the_total_unknown_with_the_known_part_as_a_lower_bound():
    from manyeyes.models import ReviewResult

    known = AgentOutcome(
        task_id="t1", agent="openai/gpt-4o", concern=Concern.security, target="a.py:1-9", cost_usd=0.02
    )
    unknown = AgentOutcome(
        task_id="t2", agent="openai/alias", concern=Concern.tests, target="a.py:1-9", cost_known=False
    )
    assert ReviewResult(outcomes=[known]).totals()[2] == 0.02
    result = ReviewResult(outcomes=[known, unknown])
    assert result.totals()[2] is None and result.known_cost_usd() == 0.02
    assert "cost unknown (at least $0.0200)" in render(result, "text")


def test_a_custom_price_is_applied_with_the_cached_share_at_the_cached_price(workspace, app, fake, settings):
    fake.min_cached_tokens = 128
    price = ModelPrice(input=3.0, cached_input=0.3, output=15.0)
    result = review(workspace, settings(prices={"openai/fake-model": price}))
    assert any(o.cached_prompt_tokens for o in result.outcomes)
    for outcome in result.outcomes:
        regular = outcome.prompt_tokens - outcome.cached_prompt_tokens
        expected = (regular * 3.0 + outcome.cached_prompt_tokens * 0.3 + outcome.completion_tokens * 15.0) / 1e6
        assert outcome.cost_known and outcome.cost_usd == pytest.approx(expected, rel=1e-9)
    assert result.totals()[2] == pytest.approx(sum(o.cost_usd for o in result.outcomes))
    assert f"${result.totals()[2]:.4f}" in render(result, "text")


def test_litellm_prices_cached_tokens_at_the_cached_price(workspace, app, fake, settings):
    fake.min_cached_tokens = 128
    result = review(workspace, settings(model="openai/gpt-4o-mini"))  # a listed model, served by the fake
    table = load_litellm().model_cost["gpt-4o-mini"]
    assert table["cache_read_input_token_cost"] < table["input_cost_per_token"]
    assert any(o.cached_prompt_tokens for o in result.outcomes)
    for outcome in result.outcomes:
        regular = outcome.prompt_tokens - outcome.cached_prompt_tokens
        expected = (
            regular * table["input_cost_per_token"]
            + outcome.cached_prompt_tokens * table["cache_read_input_token_cost"]
            + outcome.completion_tokens * table["output_cost_per_token"]
        )
        assert outcome.cost_known and outcome.cost_usd == pytest.approx(expected, rel=1e-9)


def test_claude_cache_reads_are_priced_from_litellms_table(workspace, app, fake, settings):
    fake.min_cached_tokens = 64
    result = review(workspace, settings(model=CLAUDE))
    table = load_litellm().model_cost["claude-sonnet-4-5"]
    readers = [o for o in result.outcomes if o.cached_prompt_tokens]
    assert len(readers) == 3
    for outcome in readers:  # these wrote nothing to the cache: input, cache reads and output only
        regular = outcome.prompt_tokens - outcome.cached_prompt_tokens
        expected = (
            regular * table["input_cost_per_token"]
            + outcome.cached_prompt_tokens * table["cache_read_input_token_cost"]
            + outcome.completion_tokens * table["output_cost_per_token"]
        )
        assert outcome.cost_known and outcome.cost_usd == pytest.approx(expected, rel=1e-9)


def test_self_hosted_providers_cost_nothing(monkeypatch):
    from manyeyes.llm.client import _cost

    litellm = load_litellm()
    for model in ("ollama_chat/qwen2.5-coder", "lm_studio/qwen", "hosted_vllm/my-model", "llamafile/x"):
        assert _cost(litellm, model, None, None, 1000, 100, 0) == 0.0, model
    assert _cost(litellm, "openai/my-alias", None, None, 1000, 100, 0) is None


def test_prices_are_the_users_word_never_a_projects(tmp_path):
    user = tmp_path / "config.toml"
    user.write_text('[prices."openai/team-gpt"]\ninput = 2.5\ncached_input = 1.25\noutput = 10\n')
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / ".manyeyes.toml").write_text('[prices."openai/team-gpt"]\ninput = 0\noutput = 0\n')
    loaded = load_settings(workspace, user_config=user)
    assert loaded.settings.prices == {"openai/team-gpt": ModelPrice(input=2.5, cached_input=1.25, output=10)}
    assert any("'prices' can only be set in user config" in w for w in loaded.warnings)


def test_staggering_earns_the_cache_that_sending_all_at_once_misses(workspace, fake, settings, monkeypatch):
    """A chunk whose shared prefix is long enough to cache (1,024 tokens): its first agent goes alone, the other
    three after its answer and read its prefix; sent together, all four miss (the fake, like a provider, has not
    cached a prompt it is still reading)."""
    long_function = "def tally(rows):\n    total = 0\n" + "".join(
        f"    total += rows[{i}] * {i}  # weight the row by its position, then add it\n" for i in range(70)
    )
    write(workspace, "app.py", long_function + "    return total\n")
    # The security agent waits for the analyzers' evidence; semgrep's start-up (seconds) would let it go after
    # the others' answers and read their cache, which is not what "sent together" means here.
    monkeypatch.setattr(semgrep, "find_semgrep", lambda: None)
    fake.latency = 2.0  # long enough for requests sent together to overlap, whatever the other analyzers take
    review(workspace, settings(stagger_fanout=False, concurrency=8))
    assert len(fake.cached_tokens) == 4 and set(fake.cached_tokens) == {0}
    fake.requests.clear(), fake.cached_tokens.clear(), fake._prefixes.clear()
    review(workspace, settings(concurrency=8))
    first, *others = fake.cached_tokens
    assert first == 0 and len(others) == 3 and all(cached >= 1024 for cached in others)
    assert min(fake.arrivals[-3:]) - fake.arrivals[-4] >= 2.0  # the three were sent after the first's answer
