"""Team scale: CLI reviews through a real LiteLLM proxy, with manyeyes' fake provider as the proxy's upstream.

    manyeyes review --model openai/team-model --api-base PROXY  ->  litellm proxy (master key)  ->  fake upstream

The proxy is the real `litellm` console script of this environment (the `litellm[proxy]` test extra), started once
for the module on a free loopback port, without a database (virtual keys and budgets need one, see docs/team.md):
the developer's key is the proxy's master key here. It runs at its normal log level, so its logs are the ones a
team keeps. What this proves is listed in docs/team.md.

Without the proxy extra the tests are skipped, unless MANYEYES_REQUIRE_EDITORS is set (CI), where they fail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from manyeyes.devtools.fake_provider import CHARS_PER_TOKEN, FakeProvider, Reply, agent_of, text_of

from tests.conftest import write

# How long the proxy may take to answer /health/liveliness (about 6 s on this project's machines).
START_TIMEOUT_S = 90
KEY_ENV = "MANYEYES_TEST_PROXY_KEY"  # the variable MANYEYES_API_KEY_ENV names: it holds the developer's proxy key
# Modules only the proxy extra installs: litellm's own `litellm` console script is there without them.
PROXY_MODULES = ("fastapi", "uvicorn", "backoff", "apscheduler", "yaml")

AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PROJECT_KEY = "sk-proj-Tq8fR2vXk9LmN3pWz7YbC4dHs6JgE1aU"
PLANTED = [AWS_KEY_ID, AWS_SECRET, PROJECT_KEY]

APP = f'''
import subprocess

import boto3

AWS_ACCESS_KEY_ID = "{AWS_KEY_ID}"
AWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"
OPENAI_API_KEY = "{PROJECT_KEY}"


def run(user_input):
    subprocess.call("ls " + user_input, shell=True)


def client():
    return boto3.client("s3", aws_access_key_id=AWS_ACCESS_KEY_ID, aws_secret_access_key=AWS_SECRET_ACCESS_KEY)
'''

SHELL = {
    "title": "Shell command built from user input",
    "severity": "critical",
    "confidence": 0.9,
    "line": 11,
    "quote": 'subprocess.call("ls " + user_input, shell=True)',
    "cwe": "CWE-78",
    "rule": "B602",
    "explanation": "user_input reaches a shell.",
    "fix": {"replacement": '    subprocess.call(["ls", user_input])', "description": "no shell"},
}
PRICE = {"input": 2.5, "output": 10.0}  # USD per million tokens, the team's price for its alias


class HeaderRecordingFake(FakeProvider):
    """The fake provider, also keeping each request's headers: the fake itself records only bodies, and what the
    proxy authenticates to the upstream with is a header."""

    def __init__(self):
        super().__init__()
        self.headers: list[dict[str, str]] = []
        recorded = self.headers
        lock = self._lock

        class Recording(self._server.RequestHandlerClass):
            def do_POST(self) -> None:
                with lock:
                    recorded.append({name.lower(): value for name, value in self.headers.items()})
                super().do_POST()

        self._server.RequestHandlerClass = Recording


@dataclass
class Proxy:
    url: str
    key: str  # the developer's key: the master key, since virtual keys need the proxy's database
    upstream_key: str  # the key the proxy holds for the upstream: developers never see it
    stdout: Path
    stderr: Path

    def logs(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")

    def served(self) -> int:
        """Chat completions the proxy answered with 200, from its access log."""
        return len(re.findall(r'"POST (?:/v1)?/chat/completions HTTP/1\.1" 200', self.logs()))


def _proxy_command() -> list[str]:
    script = Path(sys.executable).with_name("litellm")
    missing = [name for name in PROXY_MODULES if importlib.util.find_spec(name) is None]
    if script.is_file() and not missing:
        return [str(script)]
    found = f"no {script}" if not script.is_file() else f"no module {', '.join(missing)}"
    reason = f"the LiteLLM proxy is not installed ({found}): pip install -e '.[test]'"
    if os.environ.get("MANYEYES_REQUIRE_EDITORS"):
        pytest.fail(f"MANYEYES_REQUIRE_EDITORS is set but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health/liveliness", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    """The proxy and anything it started: it leads its own process group (start_new_session)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
    try:  # a worker left behind in the group
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@pytest.fixture(scope="module")
def upstream():
    with HeaderRecordingFake() as fake:
        yield fake


@pytest.fixture(scope="module")
def proxy(upstream, tmp_path_factory):
    command = _proxy_command()
    directory = tmp_path_factory.mktemp("litellm-proxy")
    master, upstream_key = f"sk-team-{secrets.token_hex(12)}", f"sk-upstream-{secrets.token_hex(12)}"
    config = {  # JSON is YAML
        "model_list": [
            {
                "model_name": "team-model",
                "litellm_params": {"model": "openai/fake-model", "api_base": upstream.url, "api_key": upstream_key},
            }
        ],
        "general_settings": {"master_key": master},
    }
    (directory / "config.yaml").write_text(json.dumps(config, indent=2), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LITELLM_", "DATABASE_", "REDIS_"))}
    # The bundled price table (no fetch), no ./.env loaded, and logs written as they happen.
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_MODE="PRODUCTION", PYTHONUNBUFFERED="1")
    stdout, stderr = directory / "stdout.log", directory / "stderr.log"
    for _attempt in range(3):  # another process may take the free port before the proxy binds it
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        with open(stdout, "wb") as out, open(stderr, "wb") as err:
            process = subprocess.Popen(
                command + ["--config", str(directory / "config.yaml"), "--host", "127.0.0.1", "--port", str(port)],
                cwd=directory,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while process.poll() is None and time.monotonic() < deadline and not _alive(url):
            time.sleep(0.25)
        if process.poll() is None and _alive(url):
            break
        exited = process.poll()
        _stop(process)
        log = stderr.read_text(errors="replace")
        if "address already in use" not in log.lower():
            how = f"exited with {exited}" if exited is not None else f"was not live after {START_TIMEOUT_S} s"
            pytest.fail(f"the LiteLLM proxy {how}; its stderr:\n{log[-6000:]}")
    else:
        pytest.fail(f"the LiteLLM proxy found no free port; its stderr:\n{log[-6000:]}")
    try:
        yield Proxy(url=url, key=master, upstream_key=upstream_key, stdout=stdout, stderr=stderr)
    finally:
        _stop(process)


def _user_config(text: str) -> None:
    """The developer's own config file (conftest points XDG_CONFIG_HOME at a fresh directory for each test)."""
    write(Path(os.environ["XDG_CONFIG_HOME"]), "manyeyes/config.toml", text)


def _prices(model: str) -> str:
    return f'[prices."{model}"]\ninput = {PRICE["input"]}\noutput = {PRICE["output"]}\n'


def _review(workspace: Path, proxy: Proxy, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LITELLM_PROXY_"))}
    env.update({"MANYEYES_API_KEY_ENV": KEY_ENV, KEY_ENV: proxy.key})
    return subprocess.run(
        [sys.executable, "-m", "manyeyes", "review", "app.py", "--format", "json", "--no-board", *args],
        cwd=workspace,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=150,
    )


def _usage(body: dict) -> tuple[int, int]:
    """What the fake upstream reported for a request (its figures: prompt characters / 4 + 1 over the messages,
    and the same for the reply it was scripted to give)."""
    prompt = sum(len(text_of(m.get("content", ""))) for m in body.get("messages", []))
    reply = Reply(findings=[SHELL]) if agent_of(body) == "security" else Reply()
    return prompt // CHARS_PER_TOKEN + 1, len(reply.text()) // CHARS_PER_TOKEN + 1


def _check_what_left_the_machine(proxy: Proxy, upstream: HeaderRecordingFake, start: int, headers_start: int):
    """The upstream saw only the proxy's own key and only redacted code; the proxy's logs hold neither the
    developer's key nor the planted secrets."""
    bodies = json.dumps(upstream.requests[start:])
    headers = upstream.headers[headers_start:]
    assert len(headers) == len(upstream.requests) - start  # every request's headers recorded
    assert {h.get("authorization") for h in headers} == {f"Bearer {proxy.upstream_key}"}
    seen = bodies + json.dumps(headers)
    assert proxy.key not in seen, "the developer's proxy key reached the upstream"
    assert not [s for s in PLANTED if s in seen], "a planted secret reached the upstream"
    assert "<redacted:" in bodies
    logs = proxy.logs()
    assert proxy.key not in logs, "the developer's proxy key is in the proxy's logs"
    assert not [s for s in PLANTED if s in logs], "a planted secret is in the proxy's logs"
    assert proxy.upstream_key not in logs


@pytest.mark.timeout(240)
@pytest.mark.parametrize("model", ["openai/team-model", "litellm_proxy/team-model"])
def test_cli_review_through_the_litellm_proxy(model, proxy, upstream, workspace):
    write(workspace, "app.py", APP)
    _user_config(_prices(model))
    upstream.script("security", Reply(findings=[SHELL]))
    start, headers_start, served = len(upstream.requests), len(upstream.headers), proxy.served()

    done = _review(workspace, proxy, "--model", model, "--api-base", proxy.url)

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    sent = upstream.requests[start:]
    assert sent, "the review sent nothing"
    assert {body["model"] for body in sent} == {"fake-model"}  # the proxy mapped the alias
    # manyeyes' request parameters survive the proxy: the reply limit, no sampling for a first answer (a second
    # voter's sample, where the shell call escalated its chunk, at 0.8), JSON mode
    sent_parameters = {(b.get("max_tokens"), b.get("temperature"), json.dumps(b.get("response_format"))) for b in sent}
    json_mode = json.dumps({"type": "json_object"})
    assert (2048, 0, json_mode) in sent_parameters and sent_parameters <= {(2048, 0, json_mode), (2048, 0.8, json_mode)}
    assert proxy.served() - served == len(sent)  # every upstream request went through the proxy

    shell = next(f for f in result["findings"] if "CWE-78" in f["cwe"])
    assert shell["span"]["start_line"] == 11 and shell["severity"] == "critical"
    assert ("model", model) in [(source["kind"], source["name"]) for source in shell["sources"]]

    # Token accounting: manyeyes reports, per concern, exactly what the upstream reported through the proxy.
    called = [o for o in result["outcomes"] if o["agent"] == model and o["state"] != "skipped"]
    assert called and not [o for o in called if o["state"] != "done" or o["cached"]]
    assert all(o["prompt_tokens"] > 0 and o["completion_tokens"] > 0 for o in called)
    reported, expected = {}, {}
    for outcome in called:
        tokens = reported.setdefault(outcome["concern"], [0, 0])
        tokens[0] += outcome["prompt_tokens"]
        tokens[1] += outcome["completion_tokens"]
    for body in sent:
        tokens = expected.setdefault(agent_of(body), [0, 0])
        for index, count in enumerate(_usage(body)):
            tokens[index] += count
    assert result["verification"] is None  # the one model finding is backed by bandit: no verifier call
    assert reported == expected
    prompt, completion = (sum(t[0] for t in reported.values()), sum(t[1] for t in reported.values()))
    assert prompt > 0 and completion > 0
    # Cost: the alias has no list price; the user's `prices` entry gives it one.
    assert all(o["cost_known"] for o in called)
    cost = sum(o["cost_usd"] for o in called)
    assert cost == pytest.approx((prompt * PRICE["input"] + completion * PRICE["output"]) / 1e6)

    _check_what_left_the_machine(proxy, upstream, start, headers_start)


@pytest.mark.timeout(240)
def test_a_workspace_cannot_route_around_the_proxy(proxy, upstream, workspace):
    """The team's settings live in each developer's user config; a repository's .manyeyes.toml naming another
    endpoint, model, key variable or price is ignored with a warning, and the review still goes through the proxy."""
    model = "litellm_proxy/team-model"
    write(workspace, "app.py", APP)
    _user_config(f'model = "{model}"\napi_base = "{proxy.url}"\napi_key_env = "{KEY_ENV}"\n' + _prices(model))
    write(
        workspace,
        ".manyeyes.toml",
        f'''
        model = "openai/fake-model"
        api_base = "{upstream.url}"
        api_key_env = "HOME"
        [prices."{model}"]
        input = 0
        output = 0
        ''',
    )
    upstream.script("security", Reply(findings=[SHELL]))
    start, headers_start, served = len(upstream.requests), len(upstream.headers), proxy.served()

    done = _review(workspace, proxy)

    assert done.returncode == 0, done.stderr
    for key in ("model", "api_base", "api_key_env", "prices"):
        assert f"'{key}' can only be set in user config, the environment or the command line; ignored" in done.stderr
    result = json.loads(done.stdout)
    sent = upstream.requests[start:]
    assert sent and proxy.served() - served == len(sent)
    called = [o for o in result["outcomes"] if o["agent"] == model and o["state"] != "skipped"]
    costs = [(o["cost_known"], o["cost_usd"]) for o in called]
    assert costs and all(known and cost > 0 for known, cost in costs), costs  # the user's price, not 0
    assert ("model", model) in [(s["kind"], s["name"]) for f in result["findings"] for s in f["sources"]]
    _check_what_left_the_machine(proxy, upstream, start, headers_start)
