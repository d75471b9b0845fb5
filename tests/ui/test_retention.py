"""Storage and retention in the window: archiving in the background, the dialog's figures,
keeping days past retention, and a retention under six months only with a reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from tests.ui.window_helpers import settle
from tests.unit.storage.archive_samples import NOW, fill, received_when_they_happened

from watchkeeper.core import settings as settings_file
from watchkeeper.core.progress import Progress
from watchkeeper.core.settings import Settings
from watchkeeper.integrity.sealing import seal_due
from watchkeeper.storage import archive, archive_deletions
from watchkeeper.storage.eventset import EventQuery
from watchkeeper.storage.store import Store
from watchkeeper.ui.explorer.jobs import say_if_archived
from watchkeeper.ui.main_window import MainWindow
from watchkeeper.ui.retention import controller

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
    assert not save.isEnabled() and "needs a reason" in dialog.problem.text()
    dialog.reason.setText("Our insurer's contract asks for three months")
    assert save.isEnabled() and not dialog.problem.isVisible()
    dialog.hot_days.setValue(200)
    assert not save.isEnabled() and "longer than the 3 months kept" in dialog.problem.text()
    dialog.hot_days.setValue(30)
    save.click()
    saved = settings_file.load()
    assert (saved.retention_months, saved.hot_days) == (3, 30)
    assert saved.retention_reason == "Our insurer's contract asks for three months"


def test_verify_now_names_an_event_changed_behind_the_apps_back(
    qtbot: QtBot, make_window: Callable[..., MainWindow], store: Store
) -> None:
    fill(store, store.path.parent / "logs")
    tomorrow = datetime.now(UTC) + timedelta(days=1)  # the import's day is over: sealed
    seal_due(store, tomorrow)
    window = make_window()
    window.retention.clock = lambda: tomorrow
    dialog = window.retention.show_dialog()
    settle(qtbot, window)
    assert dialog.integrity_label.text().startswith("Seals: sealed through")
    qtbot.mouseClick(dialog.verify, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert "Verified: every sealed event is as it was written." in dialog.integrity_label.text()
    with store.transaction() as con:
        con.execute(
            "UPDATE events_unix SET message = 'nothing happened' "
            "WHERE id = (SELECT min(id) FROM events_unix)"
        )
    qtbot.mouseClick(dialog.verify, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    said = dialog.integrity_label.text()
    assert "1 problem(s) found: the store may have been tampered with" in said
    assert "changed" in said and "messages-20260103.log" in said
    assert "1 problem found" in window.status_line.message.text()
    dialog.reject()


def test_the_explorer_says_when_it_reads_archived_days(store: Store) -> None:
    _filled(store)
    archive.run(store, 30, NOW)
    recent, everything = Progress(), Progress()
    say_if_archived(store, EventQuery("TRUE", (), NOW - timedelta(days=3)), recent)
    say_if_archived(store, EventQuery("TRUE", ()), everything)
    assert recent.state.stage == ""
    assert everything.state.stage == "reading 3 archived days too, which is slower"


def test_a_window_closed_before_its_first_retention_check_leaves_nothing_behind(
    qtbot: QtBot, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(controller, "FIRST_CHECK_MS", 1000)
    window = MainWindow(store, Settings(time_display="utc"))
    window.close()
    window.deleteLater()
    qtbot.wait(1500)  # the check would have come now: pytest-qt fails on any exception
    assert store.event_count() == 0
