"""Carrying out the retention policy: closed days past the hot window go to the archive,
archived days past retention are marked, and deleted a day after unless the user cancels.

The window and the collector service call `run_if_due` (at most once an hour); the command
`watchkeeper archive` calls `run` at once, or `plan` for a dry run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from watchkeeper.core.progress import Progress
from watchkeeper.storage import archive, archive_deletions, hits
from watchkeeper.storage.archive import ArchivedFile, Partition
from watchkeeper.storage.archive_deletions import Pending
from watchkeeper.storage.store import Store

LAST_RUN_KEY = "retention_last_run"
EVERY = timedelta(hours=1)


@dataclass
class RetentionRun:
    """What a run did (or, for a dry run, would do)."""

    dry_run: bool = False
    archived: list[ArchivedFile] = field(default_factory=list)
    due: list[Partition] = field(default_factory=list)  # a dry run: the days it would archive
    marked: list[Pending] = field(default_factory=list)
    deleted: list[Pending] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)  # marked or held after the run

    @property
    def archived_events(self) -> int:
        return sum(f.events for f in self.archived) or sum(p.events for p in self.due)


def plan(store: Store, months: int, hot_days: int, now: datetime) -> RetentionRun:
    """What `run` would do now, without changing anything."""
    moment = now.replace(tzinfo=None)
    pending = archive_deletions.pending(store)
    return RetentionRun(
        dry_run=True,
        due=archive.due(store, hot_days, now),
        marked=archive_deletions.would_mark(store, months, now),
        deleted=[p for p in pending if p.delete_after is not None and p.delete_after <= moment],
        pending=pending,
    )


def run(
    store: Store,
    months: int,
    hot_days: int,
    now: datetime,
    progress: Progress | None = None,
) -> RetentionRun:
    """Archive what is due, mark what is past retention, delete what was marked a day ago."""
    result = RetentionRun()
    result.archived = archive.run(store, hot_days, now, progress)
    result.marked = archive_deletions.would_mark(store, months, now)
    archive_deletions.mark_expired(store, months, now)
    result.deleted = archive_deletions.delete_due(store, months, now)
    result.pending = archive_deletions.pending(store)
    hits.set_meta(store, LAST_RUN_KEY, now.replace(tzinfo=None).isoformat())
    return result


def is_due(store: Store, now: datetime) -> bool:
    """Whether an hour has passed since the last run (or there was none)."""
    text = hits.get_meta(store, LAST_RUN_KEY)
    if not text:
        return True
    try:
        last = datetime.fromisoformat(text)
    except ValueError:
        return True
    moment = now.replace(tzinfo=None)
    return moment - last >= EVERY or moment < last


def run_if_due(
    store: Store,
    months: int,
    hot_days: int,
    now: datetime,
    progress: Progress | None = None,
) -> RetentionRun | None:
    """`run`, when an hour has passed since the last one."""
    if not is_due(store, now):
        return None
    return run(store, months, hot_days, now, progress)
