"""What the store and its archive hold, and what the retention policy makes due: the figures
`watchkeeper status` shows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from watchkeeper.storage.disk_history import archive_folder
from watchkeeper.storage.schema import EVENT_TABLES
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


def _utc_day(now: datetime) -> date:
    return (now.astimezone(UTC) if now.tzinfo else now).date()


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    following = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (following - timedelta(days=1)).day))


def has_table(store: Store, name: str) -> bool:
    row = store.fetch_one(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND table_name = ?",
        [name],
    )
    return bool(row and row[0])


def store_figures(store: Store) -> StoreFigures:
    row = store.fetch_one("SELECT count(*), min(time), max(time) FROM events")
    if row is None:
        return StoreFigures(0, None, None)
    return StoreFigures(int(row[0]), row[1], row[2])


def archive_figures(store: Store | None, store_path: Path) -> ArchiveFigures:
    """From the manifest when the store has one, else from the archive folder's files."""
    folder = archive_folder(store_path)
    if store is not None and has_table(store, "archive_files"):
        row = store.fetch_one(
            "SELECT count(*), coalesce(sum(bytes), 0), count(DISTINCT day), min(day) "
            "FROM archive_files WHERE state = 'archived'"
        )
        if row is not None:
            return ArchiveFigures(folder, int(row[0]), int(row[1]), int(row[2]), row[3])
    files = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
    days = set()
    for path in files:
        found = _DAY_PATH.search(path.relative_to(folder).as_posix())
        if found:
            days.add(date(int(found[1]), int(found[2]), int(found[3])))
    size = sum(path.stat().st_size for path in files)
    return ArchiveFigures(folder, len(files), size, len(days), min(days, default=None))


def _hot_days_before(store: Store, cutoff: date) -> int:
    union = " UNION ".join(
        f"SELECT DISTINCT CAST(time AS DATE) AS day FROM {table} WHERE time < ?"
        for table in EVENT_TABLES
    )
    row = store.fetch_one(f"SELECT count(*) FROM ({union})", [cutoff] * len(EVENT_TABLES))
    return int(row[0]) if row else 0


def retention_figures(
    store: Store, retention_months: int, hot_days: int, now: datetime
) -> RetentionFigures:
    """The days due to roll over to the archive, those past the retention, and the archived
    days marked for deletion (with when they go)."""
    today = _utc_day(now)
    archive_due = _hot_days_before(store, today - timedelta(days=hot_days))
    kept_from = months_before(today, retention_months)
    delete_due = _hot_days_before(store, kept_from)
    pending: list[PendingDeletion] = []
    if has_table(store, "archive_files"):
        row = store.fetch_one(
            "SELECT count(DISTINCT day) FROM archive_files WHERE state = 'archived' AND day < ?",
            [kept_from],
        )
        delete_due += int(row[0]) if row else 0
        rows = store.fetch_all(
            "SELECT day, source, sum(events), min(delete_after) FROM archive_files "
            "WHERE state = 'archived' AND delete_after IS NOT NULL AND NOT coalesce(held, false) "
            "GROUP BY day, source ORDER BY min(delete_after), day, source"
        )
        pending = [PendingDeletion(d, str(s), int(n or 0), after) for d, s, n, after in rows]
    return RetentionFigures(archive_due, delete_due, pending)
