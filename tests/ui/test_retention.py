"""Storage and retention in the window: archiving in the background, the dialog's figures,
keeping days past retention, and a retention under six months only with a reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from tests.ui.window_helpers import settle
from tests.unit.storage.archive_samples import NOW, fill, received_when_they_happened

from watchkeeper.core import settings as settings_file
from watchkeeper.core.settings import Settings
from watchkeeper.storage import archive, archive_deletions
from watchkeeper.storage.store import Store
from watchkeeper.ui.main_window import MainWindow

LATER = NOW + timedelta(days=300)  # January 2026 is past 13 months


def _filled(store: Store) -> Store:
    fill(store, store.path.parent / "logs")
    received_when_they_happened(store)
    return store


def test_archive_now_moves_closed_days_in_the_background_and_says_so(
    qtbot: QtBot, make_window: Callable[..., MainWindow], store: Store
) -> None:
    _filled(store)
    window = make_window(Settings(time_display="utc", hot_days=30))
    window.retention.clock = lambda: NOW
    window.retention.run(force=True)
    settle(qtbot, window)
    assert "Archived 54 events of 9 closed days and sources." in window.status_line.message.text()
    assert archive.hot_events(store) == 36 and store.event_count() == 90


def test_the_dialog_shows_the_archive_and_keeps_the_days_chosen(
    qtbot: QtBot, make_window: Callable[..., MainWindow], store: Store
) -> None:
    _filled(store)
    archive.run(store, 30, NOW)
    archive_deletions.mark_expired(store, 13, LATER)
    window = make_window()
    dialog = window.retention.show_dialog()
    settle(qtbot, window)
    assert dialog.archive_label.text().startswith(
        "54 events of 3 days (03 Jan 2026 to 05 Jan 2026)"
    )
    assert dialog.table.rowCount() == 9 and not dialog.release.isEnabled()
    dialog.table.selectRow(0)
    qtbot.mouseClick(dialog.keep, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    held = [p for p in archive_deletions.pending(store) if p.held]
    assert len(held) == 1 and dialog.release.isEnabled()
    assert (
        "Kept 1 archived day from deletion, until you let them go."
        in window.status_line.message.text()
    )
    dialog.reject()


def test_less_than_six_months_is_saved_only_with_a_reason(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    dialog = window.retention.show_dialog()
    settle(qtbot, window)
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
    dialog.months.setValue(3)
    assert not save.isEnabled() and "say why" in dialog.problem.text()
    dialog.reason.setText("Our insurer's contract asks for three months")
    assert save.isEnabled() and not dialog.problem.isVisible()
    dialog.hot_days.setValue(200)
    assert not save.isEnabled() and "cannot hold more days" in dialog.problem.text()
    dialog.hot_days.setValue(30)
    save.click()
    saved = settings_file.load()
    assert (saved.retention_months, saved.hot_days) == (3, 30)
    assert saved.retention_reason == "Our insurer's contract asks for three months"
