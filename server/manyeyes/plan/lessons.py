"""A team that teaches its reviewer: the findings it dismissed with a reason become conventions the agents read.

An agent reviewing a chunk is shown the dismissals of its own concern, with their reasons, made in the same file
or folder (the part of the code where the same reason is likely to hold): "findings this team has dismissed, and
why", so that a finding dismissed as "md5 names cache files here, nothing secret" is not raised again next to it.
Only dismissals with a reason teach (a bare fingerprint says nothing about why), only in a trusted workspace (a
repository's own file must not steer the review of its code), and at most MAX_LESSONS a task, nearest first.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from manyeyes.models import Concern
from manyeyes.synthesis.suppressions import Suppression

MAX_LESSONS = 5


class Lessons:
    def __init__(self, records: list[Suppression]):
        self._taught = [r for r in records if r.reason and r.path]

    def for_task(self, path: str, concern: Concern) -> list[Suppression]:
        """The dismissals an agent on `path` for `concern` should know, nearest first: the same file, then the
        same folder."""
        folder = PurePosixPath(path).parent
        nearby = [r for r in self._taught if concern.value in r.concerns and PurePosixPath(r.path).parent == folder]
        unique: dict[tuple[str, str, str], Suppression] = {}
        for record in nearby:
            unique.setdefault((record.rule, record.title, record.reason), record)  # the same lesson once
        return sorted(unique.values(), key=lambda r: (r.path != path, r.path, r.rule))[:MAX_LESSONS]
