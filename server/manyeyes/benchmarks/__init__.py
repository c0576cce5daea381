"""`manyeyes bench`: speed, cost and scale figures, each a ratio measured in one run, printed beside its target.

Nothing here asserts on time: a noisy machine must not fail CI. The suite runs against the fake model provider
(`manyeyes.devtools.fake_provider`) on loopback, so it needs no key and no network.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Figure:
    name: str
    value: str
    target: str = ""
    met: bool | None = None  # None: no target, or not comparable

    def line(self) -> str:
        verdict = {True: "meets target", False: "MISSES target", None: ""}[self.met]
        target = f"   target: {self.target}" if self.target else ""
        return f"  {self.name}: {self.value}{target}{'   ' + verdict if verdict else ''}"
