"""The Users and Hosts views and the user:/host: filters on a large generated store.

Run: .venv/bin/python tests/benchmarks/bench_pivots.py [--db FILE] [--events N]

The store is made once with `watchkeeper demo --events N` (1,000,000 by default) and kept at
the path given, so later runs only measure; run the script of an older checkout on the same
store to compare. Each figure is printed beside a plain count(*) over every event (one full
scan), measured in the same run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "app"))

from watchkeeper.storage import pivots  # noqa: E402
from watchkeeper.storage.filters import compile_filter  # noqa: E402
from watchkeeper.storage.store import Store  # noqa: E402


def timed(run: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The best of `repeat` runs, in milliseconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--db", type=Path, default=Path(tempfile.gettempdir()) / "wk-bench-pivots" / "store.duckdb"
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--user", default="alice")
    parser.add_argument("--host", default="pc-it-01")
    args = parser.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        print(f"building {args.events:,} events into {args.db} (once)...", flush=True)
        subprocess.run(
            [
                *(sys.executable, "-m", "watchkeeper", "demo"),
                *("--events", str(args.events), "--db", str(args.db)),
            ],
            check=True,
            env={"PYTHONPATH": str(ROOT / "app"), "PATH": "/usr/bin:/bin"},
        )
    store = Store(args.db, read_only=True)
    events = store.event_count()
    scan_ms, _ = timed(
        lambda: store.fetch_one(
            'SELECT count(*) FROM events WHERE "time" IS NOT NULL AND length(message) >= 0'
        )
    )
    # the first users() of a store also resolves its identities; later ones reuse them
    first_users_ms, user_rows = timed(lambda: pivots.users(store), 1)
    users_ms, _ = timed(lambda: pivots.users(store))
    hosts_ms, host_rows = timed(lambda: pivots.hosts(store))
    narrowed = compile_filter(f"host:{args.host}", store)
    narrowed_ms, _ = timed(lambda: pivots.users(store, narrowed.where, narrowed.params))

    def count(text: str) -> tuple[float, int]:
        compiled_ms, compiled = timed(lambda: compile_filter(text, store), 1)
        sql = f"SELECT count(*) FROM events WHERE {compiled.where}"
        count_ms, row = timed(lambda: store.fetch_one(sql, compiled.params))
        return compiled_ms + count_ms, int(row[0])

    user_ms, user_events = count(f"user:{args.user}")
    host_ms, host_events = count(f"host:{args.host}")
    store.close()

    print(f"\nstore: {events:,} events; {len(user_rows):,} user rows, {len(host_rows):,} host rows")
    print(f"{'figure':48} {'measured':>12} {'baseline':>12}  baseline is")
    for label, measured in (
        ("users view, first in this process", first_users_ms),
        ("users view", users_ms),
        ("hosts view", hosts_ms),
        (f"users view narrowed to host:{args.host}", narrowed_ms),
        (f"filter user:{args.user} ({user_events:,} events)", user_ms),
        (f"filter host:{args.host} ({host_events:,} events)", host_ms),
    ):
        print(f"{label:48} {measured:>9,.0f} ms {scan_ms:>9,.0f} ms  count(*) full scan")


if __name__ == "__main__":
    main()
