"""The model agent: send the task's messages (agents/messages.py), call the model, parse the reply, anchor every
finding.

Every message is redacted before it is sent. Findings are anchored against the redacted text (what the model
saw) and quote the original. A reply that was cut off, refused or empty makes the task fail with that reason,
never pass as "no findings".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from manyeyes.agents import framing
from manyeyes.agents.analyzers.base import cwe_uri
from manyeyes.agents.anchoring import anchor
from manyeyes.agents.base import AgentReport
from manyeyes.agents.grounding import settle_evidence
from manyeyes.agents.messages import lesson_line, render_messages
from manyeyes.agents.parsing import FindingsReply, Parsed, ParseError, RawFinding, parse_reply
from manyeyes.agents.prompts import prompt_versions
from manyeyes.cache import Cache, content_key
from manyeyes.llm.client import ModelClient, ModelReply
from manyeyes.llm.errors import ModelCallError
from manyeyes.models import Finding, Fix, Source, Span
from manyeyes.plan.documents import Document, split_lines
from manyeyes.plan.planner import Task
from manyeyes.safety import plain
from manyeyes.synthesis import policy
from manyeyes.synthesis.rules import canonical, canonical_set

FINDINGS_SCHEMA = FindingsReply.model_json_schema()


@dataclass(frozen=True)
class CachedAnswer:
    """A model's parsed answer for a chunk, and where the chunk started when it was asked."""

    parsed: Parsed
    chunk_start: int
    tokens: int = 0  # what the call cost (prompt and completion): a re-run counts it against its budget again

    FORMAT = 1  # of the JSON kept in the cache; a value in another format is a miss

    def to_json(self) -> dict:
        reply = FindingsReply(findings=self.parsed.findings, dismissed=self.parsed.dismissed)
        parsed = {**reply.model_dump(mode="json"), "dropped": self.parsed.dropped, "salvaged": self.parsed.salvaged}
        return {"format": self.FORMAT, "chunk_start": self.chunk_start, "parsed": parsed, "tokens": self.tokens}

    @classmethod
    def from_json(cls, value) -> CachedAnswer | None:
        """The answer a cache kept, validated again like a reply; None when it does not decode (an older format,
        a damaged entry): a cache miss."""
        try:
            if value["format"] != cls.FORMAT:
                return None
            kept = value["parsed"]
            reply = FindingsReply.model_validate({"findings": kept["findings"], "dismissed": kept["dismissed"]})
            dropped = kept["dropped"]
            if not isinstance(dropped, list) or not isinstance(value["chunk_start"], int):
                return None
            parsed = Parsed(reply.findings, reply.dismissed, [str(d) for d in dropped], kept["salvaged"] is True)
            tokens = value.get("tokens", 0)  # kept since 2026-11-30; an older entry replays as free
            return cls(parsed, value["chunk_start"], tokens if isinstance(tokens, int) and tokens >= 0 else 0)
        except (KeyError, TypeError, ValueError):  # pydantic's ValidationError is a ValueError
            return None


_REFUSAL_OPENINGS = ("i can't", "i cannot", "i'm sorry", "i am sorry", "i won't", "sorry,", "as an ai")


def cache_key(task: Task) -> str:
    """What a model's answer for this task depends on; line numbers excluded (see manyeyes.cache). Each vote is
    sample of a model is its own answer, and an answer under the project's instructions or its dismissals is
    another answer: the first sample without either keeps the key answers always had."""
    context = task.context
    evidence = [(hit.rules, hit.title, hit.evidence) for hit in context.evidence]
    sample = (f"sample {task.sample}",) if task.sample else ()
    instructions = [(i.id, i.text) for i in context.instructions]
    lessons = [lesson_line(lesson) for lesson in context.lessons]
    guided = (prompt_versions("instructions"), instructions) if instructions else ()
    guided += (prompt_versions("dismissed"), lessons) if lessons else ()
    return content_key(
        *sample,
        *guided,
        task.agent,
        f"{prompt_versions('system', 'context')}+{task.spec.version}",
        task.concern.value,
        task.chunk.document.path,
        task.chunk.text,
        context.imports,
        context.related_test,
        evidence,
    )


class ModelAgent:
    def __init__(self, client: ModelClient, cache: Cache | None = None):
        self.client = client
        self.cache = cache  # of CachedAnswer.to_json() values

    async def review(self, task: Task) -> AgentReport:
        endpoint = getattr(getattr(self.client, "settings", None), "api_base", None)  # another server, another answer
        key = content_key(cache_key(task), endpoint) if self.cache is not None else None
        cached = CachedAnswer.from_json(self.cache.get(key)) if key else None
        if cached is not None:
            report = AgentReport(cached=True, replayed_tokens=cached.tokens)
            self._collect(task, cached.parsed, report, line_shift=task.chunk.start - cached.chunk_start)
            return report
        try:
            sample = {"sample": task.sample} if task.sample else {}  # a vote: another sample of the same request
            reply = await self.client.complete(task.agent, render_messages(task), schema=FINDINGS_SCHEMA, **sample)
        except ModelCallError as exc:
            return AgentReport(error=f"{exc.kind}: {exc.message}")
        report = AgentReport(
            prompt_tokens=reply.prompt_tokens,
            cached_prompt_tokens=reply.cached_tokens,
            completion_tokens=reply.completion_tokens,
            cost_usd=reply.cost_usd,
            cost_known=reply.cost_known,
            retries=reply.retries,
        )
        refused = _refusal(reply)
        if refused:
            report.error = refused
            return report
        try:
            parsed = parse_reply(reply.text)
        except ParseError as exc:
            report.error = f"unparseable reply: {exc}"
            return report
        salvaged = self._collect(task, parsed, report)
        if reply.finish_reason == "length":
            report.error = (
                f"reply cut off at the completion token limit; {salvaged} finding(s) salvaged "
                "(raise max_completion_tokens)"
            )
        elif key is not None:
            spent = reply.prompt_tokens + reply.completion_tokens
            self.cache.put(key, CachedAnswer(parsed, task.chunk.start, spent).to_json())
        return report

    def _collect(self, task: Task, parsed: Parsed, report: AgentReport, line_shift: int = 0) -> int:
        """The model's anchored findings and what became of the evidence, into the report; returns how many
        findings the model itself made."""
        document = task.chunk.document
        seen_lines = _seen_lines(document.text, document.path)
        report.dropped = len(parsed.dropped)
        for raw in parsed.findings:
            span = anchor(raw.quote, seen_lines, raw.line + line_shift if raw.line else None)
            if span is None:
                report.dropped += 1  # the quoted code is not in the file: a hallucination, not a finding
                continue
            report.findings.extend(policy.grade([_finding(task, document, raw, span)], {task.concern: task.spec}))
        made = len(report.findings)
        settled = settle_evidence(task, parsed, list(report.findings), line_shift)
        report.findings.extend(settled.kept)
        report.dismissed, report.notes = settled.dismissed, settled.notes
        return made


@lru_cache(maxsize=32)
def _seen_lines(text: str, path: str) -> list[str]:
    """The document as the model saw it, once per document rather than once per task."""
    return split_lines(framing.seen_text(text, path))


def _refusal(reply: ModelReply) -> str | None:
    if reply.refusal:
        return f"model refused: {plain.one_line(reply.refusal, 200)}"
    if reply.finish_reason == "content_filter":
        return "model refused: stopped by the provider's content filter"
    text = reply.text.strip()
    if not text:
        return "empty reply" + (" (cut off at the token limit)" if reply.finish_reason == "length" else "")
    if "{" not in text and text.lower().startswith(_REFUSAL_OPENINGS):
        return f"model refused: {plain.one_line(text, 200)}"
    return None


def _finding(task: Task, document: Document, raw: RawFinding, span: Span) -> Finding:
    quoted = "\n".join(document.lines[span.start_line - 1 : span.end_line])
    source = model_source(task.agent)
    rule, notes = _shown_rule(task, raw.rule)
    return Finding(
        path=document.path,
        concerns=[task.concern],
        severity=raw.severity,
        confidence=raw.confidence,
        title=raw.title.strip(),
        explanation=raw.explanation.strip(),
        span=span,
        evidence=quoted,
        fix=_fix(raw, span, source),
        cwe=[raw.cwe] if raw.cwe else [],
        rules=[rule] if rule else [],
        help_uri=cwe_uri(raw.cwe),
        sources=[source],
        notes=notes,
    )


def _shown_rule(task: Task, rule: str | None) -> tuple[str | None, list[str]]:
    """A model names a rule to confirm an analyzer's hit it was shown, or the id of a project instruction the code
    violates; any other rule is invented: it is left out (it would merge with nothing and mislead as a code), with
    a note."""
    if not rule:
        return None, []
    instruction = next((i for i in task.context.instructions if i.id == rule.strip()), None)
    if instruction is not None:
        return instruction.id, [f"violates the project's instruction in {instruction.source}"]
    shown = canonical_set([r for hit in task.context.evidence for r in hit.rules])
    if canonical(rule) in shown:
        return rule, []
    return None, [f"the model named rule {plain.one_line(rule, 60)}, which no analyzer reported here; left out"]


def model_source(model: str) -> Source:
    return Source(kind="model", name=model)


def _fix(raw: RawFinding, span: Span, source: Source) -> Fix | None:
    """The model's replacement for the whole quoted lines; never one that would write a redaction marker or an
    invisible character written out for the model."""
    if raw.fix is None or "<redacted:" in raw.fix.replacement or "<U+" in raw.fix.replacement:
        return None
    whole_lines = Span(start_line=span.start_line, start_col=1, end_line=span.end_line, end_col=0)
    replacement = raw.fix.replacement.rstrip("\n")
    return Fix(span=whole_lines, replacement=replacement, description=raw.fix.description, source=source)
