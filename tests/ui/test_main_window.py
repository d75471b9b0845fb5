"""The window as a user meets it: the welcome page, importing, views, shortcuts, preferences."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QRect, Qt, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence, QPalette, QStatusTipEvent
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QMessageBox, QToolBar
from pytestqt.qtbot import QtBot
from tests.ui.window_helpers import item_at, settle, write_auth_log

from watchkeeper.core import settings as settings_file
from watchkeeper.core.settings import Settings
from watchkeeper.storage.store import Store
from watchkeeper.ui import theme
from watchkeeper.ui.importing import ImportSummaryDialog
from watchkeeper.ui.main_window import EVENTS, HOSTS, OVERVIEW, USERS, MainWindow

MakeWindow = Callable[..., MainWindow]


def _import(qtbot: QtBot, window: MainWindow, paths: list[Path]) -> ImportSummaryDialog:
    window.import_paths(paths)
    settle(qtbot, window)
    dialog = window.summary_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_empty_store_greets_with_three_choices(make_window: MakeWindow) -> None:
    window = make_window()
    assert window.current_view() == OVERVIEW
    assert window.overview.showing_welcome
    welcome = window.welcome
    assert welcome.import_button.isEnabled() and welcome.demo_button.isEnabled()
    assert welcome.forward_button.isEnabled()
    assert welcome.forward_button.text().startswith("Set up logging\n")
    assert "wizard" in welcome.forward_button.toolTip()
    assert window.store_label.text().startswith("0 events")


def test_import_from_the_window_shows_summary_rows_and_refreshes(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    log = write_auth_log(tmp_path / "auth.log", 90)
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 20)
    dialog = _import(qtbot, window, [log, garbage])
    assert dialog.headline.text().startswith("90 events imported from 1 file")
    results = {
        item_at(dialog.table, r, 0).text(): item_at(dialog.table, r, 1).text()
        for r in range(dialog.table.rowCount())
    }
    assert results == {"auth.log": "Imported", "garbage.bin": "Not imported"}
    names = [item_at(dialog.table, r, 0).text() for r in range(dialog.table.rowCount())]
    why = item_at(dialog.table, names.index("garbage.bin"), 5)
    assert why.text()  # a reason, in words
    # the overview left the welcome page and counts the events
    assert not window.overview.showing_welcome
    assert window.overview.events_value.text() == "90"
    assert window.store_label.text().startswith("90 events")
    # the explorer shows the rows
    window.show_view(EVENTS)
    settle(qtbot, window)
    assert window.explorer.model.rowCount() == 90
    assert window.explorer.count.text() == "90 events"

    # importing the same file again is recognised
    dialog.close()
    again = _import(qtbot, window, [log])
    assert "1 already imported" in again.headline.text()


def test_drop_files_onto_the_window_imports_them(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    folder = tmp_path / "logs"
    folder.mkdir()
    write_auth_log(folder / "auth.log", 30)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder)), QUrl("https://example.com/x.log")])
    drop = QDropEvent(
        QPoint(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(drop)
    settle(qtbot, window)
    assert window.last_import is not None and window.last_import.events == 30


def test_cancel_stops_an_import_and_keeps_the_store_exact(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = make_window()
    big = write_auth_log(tmp_path / "big.log", 300_000)
    task = window.import_paths([big])
    qtbot.waitUntil(lambda: task.state.records > 0, timeout=60_000)
    task.cancel()
    settle(qtbot, window)
    summary = window.last_import
    assert summary is not None and summary.cancelled
    assert "Cancelled" in window.summary_dialog.headline.text()  # type: ignore[union-attr]
    assert store.event_count() == 0  # the file in progress was rolled back


def test_views_and_shortcuts(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = make_window()
    _import(qtbot, window, [write_auth_log(tmp_path / "auth.log", 60)])
    window.summary_dialog.close()  # type: ignore[union-attr]
    shortcuts = {a.shortcut().toString(): a for a in window.actions() if not a.shortcut().isEmpty()}
    for key, view in (
        ("Ctrl+2", EVENTS),
        ("Ctrl+3", USERS),
        ("Ctrl+4", HOSTS),
        ("Ctrl+1", OVERVIEW),
    ):
        shortcuts[key].trigger()
        assert window.current_view() == view
    shortcuts["Ctrl+PgDown"].trigger()
    assert window.current_view() == EVENTS
    shortcuts["Ctrl+PgUp"].trigger()
    assert window.current_view() == OVERVIEW
    assert QKeySequence(QKeySequence.StandardKey.Open).toString() in shortcuts
    window.focus_filter_action.trigger()
    assert window.current_view() == EVENTS
    settle(qtbot, window)
    # the pivots were filled when first shown
    window.show_view(USERS)
    settle(qtbot, window)
    users = {
        window.users.model.row_object(r).username: window.users.model.row_object(r)
        for r in range(window.users.model.rowCount())
    }
    assert users["root"].logon_failures == 40 and users["bob"].logon_successes == 20
    window.show_view(HOSTS)
    settle(qtbot, window)
    assert window.hosts.model.rowCount() == 2
    # Enter on a user opens that user's events
    window.show_view(USERS)
    row = next(
        r
        for r in range(window.users.model.rowCount())
        if window.users.model.row_object(r).username == "bob"
    )
    window.users.table.activated.emit(window.users.model.index(row, 0))
    settle(qtbot, window)
    assert window.current_view() == EVENTS
    assert window.explorer.filter_bar.text == 'user:"bob"'
    assert window.explorer.model.rowCount() == 20


def test_overview_figures_click_through_to_the_explorer(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    _import(qtbot, window, [write_auth_log(tmp_path / "auth.log", 60)])
    window.summary_dialog.close()  # type: ignore[union-attr]
    overview = window.overview
    hosts_table = overview.tables["hosts"]
    row = next(
        r for r in range(overview.hosts.rowCount()) if overview.hosts.row_object(r)[0] == "files01"
    )
    hosts_table.clicked.emit(overview.hosts.index(row, 0))
    settle(qtbot, window)
    assert window.current_view() == EVENTS
    assert window.explorer.filter_bar.text == 'host:"files01"'
    assert window.explorer.model.rowCount() == 30
    # a day opens that day's events as a time range
    window.show_view(OVERVIEW)
    overview.tables["days"].clicked.emit(overview.days.index(0, 0))
    settle(qtbot, window)
    assert window.explorer.filter_bar.text == ""
    assert window.explorer.model.rowCount() == 60
    assert window.explorer.range_label.text().startswith("from ")


def test_window_remembers_size_layout_and_view(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = make_window()
    _import(qtbot, window, [write_auth_log(tmp_path / "auth.log", 10)])
    window.summary_dialog.close()  # type: ignore[union-attr]
    window.resize(760, 560)
    window.show_view(EVENTS)
    settle(qtbot, window)
    splitter = window.explorer.splitter
    splitter.setSizes([100, sum(splitter.sizes()) - 100])  # the user drags the divider
    sizes = splitter.sizes()
    window.show_view(HOSTS)
    settle(qtbot, window)
    window.settings.filter_history = ["host:web01"]
    window.close()
    assert settings_file.load().filter_history == ["host:web01"]
    again = make_window(settings_file.load())
    assert again.current_view() == HOSTS
    assert (again.width(), again.height()) == (760, 560)
    assert again.explorer.filter_bar.combo.itemText(0) == "host:web01"
    again.show_view(EVENTS)
    settle(qtbot, again)
    assert again.explorer.splitter.sizes() == sizes


def test_dark_theme_and_utc_switch(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> None:
    window = make_window(Settings(time_display="local"))
    _import(qtbot, window, [write_auth_log(tmp_path / "auth.log", 10)])
    window.summary_dialog.close()  # type: ignore[union-attr]
    window.set_theme("dark")
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert theme.current().dark
    window.set_theme("light")
    assert app.palette().color(QPalette.ColorRole.Window).lightness() > 200
    window.show_view(EVENTS)
    settle(qtbot, window)
    model = window.explorer.model
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Time (local)"
    window.utc_action.trigger()
    assert window.settings.time_display == "utc"
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Time (UTC)"


def test_a_failing_job_reaches_the_one_error_dialog(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()

    def broken(progress: object) -> None:
        raise RuntimeError("disk on fire")

    window.runner.run(broken, title="Testing")
    settle(qtbot, window)
    boxes = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.objectName() == "errorDialog" and w.isVisible()
    ]
    assert boxes and boxes[-1].windowTitle() == "Unexpected error"
    assert "disk on fire" in boxes[-1].text() and "while testing" in boxes[-1].text()
    log = Path(str(tmp_path / "home" / "logs" / "watchkeeper.log"))
    assert "disk on fire" in log.read_text() and "Traceback" in log.read_text()
    boxes[-1].close()


def test_a_file_the_system_asks_to_open_is_imported(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    # macOS sends a double-clicked .evtx to the running app as a QFileOpenEvent.
    from PySide6.QtGui import QFileOpenEvent

    from watchkeeper.ui.app import FileOpenFilter

    window = make_window()
    opened = FileOpenFilter(window)
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(opened)
    try:
        log = write_auth_log(tmp_path / "auth.log", 12)
        QApplication.sendEvent(app, QFileOpenEvent(str(log)))
        settle(qtbot, window)
    finally:
        app.removeEventFilter(opened)
    assert window.last_import is not None and window.last_import.events == 12


def test_status_messages_and_the_busy_indicator_never_overlap(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    status = window.statusBar()
    status.showMessage("3 sources are silent: see Sources.", 15_000)
    window.busy.show()  # what an import shows while it runs
    window.busy_label.setText("Importing: 1,204 events")
    QApplication.processEvents()
    message = status.findChild(QLabel, "statusMessage")
    assert message is not None and message.isVisible()
    assert message.text() == "3 sources are silent: see Sources."
    shown = [widget for widget in (message, window.busy, window.store_label) if widget.isVisible()]
    assert len(shown) == 3
    rects = [QRect(widget.mapTo(status, QPoint(0, 0)), widget.size()) for widget in shown]
    for n, rect in enumerate(rects):
        assert not any(rect.intersects(other) for other in rects[n + 1 :]), rects
    # with room to spare, what is running is said whole, not cut to a few letters
    qtbot.waitUntil(lambda: not window.busy_label.elided, timeout=5_000)
    # a long message ends in an ellipsis, the whole of it in the tooltip
    long = "Port 514 (syslog over UDP) is in use by another program: " + "x" * 300
    status.showMessage(long)
    assert status.currentMessage() == long and message.toolTip() == long
    # a menu's status tip takes the line while hovered, then the message comes back
    QApplication.sendEvent(window, QStatusTipEvent("Import log files or archives (Ctrl+O)"))
    assert message.text() == "Import log files or archives (Ctrl+O)"
    QApplication.sendEvent(window, QStatusTipEvent(""))
    assert message.text() == long


def test_one_of_a_thing_is_singular(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> None:
    log = write_auth_log(tmp_path / "auth.log", 1)
    window = make_window()
    dialog = _import(qtbot, window, [log])
    assert dialog.headline.text().startswith("1 event imported from 1 file in ")
    assert window.store_label.text().startswith("1 event · ")
    assert window.overview.events_note.text().startswith("1 source · ")
    window.show_view(EVENTS)
    settle(qtbot, window)
    assert window.explorer.count.text() == "1 event"
    assert window.explorer.timeline._caption.text().startswith("1 event · one bar")


def test_the_import_summary_gives_the_reason_first(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    folder = tmp_path / "exports from the old file server" / "2024" / "march"
    folder.mkdir(parents=True)
    garbage = folder / "System.evtx"
    garbage.write_bytes(b"not an event log at all" * 10)
    window = make_window()
    dialog = _import(qtbot, window, [garbage])
    row = [item_at(dialog.table, r, 0).text() for r in range(dialog.table.rowCount())].index(
        "System.evtx"
    )
    why = item_at(dialog.table, row, 5)
    assert why.text().startswith("not ")  # the reason, not the path it happened to
    assert str(folder) not in why.text() and "System.evtx:" not in why.text()
    assert item_at(dialog.table, row, 0).toolTip() == str(garbage)  # the path, in the tooltip


def _keys(standard: QKeySequence.StandardKey) -> str:
    return QKeySequence(standard).toString()


def test_every_menu_item_shortcut_and_toolbar_button_is_there(make_window: MakeWindow) -> None:
    window = make_window()
    menus: list[tuple[str, str, str]] = []
    checked: set[str] = set()

    def walk(path: str, menu: QMenu) -> None:
        for action in menu.actions():
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                walk(f"{path}/{action.text()}", submenu)
                continue
            text = "---" if action.isSeparator() else action.text()
            # a profile's rule count is shown once the rules have loaded
            text = re.sub(r" \([\d,]+ rules?\)$", "", text)
            menus.append((path, text, action.shortcut().toString()))
            if action.isChecked():
                checked.add(text)

    for top in window.menuBar().actions():
        menu = top.menu()
        assert isinstance(menu, QMenu)
        walk(top.text(), menu)
    standard = QKeySequence.StandardKey
    assert menus == [
        ("&File", "&Import files…", _keys(standard.Open)),
        ("&File", "Import &folder…", "Ctrl+Shift+O"),
        ("&File", "Import &device list…", ""),
        ("&File", "Load &demo data…", ""),
        ("&File", "---", ""),
        ("&File", "&Monthly summary…", ""),
        ("&File", "&Storage and retention…", ""),
        ("&File", "Se&ttings…", _keys(standard.Preferences) or "Ctrl+,"),
        ("&File", "---", ""),
        ("&File", "&Quit", _keys(standard.Quit)),
        ("&View", "Overview", "Ctrl+1"),
        ("&View", "Events", "Ctrl+2"),
        ("&View", "Users", "Ctrl+3"),
        ("&View", "Hosts", "Ctrl+4"),
        ("&View", "Hits", "Ctrl+5"),
        ("&View", "Incidents", "Ctrl+6"),
        ("&View", "Sources", "Ctrl+7"),
        ("&View", "Devices", "Ctrl+8"),
        ("&View", "&Next view", "Ctrl+PgDown"),
        ("&View", "&Previous view", "Ctrl+PgUp"),
        ("&View", "---", ""),
        ("&View", "&Filter events…", _keys(standard.Find)),
        ("&View", "&Clear filter", "Ctrl+Shift+E"),
        ("&View", "&Refresh", _keys(standard.Refresh)),
        ("&View", "---", ""),
        ("&View", "Show times in &UTC", "Ctrl+Shift+U"),
        ("&View", "Timeline bars by &source", ""),
        ("&View", "Timeline bars by &level", ""),
        ("&View/&Theme", "Follow the &system", ""),
        ("&View/&Theme", "&Light", ""),
        ("&View/&Theme", "&Dark", ""),
        ("&Detection", "&Hunt again over all events", ""),
        ("&Detection/Rule &profile", "&Core: high and critical", ""),
        ("&Detection/Rule &profile", "&Broad: adds medium", ""),
        ("&Detection/Rule &profile", "&Hunting: every rule", ""),
        ("&Detection", "&Update rules…", ""),
        ("&Detection", "&Rule folders…", ""),
        ("&Detection", "&Suppressions…", ""),
        ("&Help", "Set up &logging…", ""),
        ("&Help", "&Filter syntax", "F1"),
        ("&Help", "&About Watchkeeper", ""),
    ]
    toolbar = window.findChild(QToolBar, "mainToolbar")
    assert toolbar is not None
    assert [action.text() for action in toolbar.actions()] == [
        "&Import files…",
        "Import &folder…",
        "Load &demo data…",
        "&Refresh",
    ]
    assert all(not action.icon().isNull() for action in toolbar.actions())
    # every shortcut works with the menu bar hidden: its action belongs to the window
    on_window = {action.shortcut().toString() for action in window.actions()}
    assert {keys for _, _, keys in menus if keys} <= on_window
    tips = {action.text(): action.statusTip() for action in window.actions()}
    assert tips["&Import files…"] == "Import log files or archives (Ctrl+O)"
    assert tips["&Hunt again over all events"] == (
        "Run every rule over every event again (hits are replaced)"
    )
    # the menus show the settings
    assert checked == {
        "Show times in &UTC",
        "Timeline bars by &source",
        "Follow the &system",
        "&Core: high and critical",
    }


def test_a_warning_on_the_status_line_outlasts_routine_news(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    from watchkeeper.ingest.summary import FileResult, ImportSummary

    window = make_window()
    status = window.statusBar()
    window.sources_view.silent_changed.emit(2)  # two sources went quiet
    warning = "2 sources are silent: see Sources."
    assert status.currentMessage() == warning
    # logs forwarded every few seconds are loaded, the rules run over them: routine news,
    # which must not push the warning off the line
    forwarded = ImportSummary(files=[FileResult("spool", "imported", events=3)])
    window.imports.forwarded_loaded(forwarded, False)
    settle(qtbot, window)
    assert status.currentMessage() == warning
    # what the user did is said over routine news too
    status.clearMessage()  # the warning's time is up
    status.showMessage("Suppressed a rule for host web01.", 15_000)
    window.imports.forwarded_loaded(forwarded, False)
    settle(qtbot, window)
    assert status.currentMessage() == "Suppressed a rule for host web01."


def test_the_status_line_shows_the_most_important_message_still_current(qtbot: QtBot) -> None:
    from watchkeeper.ui.status_line import Priority, StatusLine

    status = StatusLine()
    qtbot.addWidget(status)
    status.say("12 forwarded events loaded.", Priority.ROUTINE, 60_000)
    status.say("1 source is silent: see Sources.", Priority.WARNING, 100)
    status.say("90 events imported from 1 file in 0.1 s.", Priority.NEWS, 60_000)
    assert status.currentMessage() == "1 source is silent: see Sources."
    # when the warning's time is up, the news said meanwhile comes back, not a blank line
    qtbot.waitUntil(lambda: status.currentMessage().startswith("90 events"), timeout=5_000)
    assert status.message.text().startswith("90 events")
    status.say("No new rule hits.", Priority.NEWS)  # the newer of two alike wins
    assert status.currentMessage() == "No new rule hits."
    status.clearMessage()
    assert status.currentMessage() == "" and status.message.text() == ""
