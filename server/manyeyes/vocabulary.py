"""The domain's words: concerns, severities, kinds of review. Plain enums, no pydantic, so the command line and
the language server can name them before anything heavy is imported (start-up time is measured)."""

from __future__ import annotations

from enum import Enum


class Concern(str, Enum):
    security = "security"
    performance = "performance"
    readability = "readability"
    tests = "tests"


ALL_CONCERNS: tuple[Concern, ...] = tuple(Concern)


class Severity(str, Enum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe; used for sorting and thresholds."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {
    Severity.critical: 4,
    Severity.high: 3,
    Severity.medium: 2,
    Severity.low: 1,
    Severity.info: 0,
}


class ReviewKind(str, Enum):
    files = "files"
    selection = "selection"
    diff = "diff"
