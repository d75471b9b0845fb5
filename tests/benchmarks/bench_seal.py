"""The cost of tamper evidence, beside its baseline measured in the same run.

- Import with and without hashing each batch when it is done (events per second), on the
  same generated small office, alternately, each in a fresh interpreter.
- Verify (every event hashed again and compared) on the store the import left.

    PYTHONPATH=app python tests/benchmarks/bench_seal.py --events 300000
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _child(code: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", "import json, time\n" + code + "\nprint(json.dumps(result))\n"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def import_once(files: Path, db: Path, seal: bool) -> dict[str, float]:
    return _child(f"""
from pathlib import Path
from watchkeeper.ingest import importer
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.store import Store
if not {seal!r}:
    importer.seals.record_batches = lambda store, now: 0
with Store(Path({str(db)!r})) as store:
    start = time.perf_counter()
    summary = import_paths(store, [Path({str(files)!r})])
    seconds = time.perf_counter() - start
result = {{'events': summary.events, 'seconds': seconds, 'rate': summary.events / seconds}}
""")


def verify_once(db: Path) -> dict[str, float]:
    return _child(f"""
from datetime import UTC, datetime, timedelta
from pathlib import Path
from watchkeeper.integrity.sealing import seal_due
from watchkeeper.integrity.signing import SigningKey
from watchkeeper.integrity.verify import verify
from watchkeeper.storage.store import Store
from watchkeeper.storage import seals
with Store(Path({str(db)!r})) as store:
    ids = [row[0] for row in store.fetch_all("SELECT id FROM imports")]
    start = time.perf_counter()
    seals.hash_parts(store, ids)
    hashing = time.perf_counter() - start
    later = datetime.now(UTC) + timedelta(days=1)
    start = time.perf_counter()
    seal_due(store, later, SigningKey(None, 'benchmark'))
    sealing = time.perf_counter() - start
    start = time.perf_counter()
    report = verify(store, later)
    seconds = time.perf_counter() - start
    events = sum(r.events for r in report.results)
result = {{'events': events, 'seal_seconds': sealing, 'hash_seconds': hashing, 'seconds': seconds,
          'rate': events / seconds, 'problems': len(report.problems)}}
""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        files = work / "office"
        _child(f"""
from pathlib import Path
from datetime import datetime
from watchkeeper.scenarios.generator import generate
generate(Path({str(files)!r}), events={args.events}, end=datetime(2026, 6, 30))
result = {{}}
""")
        rates: dict[bool, list[float]] = {False: [], True: []}
        for round_no in range(args.rounds):
            for seal in (False, True):
                db = work / f"{'sealed' if seal else 'plain'}-{round_no}.duckdb"
                figures = import_once(files, db, seal)
                rates[seal].append(figures["rate"])
                print(
                    f"import {'with' if seal else 'without'} hashing, round {round_no + 1}: "
                    f"{figures['events']:,.0f} events in {figures['seconds']:.2f} s, "
                    f"{figures['rate']:,.0f} events/s"
                )
        for label, pick in (("best", max), ("median", statistics.median)):
            without, with_ = pick(rates[False]), pick(rates[True])
            print(
                f"{label} of {args.rounds}: without {without:,.0f} events/s, with "
                f"{with_:,.0f} events/s: {100 * (1 - with_ / without):.1f} % slower"
            )
        figures = verify_once(work / f"sealed-{args.rounds - 1}.duckdb")
        print(
            f"verify: {figures['events']:,.0f} events in {figures['seconds']:.2f} s "
            f"({figures['rate']:,.0f} events/s), {figures['problems']:.0f} problem(s); "
            f"sealing the day {figures['seal_seconds']:.3f} s"
        )
        print(
            f"hashing every batch again on its own: {figures['hash_seconds']:.2f} s "
            f"({figures['events'] / figures['hash_seconds']:,.0f} events/s)"
        )


if __name__ == "__main__":
    main()
