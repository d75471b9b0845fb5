"""The Overview as a first-time user reads it: imported history is not hosts gone quiet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot
from tests.ui.window_helpers import settle

from watchkeeper.ui.main_window import MainWindow

MakeWindow = Callable[..., MainWindow]


def test_imported_history_is_labelled_history_not_hosts_gone_quiet(
        qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> None:
    window = make_window()
    log = tmp_path / "messages.log"
    log.write_text("".join(f"2024-03-0{day}T09:00:00+00:00 host{n:02d} cron[1]: tick\n"
                           for n in range(20) for day in (1, 2, 3)), encoding="utf-8")
    window.import_paths([log])
    settle(qtbot, window)
    card = window.overview
    assert card.silent_title.text() == "Imported history"
    assert card.silent_value.text() == "20 hosts"
    assert card.silent_note.text().startswith(
        "history imported from files, newest event 3 Mar 2024")
    assert card.silent.rowCount() == 0 and not card.boxes["silent"].isVisible()
    assert "quiet" not in card.silent_title.text()
