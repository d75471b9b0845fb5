"""The window's figures on a large generated store: launch, timeline, paging, filters, memory.

Run: .venv/bin/python tests/benchmarks/bench_app.py [--db FILE] [--events N]

The store is made once with `watchkeeper demo --events N` (10,000,000 by default: about 17
minutes and 1.5 GB here) and kept at the path given, so later runs only measure. Each
figure is printed beside a baseline measured in the same run:

- launch: the window usable (overview filled) vs. Python + Qt showing an empty window
- timeline and filters: vs. a plain count(*) over every event (one full scan)
- a page at a random position: vs. the naive ORDER BY ... LIMIT ... OFFSET of the whole set
- memory: peak RSS of the app process after the overview and the explorer have loaded
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "app"))

from watchkeeper.core.fields import quote_ident  # noqa: E402
from watchkeeper.storage import eventset, pivots, queries, timeline  # noqa: E402
from watchkeeper.storage.eventset import EventQuery  # noqa: E402
from watchkeeper.storage.filters import compile_filter  # noqa: E402
from watchkeeper.storage.store import Store  # noqa: E402

COLUMNS = [
    "id",
    "level",
    "time",
    "host",
    "source",
    "event_id",
    "level",
    "username",
    "process",
    "message",
]

# Run in a child process, so its clock starts before Qt is imported and its peak memory is
# the app's own.
WINDOW_SCRIPT = r"""
import os, resource, sys, time, json
started = time.perf_counter()
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, sys.argv[1])
empty_only = sys.argv[3] == "empty"
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
if empty_only:
    window = QMainWindow(); window.resize(1360, 860); window.show(); app.processEvents()
    print(json.dumps({"shown_ms": (time.perf_counter() - started) * 1000,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    sys.exit(0)
from watchkeeper.core.settings import Settings
from watchkeeper.storage.store import Store
from watchkeeper.ui import theme
from watchkeeper.ui.main_window import EVENTS, OVERVIEW, MainWindow
settings = Settings()
theme.apply(app, settings.theme)
store = Store(sys.argv[2])
window = MainWindow(store, settings)
window.show_view(OVERVIEW)
window.show()
app.processEvents()
shown = time.perf_counter()
while not window.runner.idle:
    app.processEvents()
    time.sleep(0.002)
usable = time.perf_counter()
window.show_view(EVENTS)
while not window.runner.idle:
    app.processEvents()
    time.sleep(0.002)
explorer = time.perf_counter()
print(json.dumps({"shown_ms": (shown - started) * 1000, "usable_ms": (usable - started) * 1000,
                  "explorer_ms": (explorer - usable) * 1000,
                  "rows": window.explorer.model.rowCount(),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
window.runner.wait()
store.close()
"""


def timed(run: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The best of `repeat` runs, in milliseconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, (time.perf_counter() - start) * 1000)
    return best, result


def window_figures(db: Path, empty: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                WINDOW_SCRIPT,
                str(ROOT / "app"),
                str(db),
                "empty" if empty else "app",
            ],
            capture_output=True,
            text=True,
            check=True,
            env={"WATCHKEEPER_HOME": home, "PATH": "/usr/bin:/bin", "HOME": home},
        )
    document: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return document


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--db", type=Path, default=Path(tempfile.gettempdir()) / "wk-bench-app" / "store.duckdb"
    )
    parser.add_argument("--events", type=int, default=10_000_000)
    args = parser.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        print(f"building {args.events:,} events into {args.db} (once)...", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "watchkeeper",
                "demo",
                "--events",
                str(args.events),
                "--db",
                str(args.db),
            ],
            check=True,
            env={"PYTHONPATH": str(ROOT / "app"), "PATH": "/usr/bin:/bin"},
        )

    empty = window_figures(args.db, empty=True)
    app = window_figures(args.db, empty=False)

    store = Store(args.db, read_only=True)
    events = store.event_count()
    size_mb = args.db.stat().st_size / 1e6
    scan_ms, _ = timed(
        lambda: store.fetch_one(
            'SELECT count(*) FROM events WHERE "time" IS NOT NULL AND length(message) >= 0'
        )
    )
    span = timeline.data_range(store, EventQuery())
    assert span is not None
    first, last = span
    whole_ms, whole = timed(lambda: timeline.histogram(store, EventQuery(), first, last))
    day_ms, day = timed(
        lambda: timeline.histogram(store, EventQuery(), last - timedelta(days=1), last)
    )
    index_ms, index = timed(lambda: eventset.build_index(store, EventQuery()))
    rng = random.Random(7)
    pages = []
    for _ in range(30):
        offset = rng.randrange(index.total)
        ms, rows = timed(partial(eventset.fetch_page, store, index, offset, 256, COLUMNS), 1)
        assert len(rows) == min(256, index.total - offset)
        pages.append(ms)
    select = ", ".join(quote_ident(c) for c in COLUMNS)
    naive = []
    for _ in range(3):
        offset = rng.randrange(index.total)
        ms, _rows = timed(
            partial(
                store.fetch_all,
                f'SELECT {select} FROM events ORDER BY "time", id LIMIT 256 OFFSET ?',
                [offset],
            ),
            1,
        )
        naive.append(ms)
    busiest = store.fetch_one(
        "SELECT host FROM events WHERE event_id = 4625 GROUP BY host ORDER BY count(*) DESC LIMIT 1"
    )
    host = busiest[0] if busiest else "DC01"
    compiled = compile_filter(f'host:"{host}" event_id:4625', store)
    filter_ms, filtered = timed(
        lambda: eventset.build_index(store, EventQuery(compiled.where, tuple(compiled.params)))
    )
    words = compile_filter('"failed password"', store)
    words_ms, worded = timed(
        lambda: eventset.build_index(store, EventQuery(words.where, tuple(words.params))), 1
    )
    overview_ms, _ = timed(lambda: queries.overview(store), 1)
    users_ms, _ = timed(lambda: pivots.users(store), 1)
    hosts_ms, _ = timed(lambda: pivots.hosts(store), 1)
    store.close()

    print(f"\nstore: {events:,} events, {size_mb:,.0f} MB ({size_mb * 1e6 / events:,.0f} B/event)")
    print(f"{'figure':48} {'measured':>12} {'baseline':>12}  baseline is")
    rows_out = [
        (
            "launch to a usable window (overview filled)",
            app["usable_ms"],
            empty["shown_ms"],
            "Qt showing an empty window",
        ),
        ("  of which the window first shown", app["shown_ms"], empty["shown_ms"], "same"),
        (
            "explorer ready (index, first page, timeline)",
            app["explorer_ms"],
            scan_ms,
            "count(*) full scan",
        ),
        (f"timeline, whole range ({whole.buckets} bars)", whole_ms, scan_ms, "count(*) full scan"),
        (f"timeline, one day ({day.buckets} bars)", day_ms, scan_ms, "count(*) full scan"),
        ("seek index over every event", index_ms, scan_ms, "count(*) full scan"),
        (
            "page of 256 at a random position (median)",
            statistics.median(pages),
            statistics.median(naive),
            "ORDER BY ... OFFSET",
        ),
        ("  slowest of 30", max(pages), max(naive), "ORDER BY ... OFFSET"),
        (
            f"filter host + event_id ({filtered.total:,} events)",
            filter_ms,
            scan_ms,
            "count(*) full scan",
        ),
        (
            f'filter "failed password" ({worded.total:,} events)',
            words_ms,
            scan_ms,
            "count(*) full scan",
        ),
        ("overview", overview_ms, scan_ms, "count(*) full scan"),
        ("users pivot", users_ms, scan_ms, "count(*) full scan"),
        ("hosts pivot", hosts_ms, scan_ms, "count(*) full scan"),
    ]
    for label, measured, baseline, what in rows_out:
        print(f"{label:48} {measured:>9,.0f} ms {baseline:>9,.0f} ms  {what}")
    print(
        f"{'peak memory of the app process':48} {app['peak_mb']:>9,.0f} MB "
        f"{empty['peak_mb']:>9,.0f} MB  Qt with an empty window"
    )


if __name__ == "__main__":
    main()
