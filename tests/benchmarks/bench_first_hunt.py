"""A fresh install's first hunt: the EVTX attack samples imported into an empty store, then
the shipped rules run over them, each case in a process of its own (nothing warm).

Printed in the same run, each beside the baseline (Watchkeeper's own pack alone, as a fresh
install ran before SigmaHQ's rules shipped):
- the SigmaHQ set under each profile, with the compiled cache an installer carries;
- the Core profile with no compiled cache at all (a checkout's first start);
- rules loaded, rules that fired, hits by level, seconds for the import and for the rules,
  and the process's peak memory.

Usage:
    .venv/bin/python tests/benchmarks/bench_first_hunt.py [--samples DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"

CASE = r"""
import json, resource, sys, time
from pathlib import Path
from watchkeeper.core.settings import Settings
from watchkeeper.detection import bundle, service
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.store import Store

samples, db, profile = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
if profile == "own":
    bundle.active_set = lambda: Path("/nonexistent")  # the own pack alone
started = time.perf_counter()
with Store(db) as store:
    import_paths(store, [samples])
    imported = time.perf_counter()
    ruleset, report = service.run(store, settings=Settings(rule_profile=profile))
    done = time.perf_counter()
    levels = dict(store.fetch_all(
        "SELECT r.level, count(*) FROM hits h JOIN detection_rules r USING (rule_id) GROUP BY 1"
    ))
    detections = dict(store.fetch_all(
        "SELECT r.level, count(*) FROM detections d JOIN detection_rules r USING (rule_id) "
        "GROUP BY 1"
    ))
print(json.dumps({
    "rules": len(ruleset.rules), "compiled": ruleset.compiled,
    "fired": len(report.hits_by_rule), "hits": report.new_hits, "levels": levels,
    "detections": sum(detections.values()),
    "severe": detections.get("high", 0) + detections.get("critical", 0),
    "import": imported - started, "detect": done - imported,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def run_case(samples: Path, work: Path, profile: str, cache: Path | None) -> dict[str, object]:
    home = Path(tempfile.mkdtemp(dir=work))
    env = {**os.environ, "WATCHKEEPER_HOME": str(home), "PYTHONPATH": str(ROOT / "app")}
    env["WATCHKEEPER_COMPILED_RULES"] = str(cache) if cache else str(home / "no-cache")
    done = subprocess.run(
        [sys.executable, "-c", CASE, str(samples), str(home / "store.duckdb"), profile],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=Path, default=SHARED / "evtx-attack-samples")
    args = parser.parse_args()
    if not args.samples.is_dir():
        raise SystemExit(f"no samples at {args.samples}")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        cache = work / "compiled-rules.sqlite"
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; "
                "from watchkeeper.detection.bundle import compile_shipped; "
                "compile_shipped(Path(sys.argv[1]))",
                str(cache),
            ],
            env={**os.environ, "PYTHONPATH": str(ROOT / "app")},
            check=True,
        )
        cases = [
            ("own pack alone (baseline)", "own", cache),
            ("Core, installer's compiled cache", "core", cache),
            ("Core, nothing compiled yet", "core", None),
            ("Broad, installer's compiled cache", "broad", cache),
            ("Hunting, installer's compiled cache", "hunting", cache),
        ]
        print(
            f"{'case':38} {'rules':>6} {'fired':>6} {'hits':>6} {'detections (severe)':>19} "
            f"{'import':>8} "
            f"{'rules run':>10} {'peak':>8}  hits by level"
        )
        for label, profile, with_cache in cases:
            r = run_case(args.samples, work, profile, with_cache)
            by_level = r["levels"]
            assert isinstance(by_level, dict)
            levels = ", ".join(f"{k} {v}" for k, v in sorted(by_level.items()))
            print(
                f"{label:38} {r['rules']:>6,} {r['fired']:>6,} {r['hits']:>6,} "
                f"{r['detections']:>12,} ({r['severe']:>4,}) "
                f"{r['import']:>7.1f}s {r['detect']:>9.1f}s {r['peak_mb']:>6.0f}MB  {levels}"
            )


if __name__ == "__main__":
    main()
