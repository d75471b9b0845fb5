"""The explorer: filters change the count, the timeline narrows the table, details are literal."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot
from tests.ui.window_helpers import item_at, settle, write_auth_log

from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.store import Store
from watchkeeper.ui import theme
from watchkeeper.ui.explorer.detail_pane import add_value_actions
from watchkeeper.ui.explorer.events_model import VALUE_ROLE
from watchkeeper.ui.main_window import EVENTS, MainWindow

MakeWindow = Callable[..., MainWindow]
HOSTILE = [
    "<b>bold</b><img src=x onerror=alert(1)>",
    "'; DROP TABLE events; --",
    "line one\nline two\r\x1b[31mred\x07",
    "名前 ünïcödé \u202eevil",
]


@pytest.fixture
def explorer_window(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> MainWindow:
    write_auth_log(tmp_path / "auth.log", 120, day=3)
    lines = [
        json.dumps(
            {
                "@timestamp": f"2026-11-04T10:00:0{n}Z",
                "host": "web01",
                "user": text,
                "message": text,
                "level": "error",
            }
        )
        for n, text in enumerate(HOSTILE)
    ]
    (tmp_path / "hostile.jsonl").write_text("\n".join(lines) + "\n")
    import_paths(store, [tmp_path / "auth.log", tmp_path / "hostile.jsonl"])
    window = make_window()
    window.show_view(EVENTS)
    settle(qtbot, window)
    return window


def test_filter_changes_the_count_and_mistakes_are_shown_inline(
    qtbot: QtBot, explorer_window: MainWindow
) -> None:
    explorer = explorer_window.explorer
    assert explorer.model.rowCount() == 124
    bar = explorer.filter_bar
    bar.set_text("host:files01")
    bar.submit()
    settle(qtbot, explorer_window)
    assert explorer.model.rowCount() == 60
    assert explorer.count.text() == "60 events"
    assert all(explorer.model.data(explorer.model.index(r, 1)) == "files01" for r in range(60))
    assert bar.combo.itemText(0) == "host:files01"  # remembered in the history

    bar.set_text("hots:web01")
    bar.submit()
    settle(qtbot, explorer_window)
    assert bar.error.isVisible()
    assert "hots" in bar.error.text() and "host" in bar.error.text()  # did you mean
    line_edit = bar.combo.lineEdit()
    assert line_edit is not None and line_edit.selectedText() == "hots:web01"
    assert explorer.model.rowCount() == 60  # the last good result stays

    explorer_window.clear_filter_action.trigger()
    settle(qtbot, explorer_window)
    assert not bar.error.isVisible() and explorer.model.rowCount() == 124


def test_timeline_selection_narrows_the_table(qtbot: QtBot, explorer_window: MainWindow) -> None:
    explorer = explorer_window.explorer
    timeline = explorer.timeline
    histogram = timeline.histogram
    assert histogram is not None and histogram.total == 124
    # click the busiest bar: the table shows that bar's events only
    busiest = int(histogram.counts.sum(axis=0).argmax())
    expected = int(histogram.counts[:, busiest].sum())
    timeline.select_bucket_at(float(histogram.edges_epoch()[busiest]) + 1)
    settle(qtbot, explorer_window)
    assert explorer.model.rowCount() == expected < 124
    start = histogram.start + timedelta(seconds=busiest * histogram.step_seconds)
    times = [
        explorer.model.data(explorer.model.index(r, 0), VALUE_ROLE)
        for r in range(explorer.model.rowCount())
    ]
    assert all(start <= t < start + timedelta(seconds=histogram.step_seconds) for t in times)
    assert explorer.range_clear.isVisible()
    # a dragged range
    timeline.range_selected.emit(datetime(2026, 11, 3, 8, 0), datetime(2026, 11, 3, 8, 30))
    settle(qtbot, explorer_window)
    assert explorer.model.rowCount() == 30
    explorer.range_clear.click()
    settle(qtbot, explorer_window)
    assert explorer.model.rowCount() == 124 and not explorer.range_clear.isVisible()


def test_wheel_zoom_asks_for_finer_bars(qtbot: QtBot, explorer_window: MainWindow) -> None:
    timeline = explorer_window.explorer.timeline
    assert timeline.histogram is not None
    coarse = timeline.histogram.step_seconds
    viewport = timeline._plot.viewport()
    at = QPointF(timeline.bar_rect_centre(2))
    for _ in range(12):  # wheel forward: zoom in around the pointer
        wheel = QWheelEvent(
            at,
            QPointF(viewport.mapToGlobal(at.toPoint())),
            QPoint(0, 0),
            QPoint(0, 120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(viewport, wheel)
    qtbot.waitSignal(timeline.range_changed, timeout=5000).wait()
    settle(qtbot, explorer_window)
    assert timeline.histogram.step_seconds < coarse


def test_detail_pane_shows_hostile_text_literally(
    qtbot: QtBot, explorer_window: MainWindow
) -> None:
    explorer = explorer_window.explorer
    explorer.apply_filter("source:json")
    settle(qtbot, explorer_window)
    assert explorer.model.rowCount() == len(HOSTILE)
    shown_users = set()
    for row in range(len(HOSTILE)):
        explorer.table.selectRow(row)
        settle(qtbot, explorer_window)  # the event's fields are read in the background
        fields = explorer.detail.fields
        values = dict(
            zip(
                explorer.detail.field_names(),
                (
                    item_at(fields, r, 1).text().replace("\u200b", "")
                    for r in range(fields.rowCount())
                ),
                strict=True,
            )
        )
        shown_users.add(values["username"])
        assert explorer.detail.raw.toPlainText().startswith("{")
        # the table cell is one line, with control characters made visible, not obeyed
        cell = explorer.model.data(explorer.model.index(row, 5))
        assert "\n" not in cell and "\x1b" not in cell
    assert shown_users == set(HOSTILE)
    assert "hostile.jsonl" in explorer.detail.heading.text()
    explorer.detail.fields.selectRow(0)
    explorer.detail.copy_selected()
    assert QApplication.clipboard().text().startswith("time: 2026-11-04")


def test_right_click_actions_filter_exclude_and_pivot(
    qtbot: QtBot, explorer_window: MainWindow
) -> None:
    explorer = explorer_window.explorer
    explorer.apply_filter("host:web01")
    settle(qtbot, explorer_window)
    before = explorer.model.rowCount()
    menu = QMenu()
    add_value_actions(menu, "username", "root", explorer.add_term, explorer.replace_filter)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    actions["Exclude username = root"].trigger()
    settle(qtbot, explorer_window)
    assert explorer.filter_bar.text == 'host:web01 -username:"root"'
    assert 0 < explorer.model.rowCount() < before
    actions["Show every event of this user"].trigger()
    settle(qtbot, explorer_window)
    assert explorer.filter_bar.text == 'username:"root"'
    assert explorer.model.rowCount() == 80
    actions["Copy value"].trigger()
    assert QApplication.clipboard().text() == "root"
    explorer.clear_filter()
    settle(qtbot, explorer_window)
    hostile = QMenu()
    add_value_actions(hostile, "username", HOSTILE[1], explorer.add_term, explorer.replace_filter)
    next(a for a in hostile.actions() if a.text().startswith("Filter on")).trigger()
    settle(qtbot, explorer_window)
    assert explorer.model.rowCount() == 1  # SQL text is a value, nothing more


def test_columns_can_be_chosen_and_are_remembered(
    qtbot: QtBot, explorer_window: MainWindow
) -> None:
    explorer = explorer_window.explorer
    explorer.set_columns(["time", "host", "src_ip", "outcome"])
    settle(qtbot, explorer_window)
    model = explorer.model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == [
        "Time (UTC)",
        "Host",
        "Source IP",
        "outcome",
    ]
    assert explorer_window.settings.table_columns == ["time", "host", "src_ip", "outcome"]
    assert model.data(model.index(0, 0)) == "…"  # the rows with the new columns are on their way
    settle(qtbot, explorer_window)
    assert {model.data(model.index(r, 3)) for r in range(120)} == {"success", "failure"}
    explorer.table.horizontalHeader().moveSection(2, 0)
    assert explorer_window.settings.table_columns[0] == "src_ip"


def _mouse(
    widget: QWidget,
    kind: QEvent.Type,
    at: QPoint,
    buttons: Qt.MouseButton,
    button: Qt.MouseButton,
    shift: bool,
) -> None:
    modifiers = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    QApplication.sendEvent(
        widget,
        QMouseEvent(kind, QPointF(at), QPointF(widget.mapToGlobal(at)), button, buttons, modifiers),
    )


def _drag(widget: QWidget, start: QPoint, end: QPoint, shift: bool) -> None:
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _mouse(widget, QEvent.Type.MouseButtonPress, start, left, left, shift)
    for step in range(1, 11):
        _mouse(widget, QEvent.Type.MouseMove, start + (end - start) * step / 10, left, none, shift)
    _mouse(widget, QEvent.Type.MouseButtonRelease, end, none, left, shift)


def test_mouse_on_the_timeline_selects_and_pans(qtbot: QtBot, explorer_window: MainWindow) -> None:
    explorer = explorer_window.explorer
    timeline = explorer.timeline
    histogram = timeline.histogram
    assert histogram is not None
    viewport = timeline._plot.viewport()
    # Shift+drag over the first third of the bars: the table shows only that time
    start = timeline.bar_rect_centre(0).toPoint()
    end = timeline.bar_rect_centre(histogram.buckets // 3).toPoint()
    _drag(viewport, start, end, shift=True)
    settle(qtbot, explorer_window)
    assert explorer.range_clear.isVisible()
    assert 0 < explorer.model.rowCount() < 124
    # a click on a bar shows that bar's events
    busiest = int(histogram.counts.sum(axis=0).argmax())
    at = timeline.bar_rect_centre(busiest).toPoint()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _mouse(viewport, QEvent.Type.MouseButtonPress, at, left, left, shift=False)
    _mouse(viewport, QEvent.Type.MouseButtonRelease, at, none, left, shift=False)
    settle(qtbot, explorer_window)
    assert explorer.model.rowCount() == int(histogram.counts[:, busiest].sum())
    # a plain drag pans: the visible range moves and the bars are asked for again
    before = timeline.visible_range()
    with qtbot.waitSignal(timeline.range_changed, timeout=5000):
        _drag(viewport, end, start, shift=False)
    settle(qtbot, explorer_window)
    assert timeline.visible_range()[0] > before[0]


def test_message_is_visible_at_the_default_size(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    lines = [
        json.dumps(
            {
                "@timestamp": f"2026-11-04T10:00:0{n}Z",
                "host": "DC01.contoso.local",
                "user": "NT AUTHORITY\\SYSTEM",
                "process": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "event_id": 4688,
                "level": "information",
                "message": "A new process has been created.",
            }
        )
        for n in range(3)
    ]
    (tmp_path / "wide.jsonl").write_text("\n".join(lines) + "\n")
    import_paths(store, [tmp_path / "wide.jsonl"])
    window = make_window()
    assert (window.width(), window.height()) == (1360, 860)  # the size a first start opens at
    window.show_view(EVENTS)
    settle(qtbot, window)
    table = window.explorer.table
    message = window.explorer.model.columns.index("message")
    header = table.horizontalHeader()
    assert header.sectionResizeMode(message) == header.ResizeMode.Stretch
    visible = table.viewport().width() - table.columnViewportPosition(message)
    assert visible >= 200, f"only {visible} px of Message are on screen"
    assert not table.horizontalScrollBar().isVisible()
    # the narrow columns are as wide as what they hold, no wider
    time = window.explorer.model.columns.index("time")
    shown = window.explorer.model.data(window.explorer.model.index(0, time))
    assert (
        table.fontMetrics().horizontalAdvance(shown)
        <= header.sectionSize(time)
        <= table.fontMetrics().horizontalAdvance(shown) + 40
    )


def test_detail_pane_shows_a_long_value_whole_wrapped_and_copyable(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    command = (
        "powershell.exe -NoProfile -ExecutionPolicy Bypass -EncodedCommand "
        + "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA" * 3
        + " -WindowStyle Hidden"
    )
    (tmp_path / "long.jsonl").write_text(
        json.dumps(
            {
                "@timestamp": "2026-11-04T10:00:00Z",
                "host": "pc-07",
                "CommandLine": command,
                "message": "process created",
            }
        )
        + "\n"
    )
    import_paths(store, [tmp_path / "long.jsonl"])
    window = make_window()
    window.show_view(EVENTS)
    settle(qtbot, window)
    detail = window.explorer.detail
    row = detail.field_names().index("CommandLine")
    item = item_at(detail.fields, row, 1)
    assert item.text().replace("\u200b", "") == command  # the whole value, not cut short
    rect = detail.fields.visualRect(detail.fields.model().index(row, 1))
    line = detail.fields.fontMetrics().height()
    assert rect.height() >= 3 * line  # wrapped onto several lines
    assert (
        detail.fields.fontMetrics()
        .boundingRect(rect.adjusted(0, 0, -8, 0), int(Qt.TextFlag.TextWrapAnywhere), item.text())
        .height()
        <= rect.height() + 2
    )  # and all of it fits in the row
    detail.fields.selectRow(row)
    detail.copy_selected()
    assert QApplication.clipboard().text() == f"CommandLine: {command}"
    menu = QMenu()
    detail.add_copy_actions(menu, row)
    assert "Copy value" in [action.text() for action in menu.actions()]


def test_a_source_keeps_its_colour_from_query_to_query(
    qtbot: QtBot, explorer_window: MainWindow
) -> None:
    explorer = explorer_window.explorer
    timeline = explorer.timeline
    everything = dict(timeline.colours)
    assert list(everything) == ["syslog", "json"]  # the busiest first
    explorer.apply_filter("source:json")
    settle(qtbot, explorer_window)
    assert list(timeline.colours) == ["json"]
    assert timeline.colours["json"] == everything["json"]  # though it is now the first series
    # and across runs: a colour comes from the name, not from the order or the process
    assert theme.series_colour("json") == theme.current().series[theme.SOURCE_SLOTS["json"]]
    assert theme.series_colour("fortigate") == theme.series_colour("fortigate")
    assert theme.series_colour("fortigate") in theme.current().series


def test_an_empty_timeline_says_so_without_an_axis(
    qtbot: QtBot, explorer_window: MainWindow
) -> None:
    explorer = explorer_window.explorer
    timeline = explorer.timeline
    assert not timeline.showing_nothing and timeline._plot.isVisible()
    explorer.apply_filter("host:nowhere")
    settle(qtbot, explorer_window)
    assert timeline.showing_nothing and not timeline._plot.isVisible()
    assert timeline.nothing.text() == "No events match this filter, so there is nothing to draw."
    explorer.apply_filter("")
    settle(qtbot, explorer_window)
    assert not timeline.showing_nothing and timeline._plot.isVisible()


def test_the_timeline_of_an_empty_store(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    window.show_view(EVENTS)
    settle(qtbot, window)
    timeline = window.explorer.timeline
    assert timeline.showing_nothing and timeline.nothing.isVisible()
    assert timeline.nothing.text().startswith("No events with a time to draw yet")
