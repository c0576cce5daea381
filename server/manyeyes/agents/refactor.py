"""Refactoring agents: each proposes a rewrite of the selected lines for one concern.

The model agent asks for `{"code", "summary"}` with the concern's refactor brief; the offline agent applies the
analyzers' own fixes inside the selection. Both keep the Agent contract: a failure is a report with an error.
"""

from __future__ import annotations

from manyeyes.agents.analyzers.panel import OfflinePanel
from manyeyes.agents.base import AgentReport, Proposal
from manyeyes.agents.grounding import render_evidence
from manyeyes.agents.messages import quoted_sources, render_context
from manyeyes.agents.parsing import ParseError, json_object
from manyeyes.agents.prompts import load_prompt
from manyeyes.llm.client import ModelClient, ModelReply
from manyeyes.llm.errors import ModelCallError
from manyeyes.models import Finding
from manyeyes.plan.planner import Task
from manyeyes.safety.redact import redact_message
from manyeyes.synthesis.merge import consolidate

CODE_SCHEMA = {
    "type": "object",
    "properties": {"code": {"type": "string"}, "summary": {"type": "string"}},
    "required": ["code", "summary"],
}


def parse_code_reply(text: str) -> Proposal:
    """`{"code": ..., "summary": ...}` from a reply, tolerating fences and prose around it."""
    value = json_object(text)
    if not isinstance(value, dict) or not isinstance(value.get("code"), str):
        raise ParseError("the reply has no 'code' string")
    return Proposal(code=value["code"].rstrip("\n"), summary=str(value.get("summary") or "").strip())


def refactor_messages(task: Task) -> list[dict]:
    chunk = task.chunk
    brief = load_prompt("refactor").render(
        concern=task.concern.value,
        goal=task.spec.refactor_goal or "",
        start=str(chunk.start),
        end=str(chunk.end),
        evidence=render_evidence(task),
    )
    return code_messages(task, render_context(task) + "\n" + brief)


def code_messages(task: Task, user: str) -> list[dict]:
    system = load_prompt("refactor_system").render()
    user = redact_message(user, quoted_sources(task))
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


async def ask_for_code(client: ModelClient, model: str, messages: list[dict], report: AgentReport) -> Proposal | None:
    """One model call for a rewrite; tokens and cost go on the report, failures become its error."""
    try:
        reply: ModelReply = await client.complete(model, messages, schema=CODE_SCHEMA)
    except ModelCallError as exc:
        report.error = f"{exc.kind}: {exc.message}"
        return None
    report.prompt_tokens += reply.prompt_tokens
    report.completion_tokens += reply.completion_tokens
    report.cost_usd += reply.cost_usd
    report.cost_known = report.cost_known and reply.cost_known  # one call priced nowhere: the total is unknown
    report.retries += reply.retries
    if reply.refusal or not reply.text.strip():
        report.error = f"model refused: {reply.refusal}" if reply.refusal else "empty reply"
        return None
    if reply.finish_reason == "length":
        report.error = "reply cut off at the completion token limit (raise max_completion_tokens)"
        return None
    try:
        return parse_code_reply(reply.text)
    except ParseError as exc:
        report.error = f"unparseable reply: {exc}"
        return None


class RefactorAgent:
    def __init__(self, client: ModelClient):
        self.client = client

    async def review(self, task: Task) -> AgentReport:
        report = AgentReport()
        report.proposal = await ask_for_code(self.client, task.agent, refactor_messages(task), report)
        return report


class OfflineRefactorAgent:
    """The analyzers' fixes inside the selection, applied together where they do not overlap."""

    def __init__(self, panel: OfflinePanel):
        self.panel = panel

    async def review(self, task: Task) -> AgentReport:
        chunk = task.chunk
        hits, failures = await self.panel.hits(task.concern, chunk.document.path)
        fixes = [
            h
            for h in consolidate(hits)
            if h.fix and chunk.start <= h.fix.span.start_line and h.fix.span.end_line <= chunk.end
        ]
        report = AgentReport(findings=fixes, error="; ".join(failures) or None)
        if fixes:
            code = apply_fixes(chunk.document.lines[chunk.start - 1 : chunk.end], chunk.start, fixes)
            report.proposal = Proposal(code, "; ".join(dict.fromkeys(f.fix.description for f in fixes)))
        return report


def apply_fixes(lines: list[str], first_line: int, findings: list[Finding]) -> str:
    """The lines with every fix applied (fixes must not overlap; `consolidate` already withheld those that do)."""
    text = "\n".join(lines)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def offset(line: int, col: int) -> int:
        index = line - first_line
        return starts[index] + (len(lines[index]) if col == 0 else col - 1)

    for finding in sorted(findings, key=lambda f: (f.fix.span.start_line, f.fix.span.start_col), reverse=True):
        span = finding.fix.span
        text = (
            text[: offset(span.start_line, span.start_col)]
            + finding.fix.replacement
            + text[offset(span.end_line, span.end_col) :]
        )
    return text
