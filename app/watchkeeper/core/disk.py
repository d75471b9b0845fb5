"""A full disk: recognised wherever it surfaces (the OS, DuckDB), and told in one sentence;
the disk guard's levels before it is full; and renames made durable.

A full disk is a state, not a bug: writing stops, nothing already taken is lost, and work
goes on by itself once space is freed. The guard stops writing before that: imports pause
at 90 % used, and at 95 % the collector only keeps what it receives in its spool.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
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


class DiskPaused(DiskFull):
    """Writing stopped by the disk guard before the disk is full; the message says why."""

    title = "Imports paused"


WARN_AT = 0.80  # used: the window and `watchkeeper status` warn
PAUSE_AT = 0.90  # imports refuse to start, and stop at their next batch
SPOOL_ONLY_AT = 0.95  # the collector keeps receiving into its spool, and stops loading it
LEVELS = ("ok", "warn", "pause", "spool-only")
GROWTH_WINDOW = timedelta(days=7)  # days until full: from the growth over this long


@dataclass(frozen=True)
class GuardRule:
    """Where writing stops (a share of the disk used), and what that means, after ";"."""

    stop_at: float
    then: str


IMPORTS = GuardRule(
    PAUSE_AT,
    f"imports are paused while it is over {PAUSE_AT * 100:.0f} % full, "
    "and can be run again once space is freed",
)
LOADING = GuardRule(
    SPOOL_ONLY_AT,
    "the collector keeps what it receives in its spool, and loads it by itself once "
    f"the disk is under {SPOOL_ONLY_AT * 100:.0f} % full",
)


@dataclass(frozen=True)
class DiskUse:
    """One measurement of the disk holding a folder."""

    folder: Path
    total: int
    used: int
    free: int  # what this user may still write

    @property
    def fraction(self) -> float:
        """The share used, as `df` counts it (blocks kept for root are not free to us)."""
        room = self.used + self.free
        return self.used / room if room else 1.0

    @property
    def percent(self) -> int:
        """Whole percent used, rounded down: 89.9 % is not yet 90 %."""
        return math.floor(self.fraction * 100)

    @property
    def level(self) -> str:
        return level_of(self.fraction)


def level_of(fraction: float) -> str:
    """ "ok", "warn" (80 %), "pause" (90 %) or "spool-only" (95 %) for a share used."""
    if fraction >= SPOOL_ONLY_AT:
        return "spool-only"
    if fraction >= PAUSE_AT:
        return "pause"
    if fraction >= WARN_AT:
        return "warn"
    return "ok"


def disk_use(path: Path) -> DiskUse:
    """The disk holding `path` (a file or folder, which need not exist yet)."""
    folder = path
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    usage = shutil.disk_usage(folder)
    return DiskUse(folder=folder, total=usage.total, used=usage.used, free=usage.free)


def size_text(count: int) -> str:
    """Bytes for a reader: "812.3 MB", "12.4 GB"."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if count >= scale or unit == "MB":
            return f"{count / scale:,.1f} {unit}"
    raise AssertionError("unreachable")


def guard_sentence(use: DiskUse, then: str) -> str:
    """One sentence: how full the disk is, and what the guard does about it."""
    full = "full" if use.percent >= 100 else f"{use.percent} % full"
    return f"The disk holding {use.folder} is {full} ({size_text(use.free)} free); {then}."


def level_warning(use: DiskUse) -> str | None:
    """The warning the window and `watchkeeper status` show at 80, 90 and 95 %; None below."""
    then = {
        "warn": f"imports pause at {PAUSE_AT * 100:.0f} % full, so free some space or move "
        "the store to a bigger disk",
        "pause": IMPORTS.then,
        "spool-only": f"imports are paused, and {LOADING.then}",
    }.get(use.level)
    return None if then is None else guard_sentence(use, then)


def guard_stop(path: Path, rule: GuardRule) -> str | None:
    """The sentence that stops writing to `path` under `rule`; None while there is room."""
    try:
        use = disk_use(path)
    except OSError:  # not measurable: a real full disk is still recognised when it comes
        return None
    return guard_sentence(use, rule.then) if use.fraction >= rule.stop_at else None


def days_until_full(
    samples: Sequence[tuple[datetime, int]], free: int, now: datetime
) -> float | None:
    """Days until `free` bytes are used at the pace of the last 7 days' samples (time, bytes
    used on the disk); None with fewer than two, infinite when the disk is not filling."""
    recent = sorted((taken, used) for taken, used in samples if now - GROWTH_WINDOW <= taken <= now)
    if len(recent) < 2 or recent[-1][0] <= recent[0][0]:
        return None
    (first, first_used), (last, last_used) = recent[0], recent[-1]
    per_day = (last_used - first_used) / ((last - first) / timedelta(days=1))
    if per_day <= 0:
        return math.inf
    return max(0.0, free / per_day)


def days_text(days: float | None) -> str:
    """Days until full for a reader."""
    if days is None:
        return "not known yet"
    if math.isinf(days):
        return "not filling up"
    if days < 1:
        return "less than a day"
    return f"about {days:,.0f} day{'s' if round(days) != 1 else ''}"


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
