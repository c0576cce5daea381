"""A content-addressed cache of model answers, so unchanged code is never sent twice.

The key is what the answer depends on: the model and its endpoint, the prompt versions, the concern, the file's
path, the chunk's code and its context (imports, related test, analyzer evidence without line numbers). Line
numbers are left out on purpose: code that only moved still hits, and its findings are re-anchored where the code
now is.

Values are JSON-ready (dicts, lists, strings, numbers): the agents encode what they store and decode what they
read, and a value that no longer decodes is a miss. With the `cache` setting on, the CLI and the language server
share one cache on disk (cache_disk.py) in the user's cache directory; the server keeps a memory cache in front.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

V = TypeVar("V")
CACHE_DIR_ENV = "MANYEYES_CACHE_DIR"  # the environment only: a workspace must not choose where answers are written
CACHE_FILE = "answers-v1.sqlite3"  # a new schema gets a new name
MB = 1024 * 1024


class Cache(Protocol):
    problem: str | None  # why the cache turned itself off, for the run's notes; None while it works

    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, value: Any) -> None: ...


def content_key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


class LruCache(Generic[V]):
    problem: str | None = None  # memory does not fail

    def __init__(self, max_entries: int = 4096):
        self.max_entries = max_entries
        self._entries: OrderedDict[str, V] = OrderedDict()

    def get(self, key: str) -> V | None:
        value = self._entries.get(key)
        if value is None:
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: str, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class LayeredCache:
    """A fast cache in front of a slow one: a hit behind fills the front, a write goes to both."""

    def __init__(self, front: Cache, back: Cache):
        self.front, self.back = front, back

    @property
    def problem(self) -> str | None:
        return self.front.problem or self.back.problem

    def get(self, key: str) -> Any | None:
        value = self.front.get(key)
        if value is None:
            value = self.back.get(key)
            if value is not None:
                self.front.put(key, value)
        return value

    def put(self, key: str, value: Any) -> None:
        self.front.put(key, value)
        self.back.put(key, value)


def cache_dir() -> Path:
    """$MANYEYES_CACHE_DIR, else the platform's user cache directory: $XDG_CACHE_HOME/manyeyes or
    ~/.cache/manyeyes; ~/Library/Caches/manyeyes on macOS; %LOCALAPPDATA%\\manyeyes\\Cache on Windows."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "manyeyes"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "manyeyes"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "manyeyes" / "Cache"
    return Path.home() / ".cache" / "manyeyes"


def disk_cache(max_mb: int):
    """The user's cache on disk, bounded to max_mb; nothing is opened (or created) before the first read."""
    from manyeyes.cache_disk import DiskCache  # sqlite3 is imported only by front ends that use it

    return DiskCache(cache_dir() / CACHE_FILE, max_mb * MB)
