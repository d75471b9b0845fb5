"""Grouping hits into detections: the demo office (200,000 events) with the shipped rules, and
the same store with one rule hitting every event (the worst a noisy rule can do).

Printed, in the same run: the detection run over all events (rules, grouping and saving in
one transaction), grouping every hit again from scratch, grouping 1% more hits into the
detections already stored, the refresh a hunt over every event does, and reading the list
the Hits view shows (stories included).

Usage:
    .venv/bin/python tests/benchmarks/bench_detections.py [--events 200000] [--db STORE]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "app"))

from watchkeeper.detection import service  # noqa: E402
from watchkeeper.scenarios.demo import load_demo  # noqa: E402
from watchkeeper.storage import detection_views, detections  # noqa: E402
from watchkeeper.storage.store import Store  # noqa: E402


def timed(label: str, seconds: float, extra: str = "") -> None:
    print(f"  {label:52} {seconds * 1000:10,.0f} ms  {extra}")


def regroup(store: Store) -> tuple[float, int]:
    """Forget every detection, then group every hit again: seconds, detections made."""
    with store.transaction() as con:
        con.execute("DELETE FROM detection_history")
        con.execute("DELETE FROM detections")
        con.execute("UPDATE hits SET detection = NULL")
    start = time.perf_counter()
    with store.transaction() as con:
        made = detections.group_hits(con)
    return time.perf_counter() - start, made


def measure(store: Store) -> None:
    hits = store.fetch_one("SELECT count(*) FROM hits")
    seconds, made = regroup(store)
    timed("group every hit from scratch", seconds, f"{hits[0] if hits else 0:,} hits, {made:,}")
    start = time.perf_counter()
    with store.transaction() as con:
        detections.group_hits(con, refresh=True)
    timed("refresh after a hunt over every event", time.perf_counter() - start)
    start = time.perf_counter()
    listed = detection_views.list_detections(store, detection_views.DetectionFilter())
    stories = len({item.lead for item in listed})
    timed("read the list with stories", time.perf_counter() - start, f"{stories:,} stories")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--db", type=Path, default=None, help="a demo store to reuse")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    path = args.db or folder / "demo.duckdb"
    with Store(path) as store:
        if args.db is None:
            load_demo(store, args.events, 1, None)
        start = time.perf_counter()
        _, report = service.run(store, full=True)
        timed("hunt over every event (grouping included)", time.perf_counter() - start)
        print(f"demo office, shipped rules: {report.new_hits:,} hits")
        measure(store)
        with store.transaction() as con:
            con.execute(
                "INSERT INTO detection_rules (rule_id, title, level, kind, per_user) "
                "VALUES ('every-event', 'Every event', 'low', 'event', true)"
            )
            con.execute(
                "INSERT INTO hits SELECT 'every-event', id, time, host, username, NULL, "
                "now(), NULL FROM events"
            )
        print("one more rule hitting every event (per host and user):")
        measure(store)
        with store.transaction() as con:
            con.execute(
                "INSERT INTO hits SELECT 'every-event', id + 1000000000, time, host, "
                "username, NULL, now(), NULL FROM events WHERE id % 100 = 0"
            )
            start = time.perf_counter()
            made = detections.group_hits(con)
        timed("then 1% more hits", time.perf_counter() - start, f"{made:,} new detections")


if __name__ == "__main__":
    main()
