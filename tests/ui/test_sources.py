"""The Sources view as a user meets it: forwarded senders with their figures, a banner and the
navigation when one goes silent, expected intervals, and the test event."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from tests.ui.window_helpers import settle
from tests.unit.storage.test_sources import NOW, deliver, every, json_message, syslog

from watchkeeper.core import settings as settings_file
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.settings import Settings
from watchkeeper.storage.sources import source_rows
from watchkeeper.storage.store import Store
from watchkeeper.ui import theme
from watchkeeper.ui.main_window import OVERVIEW, SOURCES, MainWindow
from watchkeeper.ui.sources.models import (
    APPLICATION,
    EXPECTED,
    HOST,
    SKEW,
    SPARK,
    SPARK_ROLE,
    STATUS,
    TRANSPORT,
    SourcesModel,
)
from watchkeeper.ui.sources.view import NO_SENDER, SourcesView
from watchkeeper.ui.tasks import TaskRunner

MakeWindow = Callable[..., MainWindow]
HOSTILE = "<b>evil</b>\x1b[31m"
HEARTBEAT = "10.0.0.5|heartbeat"


def fill(store: Store, folder: Path) -> None:
    """Four senders: a minutely heartbeat, a fast clock over TLS, a slow one, a hostile name."""
    minutely = every(60, 120, NOW)
    messages = [
        syslog("10.0.0.5", t, host="fw01", app="heartbeat", transport="udp") for t in minutely
    ]
    messages += [
        syslog("10.0.0.6", t, host="web01", app="nginx", transport="tls", clock=90)
        for t in minutely
    ]
    messages += [
        syslog("10.0.0.7", t, host="db01", app="postgres", clock=-90) for t in minutely[-30:]
    ]
    messages += [
        json_message("10.0.0.8", t, {"host": HOSTILE, "process": "<i>app</i>", "message": "x"})
        for t in minutely[-3:]
    ]
    deliver(store, folder, messages)


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.cancel_all()
    tasks.wait()


def make_view(
    qtbot: QtBot,
    store: Store,
    runner: TaskRunner,
    at: datetime,
    send_test: Callable[[], str] | None = None,
) -> SourcesView:
    view = SourcesView(store, Settings(time_display="utc"), runner, send_test, clock=lambda: at)
    qtbot.addWidget(view)
    view.resize(1300, 500)
    view.show()
    load(qtbot, view, runner)
    return view


def load(qtbot: QtBot, view: SourcesView, runner: TaskRunner) -> None:
    view.refresh()
    qtbot.waitUntil(lambda: runner.idle, timeout=30_000)


def cell(
    model: SourcesModel, row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole
) -> object:
    return model.data(model.index(row, column), role)


def row_number(model: SourcesModel, key: str) -> int:
    number = model.row_of(key)
    assert number is not None, key
    return number


def test_the_table_shows_each_source_with_its_figures(
    qtbot: QtBot, store: Store, tmp_path: Path, runner: TaskRunner
) -> None:
    fill(store, tmp_path / "spool")
    view = make_view(qtbot, store, runner, NOW + timedelta(seconds=20))
    model = view.model
    assert model.rowCount() == 4
    assert view.count.text() == "4 sources"
    assert view.banner.isHidden()

    fw = row_number(model, HEARTBEAT)
    assert cell(model, fw, STATUS) == "Receiving"
    assert cell(model, fw, HOST) == "fw01"
    assert cell(model, fw, APPLICATION) == "heartbeat"
    assert cell(model, fw, EXPECTED) == "5 min (learned)"
    assert cell(model, fw, TRANSPORT) == "udp · plain"
    assert cell(model, fw, SKEW) == "0 s"
    assert "Learned from its rhythm" in str(cell(model, fw, STATUS, Qt.ItemDataRole.ToolTipRole))
    per_minute = cell(model, fw, SPARK, SPARK_ROLE)
    assert isinstance(per_minute, list) and len(per_minute) == 60
    assert sum(per_minute) == 60 and per_minute[-1] == 1

    web = row_number(model, "10.0.0.6|nginx")
    assert cell(model, web, SKEW) == "−90 s"  # its clock is ahead
    assert cell(model, web, TRANSPORT) == "tls · encrypted"
    error = QColor(theme.current().levels["error"])
    assert cell(model, web, SKEW, Qt.ItemDataRole.ForegroundRole) == error
    db = row_number(model, "10.0.0.7|postgres")
    assert cell(model, db, SKEW) == "+90 s"  # its clock is behind
    assert cell(model, fw, SKEW, Qt.ItemDataRole.ForegroundRole) is None  # not highlighted

    hostile = row_number(model, "10.0.0.8|<i>app</i>")
    assert cell(model, hostile, HOST) == "<b>evil</b>\\x1b[31m"  # one line, control made visible
    tip = str(cell(model, hostile, HOST, Qt.ItemDataRole.ToolTipRole))
    assert html.escape("<b>evil</b>") in tip and "<b>evil" not in tip
    assert cell(model, hostile, EXPECTED) == "1 day (default)"
    view.grab()  # the sparkline delegate paints every row


def test_the_sources_model_passes_the_model_tester(
    qtmodeltester: ModelTester, store: Store, tmp_path: Path
) -> None:
    fill(store, tmp_path / "spool")
    model = SourcesModel()
    qtmodeltester.check(model)
    rows = source_rows(store, NOW)
    model.set_rows(rows)
    qtmodeltester.check(model)
    model.sort(SKEW, Qt.SortOrder.DescendingOrder)
    skewed = {model.row_object(n).key for n in range(2)}  # type: ignore[union-attr]
    assert skewed == {"10.0.0.6|nginx", "10.0.0.7|postgres"}  # the largest skews first
    model.set_rows(source_rows(store, NOW + timedelta(hours=2)))  # the same sources, in place
    model.set_rows(rows[:2])  # fewer: reset
    qtmodeltester.check(model)


def test_a_silent_source_shows_in_the_banner_navigation_and_status_bar(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    deliver(
        store,
        tmp_path / "spool",
        [syslog("10.0.0.5", t, host="fw01", app="heartbeat") for t in every(60, 120, NOW)],
    )
    window = make_window()
    view = window.sources_view
    view.clock = lambda: NOW + timedelta(seconds=30)
    window.show_view(SOURCES)
    settle(qtbot, window)
    navigation = window.navigation.item(SOURCES)
    assert navigation.text() == "Sources"
    assert view.banner.isHidden() and window.sources_label.isHidden()

    window.show_view(OVERVIEW)  # silence shows whatever view is open
    view.clock = lambda: NOW + timedelta(hours=3)
    with qtbot.waitSignal(view.silent_changed) as changed:
        view.refresh()
    assert changed.args == [1]
    settle(qtbot, window)
    assert navigation.text() == "Sources\n(1 silent)"
    assert navigation.foreground().color() == QColor(theme.current().levels["error"])
    assert window.sources_label.text() == "1 source is silent"
    assert not window.sources_label.isHidden()
    assert view.banner_text.text() == "1 source is silent: fw01 (heartbeat) last heard 3 h ago."
    window.sources_label.click()
    assert window.current_view() == SOURCES
    assert view.banner.isVisible()
    assert view.count.text() == "1 source · 1 silent"

    # it sends again
    deliver(
        store,
        tmp_path / "spool2",
        [syslog("10.0.0.5", NOW + timedelta(hours=3), host="fw01", app="heartbeat")],
    )
    view.clock = lambda: NOW + timedelta(hours=3, seconds=5)
    with qtbot.waitSignal(view.silent_changed) as changed:
        view.refresh()
    assert changed.args == [0]
    settle(qtbot, window)
    assert navigation.text() == "Sources"
    assert view.banner.isHidden() and window.sources_label.isHidden()
    assert view.count.text() == "1 source"


def test_an_expected_interval_is_saved_in_the_settings(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    deliver(
        store,
        tmp_path / "spool",
        [syslog("10.0.0.5", t, host="fw01", app="heartbeat") for t in every(60, 120, NOW)],
    )
    window = make_window()
    view = window.sources_view
    view.clock = lambda: NOW + timedelta(seconds=200)  # late by its learned five minutes
    window.show_view(SOURCES)
    settle(qtbot, window)
    assert not view.interval_button.isEnabled()  # nothing selected
    view.table.selectRow(0)
    assert view.interval_button.isEnabled()
    assert cell(view.model, 0, STATUS) == "Late"

    view.interval_button.click()
    dialog = view.interval_dialog
    assert dialog is not None and dialog.learn.isChecked()
    dialog.set_seconds(120)
    assert dialog.unit.currentText() == "minutes" and dialog.amount.value() == 2
    dialog.accept()
    settle(qtbot, window)
    assert settings_file.load().source_intervals == {HEARTBEAT: 120.0}
    assert cell(view.model, 0, EXPECTED) == "2 min (set)"
    assert cell(view.model, 0, STATUS) == "Silent"
    assert window.navigation.item(SOURCES).text() == "Sources\n(1 silent)"

    dialog = view.edit_interval()
    assert dialog is not None and dialog.fixed.isChecked() and dialog.amount.value() == 2
    dialog.learn.setChecked(True)
    assert dialog.seconds() is None
    dialog.accept()
    settle(qtbot, window)
    assert settings_file.load().source_intervals == {}
    assert cell(view.model, 0, EXPECTED) == "5 min (learned)"
    assert view.selected_row() is not None  # the selection survived the reloads


def test_the_test_event_button(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    view = window.sources_view
    window.show_view(SOURCES)
    settle(qtbot, window)
    assert not view.test_button.isEnabled()
    assert view.test_button.toolTip() == NO_SENDER
    assert view.count.text() == "No forwarded logs yet"
    assert view.pages.currentWidget() is view.empty

    sentence = "A test event went over UDP to 127.0.0.1:5514 and was in the store 0.4 s later."
    window.set_test_sender(lambda: sentence)
    assert view.test_button.isEnabled()
    qtbot.mouseClick(view.test_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert view.test_result.text() == sentence
    assert view.test_button.isEnabled()

    def refused() -> str:
        raise WatchkeeperError(
            "The collector is not listening on UDP 5514.", title="Test event not sent"
        )

    window.set_test_sender(refused)
    view.test_button.click()
    settle(qtbot, window)
    assert view.test_result.text() == (
        "Test event not sent: The collector is not listening on UDP 5514."
    )
    window.set_test_sender(None)
    assert not view.test_button.isEnabled()


def test_ctrl_7_opens_the_sources_view(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    assert window.current_view() == OVERVIEW
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=10_000)  # shortcuts go to the active window
    qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    assert window.current_view() == SOURCES
    assert window.pages.currentWidget() is window.sources_view
    assert window.navigation.currentItem().text() == "Sources"


def test_the_port_in_use_sentence_is_shown_whole(qtbot: QtBot, make_window: MakeWindow) -> None:
    said = (
        "Not receiving in this window (syslog over UDP: UDP port 514 on 0.0.0.0 is already "
        "in use by another program; choose another port or stop that program; syslog over "
        "TCP: TCP port 601 on 0.0.0.0 is already in use by another program; choose another "
        "port or stop that program). If the collector service is running, the window loads "
        "what it receives."
    )
    window = make_window()
    window.show_view(SOURCES)
    settle(qtbot, window)
    view = window.sources_view
    view.set_receiving(said)
    window.statusBar().showMessage(said, 15_000)
    qtbot.waitUntil(lambda: view.receiving.isVisible())
    label = view.receiving
    # in the Sources view: wrapped onto as many lines as it needs, the whole in a tooltip
    assert label.text() == said and label.toolTip() == said
    assert label.wordWrap() and label.height() >= label.heightForWidth(label.width())
    # on the status line: ends in an ellipsis where it does not fit, the whole in a tooltip
    message = window.status_line.message
    assert message.toolTip() == said and window.statusBar().currentMessage() == said
