"""Every event a query matches, read a range of ids at a time, with the file it came from.

An export reads millions of events: one sorted query over them all would hold them in
memory (or spill them to disk) before the first is written. Ranges of ids keep each read
small and sorted, and zone maps on `id` (in the store and in the archive's row groups) skip
what a range does not hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from watchkeeper.core.progress import Progress
from watchkeeper.storage.eventset import EventQuery
from watchkeeper.storage.store import Store

# a read's rows are hundreds of columns wide: 10,000 of them are tens of MB in Python
ID_STEP = 10_000


@dataclass(frozen=True)
class Matching:
    """How many events a query matches, and the first and last of their ids."""

    count: int
    first_id: int
    last_id: int


@dataclass(frozen=True)
class EventRows:
    """Events in id order: `columns` name each row's values but the last, which is the path
    of the file the event's batch came from (None when the ledger has no path)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


def matching(store: Store, query: EventQuery, progress: Progress | None = None) -> Matching:
    where, params = query.clause()
    row = store.fetch_one(
        f"SELECT count(*), min(id), max(id) FROM events WHERE {where}", params, progress
    )
    if row is None or not row[0]:
        return Matching(0, 0, -1)
    return Matching(int(row[0]), int(row[1]), int(row[2]))


def event_rows(
    store: Store,
    query: EventQuery,
    span: Matching,
    progress: Progress | None = None,
    step: int | None = None,
) -> Iterator[EventRows]:
    """The matching events with ids in `span`, `step` ids at a time, in id order."""
    step = step or ID_STEP
    where, params = query.clause()
    first = span.first_id
    while first <= span.last_id:
        last = first + step
        with store.reading(progress) as cursor:
            cursor.execute(
                f"SELECT e.*, i.path FROM (SELECT * FROM events WHERE ({where}) "
                "AND id >= ? AND id < ?) AS e LEFT JOIN imports AS i ON i.id = e.import_id "
                "ORDER BY e.id",
                [*params, first, last],
            )
            columns = [d[0] for d in cursor.description or []][:-1]
            rows = cursor.fetchall()
            if not rows:
                # a gap in the ids (events deleted after retention): go on from the next one
                found = cursor.execute(
                    f"SELECT min(id) FROM events WHERE ({where}) AND id >= ?", [*params, last]
                ).fetchall()
                first = found[0][0] if found and found[0][0] is not None else span.last_id + 1
                continue
        yield EventRows(columns, rows)
        first = last
