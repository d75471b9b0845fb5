"""The Overview as a first-time user reads it: imported history is not hosts gone quiet."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot
from tests.ui.window_helpers import settle
from tests.unit.storage.test_sources import deliver, syslog

from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.store import Store
from watchkeeper.ui.main_window import MainWindow

MakeWindow = Callable[..., MainWindow]


def test_imported_history_is_labelled_history_not_hosts_gone_quiet(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    log = tmp_path / "messages.log"
    log.write_text(
        "".join(
            f"2024-03-0{day}T09:00:00+00:00 host{n:02d} cron[1]: tick\n"
            for n in range(20)
            for day in (1, 2, 3)
        ),
        encoding="utf-8",
    )
    window.import_paths([log])
    settle(qtbot, window)
    card = window.overview
    # the Overview reloads once the import has finished; a busy machine may take a while
    qtbot.waitUntil(lambda: card.silent_title.text() == "Imported history", timeout=30_000)
    assert card.silent_value.text() == "20 hosts"
    assert card.silent_note.text().startswith(
        "history imported from files, newest event 3 Mar 2024"
    )
    assert card.silent.rowCount() == 0 and not card.boxes["silent"].isVisible()
    assert "quiet" not in card.silent_title.text()


def test_forwarding_hosts_gone_quiet_beside_imported_history(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    now = datetime.now(UTC)  # the window judges silence at the clock's now
    deliver(
        store,
        tmp_path / "spool",
        [
            syslog("10.0.0.9", now - timedelta(hours=hours), host=host)
            for host, hours in (("mail1", 50), ("gw1", 1))
        ],
    )
    log = tmp_path / "messages.log"
    log.write_text("2024-03-03T09:00:00+00:00 old01 cron[1]: tick\n", encoding="utf-8")
    import_paths(store, [log])
    window = make_window()
    card = window.overview
    assert card.silent_title.text() == "Hosts gone quiet (24 h)"
    assert card.silent_value.text() == "1"
    assert card.silent_note.text() == (
        "longest: mail1; 1 more host known only from imported files (newest event 3 Mar 2024)"
    )
    assert card.boxes["silent"].isVisible()
    assert [card.silent.row_object(r)[0] for r in range(card.silent.rowCount())] == ["mail1"]
