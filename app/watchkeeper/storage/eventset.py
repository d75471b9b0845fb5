"""The events a filter matches, in time order, fetched a page at a time by position.

A table over ten million events cannot sort them all to show row 5,000,000. Instead one
pass counts the matching events per short time bucket (the seek index); the page at any
position is then a sort of the few buckets that hold it, which zone maps on `time` keep
cheap. This is how klogg seeks in multi-gigabyte logs: an index of positions, then a read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from watchkeeper.core.fields import quote_ident
from watchkeeper.core.progress import Progress
from watchkeeper.core.timeparse import EPOCH
from watchkeeper.storage.archive_layout import reading
from watchkeeper.storage.store import Store

ROWS_PER_BUCKET = 2000  # on the whole store; a filter leaves fewer in each
MAX_BUCKETS = 500_000
ORDER = '"time" ASC NULLS LAST, id ASC'


@dataclass(frozen=True)
class EventQuery:
    """Which events: a compiled filter plus an optional time range [since, until)."""

    where: str = "TRUE"
    params: tuple[object, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""  # the filter as the user typed it, for titles and history

    def clause(self) -> tuple[str, list[object]]:
        parts = [f"({self.where})"]
        params = list(self.params)
        if self.since is not None:
            parts.append('"time" >= ?')
            params.append(self.since)
        if self.until is not None:
            parts.append('"time" < ?')
            params.append(self.until)
        return " AND ".join(parts), params

    def within(self, since: datetime | None, until: datetime | None) -> EventQuery:
        """The same filter over another time range."""
        return EventQuery(self.where, self.params, since, until, self.text)


@dataclass(frozen=True)
class EventIndex:
    """How many events match, and where each time bucket's events start in the order."""

    query: EventQuery
    total: int
    origin_us: int
    width_us: int
    # bucket n covers [origin + n*width, origin + (n+1)*width) in µs since 1970
    bucket_numbers: np.ndarray = field(repr=False)
    starts: np.ndarray = field(repr=False)  # position of each bucket's first event
    untimed: int = 0  # events without a time come after all the others

    @property
    def timed(self) -> int:
        return self.total - self.untimed

    def bucket_at(self, position: int) -> int:
        """The bucket holding the event at `position` (which must be a timed one)."""
        return int(np.searchsorted(self.starts, position, side="right")) - 1

    def bucket_time(self, bucket: int) -> datetime:
        return EPOCH + timedelta(
            microseconds=self.origin_us + int(self.bucket_numbers[bucket]) * self.width_us
        )

    def bucket_end(self, bucket: int) -> datetime:
        return self.bucket_time(bucket) + timedelta(microseconds=self.width_us)

    def position_of_time(self, when: datetime) -> int:
        """The position of the first event at or after `when` (approximate within a bucket)."""
        number = ((when - EPOCH) // timedelta(microseconds=1) - self.origin_us) // self.width_us
        bucket = int(np.searchsorted(self.bucket_numbers, number, side="left"))
        return int(self.starts[bucket]) if bucket < len(self.starts) else self.timed


def bucket_grid(store: Store, progress: Progress | None = None) -> tuple[int, int]:
    """Origin and width (µs) of buckets holding about ROWS_PER_BUCKET of the store's events.

    The origin is the store's first event time, so bucket numbers are never negative
    (DuckDB's integer division truncates toward zero).
    """
    # the archive's days from its manifest: reading its files to count them would cost a
    # moment a file
    archived = "FROM archive_files WHERE state = 'archived'"
    row = store.fetch_one(
        'SELECT (SELECT count("time") FROM events_hot) + '
        f"coalesce((SELECT sum(events) {archived}), 0), "
        'epoch_us(least((SELECT min("time") FROM events_hot), '
        f"(SELECT min(day)::TIMESTAMP {archived}))), "
        'epoch_us(greatest((SELECT max("time") FROM events_hot), '
        f"(SELECT (max(day) + 1)::TIMESTAMP {archived})))",
        progress=progress,
    )
    if row is None or not row[0] or row[1] is None:
        return 0, 60_000_000
    count, first, last = int(row[0]), int(row[1]), int(row[2])
    span_us = max(1, last - first)
    width = span_us * ROWS_PER_BUCKET // count
    width = max(width, span_us // MAX_BUCKETS + 1)
    return first, max(1_000_000, int(width))


def build_index(store: Store, query: EventQuery, progress: Progress | None = None) -> EventIndex:
    """Count the matching events per time bucket: one pass over the store."""
    origin, width = bucket_grid(store, progress)
    where, params = query.clause()
    with store.reading(progress) as cursor:
        cursor.execute(
            f'SELECT (epoch_us("time") - ?) // ? AS bucket, count(*) AS n FROM '
            f"{reading(store, query.since, until=query.until)} WHERE {where} GROUP BY bucket ORDER BY bucket NULLS LAST",
            [origin, width, *params],
        )
        columns = cursor.fetchnumpy()
    counts = np.asarray(columns["n"], dtype=np.int64)
    timed = ~np.ma.getmaskarray(columns["bucket"])  # a NULL bucket: events without a time
    untimed = int(counts[~timed].sum())
    counts = counts[timed]
    numbers = np.ma.getdata(columns["bucket"])[timed].astype(np.int64)
    starts = np.zeros(len(counts), dtype=np.int64)
    if len(counts):
        np.cumsum(counts[:-1], out=starts[1:])
    total = int(counts.sum()) + untimed
    return EventIndex(query, total, origin, width, numbers, starts, untimed)


def page_columns(store: Store, wanted: list[str]) -> list[str]:
    """The columns a page fetches: `id` first, then those wanted that the store has."""
    names = ["id"]
    for name in wanted:
        column = store.resolve(name)
        if column and column not in names:
            names.append(column)
    return names


def fetch_page(
    store: Store, index: EventIndex, offset: int, limit: int, columns: list[str]
) -> list[tuple[Any, ...]]:
    """Rows `offset` to `offset + limit` of the index's order, with the given columns."""
    offset = max(0, offset)
    limit = max(0, min(limit, index.total - offset))
    if not limit:
        return []
    select = ", ".join(quote_ident(name) for name in columns)
    where, params = index.query.clause()
    rows: list[tuple[Any, ...]] = []
    if offset < index.timed:
        first = index.bucket_at(offset)
        last = index.bucket_at(min(offset + limit, index.timed) - 1)
        skip = offset - int(index.starts[first])
        since = max(index.bucket_time(first), index.query.since or index.bucket_time(first))
        rows = store.fetch_all(
            f"SELECT {select} FROM {reading(store, since, until=index.bucket_end(last))} WHERE {where} "
            'AND "time" >= ? AND "time" < ? '
            f"ORDER BY {ORDER} LIMIT ? OFFSET ?",
            [*params, index.bucket_time(first), index.bucket_end(last), limit, skip],
        )
    if len(rows) < limit and offset + len(rows) >= index.timed:
        skip = max(0, offset - index.timed)
        rows += store.fetch_all(
            f'SELECT {select} FROM events WHERE {where} AND "time" IS NULL ORDER BY id '
            "LIMIT ? OFFSET ?",
            [*params, limit - len(rows), skip],
        )
    return rows


def fetch_event(store: Store, event_id: int) -> tuple[list[str], tuple[Any, ...]] | None:
    """Every column of one event, with the file it came from, for the detail pane."""
    with store.reading() as cursor:
        cursor.execute(
            f"SELECT e.*, i.path AS origin_path FROM {reading(store, event_id=event_id)} AS e "
            "LEFT JOIN imports AS i ON i.id = e.import_id WHERE e.id = ?",
            [event_id],
        )
        columns = [d[0] for d in cursor.description or []]
        row = cursor.fetchone()
    return (columns, row) if row is not None else None
