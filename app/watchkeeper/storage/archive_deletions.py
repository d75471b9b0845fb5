"""Deleting archived days past retention: marked first, removed a day later unless cancelled,
and every deletion recorded (what, when, how many events, the hashes of what was deleted).

A file is past retention when its day and the newest event it holds were received before the
cutoff, so events with a wrong old time that arrived recently are never deleted at once; and
it is kept while an incident holds any of its events.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from watchkeeper.core.disk import fsync_folder
from watchkeeper.storage import archive, schema
from watchkeeper.storage.store import Store

GRACE = timedelta(hours=24)

# the file's ids hold an event an incident links, or a hit of a detection in an incident
_EVIDENCE = (
    "EXISTS (SELECT 1 FROM incident_events ie WHERE ie.event BETWEEN a.first_id AND a.last_id) "
    "OR EXISTS (SELECT 1 FROM hits h JOIN incident_detections d ON d.detection = h.detection "
    "WHERE h.event BETWEEN a.first_id AND a.last_id)"
)


@dataclass(frozen=True)
class Pending:
    id: int
    path: str
    source: str | None
    day: date
    events: int
    delete_after: datetime | None
    held: bool


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day where it is short)."""
    month = day.month - 1 - months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        with contextlib.suppress(ValueError):
            return date(year, month, min(day.day, last))
    raise AssertionError("unreachable")


def cutoff(months: int, now: datetime) -> date:
    """Days before this one are past a retention of `months`."""
    return months_before(now.date(), months)


def expired_sql() -> str:
    return (
        "FROM archive_files a WHERE a.state = 'archived' AND NOT a.held AND a.day < ? "
        f"AND coalesce(a.last_received, a.written) < ? AND NOT ({_EVIDENCE})"
    )


def mark_expired(store: Store, months: int, now: datetime) -> int:
    """Mark the files past retention for deletion a day from now; returns how many."""
    limit = cutoff(months, now)
    moment = now.replace(tzinfo=None)
    with store.transaction() as con:
        row = con.execute(
            "UPDATE archive_files SET delete_after = ? WHERE id IN (SELECT a.id "
            + expired_sql()
            + ") AND delete_after IS NULL",
            [moment + GRACE, limit, limit],
        ).fetchone()
    return int(row[0]) if row else 0


def would_mark(store: Store, months: int, now: datetime) -> list[Pending]:
    """What `mark_expired` would mark (for a dry run)."""
    limit = cutoff(months, now)
    rows = store.fetch_all(
        "SELECT a.id, a.path, NULLIF(a.source, ?), a.day, a.events, a.delete_after, a.held "
        + expired_sql()
        + " AND a.delete_after IS NULL ORDER BY a.day, a.source",
        [schema.NO_SOURCE, limit, limit],
    )
    return [Pending(*row) for row in rows]


def pending(store: Store) -> list[Pending]:
    """Files marked for deletion, and files the user held back, soonest first."""
    rows = store.fetch_all(
        "SELECT id, path, NULLIF(source, ?), day, events, delete_after, held FROM archive_files "
        "WHERE state = 'archived' AND (delete_after IS NOT NULL OR held) "
        "ORDER BY delete_after NULLS LAST, day, source",
        [schema.NO_SOURCE],
    )
    return [Pending(*row) for row in rows]


def cancel(store: Store, ids: list[int] | None = None) -> int:
    """Keep files marked for deletion (all of them, or those with `ids`): they are held until
    `release`. Returns how many were cancelled."""
    with store.transaction() as con:
        row = con.execute(
            "UPDATE archive_files SET delete_after = NULL, held = true WHERE state = 'archived' "
            "AND delete_after IS NOT NULL AND (? OR list_contains(?, id))",
            [ids is None, ids or []],
        ).fetchone()
    return int(row[0]) if row else 0


def release(store: Store) -> int:
    """Let held files be deleted again when past retention (marked at the next run)."""
    with store.transaction() as con:
        row = con.execute(
            "UPDATE archive_files SET held = false WHERE state = 'archived' AND held"
        ).fetchone()
    return int(row[0]) if row else 0


def delete_due(store: Store, months: int, now: datetime) -> list[Pending]:
    """Delete the files whose day of grace is over: recorded, then removed from the disk."""
    moment = now.replace(tzinfo=None)
    due = [p for p in pending(store) if p.delete_after is not None and p.delete_after <= moment]
    if not due:
        return []
    with store.transaction() as con:
        con.execute(
            "INSERT INTO archive_deletions SELECT (SELECT coalesce(max(id), 0) FROM "
            "archive_deletions) + row_number() OVER (ORDER BY id), ?, path, source, day, "
            "events, sha256, content_sha256, ? FROM archive_files WHERE list_contains(?, id)",
            [moment, f"past the retention of {months} months", [p.id for p in due]],
        )
        con.execute(
            "UPDATE archive_files SET state = 'deleted', delete_after = NULL "
            "WHERE list_contains(?, id)",
            [[p.id for p in due]],
        )
    remove_deleted_files(store)
    return due


def remove_deleted_files(store: Store) -> list[str]:
    """Remove from the disk the files the manifest says were deleted (after a crash too), and
    folders left empty; then the view stops reading the archive if nothing is left."""
    base = archive.folder(store.path)
    removed: list[str] = []
    for (path,) in store.fetch_all("SELECT path FROM archive_files WHERE state = 'deleted'"):
        target = base / path
        if target.exists():
            target.unlink()
            removed.append(path)
            folder = target.parent
            while folder != base and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
            fsync_folder(folder)
    archive.show_archive(store)
    return removed
