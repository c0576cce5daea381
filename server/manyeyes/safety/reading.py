"""Reading files a stranger controls: regular files only, inside the root they were asked for, never more than a
byte limit.

A reviewed repository decides what its paths point at: a symlink to `../outside/credentials`, to `/dev/zero`, to
a FIFO that blocks forever. Every read of a workspace file goes through here. The file is opened without
blocking, and what was actually opened is checked (its real path, through /proc where the system has it, so a
symlink swapped after a check is still caught, and its type); the limit is enforced while reading, not trusted
from `stat`, so a device that reports size 0 costs at most `limit + 1` bytes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


class Unreadable(Exception):
    """Why a file is not read, in words meant for the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Missing(Unreadable):
    pass


class TooLarge(Unreadable):
    def __init__(self, size: int, limit: int):
        super().__init__(f"{size:,} bytes is over the limit ({limit:,})")
        self.size, self.limit = size, limit


def inside(path: Path, root: Path) -> bool:
    """The path, with every symlink followed, lies in root."""
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop
        return False
    return True


def read_bytes(path: Path, limit: int, root: Path | None = None) -> bytes:
    """At most `limit` bytes of a regular file (inside `root` when given), or Unreadable with the reason."""
    if root is not None and not inside(path, root):
        raise Unreadable(f"outside the workspace {root} (a symlink points out of it)")
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise Missing("no such file") from None
    except OSError as exc:
        raise Unreadable(f"cannot be read: {exc.strerror or exc}") from None
    try:
        _check_opened(fd, root)
    except Unreadable:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        return _read_limited(handle, limit)


def read_text(path: Path, limit: int, root: Path | None = None, errors: str = "strict") -> str:
    """The file as UTF-8 text (see read_bytes); invalid UTF-8 is Unreadable unless `errors` says otherwise."""
    data = read_bytes(path, limit, root)
    try:
        return data.decode("utf-8", errors=errors)
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not valid UTF-8 (byte {exc.start})") from None


def _check_opened(fd: int, root: Path | None) -> None:
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        raise Unreadable("a directory, not a file")
    if not stat.S_ISREG(mode):
        raise Unreadable("not a regular file (a device, FIFO or socket)")
    real = _opened_path(fd)
    if root is not None and real is not None and not inside(real, root):
        raise Unreadable(f"outside the workspace {root} (a symlink points out of it)")


def _opened_path(fd: int) -> Path | None:
    """The path the descriptor really refers to, where the system tells (Linux); None elsewhere."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return None


def _read_limited(handle, limit: int) -> bytes:
    size = os.fstat(handle.fileno()).st_size
    if size > limit:
        raise TooLarge(size, limit)
    data = handle.read(limit + 1)
    if len(data) > limit:  # the file grew after fstat
        raise TooLarge(len(data), limit)
    return data
