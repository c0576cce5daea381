"""The project's own review rules: instruction files its team wrote, given to the agents whose task they concern.

Where they come from, in precedence order (the first ones win a task's token budget):

1. `.manyeyes/instructions/*.md`, each scoped by its front matter;
2. `REVIEW.md` at the workspace root;
3. with `agent_instructions` (on by default), the files other tools already read: `.github/instructions/
   *.instructions.md` (scoped by `applyTo`), `.github/copilot-instructions.md`, `.cursor/BUGBOT.md`, and
   `AGENTS.md` at the root or in any folder above a reviewed file (a nested one applies to its folder only).

A front matter (between `---` lines, YAML) may say where and for what an instruction applies and which rules the
team never wants reported:

    ---
    applies_to: ["src/api/**"]        # workspace-relative globs; none: everywhere
    concerns: [security]              # none: every concern
    ignore: [B101, {rule: B311, reason: "random here picks a colour"}]
    ---

The text is guidance for the models, framed as the project's conventions and kept apart from the code: it can
narrow or add to what is reported, never change where code is sent, the model, the keys or the output format
(those are settings, and a workspace file cannot set them). `ignore` is the one deterministic part: the reduce
step drops findings of those rules and names the instruction (engine/silencing.py). Instructions are read only in a
trusted workspace: a cloned repository must not be able to steer the review of its own code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import yaml

from manyeyes.config import Settings
from manyeyes.models import Concern, Finding
from manyeyes.plan.documents import matching_glob
from manyeyes.safety import reading
from manyeyes.synthesis.rules import canonical, canonical_set

MAX_INSTRUCTION_BYTES = 64_000  # a team's conventions fit in a few pages; a larger file is not instructions
MAX_INSTRUCTION_FILES = 50
PROJECT_RULE_PREFIX = "project/"  # of the rule ids of instructions: a finding that violates one carries it
MAX_ID_LENGTH = 40  # a rule id's longest (safety/plain.py)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
FRONT_MATTER_KEYS = frozenset({"applies_to", "concerns", "ignore", "description"})
_OTHER_TOOLS = (".github/copilot-instructions.md", ".cursor/BUGBOT.md")
UNTRUSTED_NOTE = "instruction files not used ({files}): the workspace is not trusted"


@dataclass(frozen=True)
class Ignored:
    """A rule an instruction says never to report, and why."""

    rule: str
    reason: str = ""


@dataclass(frozen=True)
class Instruction:
    id: str  # the rule id a finding that violates it carries: "project/REVIEW"
    source: str  # the file, workspace-relative: "REVIEW.md"
    text: str
    applies_to: tuple[str, ...] = ()  # globs; empty: everywhere
    concerns: frozenset[Concern] | None = None  # None: every concern
    ignore: tuple[Ignored, ...] = ()

    def applies(self, path: str, concern: Concern | None = None) -> bool:
        in_scope = not self.applies_to or matching_glob(path, list(self.applies_to)) is not None
        return in_scope and (concern is None or self.concerns is None or concern in self.concerns)

    def ignoring(self, finding: Finding) -> Ignored | None:
        """The ignore entry that covers this finding (its rule or CWE, where the instruction applies)."""
        if not self.ignore or not self.applies(finding.path):
            return None
        if self.concerns is not None and not self.concerns & set(finding.concerns):
            return None
        named = canonical_set([*finding.rules, *finding.cwe])
        return next((entry for entry in self.ignore if canonical(entry.rule) in named), None)


@dataclass
class Instructions:
    items: list[Instruction] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # files that could not be used, and why

    def for_task(self, path: str, concern: Concern) -> list[Instruction]:
        """The instructions for one task, in precedence order (its budget is the planner's to apply)."""
        return [i for i in self.items if i.text and i.applies(path, concern)]

    def ignoring(self, finding: Finding) -> tuple[Instruction, Ignored] | None:
        """The first instruction that says never to report this finding."""
        for instruction in self.items:
            entry = instruction.ignoring(finding)
            if entry is not None:
                return instruction, entry
        return None


def load_instructions(workspace: Path, settings: Settings, trusted: bool, reviewed: list[str]) -> Instructions:
    """The workspace's instruction files that apply to any of the `reviewed` paths' folders (nested AGENTS.md)."""
    found = Instructions()
    if not settings.instructions:
        return found
    candidates = _candidates(workspace, settings.agent_instructions, reviewed)
    if not trusted:
        if candidates:
            found.notes.append(UNTRUSTED_NOTE.format(files=", ".join(rel for rel, _ in candidates)))
        return found
    taken: set[str] = set()
    for rel, kind in candidates[:MAX_INSTRUCTION_FILES]:
        parsed = _read(workspace, rel, kind, found.notes)
        if parsed is not None:
            found.items.append(_with_unique_id(parsed, taken))
    if len(candidates) > MAX_INSTRUCTION_FILES:
        found.notes.append(
            f"{len(candidates) - MAX_INSTRUCTION_FILES} instruction file(s) over the first "
            f"{MAX_INSTRUCTION_FILES} not used"
        )
    return found


def _candidates(workspace: Path, other_tools: bool, reviewed: list[str]) -> list[tuple[str, str]]:
    """(workspace-relative path, kind) of every instruction file present, in precedence order."""
    listed = [
        (f".manyeyes/instructions/{p.name}", "manyeyes") for p in _markdown_in(workspace / ".manyeyes" / "instructions")
    ]
    listed.append(("REVIEW.md", "manyeyes"))
    if other_tools:
        listed += [
            (f".github/instructions/{p.name}", "copilot")
            for p in _markdown_in(workspace / ".github" / "instructions")
            if p.name.endswith(".instructions.md")
        ]
        listed += [(rel, "plain") for rel in _OTHER_TOOLS]
        listed += [(rel, "agents") for rel in _agents_files(reviewed)]
    return [(rel, kind) for rel, kind in listed if (workspace / rel).is_file()]


def _markdown_in(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".md")
    except OSError:
        return []


def _agents_files(reviewed: list[str]) -> list[str]:
    """AGENTS.md in the folders holding the reviewed files, nearest first, then the root's."""
    folders: list[str] = []
    for path in reviewed:
        for parent in PurePosixPath(path).parents:
            folder = parent.as_posix()
            if folder != "." and folder not in folders:
                folders.append(folder)
    nested = sorted(folders, key=lambda f: -f.count("/"))
    return [f"{folder}/AGENTS.md" for folder in nested] + ["AGENTS.md"]


def _read(workspace: Path, rel: str, kind: str, notes: list[str]) -> Instruction | None:
    try:
        text = reading.read_text(workspace / rel, MAX_INSTRUCTION_BYTES, workspace)
    except reading.Unreadable as exc:
        notes.append(f"{rel}: not used as instructions ({exc.reason})")
        return None
    if "\0" in text:
        notes.append(f"{rel}: not used as instructions (binary)")
        return None
    try:
        meta, body = _front_matter(text)
        instruction = _instruction(rel, kind, meta, body.strip())
    except ValueError as exc:
        notes.append(f"{rel}: not used as instructions ({exc})")
        return None
    unknown = sorted(str(k) for k in meta if k not in FRONT_MATTER_KEYS) if kind == "manyeyes" else []
    if unknown:  # `model: ...` or `api_base: ...` in an instruction file changes nothing: settings are not here
        notes.append(
            f"{rel}: front matter {', '.join(unknown)} ignored (an instruction file takes applies_to, concerns and "
            "ignore; settings belong in the settings files)"
        )
    return instruction


def _front_matter(text: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if match is None:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        raise ValueError(f"its front matter is not YAML{f' (line {where.line + 2})' if where else ''}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ValueError("its front matter must be a mapping (applies_to, concerns, ignore)")
    return meta, text[match.end() :]


def _instruction(rel: str, kind: str, meta: dict, body: str) -> Instruction:
    globs = _globs(meta.get("applyTo") if kind == "copilot" else meta.get("applies_to"))
    if kind == "agents" and "/" in rel:
        globs = (f"{rel.rsplit('/', 1)[0]}/**",)  # a nested AGENTS.md speaks for its own folder
    return Instruction(
        id=_rule_id(rel),
        source=rel,
        text=body,
        applies_to=globs,
        concerns=_concerns(meta.get("concerns")),
        ignore=_ignored(meta.get("ignore")),
    )


def _globs(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):  # copilot's applyTo: "**/*.ts,**/*.tsx"
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("applies_to must be a glob or a list of globs")
    globs = tuple(v.strip() for v in value if v.strip())
    return () if "**" in globs or "**/*" in globs else globs


def _concerns(value) -> frozenset[Concern] | None:
    if value is None:
        return None
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list):
        raise ValueError("concerns must be a list of concern names")
    known = {c.value for c in Concern}
    unknown = [str(n) for n in names if str(n) not in known]
    if unknown:
        raise ValueError(f"unknown concern(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return frozenset(Concern(str(n)) for n in names)


def _ignored(value) -> tuple[Ignored, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError("ignore must be a list of rule ids, or of {rule, reason}")
    entries = []
    for item in value:
        if isinstance(item, (str, int)) and str(item).strip():
            entries.append(Ignored(str(item).strip()))
        elif isinstance(item, dict) and isinstance(item.get("rule"), (str, int)):
            entries.append(Ignored(str(item["rule"]).strip(), str(item.get("reason") or "").strip()))
        else:
            raise ValueError(f"ignore: {item!r} is not a rule id or a {{rule, reason}} mapping")
    return tuple(entries)


def _rule_id(rel: str) -> str:
    """ "REVIEW.md" -> "project/REVIEW"; ".github/instructions/api.instructions.md" -> "project/api"."""
    name = rel.rsplit("/", 1)[-1].removesuffix(".md").removesuffix(".instructions")
    if name == "AGENTS" and "/" in rel:
        name = f"{rel.rsplit('/', 2)[-2]}-AGENTS"
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "instructions"
    return f"{PROJECT_RULE_PREFIX}{cleaned}"[:MAX_ID_LENGTH]


def _with_unique_id(instruction: Instruction, taken: set[str]) -> Instruction:
    identifier, number = instruction.id, 2
    while identifier in taken:
        suffix = f"-{number}"
        identifier, number = instruction.id[: MAX_ID_LENGTH - len(suffix)] + suffix, number + 1
    taken.add(identifier)
    return replace(instruction, id=identifier)
