"""The Incidents view as a user meets it: escalating a detection from the keyboard, the
incident page edited in place (status moves that ask first, notes and notifications in the
timeline, the 72-hour warning), hostile text shown as text, the navigation's count, Add to
incident from the other views, the incident's events in the explorer, and Export PDF."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QMenu
from pytestqt.qtbot import QtBot
from tests.ui.test_hits import _window
from tests.ui.window_helpers import settle

from watchkeeper.storage import incident_links, incident_views, incidents
from watchkeeper.storage.store import Store
from watchkeeper.ui.incidents.dialogs import ChooseIncidentDialog, EntryDialog, StatusDialog
from watchkeeper.ui.main_window import EVENTS, HOSTS, INCIDENTS, MainWindow

MakeWindow = Callable[..., MainWindow]
NOW = datetime(2026, 11, 30, 9, 15)
HOSTILE = "<b>bold</b> <img src=x onerror=alert(1)> '; DROP TABLE incidents; --\x07\u202eevil"


def _pin(window: MainWindow) -> None:
    for part in (window.incidents_view, window.linker, window.hits_view.triage):
        part.who = lambda: "tester"
        part.clock = lambda: NOW


def _window_with_hits(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> MainWindow:
    window = _window(qtbot, make_window, tmp_path)
    _pin(window)
    window.hits_view.table.setFocus()
    return window


def _incidents(qtbot: QtBot, window: MainWindow) -> None:
    window.show_view(INCIDENTS)
    settle(qtbot, window)


def _linker_dialog(qtbot: QtBot, window: MainWindow) -> ChooseIncidentDialog:
    settle(qtbot, window)
    dialog = window.linker.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_escalating_a_detection_with_the_keyboard_opens_an_incident(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = _window_with_hits(qtbot, make_window, tmp_path)
    row = window.hits_view.selected_row()
    assert row is not None
    assert window.navigation.item(INCIDENTS).text() == "Incidents"
    QTest.keyClick(window.hits_view.table, Qt.Key.Key_E)
    dialog = _linker_dialog(qtbot, window)
    assert dialog.new.isChecked() and not dialog.existing.isEnabled()  # none open yet
    assert row.detection.title in dialog.chosen_title()
    QTest.keyClick(dialog, Qt.Key.Key_Return)
    settle(qtbot, window)
    listed = incident_views.list_incidents(store)
    assert [(i.id, i.detections, i.created_by) for i in listed] == [(1, 1, "tester")]
    state = store.fetch_one("SELECT state, incident FROM detections WHERE id = ?", [row.id])
    assert state == ("escalated", "INC-1")
    assert window.navigation.item(INCIDENTS).text() == "Incidents\n(1 open)"
    assert "escalated to INC-1" in window.statusBar().currentMessage()
    assert window.hits_view.selected_row() is not None
    # the next detection joins the open incident instead
    QTest.keyClick(window.hits_view.table, Qt.Key.Key_J)
    settle(qtbot, window)
    second = window.hits_view.selected_row()
    assert second is not None and second.id != row.id
    window.hits_view.escalate_button.click()
    dialog = _linker_dialog(qtbot, window)
    dialog.existing.setChecked(True)
    dialog.accept()
    settle(qtbot, window)
    assert [i.detections for i in incident_views.list_incidents(store)] == [2]
    _incidents(qtbot, window)
    page = window.incidents_view.page
    assert page.label.text() == "INC-1"
    assert page.detections.rowCount() == 2
    assert "web01" in page.subjects.text() or "files01" in page.subjects.text()


def _one_incident(
    qtbot: QtBot, make_window: MakeWindow, store: Store, title: str = "Odd logons"
) -> MainWindow:
    incidents.create(store, title, "alice", NOW, 2)
    window = make_window()
    _pin(window)
    _incidents(qtbot, window)
    assert window.incidents_view.page.found is not None
    return window


def test_fields_are_edited_in_place_and_kept_with_their_history(
    qtbot: QtBot, make_window: MakeWindow, store: Store
) -> None:
    window = _one_incident(qtbot, make_window, store)
    page = window.incidents_view.page
    page.title.setText("Password guessing on the web server")
    page.title.editingFinished.emit()
    settle(qtbot, window)
    page.owner.setText("Sam")
    page.owner.editingFinished.emit()
    settle(qtbot, window)
    page.severity.setCurrentIndex(page.severity.findData(3))
    page.severity.activated.emit(page.severity.currentIndex())
    settle(qtbot, window)
    page.summary.setPlainText("Someone tried 40 passwords for root.")
    page.summary.edited.emit()
    settle(qtbot, window)
    item = incident_views.get_incident(store, 1)
    assert (item.title, item.owner, item.severity, item.summary) == (
        "Password guessing on the web server",
        "Sam",
        3,
        "Someone tried 40 passwords for root.",
    )
    history = [(c.field, c.by) for c in incident_views.detail(store, 1, NOW).history]
    assert ("owner", "tester") in history and ("severity", "tester") in history
    listed = window.incidents_view.model
    assert listed.data(listed.index(0, 1)) == "Password guessing on the web server"
    assert listed.data(listed.index(0, 2)) == "high"
    # an empty title is not saved: the old one comes back
    page.title.setText("  ")
    page.title.editingFinished.emit()
    settle(qtbot, window)
    assert page.title.text() == "Password guessing on the web server"


def _move(qtbot: QtBot, window: MainWindow, status: str) -> StatusDialog | None:
    page = window.incidents_view.page
    index = incidents.STATUSES.index(status)
    page.status.setCurrentIndex(index)
    page.status.activated.emit(index)
    settle(qtbot, window)
    dialog = window.incidents_view.dialog
    return dialog if isinstance(dialog, StatusDialog) and dialog.isVisible() else None


def test_closing_asks_how_it_ended_and_moving_back_asks_why(
    qtbot: QtBot, make_window: MakeWindow, store: Store
) -> None:
    window = _one_incident(qtbot, make_window, store)
    assert _move(qtbot, window, "investigating") is None  # forward: nothing asked
    assert incident_views.get_incident(store, 1).status == "investigating"
    dialog = _move(qtbot, window, "closed")
    assert dialog is not None and not dialog.ok_button.isEnabled()
    dialog.reject()  # cancelled: nothing changes, the page shows the status it has
    settle(qtbot, window)
    assert window.incidents_view.page.status.currentText() == "Investigating"
    dialog = _move(qtbot, window, "closed")
    assert dialog is not None
    dialog.resolution.setCurrentIndex(dialog.resolution.findData("true positive"))
    dialog.accept()
    settle(qtbot, window)
    item = incident_views.get_incident(store, 1)
    assert (item.status, item.resolution, item.closed) == ("closed", "true positive", NOW)
    assert window.navigation.item(INCIDENTS).text() == "Incidents"
    # closed ones are not listed by default; the page stays on it (listing every status)
    assert window.incidents_view.page.resolution.text() == "(true positive)"
    dialog = _move(qtbot, window, "investigating")
    assert dialog is not None and not dialog.ok_button.isEnabled()
    dialog.reason.setText("The attacker came back")
    dialog.accept()
    settle(qtbot, window)
    changes = incident_views.detail(store, 1, NOW).history
    assert changes[-1].reason == "The attacker came back"
    assert window.navigation.item(INCIDENTS).text() == "Incidents\n(1 open)"


def _add(qtbot: QtBot, window: MainWindow, kind: str, text: str, to: str = "") -> None:
    view = window.incidents_view
    button = {"note": "add_note", "action": "add_action", "notification": "add_notification"}
    getattr(view.page, button[kind]).click()
    dialog = view.dialog
    assert isinstance(dialog, EntryDialog) and dialog.isVisible()
    if to:
        dialog.recipient.setEditText(to)
    dialog.text.setPlainText(text)
    assert dialog.ok_button.isEnabled()
    dialog.accept()
    settle(qtbot, window)


def _timeline(window: MainWindow) -> list[str]:
    table = window.incidents_view.page.timeline
    return [table.item(row, 2).text() for row in range(table.rowCount())]  # type: ignore[union-attr]


def test_notes_actions_and_notifications_appear_in_the_timeline_and_end_the_warning(
    qtbot: QtBot, make_window: MakeWindow, store: Store
) -> None:
    window = _one_incident(qtbot, make_window, store)
    page = window.incidents_view.page
    assert not page.warning.isVisible()
    page.personal.click()  # personal data affected: 72 hours to tell the regulator
    settle(qtbot, window)
    assert page.warning.isVisible()
    assert "72 h from now" in page.warning.text() and "ICO" in page.warning.text()
    _add(qtbot, window, "note", "Bob says he did not log on")
    _add(qtbot, window, "action", "Blocked 203.0.113.7 at the firewall")
    _add(qtbot, window, "notification", "reference 123", to="The insurer")
    assert page.warning.isVisible()  # the insurer is not the regulator
    _add(qtbot, window, "notification", "", to="The regulator (the ICO)")
    assert not page.warning.isVisible()
    shown = _timeline(window)
    assert "Bob says he did not log on" in shown
    assert "Action: Blocked 203.0.113.7 at the firewall" in shown
    assert "Notified The insurer: reference 123" in shown
    assert page.notifications.rowCount() == 2 and page.actions_table.rowCount() == 1
    assert page.tabs.tabText(0).startswith("Timeline (")


def test_hostile_text_shows_as_text(qtbot: QtBot, make_window: MakeWindow, store: Store) -> None:
    incidents.create(store, HOSTILE, "alice", NOW, 4, owner=HOSTILE)
    incidents.add_entry(store, 1, "note", HOSTILE, "<i>mallory</i>", NOW)
    incident_links.link(store, 1, "host", [HOSTILE], "alice", NOW)
    window = make_window()
    _pin(window)
    _incidents(qtbot, window)
    page = window.incidents_view.page
    assert page.title.text() == HOSTILE.replace("\x07", "") or page.title.text() == HOSTILE
    assert page.owner.text() in (HOSTILE, HOSTILE.replace("\x07", ""))
    assert HOSTILE.split("\x07")[0] in "\n".join(_timeline(window))
    for label in page.findChildren(QLabel):
        if "<b>" in label.text():
            assert label.textFormat() == Qt.TextFormat.PlainText, label.text()
    assert "<b>bold</b>" in page.subjects.text()
    tips = [page.timeline.item(n, 2).toolTip() for n in range(page.timeline.rowCount())]  # type: ignore[union-attr]
    assert any("&lt;b&gt;bold&lt;/b&gt;" in tip for tip in tips)
    # saving a field does not change the hostile text of the others
    page.owner.setText("Sam")
    page.owner.editingFinished.emit()
    settle(qtbot, window)
    assert incident_views.get_incident(store, 1).title == HOSTILE


def test_a_new_incident_from_ctrl_n_and_the_filters(
    qtbot: QtBot, make_window: MakeWindow, store: Store
) -> None:
    window = make_window()
    _pin(window)
    _incidents(qtbot, window)
    view = window.incidents_view
    assert view.list_pages.currentIndex() == 1  # the note saying how incidents come to be
    view.table.setFocus()
    QTest.keyClick(view.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = view.dialog
    assert isinstance(dialog, ChooseIncidentDialog) and not dialog.ok_button.isEnabled()
    QTest.keyClicks(dialog.title, "Phishing e-mail to accounts")
    dialog.severity.setCurrentIndex(dialog.severity.findData(1))
    QTest.keyClick(dialog, Qt.Key.Key_Return)
    settle(qtbot, window)
    assert [(i.title, i.severity) for i in incident_views.list_incidents(store)] == [
        ("Phishing e-mail to accounts", 1)
    ]
    assert view.page.label.text() == "INC-1"
    assert window.navigation.item(INCIDENTS).text() == "Incidents\n(1 open)"
    view.severity.setCurrentIndex(view.severity.findData(4))  # only critical ones
    settle(qtbot, window)
    assert view.model.rowCount() == 0
    view.severity.setCurrentIndex(0)
    settle(qtbot, window)
    assert view.model.rowCount() == 1


def test_hosts_and_events_are_added_and_the_incident_opens_the_explorer(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = _window_with_hits(qtbot, make_window, tmp_path)
    window.show_view(HOSTS)
    settle(qtbot, window)
    hosts = window.hosts
    row = next(
        n for n in range(hosts.model.rowCount()) if hosts.model.row_object(n).host == "web01"
    )
    hosts._on_table_menu(hosts.table.visualRect(hosts.model.index(row, 0)).center())
    menu = hosts.findChildren(QMenu)[-1]
    add = next(a for a in menu.actions() if a.text() == "Add host to incident…")
    menu.close()
    add.trigger()
    dialog = _linker_dialog(qtbot, window)
    dialog.accept()
    settle(qtbot, window)
    assert incident_views.detail(store, 1, NOW).hosts == ["web01"]
    window.show_events("host:files01")
    settle(qtbot, window)
    explorer = window.explorer
    explorer.table.selectRow(0)
    explorer.table.selectionModel().select(
        explorer.model.index(2, 0),
        explorer.table.selectionModel().SelectionFlag.Select
        | explorer.table.selectionModel().SelectionFlag.Rows,
    )
    event_ids = explorer.selected_event_ids()
    assert len(event_ids) == 2
    explorer.add_to_incident_requested.emit("event", event_ids)
    dialog = _linker_dialog(qtbot, window)
    dialog.existing.setChecked(True)
    dialog.accept()
    settle(qtbot, window)
    assert sorted(incident_views.detail(store, 1, NOW).event_ids) == sorted(event_ids)
    _incidents(qtbot, window)
    window.incidents_view.page.open_events.click()
    settle(qtbot, window)
    assert window.current_view() == EVENTS
    assert window.explorer.filter_bar.text == "incident:INC-1"
    assert window.explorer.model.rowCount() == 2


def test_export_pdf_runs_as_a_job_and_writes_the_summary(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    """The real writer, with the organisation and paper from the settings."""
    import subprocess

    window = _one_incident(qtbot, make_window, store)
    window.settings.organisation = "Smith & Co <Ltd>"
    window.settings.page_size = "Letter"
    pdf = tmp_path / "inc.pdf"
    window.incidents_view.export_pdf(pdf)
    settle(qtbot, window)
    said = window.statusBar().currentMessage()
    assert "written to inc.pdf" in said, said
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Smith & Co <Ltd>" in text and "INC-1" in text and "Page 1 of" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "612 x 792" in info.stdout
