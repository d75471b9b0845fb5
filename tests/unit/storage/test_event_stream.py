"""Reading every matching event a range of ids at a time: each once, in id order, gaps skipped."""

from __future__ import annotations

import json
from pathlib import Path

from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.event_stream import event_rows, matching
from watchkeeper.storage.eventset import EventQuery
from watchkeeper.storage.store import Store


def _store(tmp_path: Path, count: int) -> Store:
    log = tmp_path / "events.jsonl"
    log.write_text(
        "".join(
            json.dumps({"@timestamp": f"2026-11-03T08:{n // 60:02d}:{n % 60:02d}Z", "n": n}) + "\n"
            for n in range(count)
        )
    )
    store = Store(tmp_path / "w.duckdb")
    import_paths(store, [log])
    return store


def test_every_matching_event_once_in_id_order_across_a_gap(tmp_path: Path) -> None:
    with _store(tmp_path, 300) as store:
        query = EventQuery("id <= 5 OR id > 280")
        span = matching(store, query)
        assert (span.count, span.first_id, span.last_id) == (25, 1, 300)
        batches = list(event_rows(store, query, span, step=10))
        ids = [row[batch.columns.index("id")] for batch in batches for row in batch.rows]
        assert ids == [*range(1, 6), *range(281, 301)]
        # the 27 empty ranges between are skipped in one step, not read one by one
        assert len(batches) == 3
        # the last value of each row is the file its batch came from
        assert {row[-1] for batch in batches for row in batch.rows} == {
            str(tmp_path / "events.jsonl")
        }


def test_nothing_matching_is_an_empty_span(tmp_path: Path) -> None:
    with _store(tmp_path, 3) as store:
        query = EventQuery(since=None, until=None, where="id > 99")
        span = matching(store, query)
        assert span.count == 0
        assert list(event_rows(store, query, span)) == []
