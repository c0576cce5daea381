"""Prompts are versioned data files in manyeyes/prompts/, rendered strictly.

Every `{{name}}` must be given and every value given must be used: a typo fails loudly in the test that renders
every prompt, never silently in front of a model. The first line of each file names its version, which is part
of every cache key and of the result, so a prompt change invalidates what was reviewed with the old one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_PLACEHOLDER = re.compile(r"{{\s*(\w+)\s*}}")
_HEADER = re.compile(r"^<!-- manyeyes-prompt: (\w+) v(\d+) -->\n")


class PromptError(Exception):
    pass


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    template: str

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
    header = _HEADER.match(text)
    if not header or header.group(1) != name:
        raise PromptError(f"prompt {name}: the first line must be '<!-- manyeyes-prompt: {name} vN -->'")
    return Prompt(name=name, version=int(header.group(2)), template=text[header.end() :])


def prompt_names() -> list[str]:
    return sorted(p.name[:-3] for p in resources.files("manyeyes.prompts").iterdir() if p.name.endswith(".md"))


def prompt_versions(*names: str) -> str:
    """A short tag like 'system1+context1+security1', for cache keys and reports."""
    return "+".join(f"{n}{load_prompt(n).version}" for n in names)
