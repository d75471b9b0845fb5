"""What the store and its archive hold, and what the retention policy makes due: the figures
`watchkeeper status` shows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from watchkeeper.storage.archive_deletions import cutoff, would_mark
from watchkeeper.storage.archive_deletions import pending as marked
from watchkeeper.storage.archive_layout import due, folder, summary
from watchkeeper.storage.store import Store

_DAY_PATH = re.compile(r"year=(\d{4})/month=(\d{1,2})/day=(\d{1,2})/")


@dataclass(frozen=True)
class StoreFigures:
    events: int
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True)
class ArchiveFigures:
    folder: Path
    files: int
    bytes: int
    days: int
    oldest: date | None


@dataclass(frozen=True)
class PendingDeletion:
    day: date
    source: str
    events: int
    delete_after: datetime


@dataclass(frozen=True)
class RetentionFigures:
    archive_due: int  # days in the store older than the hot window
    delete_due: int  # days, in the store or the archive, older than the retention
    pending: list[PendingDeletion] = field(default_factory=list)


def store_figures(store: Store) -> StoreFigures:
    row = store.fetch_one("SELECT count(*), min(time), max(time) FROM events")
    if row is None:
        return StoreFigures(0, None, None)
    return StoreFigures(int(row[0]), row[1], row[2])


def archive_figures(store: Store | None, store_path: Path) -> ArchiveFigures:
    """From the manifest; from the archive folder's files when the store cannot be opened."""
    base = folder(store_path)
    if store is not None:
        held = summary(store)
        return ArchiveFigures(base, held.files, held.bytes, held.days, held.oldest)
    files = sorted(base.glob("source=*/year=*/month=*/day=*/*.parquet")) if base.is_dir() else []
    days = set()
    for path in files:
        found = _DAY_PATH.search(path.relative_to(base).as_posix())
        if found:
            days.add(date(int(found[1]), int(found[2]), int(found[3])))
    size = sum(path.stat().st_size for path in files)
    return ArchiveFigures(base, len(files), size, len(days), min(days, default=None))


def retention_figures(
    store: Store, retention_months: int, hot_days: int, now: datetime
) -> RetentionFigures:
    """The days due to roll over to the archive, the archived days past retention and not yet
    marked, and those marked for deletion (with when they go)."""
    archive_due = len({p.day for p in due(store, hot_days, now)})
    # days past retention: still in the store (archived first), or archived and not marked
    past = (now.date() - cutoff(retention_months, now)).days
    hot = {p.day for p in due(store, past, now)}
    delete_due = len(hot | {p.day for p in would_mark(store, retention_months, now)})
    pending = [
        PendingDeletion(p.day, p.source or "(none)", p.events, p.delete_after)
        for p in marked(store)
        if p.delete_after is not None and not p.held
    ]
    return RetentionFigures(archive_due, delete_due, pending)
