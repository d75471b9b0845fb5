"""The GUI thread keeps answering while an import and a full scan run.

How long its worst stall is (the aim: under 100 ms) is a figure, measured by
tests/benchmarks/bench_responsiveness.py; here only a freeze fails, as work done on the
GUI thread would freeze it for seconds on a machine of any speed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from tests.ui.window_helpers import Watchdog, settle, write_auth_log

from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.store import Store
from watchkeeper.ui.main_window import EVENTS, MainWindow

FROZEN_MS = 3_000


@pytest.mark.slow
def test_gui_thread_never_blocks_during_import_and_full_range_query(
    qtbot: QtBot, make_window: Callable[..., MainWindow], store: Store, tmp_path: Path
) -> None:
    import_paths(store, [write_auth_log(tmp_path / "first.log", 60_000, day=2)])
    big = write_auth_log(tmp_path / "big.log", 150_000, hosts=("web02", "db01", "mail01"), day=5)
    window = make_window()
    window.show_view(EVENTS)
    settle(qtbot, window)
    watchdog = Watchdog()
    watchdog.start()
    task = window.import_paths([big])
    qtbot.waitUntil(lambda: task.state.records > 0, timeout=60_000)
    # a free-text filter scans every event, and the timeline is drawn over the whole range
    window.explorer.apply_filter("password")
    settle(qtbot, window, timeout=120_000)
    watchdog.timer.stop()
    assert window.last_import is not None and window.last_import.events == 150_000
    assert window.explorer.model.rowCount() == 210_000  # every line mentions a password
    assert watchdog.ticks > 20
    print(f"worst GUI-thread stall: {watchdog.worst_ms:.1f} ms over {watchdog.ticks} ticks")
    assert watchdog.worst_ms < FROZEN_MS


@pytest.fixture(autouse=True)
def _without_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test watches import and scanning alone. The detection run a window queues after
    an import still stalls the GUI thread for 90-160 ms over these 210,000 events (measured
    here; the cause is not yet found)."""
    from watchkeeper.ui.hits import detecting

    monkeypatch.setattr(detecting.Detection, "request", lambda self, full=False: None)
