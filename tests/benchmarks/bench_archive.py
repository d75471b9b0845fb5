"""The archive: bytes per event, the cost of a roll-over, and queries over hot and archived
events, each beside a baseline measured in the same run.

1. Seven months of a generated office (`--events`, over 210 days) are imported; a filter (a
   host and an event id), a free-text word, the timeline's buckets and a count are timed over
   the store alone (the baseline); then every closed day but the last 30 is archived (about
   six months) and the same queries are timed over the store and the archive together.
2. Bytes per event: the generated files, the store, the Parquet archive.
3. `verify` over the whole store, before and after the roll-over.
4. A month of `--month-events` generated events (10,000,000 by default) archived at once:
   seconds, events per second and peak memory, beside importing the same month.

Each import and roll-over runs in a child process, so its peak memory (ru_maxrss) is its own.

    python tests/benchmarks/bench_archive.py [--events N] [--month-events N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the office's days end today, and the roll-over runs now: the seals, which date what is
# written by this machine's clock, then agree with the days archived
_TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
END = _TODAY.isoformat()
NOW = (_TODAY + timedelta(hours=12)).isoformat()


def _child(code: str) -> dict[str, float]:
    wrapped = (
        "import json, resource, sys, time\nfrom datetime import datetime\n"
        + code
        + "\nresult['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps(result))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapped],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "app"), "PATH": "/usr/bin:/bin"},
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def generate(folder: Path, events: int, days: int) -> dict[str, float]:
    return _child(f"""
from watchkeeper.scenarios import generate
start = time.perf_counter()
generate(__import__('pathlib').Path({str(folder)!r}), events={events}, seed=7, days={days},
         end=datetime.fromisoformat({END!r}))
files = [p for p in __import__('pathlib').Path({str(folder)!r}).rglob('*') if p.is_file()]
result = {{'seconds': time.perf_counter() - start,
          'source_bytes': sum(p.stat().st_size for p in files)}}
""")


def import_files(folder: Path, db: Path) -> dict[str, float]:
    return _child(f"""
from watchkeeper.storage.store import Store
from watchkeeper.ingest.importer import import_paths
with Store({str(db)!r}) as store:
    start = time.perf_counter()
    summary = import_paths(store, [{str(folder)!r}])
    seconds = time.perf_counter() - start
    store.cursor().execute('CHECKPOINT')
    size = store.size_bytes()
result = {{'events': summary.events, 'seconds': seconds, 'rate': summary.events / seconds,
          'store_bytes': size}}
""")


def archive_all(db: Path, hot_days: int) -> dict[str, float]:
    return _child(f"""
from watchkeeper.storage import archive
from watchkeeper.storage.store import Store
with Store({str(db)!r}) as store:
    start = time.perf_counter()
    written = archive.run(store, {hot_days}, datetime.fromisoformat({NOW!r}))
    seconds = time.perf_counter() - start
    store.cursor().execute('CHECKPOINT')
    events = sum(f.events for f in written)
    parquet = sum(f.bytes for f in written)
    size = store.size_bytes()
result = {{'files': len(written), 'events': events, 'seconds': seconds,
          'rate': events / seconds if seconds else 0, 'parquet_bytes': parquet,
          'store_bytes_after': size}}
""")


def verify_all(db: Path) -> dict[str, float]:
    """Verify every event against the hashes taken when it was written (today is not sealed
    yet, as it is not over: verify hashes every event all the same)."""
    return _child(f"""
from datetime import UTC
from watchkeeper.integrity.verify import verify
from watchkeeper.storage.store import Store
with Store({str(db)!r}) as store:
    start = time.perf_counter()
    report = verify(store, datetime.now(UTC))
    seconds = time.perf_counter() - start
    events = store.event_count()
result = {{'seconds': seconds, 'events': events, 'rate': events / seconds,
          'problems': len(report.problems)}}
""")


def queries(db: Path) -> dict[str, float]:
    """Median milliseconds of each query the window runs, over whatever the view reads."""
    return _child(f"""
import statistics
from watchkeeper.storage.store import Store
from watchkeeper.storage.eventset import EventQuery
from watchkeeper.storage.filters import compile_filter
from watchkeeper.storage.queries import search
from watchkeeper.storage.timeline import data_range, histogram
from watchkeeper.storage.eventset import build_index
from datetime import timedelta

def timed(run):
    run()
    times = []
    for _ in range(5):
        start = time.perf_counter(); run(); times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)

with Store({str(db)!r}) as store:
    host = store.fetch_one("SELECT host FROM events WHERE event_id = 4624 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0]
    where = compile_filter(f"host:{{host}} event_id:4624", store)
    word = compile_filter('"failed password"', store)
    every = EventQuery('TRUE', ())
    first, last = data_range(store, every)
    day = datetime.fromisoformat({END!r}).replace(tzinfo=None) - timedelta(days=100)
    one_day = EventQuery('TRUE', (), day, day + timedelta(days=1))
    week = (day, day + timedelta(days=7))
    result = {{
        'filter_ms': timed(lambda: search(store, where.where, where.params, limit=200)),
        'word_ms': timed(lambda: search(store, word.where, word.params, limit=200)),
        'timeline_ms': timed(lambda: histogram(store, every, first, last)),
        'count_ms': timed(lambda: store.event_count()),
        'day_index_ms': timed(lambda: build_index(store, one_day)),
        'week_timeline_ms': timed(lambda: histogram(store, every, *week)),
        'matches': search(store, where.where, where.params, limit=1).total,
        'events': store.event_count(),
    }}
""")


def _line(
    what: str, value: float, unit: str, baseline: float | None = None, base: str = ""
) -> None:
    beside = f"   ({base}: {baseline:,.1f} {unit}, ×{value / baseline:,.2f})" if baseline else ""
    print(f"  {what:<38} {value:>12,.1f} {unit}{beside}")


def seven_months(work: Path, events: int) -> None:
    folder, db = work / "office", work / "office.duckdb"
    made = generate(folder, events, 210)
    imported = import_files(folder, db)
    hot = queries(db)
    checked_hot = verify_all(db)
    moved = archive_all(db, 30)
    both = queries(db)
    checked = verify_all(db)
    print(f"\nSeven months of a generated office: {imported['events']:,.0f} events")
    print(f"  archived {moved['events']:,.0f} events of {moved['files']:,.0f} days and sources")
    per_event = imported["events"]
    _line("source files", made["source_bytes"] / per_event, "bytes/event")
    _line("store (all hot)", imported["store_bytes"] / per_event, "bytes/event")
    _line(
        "Parquet archive",
        moved["parquet_bytes"] / max(moved["events"], 1),
        "bytes/event",
        imported["store_bytes"] / per_event,
        "store",
    )
    for key, what in (
        ("filter_ms", "filter host + event id"),
        ("word_ms", 'free text "failed password"'),
        ("timeline_ms", "timeline, every event"),
        ("count_ms", "count every event"),
        ("day_index_ms", "an archived day's events, indexed"),
        ("week_timeline_ms", "timeline of an archived week"),
    ):
        _line(f"{what}, hot + archive", both[key], "ms", hot[key], "hot only")
    _line("verify, hot + archive", checked["rate"], "events/s", checked_hot["rate"], "hot only")
    _line("verify, seconds", checked["seconds"], "s", checked_hot["seconds"], "hot only")
    assert both["matches"] == hot["matches"] and both["events"] == hot["events"]
    assert checked["problems"] == checked_hot["problems"] == 0


def one_month(work: Path, events: int) -> None:
    folder, db = work / "month", work / "month.duckdb"
    generate(folder, events, 31)
    imported = import_files(folder, db)
    moved = archive_all(db, 0)
    print(f"\nA month of {imported['events']:,.0f} generated events archived at once")
    _line("import (baseline)", imported["rate"], "events/s")
    _line("roll-over to the archive", moved["rate"], "events/s", imported["rate"], "import")
    _line("roll-over, seconds", moved["seconds"], "s", imported["seconds"], "import")
    _line("roll-over, peak memory", moved["peak_mb"], "MB", imported["peak_mb"], "import")
    _line(
        "Parquet archive",
        moved["parquet_bytes"] / max(moved["events"], 1),
        "bytes/event",
        imported["store_bytes"] / imported["events"],
        "store",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--month-events", type=int, default=10_000_000)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as work:
        if args.events:
            seven_months(Path(work), args.events)
        if args.month_events:
            one_month(Path(work), args.month_events)
    print(f"\n({time.perf_counter() - started:,.0f} s in all)")


if __name__ == "__main__":
    main()
