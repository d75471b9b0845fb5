"""The explorer's background work: plain functions the task runner calls off the GUI thread."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from watchkeeper.core.progress import Progress
from watchkeeper.storage import eventset, hit_views, timeline
from watchkeeper.storage.archive_layout import reading, summary
from watchkeeper.storage.eventset import EventIndex, EventQuery
from watchkeeper.storage.hit_views import HitMark
from watchkeeper.storage.hits import DEFAULT_LEVELS
from watchkeeper.storage.store import Store
from watchkeeper.storage.timeline import Histogram
from watchkeeper.ui.explorer.events_model import PAGE_SIZE

TimelineJob = tuple[tuple[datetime, datetime] | None, Histogram | None]
SearchJob = tuple[EventIndex, list[tuple[Any, ...]]]


def say_if_archived(store: Store, query: EventQuery, progress: Progress) -> None:
    """Reading archived days is slower (a file a day and source): the window says so."""
    relation = reading(store, query.since, until=query.until)
    if relation == "events_hot":
        return
    days = summary(store).days if relation == "events" else relation.count("/day=")
    progress.update(stage=f"reading {days:,} archived days too, which is slower")


def search_job(
    store: Store, query: EventQuery, columns: list[str], progress: Progress
) -> SearchJob:
    """The index of a query and its first page, so the table fills at once."""
    say_if_archived(store, query, progress)
    index = eventset.build_index(store, query, progress)
    return index, eventset.fetch_page(store, index, 0, PAGE_SIZE, columns)


def timeline_job(
    store: Store,
    query: EventQuery,
    series: timeline.SeriesBy,
    visible: tuple[datetime, datetime] | None,
    progress: Progress,
) -> TimelineJob:
    """Bars for the visible range, or for the whole of the query's data when none is given."""
    say_if_archived(store, query.within(*visible) if visible else query, progress)
    span = visible or timeline.data_range(store, query, progress)
    if span is None:
        return None, None
    start, end = span
    if visible is None:
        end += timedelta(seconds=1)  # the range is [start, end): keep the last event
    if end - start < timedelta(minutes=10):  # one burst: give it room
        middle = start + (end - start) / 2
        start, end = middle - timedelta(minutes=5), middle + timedelta(minutes=5)
    return (start, end), timeline.histogram(store, query, start, end, series, progress=progress)


def marks_job(
    store: Store, query: EventQuery, span: tuple[datetime, datetime], progress: Progress
) -> list[HitMark]:
    """High and critical rule hits in the visible range on events the filter keeps."""
    return hit_views.hit_marks(
        store, span[0], span[1], DEFAULT_LEVELS, query.where, query.params, progress=progress
    )


def event_job(
    store: Store, event_id: int, progress: Progress
) -> tuple[list[str], tuple[Any, ...]] | None:
    """One event's columns and values, for the detail pane."""
    return eventset.fetch_event(store, event_id)
