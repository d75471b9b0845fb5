"""The disk guard's memory: how full the store's disk was, hour by hour, and what that says.

A sample (the disk's used bytes, the store's and the archive's size) is kept at most once an
hour; the last 7 days of them give the days until the disk is full.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from watchkeeper.core.disk import (
    GROWTH_WINDOW,
    DiskUse,
    days_until_full,
    disk_use,
    level_of,
)
from watchkeeper.core.errors import StoreError
from watchkeeper.storage.archive_layout import folder
from watchkeeper.storage.store import Store

SAMPLE_EVERY = timedelta(hours=1)
KEEP_SAMPLES = timedelta(days=35)


@dataclass(frozen=True)
class DiskReport:
    """The disk under the store and its archive, now, and where it is heading."""

    use: DiskUse  # the fuller of the two disks, when the archive is on another one
    stored: int  # bytes: the store and its write-ahead log
    archived: int  # bytes in the archive folder
    days_until_full: float | None  # None: not known yet (fewer than two samples)

    @property
    def level(self) -> str:
        return level_of(self.use.fraction)


def _utc(moment: datetime) -> datetime:
    """As the store keeps times: UTC without a zone."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def folder_bytes(folder: Path) -> int:
    """The size of the files under `folder` (0 when there is none)."""
    total = 0
    with contextlib.suppress(OSError):
        for path in folder.rglob("*"):
            with contextlib.suppress(OSError):
                if path.is_file():
                    total += path.stat().st_size
    return total


def measure(store_path: Path) -> DiskUse:
    """The disk holding the store, or the archive's when that one is fuller."""
    use = disk_use(store_path)
    archive = folder(store_path)
    if archive.is_dir():
        other = disk_use(archive)
        if other.fraction > use.fraction:
            return other
    return use


def record_sample(store: Store, use: DiskUse, stored: int, now: datetime) -> bool:
    """Keep a sample unless one was kept within the hour; whether one was kept. A store
    opened read-only, or one that cannot be written now, keeps none."""
    if store.read_only:
        return False
    now = _utc(now)
    try:
        with store.transaction() as con:
            last = con.execute("SELECT max(taken) FROM disk_samples").fetchone()
            if last and last[0] is not None and now - last[0] < SAMPLE_EVERY:
                return False
            con.execute(
                "INSERT INTO disk_samples VALUES (?, ?, ?, ?)",
                [now, use.used, use.total, stored],
            )
            con.execute("DELETE FROM disk_samples WHERE taken < ?", [now - KEEP_SAMPLES])
    except (duckdb.Error, StoreError):  # a full disk or a busy store: the next hour's try
        return False
    return True


def samples(store: Store, now: datetime) -> list[tuple[datetime, int]]:
    """(taken, disk used) over the last 7 days, oldest first."""
    now = _utc(now)
    rows = store.fetch_all(
        "SELECT taken, disk_used FROM disk_samples WHERE taken BETWEEN ? AND ? ORDER BY taken",
        [now - GROWTH_WINDOW, now],
    )
    return [(taken, int(used)) for taken, used in rows]


def disk_report(store: Store, now: datetime, record: bool = True) -> DiskReport:
    """Measure the disk now, keep the sample (once an hour) and say where it is heading."""
    use = measure(store.path)
    stored = store.size_bytes()
    archived = folder_bytes(folder(store.path))
    if record:
        record_sample(store, use, stored + archived, now)
    try:
        history = samples(store, now)
    except (duckdb.Error, StoreError):
        history = []
    return DiskReport(use, stored, archived, days_until_full(history, use.free, _utc(now)))
