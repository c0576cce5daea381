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
from manyeyes.lsp.client import ClientFeatures

if TYPE_CHECKING:
    from manyeyes.cache_disk import DiskCache
    from manyeyes.concerns import Registry
    from manyeyes.config import LoadedSettings, Settings
    from manyeyes.dispatch import DispatchedRun
    from manyeyes.models import Finding
    from manyeyes.synthesis.merge import Synthesis

SETTLE_TIMEOUT_S = 5.0  # how long a review asked for at start waits for the editor's settings


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
    run: DispatchedRun
    folder: Folder
    task: asyncio.Task | None = None
    lines: tuple[int, int] | None = None  # a selection review: only these lines are being replaced


@dataclass
class Folder:
    """A workspace folder, or with no root the files outside every folder: the settings its reviews use (its own
    project files, and what the editor configures for it) and the findings dismissed in it."""

    root: Path | None
    configured: dict[str, Any] = field(default_factory=dict)  # workspace/configuration scoped to this folder
    loaded: LoadedSettings | None = None
    suppressed: set[str] = field(default_factory=set)  # fingerprints dismissed here (read, and by the user)

    @property
    def uri(self) -> str | None:
        from pygls.uris import from_fs_path

        return from_fs_path(str(self.root)) if self.root else None

    @property
    def name(self) -> str:
        return self.root.name if self.root else "files outside the workspace folders"

    def holds(self, path: Path | None) -> bool:
        return self.root is not None and path is not None and path.is_relative_to(self.root)


@dataclass
class Session:
    folders: list[Folder] = field(default_factory=list)  # the workspace folders, in the editor's order
    outside: Folder = field(default_factory=lambda: Folder(None))  # files in no folder: no project settings
    trusted: bool = True  # the editor's workspace trust: one answer for the window, every folder follows it
    features: ClientFeatures = field(default_factory=ClientFeatures)  # what the editor can do, from initialize
    initial_settings: dict[str, Any] = field(default_factory=dict)  # from initializationOptions
    configured_settings: dict[str, Any] = field(default_factory=dict)  # unscoped workspace/configuration
    files: dict[str, ReviewedFile] = field(default_factory=dict)
    runs: dict[str, RunningReview] = field(default_factory=dict)  # review id -> run
    shown_messages: set[str] = field(default_factory=set)  # each user-fixable problem is shown once
    last_error: str | None = None  # the last review that could not run, and why (:checkhealth shows it)
    memory: LruCache = field(default_factory=LruCache)  # model answers by content, across reviews and folders
    disk: DiskCache | None = None  # the user's, shared with the CLI; opened when the `cache` setting is on
    refactors: dict[str, StoredRefactor] = field(default_factory=dict)  # uri -> the latest checked rewrite
    background: set[asyncio.Task] = field(default_factory=set)  # every task the server started (lsp/jobs.py)
    configured: asyncio.Event = field(default_factory=asyncio.Event)  # the editor's settings have first come
    _counter: int = 0

    async def settled(self) -> None:
        """Waits (a bounded time) for the editor's first answer to workspace/configuration: a review asked for as
        the server starts must use each folder's settings, not only what the initialization options said for the
        window. An editor that never answers delays the first review by SETTLE_TIMEOUT_S, once."""
        if not self.configured.is_set():
            try:
                await asyncio.wait_for(self.configured.wait(), SETTLE_TIMEOUT_S)
            except asyncio.TimeoutError:
                self.configured.set()

    def set_folders(self, roots: list[Path]) -> list[Folder]:
        """The workspace folders are now `roots` (a folder kept keeps its state); returns the folders removed."""
        known = {folder.root: folder for folder in self.folders}
        self.folders = [known.pop(root, None) or Folder(root) for root in dict.fromkeys(roots)]
        return list(known.values())

    def folder_of(self, where: str | Path) -> Folder:
        """The innermost workspace folder holding a file (a URI or a path); `outside` for any other document."""
        path = file_path(where)
        holding = [f for f in self.folders if f.holds(path)]
        return max(holding, key=lambda f: len(f.root.parts)) if holding else self.outside

    def settings_for(self, where: str | Path | Folder) -> Settings:
        folder = where if isinstance(where, Folder) else self.folder_of(where)
        if folder.loaded is None:
            self._load(folder)
        return folder.loaded.settings

    def active_folders(self) -> list[Folder]:
        """The folders reviews run in: the workspace's, or with none open, the files outside any."""
        return self.folders or [self.outside]

    def cache_for(self, settings: Settings) -> Cache:
        """For a review: the memory cache, in front of the one on disk while the `cache` setting is on (read at
        each review, so a settings change applies to the next one)."""
        if not settings.cache:
            return self.memory
        if self.disk is None:
            self.disk = disk_cache(settings.cache_max_mb)
        self.disk.max_bytes = settings.cache_max_mb * MB
        return LayeredCache(self.memory, self.disk)

    def reload_settings(self) -> list[str]:
        """Merge every source again, for every folder; returns the warnings, once each, naming the folder when
        there are several (bad values fall back, nothing raises). Files outside the folders are merged again when
        one is next reviewed: no extra read at start."""
        self.outside.loaded = None
        warnings, seen = [], set()
        for folder in self.active_folders():
            for warning in self._load(folder):
                if warning not in seen:  # a bad user setting is one problem, not one per folder
                    seen.add(warning)
                    warnings.append(f"{folder.name}: {warning}" if len(self.folders) > 1 else warning)
        return warnings

    def _load(self, folder: Folder) -> list[str]:
        from manyeyes.config import load_settings
        from manyeyes.synthesis.suppressions import load_suppressions

        editor = {**self.initial_settings, **self.configured_settings, **folder.configured}
        folder.loaded = load_settings(folder.root, editor, trusted=self.trusted)
        if folder.root and self.trusted:  # an untrusted repository's dismissals hide nothing (engine/silencing.py)
            folder.suppressed |= load_suppressions(folder.root)
        return folder.loaded.warnings

    def concerns(self, folder: Folder) -> Registry:
        """The concerns a review in this folder runs (built-in and the folder's own), with its current settings."""
        from manyeyes.concerns import load_registry

        return load_registry(self.settings_for(folder), folder.root, self.trusted)

    def next_review_id(self) -> str:
        self._counter += 1
        return f"manyeyes-review-{self._counter}"

    def cancel(self, review_id: str) -> None:
        """Stop a running review or refactor: its run (the agents, the analyzers) and its task; the job ends with
        "cancelled" (lsp/jobs.py)."""
        review = self.runs.pop(review_id, None)
        if review is not None:
            review.run.cancel()
            if review.task is not None and not review.task.done():
                review.task.cancel()

    def runs_for(self, uri: str) -> list[RunningReview]:
        return [r for r in self.runs.values() if uri in r.uris]

    def visible(self, uri: str) -> Synthesis | None:
        """The findings of a file as its folder's settings and dismissals say they should be shown."""
        reviewed = self.files.get(uri)
        if reviewed is None:
            return None
        from manyeyes.synthesis.merge import select

        folder = self.folder_of(uri)
        settings = self.settings_for(folder)
        return select(
            reviewed.findings,
            min_severity=settings.min_severity,
            max_per_file=settings.max_findings_per_file,
            suppressed=folder.suppressed,
            min_confidence=settings.min_confidence,
        )

    def finding(self, uri: str, fingerprint: str) -> Finding | None:
        reviewed = self.files.get(uri)
        if reviewed is None:
            return None
        return next((f for f in reviewed.findings if f.fingerprint == fingerprint), None)


def file_path(where: str | Path) -> Path | None:
    """A file's path from a path or a file: URI; None for any other document (untitled, a diff view)."""
    if isinstance(where, Path):
        return where
    if not where.startswith("file:"):
        return None
    from pygls.uris import to_fs_path

    path = to_fs_path(where)
    return Path(path) if path else None
