"""The server's state, with one owner: settings, trust, reviewed files and running reviews.

Only the event loop touches it. Background reviews get frozen snapshots (uri, version, text, settings) and their
results are checked against the document's current version before they are stored or published. Nothing heavy
(pydantic, the engine) is imported before the first use: the server answers `initialize` without them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manyeyes.cache import MB, Cache, LayeredCache, LruCache, disk_cache

if TYPE_CHECKING:
    from manyeyes.cache_disk import DiskCache
    from manyeyes.concerns import Registry
    from manyeyes.config import LoadedSettings, Settings
    from manyeyes.engine import ReviewRun
    from manyeyes.models import Finding
    from manyeyes.refactor import RefactorRun
    from manyeyes.synthesis.merge import Synthesis


@dataclass
class ReviewedFile:
    """The findings of one document as reviewed: the text and version they are positioned against."""

    uri: str
    version: int | None
    text: str
    findings: list[Finding]  # consolidated, before filters

    @property
    def lines(self) -> list[str]:
        from manyeyes.plan.documents import split_lines

        return split_lines(self.text)


@dataclass
class StoredRefactor:
    """A checked rewrite of lines start..end of a document version, waiting to be applied."""

    uri: str
    version: int | None
    start: int
    end: int
    code: str
    summary: str
    from_model: bool


@dataclass
class RunningReview:
    """A review or a refactor in progress (both can be subscribed to and cancelled)."""

    review_id: str
    uris: list[str]
    run: ReviewRun | RefactorRun
    task: asyncio.Task | None = None
    lines: tuple[int, int] | None = None  # a selection review: only these lines are being replaced


@dataclass
class Session:
    workspace: Path | None = None
    trusted: bool = True
    pull_diagnostics: bool = False  # decided at initialize: push unless the client pulls with refresh
    initial_settings: dict[str, Any] = field(default_factory=dict)  # from initializationOptions
    configured_settings: dict[str, Any] = field(default_factory=dict)  # from workspace/configuration, wins
    loaded: LoadedSettings | None = None  # merged at `initialized` (or on first use)
    files: dict[str, ReviewedFile] = field(default_factory=dict)
    runs: dict[str, RunningReview] = field(default_factory=dict)  # review id -> run
    suppressed: set[str] = field(default_factory=set)
    shown_messages: set[str] = field(default_factory=set)  # each user-fixable problem is shown once
    last_error: str | None = None  # the last review that could not run, and why (:checkhealth shows it)
    memory: LruCache = field(default_factory=LruCache)  # model answers by content, across reviews
    disk: DiskCache | None = None  # the user's, shared with the CLI; opened when the `cache` setting is on
    refactors: dict[str, StoredRefactor] = field(default_factory=dict)  # uri -> the latest checked rewrite
    _counter: int = 0

    @property
    def settings(self) -> Settings:
        if self.loaded is None:
            self.reload_settings()
        return self.loaded.settings

    @property
    def cache(self) -> Cache:
        """For a review: the memory cache, in front of the one on disk while the `cache` setting is on (read at
        each review, so a settings change applies to the next one)."""
        settings = self.settings
        if not settings.cache:
            return self.memory
        if self.disk is None:
            self.disk = disk_cache(settings.cache_max_mb)
        self.disk.max_bytes = settings.cache_max_mb * MB
        return LayeredCache(self.memory, self.disk)

    def reload_settings(self) -> list[str]:
        """Merge every source again; returns the warnings (bad values fall back, nothing raises)."""
        from manyeyes.config import load_settings
        from manyeyes.synthesis.suppressions import load_suppressions

        editor = {**self.initial_settings, **self.configured_settings}
        self.loaded = load_settings(self.workspace, editor, trusted=self.trusted)
        if self.workspace and self.trusted:  # an untrusted repository's dismissals hide nothing (engine.py)
            self.suppressed |= load_suppressions(self.workspace)
        return self.loaded.warnings

    def concerns(self) -> Registry:
        """The concerns a review here runs (built-in and the workspace's own), read with the current settings."""
        from manyeyes.concerns import load_registry

        return load_registry(self.settings, self.workspace, self.trusted)

    def next_review_id(self) -> str:
        self._counter += 1
        return f"manyeyes-review-{self._counter}"

    def runs_for(self, uri: str) -> list[RunningReview]:
        return [r for r in self.runs.values() if uri in r.uris]

    def visible(self, uri: str) -> Synthesis | None:
        """The findings of a file as the settings and dismissals say they should be shown."""
        reviewed = self.files.get(uri)
        if reviewed is None:
            return None
        from manyeyes.synthesis.merge import select

        return select(
            reviewed.findings,
            min_severity=self.settings.min_severity,
            max_per_file=self.settings.max_findings_per_file,
            suppressed=self.suppressed,
            min_confidence=self.settings.min_confidence,
        )

    def finding(self, uri: str, fingerprint: str) -> Finding | None:
        reviewed = self.files.get(uri)
        if reviewed is None:
            return None
        return next((f for f in reviewed.findings if f.fingerprint == fingerprint), None)
