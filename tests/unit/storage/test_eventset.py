"""Paging by position and the timeline agree with a plain ORDER BY over the whole store."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from watchkeeper.core.errors import Cancelled
from watchkeeper.core.progress import Progress
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage import eventset, timeline
from watchkeeper.storage.eventset import EventQuery
from watchkeeper.storage.filters import compile_filter
from watchkeeper.storage.store import Store

START = datetime(2026, 11, 2, 0, 0)


def _jsonl(path: Path, count: int, seed: int, untimed: int = 0) -> Path:
    """Events in shuffled time order, bursts included, and some without any time."""
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        # a burst of identical timestamps every so often
        offset = 3600 if n % 50 == 0 else rng.randrange(0, 3 * 86400)
        lines.append(
            {
                "@timestamp": (START + timedelta(seconds=offset)).isoformat() + "Z",
                "host": f"pc-{n % 7}",
                "level": ["info", "warning", "error"][n % 3],
                "message": f"event {n}",
                "n": n,
            }
        )
    lines += [
        {"host": "nowhere", "message": f"no time {n}", "n": count + n} for n in range(untimed)
    ]
    rng.shuffle(lines)
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


@pytest.fixture
def filled(store: Store, tmp_path: Path) -> Store:
    result = import_paths(store, [_jsonl(tmp_path / "a.jsonl", 3000, 1, untimed=5)])
    assert result.events == 3005
    return store


def _expected(store: Store, query: EventQuery) -> list[int]:
    where, params = query.clause()
    return [
        row[0]
        for row in store.fetch_all(
            f"SELECT id FROM events WHERE {where} ORDER BY {eventset.ORDER}", params
        )
    ]


def test_every_page_matches_the_full_order(filled: Store) -> None:
    query = EventQuery()
    index = eventset.build_index(filled, query)
    assert index.total == 3005 and index.untimed == 5
    expected = _expected(filled, query)
    got: list[int] = []
    for offset in range(0, index.total, 128):
        got += [row[0] for row in eventset.fetch_page(filled, index, offset, 128, ["id"])]
    assert got == expected  # includes the untimed events, last
    # a page straddling the end of the timed events
    tail = eventset.fetch_page(filled, index, index.timed - 3, 10, ["id"])
    assert [row[0] for row in tail] == expected[-8:]


def test_filtered_index_and_random_positions(filled: Store) -> None:
    sql = compile_filter("host:pc-3 level:error", filled)
    query = EventQuery(sql.where, tuple(sql.params), text="host:pc-3 level:error")
    index = eventset.build_index(filled, query)
    expected = _expected(filled, query)
    assert index.total == len(expected) > 0
    rng = random.Random(5)
    for _ in range(20):
        offset = rng.randrange(index.total)
        page = eventset.fetch_page(filled, index, offset, 17, ["id", "host", "level"])
        assert [row[0] for row in page] == expected[offset : offset + 17]
        assert all(row[1] == "pc-3" and row[2] == "error" for row in page)


def test_time_range_and_position_of_time(filled: Store) -> None:
    since, until = START + timedelta(hours=10), START + timedelta(hours=20)
    query = EventQuery().within(since, until)
    index = eventset.build_index(filled, query)
    rows = eventset.fetch_page(filled, index, 0, index.total, ["id", "time"])
    assert len(rows) == index.total > 0
    assert all(since <= row[1] < until for row in rows)
    whole = eventset.build_index(filled, EventQuery())
    position = whole.position_of_time(since)
    first = eventset.fetch_page(filled, whole, position, 1, ["time"])[0][0]
    assert since - timedelta(microseconds=whole.width_us) <= first


def test_page_columns_skip_unknown_names(filled: Store) -> None:
    assert eventset.page_columns(filled, ["time", "user", "n", "nonsense"]) == [
        "id",
        "time",
        "username",
        "n",
    ]


def test_event_detail_has_every_field_and_its_file(filled: Store) -> None:
    first = eventset.fetch_page(filled, eventset.build_index(filled, EventQuery()), 0, 1, ["id"])
    found = eventset.fetch_event(filled, first[0][0])
    assert found is not None
    columns, row = found
    values = dict(zip(columns, row, strict=True))
    assert values["origin_path"].endswith("a.jsonl") and values["raw"].startswith("{")
    assert eventset.fetch_event(filled, 10**9) is None


def test_empty_store_and_empty_filter(store: Store) -> None:
    index = eventset.build_index(store, EventQuery())
    assert index.total == 0
    assert eventset.fetch_page(store, index, 0, 100, ["id"]) == []
    histogram = timeline.histogram(store, EventQuery(), START, START + timedelta(days=1))
    assert histogram.total == 0 and histogram.series == []


def test_histogram_counts_match_and_steps_are_readable(filled: Store) -> None:
    span = (START, START + timedelta(days=3))
    by_source = timeline.histogram(filled, EventQuery(), *span)
    assert by_source.total == 3000  # untimed events are not on a timeline
    assert by_source.step_seconds == 30 * 60  # 3 days in at most 240 bars
    assert len(by_source.edges_epoch()) == by_source.buckets + 1
    by_level = timeline.histogram(filled, EventQuery(), *span, by="level")
    assert by_level.series == ["error", "warning", "information"]  # severity order
    assert by_level.counts.sum(axis=1).tolist() == [1000, 1000, 1000]
    # the burst at 01:00 lands in one bar
    hour = timeline.histogram(
        filled, EventQuery(), START + timedelta(minutes=30), START + timedelta(minutes=90)
    )
    assert hour.step_seconds == 60
    assert int(hour.counts.sum(axis=0).max()) >= 60
    assert timeline.step_label(hour.step_seconds) == "1 min"
    assert timeline.step_label(1440 * 60) == "1 day"


def test_cancel_interrupts_a_query(filled: Store) -> None:
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        eventset.build_index(filled, EventQuery(), progress)
