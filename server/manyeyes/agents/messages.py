"""What a model agent is sent: the code under review with its context (a prefix every agent of the chunk shares),
the concern's brief with the analyzers' evidence, and the team's guidance, every text from the repository in a
block its own content cannot close (agents/framing.py) and every secret redacted."""

from __future__ import annotations

from manyeyes.agents import framing
from manyeyes.agents.grounding import render_evidence
from manyeyes.agents.prompts import load_prompt
from manyeyes.llm.client import SHARED_PREFIX
from manyeyes.plan.planner import Task
from manyeyes.safety.redact import redact_message


def render_context(task: Task) -> str:
    """The code under review with its context: the part every agent of a chunk shares (a cacheable prefix). Every
    text from the repository sits in a block its own content cannot close (agents/framing.py)."""
    chunk, context = task.chunk, task.context
    document = chunk.document
    numbered = "\n".join(f"{n:>5} | {line}" for n, line in enumerate(chunk.text.split("\n"), chunk.start))
    related_path, related_text = context.related_test or ("", "")
    mark = framing.boundary(numbered, context.imports, avoid=(related_path, related_text))
    return load_prompt("context").render(
        path=framing.quoted_path(document.path),
        language=document.language,
        boundary=mark,
        start=str(chunk.start),
        end=str(chunk.end),
        imports=f"\nImports of the file:\n{framing.block('imports', context.imports, mark)}\n"
        if context.imports
        else "",
        related_test=_related_test(context.related_test, mark),
        code=numbered,
    )


def render_messages(task: Task) -> list[dict]:
    """The exact messages for a task, secrets already redacted: what `--dry-run` shows and what is sent.

    The user message is the context every agent of the chunk shares, then the concern's brief, each redacted on
    its own; SHARED_PREFIX says where the context ends, so the model client can send it as its own content part,
    marked cacheable where the provider takes markers (llm/client.py), when other agents will read it (a cache
    write costs more than a plain read on Anthropic). Its content stays one string."""
    brief = task.spec.brief(render_evidence(task)) + render_guidance(task)
    system = load_prompt("system").render()
    sources = quoted_sources(task)
    context = framing.shown(redact_message(render_context(task) + "\n", sources))
    user = context + framing.shown(redact_message(brief, sources))
    shared = {SHARED_PREFIX: len(context)} if task.context.shared_by > 1 else {}  # one reader: not worth a write
    return [{"role": "system", "content": system}, {"role": "user", "content": user, **shared}]


def render_guidance(task: Task) -> str:
    """What the team wrote down for this task: its instructions, and the findings it dismissed nearby with their
    reasons; each in a block its text cannot close; "" when there is neither."""
    context = task.context
    texts = [i.text for i in context.instructions] + [lesson_line(lesson) for lesson in context.lessons]
    if not texts:
        return ""
    mark = framing.boundary(*texts)
    parts = []
    if context.instructions:
        blocks = "\n".join(
            framing.block(f"instruction {i.id} from {framing.quoted_path(i.source)}", i.text, mark)
            for i in context.instructions
        )
        parts.append(load_prompt("instructions").render(instructions=blocks))
    if context.lessons:
        lines = "\n".join(lesson_line(lesson) for lesson in context.lessons)
        parts.append(load_prompt("dismissed").render(dismissed=framing.block("dismissed findings", lines, mark)))
    return "".join(part + "\n" for part in parts)


def lesson_line(lesson) -> str:
    what = lesson.rule or "finding"
    return f"- {what} in {framing.quoted_path(lesson.path)}: {framing.quoted_path(lesson.title)}: {lesson.reason}"


def quoted_sources(task: Task) -> list[tuple[str, str]]:
    """(path, text) of every source a task's messages quote: what their redaction scans."""
    document, related = task.chunk.document, task.context.related_test
    given = [(i.source, i.text) for i in task.context.instructions]
    return [(document.path, document.text), *([related] if related else []), *given]


def _related_test(related: tuple[str, str] | None, mark: str) -> str:
    if related is None:
        return ""
    path, text = related
    return f"\nRelated test file {framing.quoted_path(path)}:\n{framing.block('test file', text, mark)}\n"
