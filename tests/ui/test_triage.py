"""Triage in the Hits view: keys per state, reasons asked, the tuning offered after, the
state kept in the store, the navigation's count of new detections, and stories as a tree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from tests.ui.test_hits import FAILED, _rows, _window
from tests.ui.window_helpers import settle

from watchkeeper.storage import detection_views, detections
from watchkeeper.storage.store import Store
from watchkeeper.ui.hits.detection_model import DetectionRow
from watchkeeper.ui.main_window import HITS, MainWindow

MakeWindow = Callable[..., MainWindow]
NOW = datetime(2026, 11, 30, 9, 15)


def _ready(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    window = _window(qtbot, make_window, tmp_path)
    view = window.hits_view
    view.triage.who = lambda: "tester"
    view.triage.clock = lambda: NOW
    view.table.setFocus()
    return window


def _selected(window: MainWindow) -> DetectionRow:
    row = window.hits_view.selected_row()
    assert row is not None
    return row


def _press(qtbot: QtBot, window: MainWindow, key: Qt.Key) -> None:
    QTest.keyClick(window.hits_view.table, key)
    settle(qtbot, window)


def _stored_state(store: Store, detection_id: int) -> tuple[str, str, str]:
    row = store.fetch_one(
        "SELECT state, state_by, coalesce(reason, '') FROM detections WHERE id = ?",
        [detection_id],
    )
    assert row is not None
    return str(row[0]), str(row[1]), str(row[2])


def test_keys_move_and_set_states_kept_in_the_store(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = _ready(qtbot, make_window, tmp_path)
    rows = window.hits_view.model.rows()
    assert len(rows) >= 2 and _selected(window) is rows[0]
    _press(qtbot, window, Qt.Key.Key_J)
    assert _selected(window) is rows[1]
    _press(qtbot, window, Qt.Key.Key_K)
    _press(qtbot, window, Qt.Key.Key_K)  # stays on the first
    assert _selected(window) is rows[0]
    new_before = detection_views.new_count(store)
    assert window.navigation.item(HITS).text() == f"Hits\n({new_before} new)"
    _press(qtbot, window, Qt.Key.Key_R)
    first = _selected(window)
    assert first.detection.state == "in review"
    assert _stored_state(store, first.id) == ("in review", "tester", "")
    model = window.hits_view.model
    assert model.data(model.index_of(first, 1)) == "in review"
    assert window.navigation.item(HITS).text() == f"Hits\n({new_before - 1} new)"
    assert "in review" in window.statusBar().currentMessage()
    window.linker.who = lambda: "tester"
    window.linker.clock = lambda: NOW
    _press(qtbot, window, Qt.Key.Key_E)  # asks which incident: a new one
    assert window.linker.dialog is not None
    window.linker.dialog.accept()
    settle(qtbot, window)
    assert _stored_state(store, first.id)[0] == "escalated"
    _press(qtbot, window, Qt.Key.Key_N)
    assert _stored_state(store, first.id)[0] == "new"
    history = detections.history(store, first.id)
    assert [(h.old_state, h.new_state, h.at) for h in history] == [
        ("new", "in review", NOW),
        ("in review", "escalated", NOW),  # escalated to incident INC-1
        ("escalated", "new", NOW),
    ]
    assert "History" in window.hits_view.info.toPlainText()
    assert "escalated → new by tester" in window.hits_view.info.toPlainText()


def test_benign_asks_why_then_offers_the_hosts_suppression(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = _ready(qtbot, make_window, tmp_path)
    view = window.hits_view
    assert view.select_rule(FAILED)
    settle(qtbot, window)
    row = _selected(window)
    _press(qtbot, window, Qt.Key.Key_B)
    dialog = view.triage.dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.ok_button.isEnabled()  # no reason, no state
    QTest.keyClicks(dialog.reason, "   ")
    assert not dialog.ok_button.isEnabled()
    hostile = "<b>nightly</b> scan'; DROP TABLE detections; --"
    dialog.reason.setText(hostile)
    dialog.offer.setChecked(True)
    dialog.ok_button.click()
    settle(qtbot, window)
    assert _stored_state(store, row.id) == ("benign", "tester", hostile)
    # the matching suppression is offered: this host, the reason already written
    offered = view.tuning.dialog
    assert offered is not None and offered.isVisible() and offered.kind == "host"
    assert offered.chosen_value() == row.detection.host
    assert offered.chosen_reason() == hostile
    offered.reject()
    assert hostile in view.info.toPlainText()
    assert "<b>nightly</b>" not in view.info.toHtml()


def test_false_positive_offers_to_tune_the_rule_and_cancel_changes_nothing(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = _ready(qtbot, make_window, tmp_path)
    view = window.hits_view
    assert view.select_rule(FAILED)
    settle(qtbot, window)
    row = _selected(window)
    _press(qtbot, window, Qt.Key.Key_F)
    dialog = view.triage.dialog
    assert dialog is not None and dialog.offer.isChecked()
    dialog.reject()
    settle(qtbot, window)
    assert _stored_state(store, row.id)[0] == "new"
    _press(qtbot, window, Qt.Key.Key_F)
    dialog = view.triage.dialog
    assert dialog is not None
    dialog.reason.setText("root never logs on by password here")
    dialog.ok_button.click()
    settle(qtbot, window)
    assert _stored_state(store, row.id)[0] == "false positive"
    tuning = view.tuning.dialog
    assert tuning is not None and tuning.kind == "field"
    assert tuning.chosen_reason() == "root never logs on by password here"
    tuning.reject()


def test_states_survive_a_restart_and_the_state_filter_narrows(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = _ready(qtbot, make_window, tmp_path)
    view = window.hits_view
    assert view.select_rule(FAILED)
    settle(qtbot, window)
    row = _selected(window)
    _press(qtbot, window, Qt.Key.Key_R)
    window.close()
    reopened = Store(store.path)
    try:
        again = make_window(on=reopened)
        again.show_view(HITS)
        settle(qtbot, again)
        states = {r.id: r.detection.state for rows in _rows(again).values() for r in rows}
        assert states[row.id] == "in review"
        filters = again.hits_view
        filters.state.setCurrentIndex(filters.state.findText("New"))
        settle(qtbot, again)
        assert row.id not in [r.id for r in filters.model.rows()]
        filters.state.setCurrentIndex(filters.state.findText("In review"))
        settle(qtbot, again)
        assert [r.id for r in filters.model.rows()] == [row.id]
    finally:
        again.runner.cancel_all()
        again.runner.wait()
        again.close()
        reopened.close()


def test_the_tree_passes_the_model_tester(
    qtbot: QtBot, qtmodeltester: Any, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = _ready(qtbot, make_window, tmp_path)
    window.hits_view.show_all.setChecked(True)
    settle(qtbot, window)
    qtmodeltester.check(window.hits_view.model)
