"""The model agent: render the concern's prompt, call the model, parse the reply, anchor every finding.

Every message is redacted before it is sent. Findings are anchored against the redacted text (what the model
saw) and quote the original. A reply that was cut off, refused or empty makes the task fail with that reason,
never pass as "no findings".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from manyeyes.agents.analyzers.base import cwe_uri
from manyeyes.agents.anchoring import anchor
from manyeyes.agents.base import AgentReport
from manyeyes.agents.grounding import render_evidence
from manyeyes.agents.parsing import FindingsReply, ParseError, Parsed, RawFinding, parse_reply
from manyeyes.agents.prompts import load_prompt, prompt_versions
from manyeyes.cache import LruCache, content_key
from manyeyes.llm.client import ModelClient, ModelReply
from manyeyes.llm.errors import ModelCallError
from manyeyes.models import Finding, Fix, Span
from manyeyes.plan.documents import Document, split_lines
from manyeyes.plan.planner import Task
from manyeyes.safety.redact import redact, redact_message

FINDINGS_SCHEMA = FindingsReply.model_json_schema()


@dataclass(frozen=True)
class CachedAnswer:
    """A model's parsed answer for a chunk, and where the chunk started when it was asked."""

    parsed: Parsed
    chunk_start: int


_REFUSAL_OPENINGS = ("i can't", "i cannot", "i'm sorry", "i am sorry", "i won't", "sorry,", "as an ai")


def render_context(task: Task) -> str:
    """The code under review with its context: the part every agent of a chunk shares (a cacheable prefix)."""
    chunk, context = task.chunk, task.context
    document = chunk.document
    numbered = "\n".join(f"{n:>5} | {line}" for n, line in enumerate(chunk.text.split("\n"), chunk.start))
    return load_prompt("context").render(
        path=document.path,
        language=document.language,
        start=str(chunk.start),
        end=str(chunk.end),
        imports=f"\nImports of the file:\n{context.imports}\n" if context.imports else "",
        related_test=_related_test(context.related_test),
        code=numbered,
    )


def render_messages(task: Task) -> list[dict]:
    """The exact messages for a task, secrets already redacted: what `--dry-run` shows and what is sent."""
    context = task.context
    brief = load_prompt(task.concern.value).render(evidence=render_evidence(task))
    system = load_prompt("system").render()
    sources = (task.chunk.document.text, context.related_test[1] if context.related_test else "")
    user = redact_message(render_context(task) + "\n" + brief, sources)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _related_test(related: tuple[str, str] | None) -> str:
    if related is None:
        return ""
    path, text = related
    return f"\nRelated test file {path}:\n```\n{text}\n```\n"


def cache_key(task: Task) -> str:
    """What a model's answer for this task depends on; line numbers excluded (see manyeyes.cache)."""
    context = task.context
    evidence = [(hit.rules, hit.title, hit.evidence) for hit in context.evidence]
    return content_key(
        task.agent,
        prompt_versions("system", "context", task.concern.value),
        task.concern.value,
        task.chunk.document.path,
        task.chunk.text,
        context.imports,
        context.related_test,
        evidence,
    )


class ModelAgent:
    def __init__(self, client: ModelClient, cache: LruCache[CachedAnswer] | None = None):
        self.client = client
        self.cache = cache

    async def review(self, task: Task) -> AgentReport:
        key = cache_key(task) if self.cache is not None else None
        cached = self.cache.get(key) if key else None
        if cached is not None:
            report = AgentReport(cached=True)
            self._collect(task, cached.parsed, report, line_shift=task.chunk.start - cached.chunk_start)
            return report
        try:
            reply = await self.client.complete(task.agent, render_messages(task), schema=FINDINGS_SCHEMA)
        except ModelCallError as exc:
            return AgentReport(error=f"{exc.kind}: {exc.message}")
        report = AgentReport(
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            cost_usd=reply.cost_usd,
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
        self._collect(task, parsed, report)
        if reply.finish_reason == "length":
            report.error = (
                f"reply cut off at the completion token limit; {len(report.findings)} finding(s) salvaged "
                "(raise max_completion_tokens)"
            )
        elif key is not None:
            self.cache.put(key, CachedAnswer(parsed, task.chunk.start))
        return report

    def _collect(self, task: Task, parsed: Parsed, report: AgentReport, line_shift: int = 0) -> None:
        document = task.chunk.document
        seen_lines = _redacted_lines(document.text)
        report.dropped = len(parsed.dropped)
        for raw in parsed.findings:
            span = anchor(raw.quote, seen_lines, raw.line + line_shift if raw.line else None)
            if span is None:
                report.dropped += 1  # the quoted code is not in the file: a hallucination, not a finding
                continue
            report.findings.append(_finding(task, document, raw, span))


@lru_cache(maxsize=32)
def _redacted_lines(text: str) -> list[str]:
    """The document as the model saw it, once per document rather than once per task."""
    return split_lines(redact(text))


def _refusal(reply: ModelReply) -> str | None:
    if reply.refusal:
        return f"model refused: {reply.refusal.strip()[:200]}"
    if reply.finish_reason == "content_filter":
        return "model refused: stopped by the provider's content filter"
    text = reply.text.strip()
    if not text:
        return "empty reply" + (" (cut off at the token limit)" if reply.finish_reason == "length" else "")
    if "{" not in text and text.lower().startswith(_REFUSAL_OPENINGS):
        return f"model refused: {text[:200]}"
    return None


def _finding(task: Task, document: Document, raw: RawFinding, span: Span) -> Finding:
    quoted = "\n".join(document.lines[span.start_line - 1 : span.end_line])
    return Finding(
        path=document.path,
        concerns=[task.concern],
        severity=raw.severity,
        confidence=raw.confidence,
        title=raw.title.strip(),
        explanation=raw.explanation.strip(),
        span=span,
        evidence=quoted,
        fix=_fix(raw, span),
        cwe=[raw.cwe] if raw.cwe else [],
        rules=[raw.rule] if raw.rule else [],
        help_uri=cwe_uri(raw.cwe),
        sources=[f"model:{task.agent}", *_confirmed_sources(task, raw)],
    )


def _confirmed_sources(task: Task, raw: RawFinding) -> list[str]:
    """The analyzers whose evidence the model confirmed by naming its rule."""
    if not raw.rule:
        return []
    return sorted({s for hit in task.context.evidence if raw.rule in hit.rules for s in hit.sources})


def _fix(raw: RawFinding, span: Span) -> Fix | None:
    """The model's replacement for the whole quoted lines; never one that would write a redaction marker."""
    if raw.fix is None or "<redacted:" in raw.fix.replacement:
        return None
    whole_lines = Span(start_line=span.start_line, start_col=1, end_line=span.end_line, end_col=0)
    return Fix(span=whole_lines, replacement=raw.fix.replacement.rstrip("\n"), description=raw.fix.description)
