import io

from manyeyes.cli.board import TerminalBoard
from manyeyes.cli.exits import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from manyeyes.cli.review import exit_code, parse_lines
from manyeyes.models import AgentOutcome, Concern, Finding, ReviewResult, Severity, Span


def outcome(task_id, state, concern=Concern.security, **kwargs):
    return AgentOutcome(task_id=task_id, agent="openai/x", concern=concern, target="a.py:1-9", state=state, **kwargs)


def test_board_draws_every_agent_and_totals():
    stream = io.StringIO()
    board = TerminalBoard(stream, max_rows=10)
    board.update(outcome("t1", "done", findings=2, prompt_tokens=900, completion_tokens=100, cost_usd=0.002))
    board.update(outcome("t2", "failed", Concern.tests, error="rate limited (HTTP 429): slow down"))
    lines = board.render()
    assert "✓ security" in lines[0] and "2 findings" in lines[0] and "1,000 tok" in lines[0]
    assert "✗ tests" in lines[1] and "rate limited" in lines[1]
    assert lines[-1].strip() == "100% | 2 findings | 1,000 tokens | $0.0020"
    board.phase("verifying 2 finding(s)")  # the agents are done; the board says what the run is doing
    board.close()
    assert stream.getvalue().endswith("$0.0020 | verifying 2 finding(s)\n\n")


def test_board_folds_large_runs_to_fit_the_screen():
    board = TerminalBoard(io.StringIO(), max_rows=3)
    for index in range(20):
        board.update(outcome(f"t{index}", "running" if index < 2 else "queued"))
    lines = board.render()
    assert len(lines) == 4 and "18 more (18 queued, 2 running)" in lines[2]


def result_with(severity=None, states=("done",)):
    findings = (
        []
        if severity is None
        else [
            Finding(
                path="a.py",
                concerns=[Concern.security],
                severity=severity,
                confidence=0.5,
                title="t",
                span=Span(start_line=1, end_line=1),
            )
        ]
    )
    return ReviewResult(findings=findings, outcomes=[outcome(f"t{i}", s) for i, s in enumerate(states)])


def test_exit_codes():
    assert exit_code(result_with(Severity.high), "high") == EXIT_FINDINGS
    assert exit_code(result_with(Severity.medium), "high") == EXIT_OK
    assert exit_code(result_with(Severity.high), None) == EXIT_OK
    assert exit_code(result_with(None, ("done", "failed")), "high") == EXIT_INCOMPLETE
    assert exit_code(result_with(Severity.critical, ("failed",)), "high") == EXIT_FINDINGS


def test_parse_lines():
    assert parse_lines("3-9") == (3, 9) and parse_lines("7") == (7, 7)
