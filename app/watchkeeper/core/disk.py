"""A full disk: recognised wherever it surfaces (the OS, DuckDB), and told in one sentence;
and renames made durable.

A full disk is a state, not a bug: writing stops, nothing already taken is lost, and work
goes on by itself once space is freed.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from watchkeeper.core.errors import WatchkeeperError

_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
# how DuckDB (and Windows) word it when an error arrives as text only
_FULL_TEXTS = (
    "no space left on device",
    "not enough space on the disk",
    "disk quota exceeded",
    "disk is full",
)


class DiskFull(WatchkeeperError):
    title = "Disk full"


def is_disk_full(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, says the disk is full."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DiskFull):
            return True
        if isinstance(error, OSError) and error.errno in _FULL_ERRNOS:
            return True
        if any(text in str(error).lower() for text in _FULL_TEXTS):
            return True
        error = error.__cause__ or error.__context__
    return False


def disk_full_sentence(path: Path, what: str) -> str:
    """One sentence: which disk is full, how much is free, and what waits for space."""
    folder = path if path.is_dir() else path.parent
    try:
        free = f" ({shutil.disk_usage(folder).free / 1e6:,.1f} MB free now)"
    except OSError:
        free = ""
    return f"The disk holding {folder} is full{free}; {what} once space is freed."


def fsync_folder(folder: Path) -> None:
    """Make the renames and new files in `folder` survive a power cut (POSIX); Windows has
    no folder handles to sync, and its renames are written through."""
    if os.name == "nt":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
