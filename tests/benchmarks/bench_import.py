"""Import speed, store size and memory, each beside a baseline measured in the same run.

- EVTX: our whole import path (parse, flatten, write) against the bare `evtx` parser reading
  the same files, on ../shared/data/evtx-attack-samples and on a large generated set.
- Syslog: lines per second imported against Python merely reading the lines.
- Bytes per event on disk against the source files' bytes; peak memory of each import.

Each measurement runs in a child process so peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"


def _child(code: str) -> dict[str, float]:
    """Run `code` in a fresh interpreter; it prints one JSON document of figures."""
    wrapped = (
        "import json, resource, sys, time\n"
        + code
        + "\nresult['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps(result))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapped], capture_output=True, text=True, check=True, cwd=ROOT
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def bare_evtx(folder: Path) -> dict[str, float]:
    return _child(f"""
import evtx, pathlib
files = sorted(pathlib.Path({str(folder)!r}).rglob('*.evtx'))
start = time.perf_counter(); n = 0
for f in files:
    try:
        for r in evtx.PyEvtxParser(str(f), indent=False).records_json():
            n += 1
    except RuntimeError:
        pass
seconds = time.perf_counter() - start
result = {{'records': n, 'seconds': seconds, 'rate': n / seconds,
          'source_bytes': sum(f.stat().st_size for f in files)}}
""")


def bare_lines(path: Path) -> dict[str, float]:
    return _child(f"""
start = time.perf_counter(); n = 0
with open({str(path)!r}, 'rb') as f:
    for line in f:
        line.decode('utf-8', 'replace')
        n += 1
seconds = time.perf_counter() - start
result = {{'records': n, 'seconds': seconds, 'rate': n / seconds}}
""")


def ours(paths: list[Path], db: Path) -> dict[str, float]:
    return _child(f"""
from watchkeeper.storage.store import Store
from watchkeeper.ingest.importer import import_paths
with Store({str(db)!r}) as store:
    start = time.perf_counter()
    summary = import_paths(store, {[str(p) for p in paths]!r})
    seconds = time.perf_counter() - start
    store.cursor().execute('CHECKPOINT')
    size = store.size_bytes()
result = {{'records': summary.records, 'events': summary.events, 'seconds': seconds,
          'rate': summary.records / seconds, 'store_bytes': size,
          'bytes_per_event': size / max(summary.events, 1)}}
""")


def _row(name: str, figures: dict[str, float], baseline: dict[str, float] | None = None) -> str:
    text = (
        f"{name:42} {figures['records']:>10,.0f} rec  {figures['seconds']:8.2f} s  "
        f"{figures['rate']:>10,.0f} rec/s  peak {figures['peak_mb']:6.0f} MB"
    )
    if baseline:
        text += f"  ({baseline['rate'] / figures['rate']:.2f}x the baseline's time per record)"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--large",
        type=int,
        default=500_000,
        help="records in the generated EVTX set (default 500,000)",
    )
    parser.add_argument("--syslog-lines", type=int, default=1_000_000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "app"))
    print(
        f"python {sys.version.split()[0]}, {Path('/proc/cpuinfo').read_text().count('processor')}"
        " cores"
        if Path("/proc/cpuinfo").exists()
        else ""
    )
    with tempfile.TemporaryDirectory() as work_name:
        work = Path(work_name)
        samples = SHARED / "evtx-attack-samples"
        if samples.exists():
            base = bare_evtx(samples)
            mine = ours([samples], work / "samples.duckdb")
            print(_row("evtx parser alone, attack samples", base))
            print(_row("watchkeeper import, attack samples", mine, base))
            print(
                f"{'':42} store {mine['store_bytes'] / 1e6:.1f} MB for "
                f"{base['source_bytes'] / 1e6:.1f} MB of EVTX: "
                f"{mine['bytes_per_event']:.0f} bytes/event, "
                f"{base['source_bytes'] / max(mine['events'], 1):.0f} in the source"
            )
        else:
            print("../shared/data/evtx-attack-samples absent: attack-sample figures skipped")

        from watchkeeper.scenarios.evtx_samples import write_large_set

        large = work / "large-evtx"
        write_large_set(large, args.large)
        base = bare_evtx(large)
        mine = ours([large], work / "large.duckdb")
        print(_row(f"evtx parser alone, {args.large:,} generated", base))
        print(_row(f"watchkeeper import, {args.large:,} generated", mine, base))
        print(
            f"{'':42} store {mine['bytes_per_event']:.0f} bytes/event, source "
            f"{base['source_bytes'] / max(mine['events'], 1):.0f} bytes/event"
        )

        log = work / "syslog.log"
        with log.open("w") as out:
            for i in range(args.syslog_lines):
                out.write(
                    f"Nov  3 {8 + i // 360000 % 12:02d}:{i // 6000 % 60:02d}:{i // 100 % 60:02d}"
                    f" web01 sshd[{1000 + i % 5000}]: Failed password for invalid user "
                    f"user{i % 977} from 203.0.113.{i % 250} port {40000 + i % 20000} ssh2\n"
                )
        base = bare_lines(log)
        mine = ours([log], work / "syslog.duckdb")
        print(_row("python reading the lines", base))
        print(_row("watchkeeper import, syslog", mine, base))
        print(
            f"{'':42} store {mine['bytes_per_event']:.0f} bytes/event, source "
            f"{log.stat().st_size / args.syslog_lines:.0f} bytes/line"
        )


if __name__ == "__main__":
    main()
