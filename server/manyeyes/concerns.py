"""The one registry of concerns: each concern in one place, the built-in four and those a project defines.

A concern is what one agent of the panel reviews for: its name, a line that says what it is about, its brief (the
prompt its agents read), the goal of a refactor for it, the most severe its findings may be, how it ranks beside
the others, the files it applies to and whether it runs by default. The analyzers that ground it are the offline
panel's that declare it (agents/analyzers/); a concern no analyzer declares needs a model.

Adding a built-in concern is one entry here and one prompt file in prompts/. A project adds its own in its
settings (docs/configuration.md, "Concerns the team defines"):

    [tool.manyeyes.concerns.accessibility]
    prompt = "prompts/accessibility.md"   # the brief, a Markdown file in the workspace
    paths = ["src/**"]
    severity = "medium"                   # the most severe its findings may be

and it runs as a full agent: the same planning, parsing, anchoring, synthesis, board and reports. Its prompt file
is read only in a trusted workspace (it is instructions to a model); one that cannot be read is a note, and the
concern does not run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from manyeyes.agents.prompts import load_prompt, prompt_versions
from manyeyes.config import CustomConcern, Settings, user_config_path
from manyeyes.plan.documents import matching_glob
from manyeyes.safety import reading
from manyeyes.vocabulary import Concern, Severity

MAX_BRIEF_BYTES = 64_000


@dataclass(frozen=True)
class ConcernSpec:
    name: Concern
    description: str  # one line: what its agents look for
    refactor_goal: str | None  # what a refactor for it removes; None: it is not a refactor goal
    severity: Severity | None = None  # the most severe its findings may be, unless also a security finding
    impact: int = 1  # how a finding of it ranks beside the same severity of another concern (higher first)
    paths: tuple[str, ...] = ()  # the workspace paths it applies to (globs); empty: every file
    default_on: bool = True  # a project's concern defined with `enabled = false` runs only when named
    source: str = "built-in"  # or the settings file that defines it
    custom_brief: str | None = None  # a project concern's prompt text; None: prompts/<name>.md

    @property
    def built_in(self) -> bool:
        return self.custom_brief is None

    def applies(self, path: str) -> bool:
        return not self.paths or matching_glob(path, list(self.paths)) is not None

    def brief(self, evidence: str) -> str:
        """The agent's brief, the analyzers' evidence included (empty for a concern no analyzer grounds)."""
        if self.custom_brief is None:
            return load_prompt(self.name.value).render(evidence=evidence)
        return f"Concern: {self.name.value}\n\n{self.custom_brief.strip()}\n{evidence}"

    @property
    def version(self) -> str:
        """What the brief's version is for cache keys: the prompt file's version, or a digest of the text."""
        if self.custom_brief is None:
            return prompt_versions(self.name.value)
        return f"{self.name.value}~{hashlib.sha256(self.custom_brief.encode()).hexdigest()[:12]}"


BUILT_IN: dict[Concern, ConcernSpec] = {
    Concern.security: ConcernSpec(
        Concern.security,
        "vulnerabilities an attacker could use: injection, unsafe deserialization, secrets, weak crypto",
        "injection, unsafe deserialization, weak crypto, secrets in code, insecure defaults.",
        impact=3,
    ),
    Concern.performance: ConcernSpec(
        Concern.performance,
        "needless work: repeated calls, quadratic loops, I/O in loops, lists built needlessly",
        "repeated or needless work, quadratic loops, lists built where a comprehension would do.",
        severity=Severity.medium,
        impact=2,
    ),
    Concern.readability: ConcernSpec(
        Concern.readability,
        "code that is hard to follow: tangled flow, misleading names, dead code, swallowed exceptions",
        "tangled control flow, misleading names, dead code, swallowed exceptions, odd comparisons.",
        severity=Severity.medium,
        impact=0,
    ),
    Concern.tests: ConcernSpec(
        Concern.tests,
        "behaviour no test pins, and code that is hard to test",
        "code that is hard to test: hidden dependencies and side effects that could be parameters.",
        impact=1,
    ),
}


def spec_of(concern: Concern, specs: dict[Concern, ConcernSpec] | None = None) -> ConcernSpec:
    """A concern's spec: from `specs` (a registry's, with the project's own), else the built-in one, else a bare
    one (a concern no registry knows: no brief of its own, no cap, not a refactor goal)."""
    return (specs or {}).get(concern) or BUILT_IN.get(concern) or ConcernSpec(concern, concern.value, None)


@dataclass
class Registry:
    specs: dict[Concern, ConcernSpec] = field(default_factory=lambda: dict(BUILT_IN))
    notes: list[str] = field(default_factory=list)  # custom concerns that cannot run, and why

    def spec(self, concern: Concern) -> ConcernSpec:
        return spec_of(concern, self.specs)

    def enabled(self, settings: Settings) -> list[ConcernSpec]:
        """The concerns a review runs, in the settings' order: those listed that are known here."""
        return [self.specs[c] for c in settings.concerns if c in self.specs]


def load_registry(settings: Settings, workspace: Path | None, trusted: bool) -> Registry:
    """The built-in concerns and the settings' own, each with its brief read; what cannot run is a note."""
    registry = Registry()
    for name, definition in settings.custom_concerns.items():
        if name in BUILT_IN:
            registry.notes.append(f"concern {name}: a built-in concern cannot be redefined; the built-in one runs")
            continue
        brief = _read_brief(name, definition, workspace, trusted, registry.notes)
        if brief is not None:
            registry.specs[name] = _custom_spec(name, definition, brief)
    return registry


def _custom_spec(name: Concern, definition: CustomConcern, brief: str) -> ConcernSpec:
    return ConcernSpec(
        name,
        definition.description or f"the project's own concern, briefed in {definition.prompt}",
        definition.refactor_goal,
        severity=definition.severity,
        paths=tuple(definition.paths),
        default_on=definition.enabled,
        source=definition.origin,
        custom_brief=brief,
    )


def _read_brief(name: Concern, definition: CustomConcern, workspace, trusted: bool, notes: list[str]) -> str | None:
    """The prompt file's text: a project's from inside its workspace (and only a trusted one), the user's from
    beside their config file."""
    if definition.origin == "project":
        if workspace is None or not trusted:
            notes.append(f"concern {name}: defined by the workspace, which is not trusted; it does not run")
            return None
        root = workspace
    else:
        root = user_config_path().parent
    path = Path(definition.prompt).expanduser()
    path = path if path.is_absolute() and definition.origin == "user" else root / path
    try:
        text = reading.read_text(path, MAX_BRIEF_BYTES, root if definition.origin == "project" else None)
    except reading.Unreadable as exc:
        notes.append(f"concern {name}: its prompt {definition.prompt} cannot be read ({exc.reason}); it does not run")
        return None
    if not text.strip() or "\0" in text:
        notes.append(f"concern {name}: its prompt {definition.prompt} is empty or binary; it does not run")
        return None
    return text
