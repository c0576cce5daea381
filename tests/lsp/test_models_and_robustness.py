"""Model reviews from the editor against the fake provider, settings changes, cancellation, and bad input."""

import json
import subprocess
import sys

import pytest
from lsprotocol import types
from manyeyes.devtools.fake_provider import Fault, Reply

from tests.lsp.conftest import SERVER_ENV
from tests.lsp.helpers import by_code, code_actions, command, open_document, review_file

SOURCE = """import subprocess


def run(cmd):
    subprocess.call(cmd, shell=True)
    return cmd
"""
SHELL = {
    "title": "Shell command built from input",
    "severity": "critical",
    "confidence": 0.9,
    "line": 5,
    "quote": "subprocess.call(cmd, shell=True)",
    "cwe": "CWE-78",
    "rule": "B602",
    "fix": {"replacement": "    subprocess.call([cmd])", "description": "Run without a shell"},
}
NIT = {
    "title": "Name the command argument better",
    "severity": "low",
    "confidence": 0.5,
    "line": 4,
    "quote": "def run(cmd):",
}


@pytest.fixture
def init_options(model_options):
    return model_options


@pytest.mark.asyncio
async def test_model_review_then_settings_refilter_without_a_model_call(client, ws, fake):
    fake.latency = 1.0  # long enough for all four agents to be in flight together, even on a loaded machine
    fake.script("security", Reply(findings=[SHELL]))
    fake.script("readability", Reply(findings=[NIT]))
    uri = open_document(client, ws / "app.py", SOURCE)
    board = await review_file(client, uri)
    assert {a["agent"] for a in board["agents"]} == {"openai/fake-model"}
    assert board["tokens"] > 0 and all(a["state"] == "done" for a in board["agents"])
    assert fake.peak_in_flight == 4
    shell = by_code(client, uri, "B602")
    assert shell.severity == types.DiagnosticSeverity.Error and shell.range.start.line == 4
    assert any(d.message == "readability: Name the command argument better" for d in client.diagnostics[uri])
    # the readability finding has no analyzer behind it: it is verified, and the board says so while it is
    assert "verifying 1 finding(s)" in [b["phase"] for b in client.boards.received if not b["done"]]
    assert len(fake.requests_for("verify")) == 1

    actions = await code_actions(client, uri, shell)
    fix = next(a for a in actions if getattr(a, "edit", None) is not None)
    assert list(fix.tags) == [types.CodeActionTag.LlmGenerated] and not fix.is_preferred

    requests_before = len(fake.requests)
    client.set_configuration({"minSeverity": "high"}, section="manyeyes")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert [d.code for d in client.diagnostics[uri]] == ["B602"]  # the low finding is filtered out at once
    assert len(fake.requests) == requests_before


@pytest.mark.asyncio
async def test_an_escalated_finding_hovers_with_its_votes_and_backing(client, ws, fake):
    fake.script("security", Reply(findings=[SHELL]))
    uri = open_document(client, ws / "app.py", SOURCE)
    board = await review_file(client, uri)
    [vote] = [a for a in board["agents"] if a["vote"] == 2]  # the shell call's chunk got a second voter
    assert vote["concern"] == "security" and vote["escalated"].startswith("analyzer hit (B602)")
    assert board["consensus"]["escalated"][0]["votes"] == 2
    assert any((b["phase"] or "").startswith("escalating 1 task(s)") for b in client.boards.received)
    shell = by_code(client, uri, "B602")
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=shell.range.start)
    )
    text = hover.contents.value
    assert "(2 of 2 voters (model:openai/fake-model); backed by bandit B602)" in text, text


@pytest.mark.asyncio
async def test_a_finding_the_verifier_rejects_is_listed_on_the_board_not_published(client, ws, fake):
    fake.script("security", Reply(findings=[SHELL]))
    fake.script("readability", Reply(findings=[NIT]))
    verdicts = [{"id": "f1", "verdict": "rejected", "reason": "cmd is a fine name here"}]
    fake.script("verify", Reply(content=json.dumps({"verdicts": verdicts})))
    uri = open_document(client, ws / "app.py", SOURCE)
    board = await review_file(client, uri)
    # bandit backs SHELL (never sent to verify); the test gap stays, not confirmed by the tests agent
    assert sorted(d.code for d in client.diagnostics[uri]) == ["B602", "test-gap"]
    assert board["message"] == "2 finding(s), 1 rejected by verification"
    assert board["findings"] == 2 and sum(a["findings"] for a in board["agents"]) > 2  # what is shown, not raw
    check = board["verification"]
    assert (check["checked"], check["confirmed"], check["errors"]) == (1, 0, [])
    assert check["rejected"] == [
        {"uri": uri, "path": "app.py", "line": 3, "title": NIT["title"], "reason": "cmd is a fine name here"}
    ]
    assert check["tokens"] > 0 and board["tokens"] >= check["tokens"] + sum(a["tokens"] for a in board["agents"])
    assert all(b["verification"] is None for b in client.boards.received if not b["done"])  # only once it ran


@pytest.mark.asyncio
async def test_failing_agents_are_on_the_board_and_the_rest_is_published(client, ws, fake):
    fake.script("security", Reply(findings=[SHELL]))
    fake.script("tests", Fault("500"))
    fake.script("performance", Fault("refusal"))
    uri = open_document(client, ws / "app.py", SOURCE)
    board = await review_file(client, uri)
    errors = {a["concern"]: a["error"] for a in board["agents"]}
    assert errors["tests"].startswith("provider error (HTTP 500)")
    assert errors["performance"].startswith("model refused")
    assert "2 agent(s) failed" in board["message"]
    assert by_code(client, uri, "B602") is not None


@pytest.mark.asyncio
async def test_cancel_stops_the_review_and_publishes_nothing(client, ws, fake):
    fake.script("security", Fault("timeout"))
    uri = open_document(client, ws / "app.py", SOURCE)
    started = await command(client, "manyeyes.review.file", uri)
    await client.wait_for_notification("manyeyes/board")
    cancelled = await command(client, "manyeyes.review.cancel", uri)
    assert cancelled == {"cancelled": [started["reviewId"]]}
    board = await client.boards.finished(started["reviewId"])
    assert board["message"] == "cancelled"
    assert uri not in client.diagnostics
    reports = client.progress_reports.get(started["reviewId"], [])
    assert reports and isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
    assert isinstance(reports[-1], types.WorkDoneProgressEnd) and reports[-1].message == "cancelled"


@pytest.mark.asyncio
async def test_cancelling_one_agent_lets_the_others_finish(client, ws, fake):
    fake.script("security", Fault("timeout"))  # hangs until cancelled
    fake.script("readability", Reply(findings=[NIT]))
    uri = open_document(client, ws / "app.py", SOURCE)
    started = await command(client, "manyeyes.review.file", uri)
    review_id = started["reviewId"]
    security = await _running_agent(client, review_id, "security")
    assert await command(client, "manyeyes.agent.cancel", review_id, security) == {"cancelled": True}
    assert await command(client, "manyeyes.agent.cancel", review_id, security) == {"cancelled": False}
    board = await client.boards.finished(review_id)
    states = {a["concern"]: (a["state"], a["error"]) for a in board["agents"]}
    assert states["security"] == ("cancelled", "cancelled by the user")
    assert {states[c][0] for c in ("performance", "readability", "tests")} == {"done"}
    assert any(d.message == "readability: Name the command argument better" for d in client.diagnostics[uri])
    # bandit's evidence for the cancelled security agent is still shown, marked as not confirmed by the model
    assert by_code(client, uri, "B602") is not None


async def _running_agent(client, review_id: str, concern: str) -> str:
    while True:
        for board in [b for b in client.boards.received if b["reviewId"] == review_id]:
            for agent in board["agents"]:
                if agent["concern"] == concern and agent["state"] == "running":
                    return agent["id"]
        await client.wait_for_notification("manyeyes/board")


@pytest.mark.asyncio
async def test_a_new_request_supersedes_the_running_one(client, ws, fake):
    fake.script("security", Fault("timeout"))
    uri = open_document(client, ws / "app.py", SOURCE)
    first = await command(client, "manyeyes.review.file", uri)
    fake.script("security", Reply(findings=[SHELL]))
    second = await command(client, "manyeyes.review.file", uri)
    assert (await client.boards.finished(first["reviewId"]))["message"] == "cancelled"
    assert (await client.boards.finished(second["reviewId"]))["message"].endswith("finding(s)")


@pytest.mark.asyncio
async def test_bad_requests_get_errors_and_the_server_keeps_serving(client, ws):
    uri = open_document(client, ws / "app.py", SOURCE)
    with pytest.raises(Exception, match="not defined"):
        await command(client, "manyeyes.nope")
    with pytest.raises(Exception, match="needs a document URI"):
        await command(client, "manyeyes.review.file")
    with pytest.raises(Exception, match="needs a range"):
        await command(client, "manyeyes.review.selection", uri, {"start": 3})
    with pytest.raises(Exception, match="needs a reviewId and an agent id"):
        await command(client, "manyeyes.agent.cancel", "manyeyes-review-1")
    assert await command(client, "manyeyes.agent.cancel", "no-such-review", "t1") == {"cancelled": False}
    with pytest.raises(Exception, match="no finding"):
        await command(client, "manyeyes.dismiss", uri, "0000")
    with pytest.raises(Exception, match="optionally the reason"):
        await command(client, "manyeyes.dismiss", uri, "0000", "why", "and more")
    with pytest.raises(Exception, match="not reviewed: no such file"):
        await command(client, "manyeyes.review.file", (ws / "deleted.py").as_uri())
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=999, character=999),
        )
    )
    assert hover is None
    board = await review_file(client, uri)  # still serving
    assert board["done"]


def frames(data: bytes) -> list[dict]:
    """Parse raw stdout strictly as LSP frames: anything else in the stream fails."""
    messages = []
    while data:
        header, separator, rest = data.partition(b"\r\n\r\n")
        assert separator, f"garbage on stdout: {data[:80]!r}"
        fields = dict(line.split(": ", 1) for line in header.decode("ascii").split("\r\n"))
        length = int(fields["Content-Length"])
        messages.append(json.loads(rest[:length]))
        data = rest[length:]
    return messages


def read_frame(stream) -> bytes:
    """One frame's raw bytes: header lines up to the blank line, then exactly Content-Length bytes."""
    header = b""
    while not header.endswith(b"\r\n\r\n"):
        line = stream.readline()
        assert line, "the server closed stdout"
        header += line
    length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    return header + stream.read(length)


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def test_stdout_carries_only_protocol_frames(tmp_path):
    (tmp_path / "app.py").write_text(SOURCE)
    uri = (tmp_path / "app.py").as_uri()
    script = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"capabilities": {}, "rootUri": tmp_path.as_uri(), "processId": None},
        },
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": 42}}},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "workspace/executeCommand",
            "params": {"command": "manyeyes.review.file", "arguments": [uri]},
        },
    ]
    data = b"".join(frame(m) for m in script) + b"Content-Length: 9\r\n\r\n{not json"
    process = subprocess.Popen(
        [sys.executable, "-m", "manyeyes", "lsp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=SERVER_ENV,
    )
    process.stdin.write(data)
    process.stdin.flush()
    received = []
    while not any(m.get("method") == "manyeyes/board" and m["params"]["done"] for m in received):
        received.extend(frames(read_frame(process.stdout)))
    process.stdin.write(
        frame({"jsonrpc": "2.0", "id": 9, "method": "shutdown"}) + frame({"jsonrpc": "2.0", "method": "exit"})
    )
    process.stdin.close()
    received.extend(frames(process.stdout.read()))
    process.wait(timeout=30)
    by_id = {m.get("id"): m for m in received if "id" in m}
    assert by_id[1]["result"]["capabilities"]["hoverProvider"]
    assert by_id[2]["error"]["code"] == -32602  # invalid params answered, not dropped
    assert by_id[3]["result"]["reviewId"]
    assert any(m.get("error", {}).get("code") == -32700 for m in received)  # the body that is not JSON
    assert any(m.get("method") == "textDocument/publishDiagnostics" for m in received)
    assert process.returncode == 0


# Spread apart (more lines between them than a batch carries along, plan/batching.py): three tasks per concern.
APART = "\n" * 14
THREE_FUNCTIONS = f"""import subprocess


def run(cmd):
    subprocess.call(cmd, shell=True)
    return cmd
{APART}
def add(a, b):
    return a + b
{APART}
def scale(values, factor):
    return [v * factor for v in values]
"""


@pytest.mark.asyncio
async def test_unchanged_code_is_not_sent_again_and_an_edit_re_runs_only_its_chunk(client, ws, fake):
    from tests.lsp.helpers import change_document

    fake.script("security", Reply(findings=[SHELL]))
    uri = open_document(client, ws / "app.py", THREE_FUNCTIONS)
    first = await review_file(client, uri)
    cold = len(fake.requests)
    votes = [a for a in first["agents"] if a["vote"] > 1]
    assert cold == 3 * 4 + len(votes)  # three functions, four concerns, and second voters where SHELL was reported
    assert votes and all(a["concern"] == "security" and "critical finding" in a["escalated"] for a in votes)
    board = await review_file(client, uri)
    assert len(fake.requests) == cold and all(a["cached"] for a in board["agents"])
    assert by_code(client, uri, "B602").range.start.line == 4
    edited = "# a comment that moves everything down\n" + APART + THREE_FUNCTIONS.replace("a + b", "a - b")
    change_document(client, uri, edited, version=2)
    third = await review_file(client, uri)
    # add()'s four agents are asked again, and the new comment's four (comments are reviewed: they can hold
    # credentials or instructions aimed at AI reviewers); the two unchanged functions come from the cache, their
    # votes too
    asked = [a for a in third["agents"] if not a["cached"]]
    assert len([a for a in asked if a["vote"] == 1]) == 4 + 4
    assert len(fake.requests) == cold + len(asked)
    assert by_code(client, uri, "B602").range.start.line == 19  # the cached finding, re-anchored where it moved


@pytest.mark.asyncio
async def test_cancelling_the_progress_in_the_editor_cancels_the_review(client, ws, fake):
    fake.script("security", Fault("timeout"))
    uri = open_document(client, ws / "app.py", SOURCE)
    started = await command(client, "manyeyes.review.file", uri)
    await client.wait_for_notification("manyeyes/board")
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=started["reviewId"]))
    board = await client.boards.finished(started["reviewId"])
    assert board["message"] == "cancelled" and uri not in client.diagnostics


@pytest.mark.asyncio
async def test_an_edit_to_the_reviewed_text_cancels_the_review(client, ws, fake):
    from tests.lsp.helpers import change_document

    fake.script("security", Fault("timeout"))
    uri = open_document(client, ws / "app.py", SOURCE)
    started = await command(client, "manyeyes.review.file", uri)
    await client.wait_for_notification("manyeyes/board")
    change_document(client, uri, SOURCE + "\n# edited\n", version=2)
    board = await client.boards.finished(started["reviewId"])
    assert board["message"] == "cancelled" and uri not in client.diagnostics
