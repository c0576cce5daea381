"""Prompts are versioned data files in the repository's prompts/ (shipped in the wheel as manyeyes/prompts/),
rendered strictly.

Every `{{name}}` must be given and every value given must be used: a typo fails loudly in the test that renders
every prompt, never silently in front of a model. The first line of each file names its version, which is part
of every cache key and of the result, so a prompt change invalidates what was reviewed with the old one.

A user may override a prompt with a file of the same name in `prompts/` beside their config file
(`~/.config/manyeyes/prompts/security.md`): it must start with the same header and use the same placeholders,
or the shipped prompt is used and the reason logged (`manyeyes prompts` shows which file each prompt comes from).
An override's content is part of its tag, so editing it invalidates cached answers too. Read once per process.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

from manyeyes.safety import reading

log = logging.getLogger(__name__)
MAX_OVERRIDE_BYTES = 64_000

_PLACEHOLDER = re.compile(r"{{\s*(\w+)\s*}}")
_HEADER = re.compile(r"^<!-- manyeyes-prompt: (\w+) v(\d+) -->\n")


class PromptError(Exception):
    pass


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    template: str
    override: Path | None = None  # the user's file that replaces the shipped one
    problem: str | None = None  # why the user's file for it is not used

    @property
    def tag(self) -> str:
        """'security1'; 'security1~3f2a9c1b' for a user's override (its content decides)."""
        if self.override is None:
            return f"{self.name}{self.version}"
        return f"{self.name}{self.version}~{hashlib.sha256(self.template.encode()).hexdigest()[:8]}"

    @property
    def placeholders(self) -> set[str]:
        return set(_PLACEHOLDER.findall(self.template))

    def render(self, **values: str) -> str:
        missing = self.placeholders - values.keys()
        unused = values.keys() - self.placeholders
        if missing or unused:
            raise PromptError(f"prompt {self.name}: missing {sorted(missing)}, unused {sorted(unused)}")
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.template)


@lru_cache(maxsize=None)
def load_prompt(name: str) -> Prompt:
    try:
        text = resources.files("manyeyes.prompts").joinpath(f"{name}.md").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptError(f"no prompt named '{name}'") from None
    shipped = _parse(name, text)
    try:
        return _override(shipped)
    except PromptError as problem:
        log.warning("%s", problem)
        return replace(shipped, problem=str(problem))


def _parse(name: str, text: str, origin: Path | None = None) -> Prompt:
    header = _HEADER.match(text)
    if not header or header.group(1) != name:
        raise PromptError(f"prompt {name}: the first line must be '<!-- manyeyes-prompt: {name} vN -->'")
    return Prompt(name=name, version=int(header.group(2)), template=text[header.end() :], override=origin)


def overrides_dir() -> Path:
    from manyeyes.config import user_config_path

    return user_config_path().parent / "prompts"


def _override(shipped: Prompt) -> Prompt:
    """The user's file for this prompt when there is one that fits, else the shipped prompt."""
    path = overrides_dir() / f"{shipped.name}.md"
    try:
        text = reading.read_text(path, MAX_OVERRIDE_BYTES)
    except reading.Missing:
        return shipped
    except reading.Unreadable as exc:
        raise PromptError(f"{path}: not used ({exc.reason}); the shipped prompt is") from None
    try:
        mine = _parse(shipped.name, text, path)
    except PromptError as exc:
        raise PromptError(f"{path}: not used ({exc}); the shipped prompt is") from None
    if mine.placeholders != shipped.placeholders:
        wanted = ", ".join(sorted(shipped.placeholders)) or "none"
        raise PromptError(f"{path}: not used (its placeholders must be exactly: {wanted}); the shipped prompt is")
    return mine


def prompt_names() -> list[str]:
    return sorted(p.name[:-3] for p in resources.files("manyeyes.prompts").iterdir() if p.name.endswith(".md"))


def prompt_versions(*names: str) -> str:
    """A short tag like 'system1+context1+security1', for cache keys and reports."""
    return "+".join(load_prompt(n).tag for n in names)
