"""The answer cache on disk: one SQLite file shared by every manyeyes process of the user (the CLI, each editor's
language server), values stored as JSON text (a cache file is data, never code), bounded in size with the least
recently used entries evicted first.

SQLite in WAL mode lets processes read while one of them writes; writers wait for each other (busy timeout), and
a write that still cannot get its turn is skipped (a cache may forget). What goes wrong costs the cache, never the
review: a file that is not this cache's (random bytes, a damaged file, another program's database) is moved aside
and rebuilt; a directory that cannot be written, a full or failing disk, turns the cache off, logged once, and
`problem` says why (the run adds it to its notes).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
APPLICATION_ID = 0x6D796573  # "myes": marks a database as this cache (PRAGMA application_id)
TABLE = (
    "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL, size INTEGER NOT NULL, "
    "used REAL NOT NULL)"  # size: of key and value, in bytes; used: when last written or read, time.time()
)
INDEX = "CREATE INDEX IF NOT EXISTS answers_by_use ON answers (used, size)"  # eviction order, and sizes to sum
BUSY_TIMEOUT_S = 2.0
TOUCH_AFTER_S = 60.0  # a hit refreshes its entry's last use at most this often: not a write for every read
EVICT_TO = 0.9  # eviction frees down to this share of the bound, so it does not run again at the next write


class DiskCache:
    def __init__(self, path: Path, max_bytes: int):
        self.path = path
        self.max_bytes = max_bytes
        self.problem: str | None = None
        self._db: sqlite3.Connection | None = None
        self._rebuilt = False
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        row = self._run(lambda db: db.execute("SELECT value, used FROM answers WHERE key = ?", (key,)).fetchone())
        if row is None:
            return None
        now = time.time()
        if now - row[1] > TOUCH_AFTER_S:
            self._run(lambda db: db.execute("UPDATE answers SET used = ? WHERE key = ?", (now, key)))
        try:
            return json.loads(row[0])
        except ValueError:
            return None

    def put(self, key: str, value: Any) -> None:
        try:
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError):  # a caller's bug; it costs this entry, never the review
            log.exception("a value for the answer cache is not JSON")
            return
        size = len(key) + len(text.encode("utf-8"))
        if size <= self.max_bytes * (1 - EVICT_TO):  # a value that would evict most of the cache is not kept
            self._run(lambda db: self._write(db, key, text, size))

    def close(self) -> None:
        with self._lock:
            self._close()

    def _write(self, db: sqlite3.Connection, key: str, text: str, size: int) -> None:
        with _immediate(db):
            db.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE "
                "SET value = excluded.value, size = excluded.size, used = excluded.used",
                (key, text, size, time.time()),
            )
            total = db.execute("SELECT COALESCE(SUM(size), 0) FROM answers").fetchone()[0]
            if total > self.max_bytes:
                self._evict(db, total - int(self.max_bytes * EVICT_TO))

    @staticmethod
    def _evict(db: sqlite3.Connection, excess: int) -> None:
        victims, freed = [], 0
        cursor = db.execute("SELECT key, size FROM answers ORDER BY used")
        for key, size in cursor:
            if freed >= excess:
                break
            victims.append((key,))
            freed += size
        cursor.close()
        db.executemany("DELETE FROM answers WHERE key = ?", victims)

    def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T | None:
        """The operation on the open database; None when it could not run (then the cache repairs itself, or
        turns itself off)."""
        with self._lock:
            if self.problem:
                return None
            try:
                return operation(self._connection())
            except sqlite3.OperationalError as exc:
                if not _busy(exc):  # busy past the timeout: this one is skipped
                    self._turn_off(str(exc))
            except sqlite3.DatabaseError as exc:  # not a database, a damaged one, another program's
                self._rebuild(str(exc))
            except OSError as exc:
                self._turn_off(exc.strerror or str(exc))
            return None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            try:
                _prepare(db)
            except BaseException:
                db.close()
                raise
            self._db = db
        return self._db

    def _rebuild(self, reason: str) -> None:
        self._close()
        if self._rebuilt:  # rebuilt once already and still broken: something else is wrong
            self._turn_off(reason)
            return
        self._rebuilt = True
        log.warning("the answer cache %s is unusable (%s); moved aside, rebuilt", self.path, reason)
        try:
            for stale in (f"{self.path}-wal", f"{self.path}-shm"):  # they must not be replayed into the new file
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(stale)
            os.replace(self.path, f"{self.path}.broken")
        except OSError as exc:
            self._turn_off(exc.strerror or str(exc))

    def _turn_off(self, reason: str) -> None:
        self._close()
        self.problem = f"answer cache off (model answers are not kept between runs): {reason} ({self.path})"
        log.warning("%s", self.problem)

    def _close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None


def _prepare(db: sqlite3.Connection) -> None:
    """WAL mode, and the schema in a file that is new or already this cache's; another program's database raises
    (and is moved aside)."""
    _switch_to_wal(db)
    db.execute("PRAGMA synchronous = NORMAL")  # in WAL mode: safe against corruption, only the last writes at risk
    with _immediate(db):
        application = db.execute("PRAGMA application_id").fetchone()[0]
        if application != APPLICATION_ID:
            if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise sqlite3.DatabaseError("another program's database")
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(TABLE)
        db.execute(INDEX)


def _switch_to_wal(db: sqlite3.Connection) -> None:
    """Two processes creating the file at once: the switch takes an exclusive lock without waiting for it (the
    busy timeout does not apply), so it is retried until the timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _busy(exc: sqlite3.OperationalError) -> bool:
    return any(word in str(exc).lower() for word in ("locked", "busy"))


@contextlib.contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[None]:
    """A write transaction, the write lock taken at the start (so two writers never deadlock on an upgrade)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
