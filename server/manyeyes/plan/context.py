"""The minimal context of one agent task, and the index of the workspace's tests it draws on.

Context is trimmed to the task's token budget in a fixed order (the code, the file's imports, the project's
instructions for the task, the findings the team dismissed nearby, the related test file); a chunk that does not
fit on its own is reported as not reviewed rather than cut silently, an instruction that does not fit is left out
and named.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from manyeyes.config import Settings
from manyeyes.models import Concern, Finding
from manyeyes.plan import syntax
from manyeyes.plan.documents import matching_glob, relative_to_workspace
from manyeyes.plan.instructions import Instruction
from manyeyes.plan.slicing import Chunk
from manyeyes.safety import reading
from manyeyes.synthesis.suppressions import Suppression

PROMPT_OVERHEAD_TOKENS = 900  # the rendered prompt template without the code
SHARED_OVERHEAD_TOKENS = 750  # the part of it every agent of a chunk shares: the system prompt and the framing
INSTRUCTION_OVERHEAD_TOKENS = 40  # an instruction's framing: its id, its file, the block's markers
LESSON_OVERHEAD_TOKENS = 20  # a dismissal's line: its rule, the quotes and separators
CACHEABLE_PREFIX_TOKENS = 1024  # the shortest prefix OpenAI and Anthropic cache
MAX_TEST_FILES = 5000
MAX_RELATED_TEST_CHARS = 12_000
MAX_TEST_FILE_BYTES = 2_000_000  # a test file larger than this is data, not a test to learn names from
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def estimate_tokens(text: str) -> int:
    """A provider-neutral estimate (about 4 characters a token for code); exact counts come back from the model."""
    return len(text) // 4 + 1


@dataclass
class TaskContext:
    imports: str = ""
    related_test: tuple[str, str] | None = None  # (path, text)
    evidence: list[Finding] = field(default_factory=list)  # analyzer hits for this chunk and concern
    instructions: list[Instruction] = field(default_factory=list)  # the project's, for this path and concern
    instructions_left_out: list[Instruction] = field(default_factory=list)  # those the token budget had no room for
    lessons: list[Suppression] = field(default_factory=list)  # findings the team dismissed nearby, with reasons
    estimated_tokens: int = 0
    prefix_tokens: int = 0  # of those, the prompt prefix the chunk's agents share (a provider may cache it)
    shared_by: int = 1  # how many needed agents of one model review this span: above 1, the prefix is worth caching


_TEST_NAME = re.compile(r"^test_|_test\.(py|go)$|\.(test|spec)\.[cm]?[jt]sx?$")


def is_test_path(rel: str) -> bool:
    """A test file by the conventions of Python (test_*.py, *_test.py, tests/), Go (*_test.go) and JavaScript
    (*.test.js, *.spec.ts, __tests__/)."""
    name = rel.rsplit("/", 1)[-1]
    parts = rel.split("/")[:-1]
    return bool(_TEST_NAME.search(name)) or any(p in ("tests", "test", "__tests__") for p in parts)


class TestIndex:
    """The workspace's Python test files: which test relates to a module, and which names tests mention."""

    __test__ = False  # not a pytest class, despite the name

    def __init__(self, workspace: Path, files: list[str]):
        self.workspace = workspace
        self.files = files

    @classmethod
    def scan(cls, workspace: Path, settings: Settings) -> TestIndex:
        files: list[str] = []
        for dirpath, dirnames, filenames in os.walk(workspace):
            rel_dir = relative_to_workspace(Path(dirpath), workspace) or ""
            dirnames[:] = [d for d in dirnames if not matching_glob(f"{rel_dir}/{d}/x".lstrip("/"), settings.exclude)]
            for name in filenames:
                rel = f"{rel_dir}/{name}".lstrip("/").removeprefix("./")
                if name.endswith(".py") and is_test_path(rel):
                    files.append(rel)
            if len(files) >= MAX_TEST_FILES:
                break
        return cls(workspace, sorted(files))

    def related(self, module_path: str) -> str | None:
        stem = module_path.rsplit("/", 1)[-1].removesuffix(".py")
        candidates = [f for f in self.files if f.rsplit("/", 1)[-1] in (f"test_{stem}.py", f"{stem}_test.py")]
        return min(candidates, key=len) if candidates else None

    def read(self, rel: str) -> str:
        """A test file's text; "" for one that is not a regular file inside the workspace, or is too large."""
        try:
            return reading.read_text(self.workspace / rel, MAX_TEST_FILE_BYTES, self.workspace, errors="replace")
        except reading.Unreadable:
            return ""

    @cached_property
    def referenced_names(self) -> frozenset[str]:
        """Every identifier any test file mentions (read once, on first use)."""
        names: set[str] = set()
        for rel in self.files:
            names.update(_IDENTIFIER.findall(self.read(rel)))
        return frozenset(names)


def build_context(
    chunk: Chunk,
    concern: Concern,
    tests: TestIndex,
    budget: int,
    instructions: list[Instruction] = (),
    lessons: list[Suppression] = (),
) -> TaskContext | str:
    """The context for one task within `budget` tokens, or the reason the chunk cannot be reviewed."""
    document = chunk.document
    code_tokens = estimate_tokens(chunk.text) + PROMPT_OVERHEAD_TOKENS
    if code_tokens > budget:
        return f"about {code_tokens:,} tokens, over the task budget ({budget:,})"
    context = TaskContext(estimated_tokens=code_tokens)
    imports = syntax.imports_text(document)
    if imports and context.estimated_tokens + estimate_tokens(imports) <= budget:
        context.imports = imports
        context.estimated_tokens += estimate_tokens(imports)
    context.prefix_tokens = context.estimated_tokens - PROMPT_OVERHEAD_TOKENS + SHARED_OVERHEAD_TOKENS
    _add_instructions(context, instructions, budget)
    _add_lessons(context, lessons, budget)
    if concern is Concern.tests:
        _add_related_test(context, document.path, tests, budget)
    return context


def _add_instructions(context: TaskContext, instructions: list[Instruction], budget: int) -> None:
    """In precedence order, each that still fits; the others are left out whole (half a convention misleads)."""
    for instruction in instructions:
        cost = estimate_tokens(instruction.text) + INSTRUCTION_OVERHEAD_TOKENS
        if context.estimated_tokens + cost <= budget:
            context.instructions.append(instruction)
            context.estimated_tokens += cost
        else:
            context.instructions_left_out.append(instruction)


def _add_lessons(context: TaskContext, lessons: list[Suppression], budget: int) -> None:
    for lesson in lessons:
        cost = estimate_tokens(lesson.title + lesson.reason + lesson.path) + LESSON_OVERHEAD_TOKENS
        if context.estimated_tokens + cost > budget:
            return
        context.lessons.append(lesson)
        context.estimated_tokens += cost


def _add_related_test(context: TaskContext, module_path: str, tests: TestIndex, budget: int) -> None:
    related = tests.related(module_path)
    if not related:
        return
    text = tests.read(related)[:MAX_RELATED_TEST_CHARS]
    if context.estimated_tokens + estimate_tokens(text) <= budget:
        context.related_test = (related, text)
        context.estimated_tokens += estimate_tokens(text)
