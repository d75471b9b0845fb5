"""The window's worst GUI-thread stall while an import and a full-range filter run.

Run: .venv/bin/python tests/benchmarks/bench_responsiveness.py [--lines N]

A 10 ms timer on the GUI thread records the longest gap between its ticks (the worst
stall a user could feel), printed beside the same timer's worst gap in an idle window
over the same time: the baseline is what the machine's own load costs. The aim is
under 100 ms; tests/ui/test_responsiveness.py checks only that the window never froze.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402
from tests.ui.window_helpers import Watchdog, write_auth_log  # noqa: E402

from watchkeeper.core.settings import Settings  # noqa: E402
from watchkeeper.ingest.importer import import_paths  # noqa: E402
from watchkeeper.storage.store import Store  # noqa: E402
from watchkeeper.ui.hits import detecting  # noqa: E402
from watchkeeper.ui.main_window import EVENTS, MainWindow  # noqa: E402


def run_until(app: QApplication, condition: Callable[[], object], seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up after {seconds:.0f} s")
        app.processEvents()
        time.sleep(0.002)


def _no_detection(self: object, full: bool = False, since: object = None) -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--lines", type=int, default=150_000, help="lines in the file imported while the timer runs"
    )
    args = parser.parse_args()
    # the detection a window queues after an import is measured by bench_detect.py
    detecting.Detection.request = _no_detection  # type: ignore[method-assign]
    app = QApplication([])
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        os.environ["WATCHKEEPER_HOME"] = str(folder / "home")
        with Store(folder / "bench.duckdb") as store:
            import_paths(store, [write_auth_log(folder / "first.log", 60_000, day=2)])
            big = write_auth_log(
                folder / "big.log", args.lines, hosts=("web02", "db01", "mail01"), day=5
            )
            window = MainWindow(store, Settings(time_display="utc"))
            window.show()
            window.show_view(EVENTS)
            run_until(app, lambda: window.runner.idle)

            busy = Watchdog()
            busy.start()
            started = time.monotonic()
            task = window.import_paths([big])
            run_until(app, lambda: task.state.records > 0)
            window.explorer.apply_filter("password")
            run_until(app, lambda: window.runner.idle)
            seconds = time.monotonic() - started
            busy.timer.stop()

            idle = Watchdog()
            idle.start()
            idle_started = time.monotonic()
            run_until(app, lambda: time.monotonic() - idle_started > seconds)
            idle.timer.stop()
            print(
                f"import of {args.lines:,} lines and a filter over "
                f"{window.explorer.model.rowCount():,} events took {seconds:.1f} s"
            )
            print(
                f"worst GUI-thread stall: {busy.worst_ms:7.1f} ms over {busy.ticks:,} ticks "
                f"(idle window, same time: {idle.worst_ms:.1f} ms over {idle.ticks:,} ticks)"
            )
            window.runner.cancel_all()
            window.runner.wait()
            window.close()


if __name__ == "__main__":
    main()
