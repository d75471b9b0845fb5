"""Events over time: counts per time bucket and per series, computed in DuckDB."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import numpy as np

from watchkeeper.core.fields import LEVELS
from watchkeeper.core.progress import Progress
from watchkeeper.core.timeparse import EPOCH
from watchkeeper.storage.archive_layout import reading
from watchkeeper.storage.eventset import EventQuery
from watchkeeper.storage.store import Store

SeriesBy = Literal["source", "level"]
_MINUTE = 60
# Bucket sizes a person reads at a glance, from a minute to a week (seconds).
STEPS = (1, 5, 15, 30, 60, 180, 360, 720, 1440, 10080)
STEPS_SECONDS = tuple(step * _MINUTE for step in STEPS)
MAX_SERIES = 8  # the rest are drawn together as "other"
_LEVEL_ORDER = {name: i for i, name in enumerate(LEVELS)}


@dataclass(frozen=True)
class Histogram:
    """Counts per bucket: `counts[s, b]` events of series `s` in bucket `b`."""

    start: datetime  # the first bucket's start
    step_seconds: int
    series: list[str]
    counts: np.ndarray = field(repr=False)

    @classmethod
    def empty(cls) -> Histogram:
        return cls(EPOCH, STEPS_SECONDS[0], [], np.zeros((0, 0), dtype=np.int64))

    @property
    def buckets(self) -> int:
        return int(self.counts.shape[1]) if self.counts.ndim == 2 else 0

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def edges_epoch(self) -> np.ndarray:
        """Bucket starts as seconds since 1970, for a date axis."""
        first = (self.start - EPOCH).total_seconds()
        return first + np.arange(self.buckets + 1, dtype=np.float64) * self.step_seconds


def step_for(span: timedelta, target_buckets: int = 240) -> int:
    """The smallest readable bucket size (seconds) giving at most about `target_buckets`."""
    seconds = max(1.0, span.total_seconds())
    for step in STEPS_SECONDS:
        if seconds / step <= target_buckets:
            return step
    return STEPS_SECONDS[-1]


def step_label(step_seconds: int) -> str:
    minutes = step_seconds // _MINUTE
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 1440:
        return f"{minutes // 60} h"
    return "1 day" if minutes == 1440 else f"{minutes // 1440} days"


def data_range(
    store: Store, query: EventQuery, progress: Progress | None = None
) -> tuple[datetime, datetime] | None:
    """The first and last event time a query matches (None when it matches no timed event)."""
    where, params = query.clause()
    row = store.fetch_one(
        f'SELECT min("time"), max("time") FROM {reading(store, query.since, until=query.until)} '
        f"WHERE {where}",
        params,
        progress,
    )
    if row is None or row[0] is None:
        return None
    return row[0], row[1]


def histogram(
    store: Store,
    query: EventQuery,
    start: datetime,
    end: datetime,
    by: SeriesBy = "source",
    target_buckets: int = 240,
    progress: Progress | None = None,
) -> Histogram:
    """Events of `query` in [start, end), bucketed at a readable size, one series per value."""
    step = step_for(end - start, target_buckets)
    step_us = step * 1_000_000
    # Align to the step, so bars do not shift while panning.
    first_us = (start - EPOCH) // timedelta(microseconds=1) // step_us * step_us
    aligned = EPOCH + timedelta(microseconds=first_us)
    buckets = max(1, -(-((end - aligned) // timedelta(microseconds=1)) // step_us))
    ranged = query.within(
        max(aligned, query.since) if query.since else aligned,
        min(end, query.until) if query.until else end,
    )
    where, params = ranged.clause()
    column = '"source"' if by == "source" else '"level"'
    with store.reading(progress) as cursor:
        cursor.execute(
            f"SELECT (epoch_us(\"time\") - ?) // ? AS bucket, coalesce({column}, '(none)') AS name, "
            f"count(*) AS n FROM {reading(store, ranged.since, until=ranged.until)} WHERE {where} "
            "GROUP BY ALL",
            [first_us, step_us, *params],
        )
        result = cursor.fetchnumpy()
    numbers = np.asarray(result["bucket"], dtype=np.int64)
    names = [str(name) for name in result["name"]]
    counts_by_row = np.asarray(result["n"], dtype=np.int64)
    totals: dict[str, int] = {}
    for name, count in zip(names, counts_by_row.tolist(), strict=True):
        totals[name] = totals.get(name, 0) + count
    if by == "level":  # severity order, so colours keep their meaning
        ranked = sorted(totals, key=lambda name: (_LEVEL_ORDER.get(name, len(LEVELS)), name))
    else:
        ranked = sorted(totals, key=lambda name: (-totals[name], name))
    series = ranked[:MAX_SERIES] + (["other"] if len(ranked) > MAX_SERIES else [])
    slot = {name: min(i, MAX_SERIES) for i, name in enumerate(ranked)}
    counts = np.zeros((len(series), buckets), dtype=np.int64)
    if len(numbers):
        rows = np.fromiter((slot[name] for name in names), dtype=np.int64, count=len(names))
        inside = (numbers >= 0) & (numbers < buckets)
        np.add.at(counts, (rows[inside], numbers[inside]), counts_by_row[inside])
    return Histogram(aligned, step, series, counts)
