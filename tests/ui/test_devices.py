"""The Devices view as a user meets it: a row per device with a coloured cell per check, the
evidence in tooltips, filters, CSV export, the device page with exceptions, and Ctrl+8."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from tests.ui.window_helpers import settle
from tests.unit.compliance.test_lines import HOSTILE, hand_made

from watchkeeper.compliance.importing import import_device_files
from watchkeeper.compliance.page import load_page
from watchkeeper.core.settings import Settings
from watchkeeper.storage import device_links as stored
from watchkeeper.storage.store import Store
from watchkeeper.ui.devices.exception_dialog import (
    EXPIRY_REQUIRED,
    REASON_REQUIRED,
    ExceptionDialog,
)
from watchkeeper.ui.devices.import_summary import DeviceImportDialog
from watchkeeper.ui.devices.models import DEVICE, FIRST_CHECK, STATUS, STATUS_ROLE, DevicesModel
from watchkeeper.ui.devices.view import DevicesView
from watchkeeper.ui.main_window import DEVICES, EVENTS, HITS, VIEWS, MainWindow
from watchkeeper.ui.tasks import TaskRunner

MakeWindow = Callable[..., MainWindow]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FIXTURE_FILES = (
    "intune-all-devices-en.csv",
    "jamf-computers.csv",
    "google-devices.csv",
    "osquery-snapshot.log",
)


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.cancel_all()
    tasks.wait()


def cell(
    model: DevicesModel, row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole
) -> object:
    return model.data(model.index(row, column), role)


def test_the_model_passes_the_model_tester_and_sorts_worst_first(
    qtmodeltester: ModelTester,
) -> None:
    model = DevicesModel(utc=True)
    qtmodeltester.check(model)
    model.set_rows(hand_made(), ["encryption", "firewall", "screen_lock"])
    qtmodeltester.check(model)
    assert model.columnCount() == FIRST_CHECK + 3 + 2  # then Sources and Last seen
    assert model.headerData(model.sources_column, Qt.Orientation.Horizontal) == "Sources"
    assert model.headerData(FIRST_CHECK + 2, Qt.Orientation.Horizontal) == "Screen lock"
    model.sort(STATUS, Qt.SortOrder.AscendingOrder)
    assert [model.row_object(n).status for n in range(3)] == [  # type: ignore[union-attr]
        "fail",
        "unknown",
        "pass",
    ]
    model.set_rows(hand_made()[:1])
    qtmodeltester.check(model)


def test_check_cells_say_the_verdict_and_tooltips_escape_device_text(qtbot: QtBot) -> None:
    model = DevicesModel(utc=True)
    model.set_rows(hand_made(), ["encryption", "firewall"])
    pc = model.row_of("dev-1")
    assert pc is not None
    encryption = model.column_of("encryption")
    assert encryption is not None
    assert cell(model, pc, encryption) == "Fail"
    assert cell(model, pc, encryption, STATUS_ROLE) == "fail"
    tip = str(cell(model, pc, encryption, Qt.ItemDataRole.ToolTipRole))
    assert "BitLocker is off" in tip and "intune" in tip and "2026-11-19 09:30" in tip
    assert html.escape('"Encrypted" = "False"', quote=False) in tip or "Encrypted" in tip
    mac = model.row_of("dev-2")
    assert mac is not None
    assert cell(model, mac, encryption + 1) == "Excepted"
    hostile = model.row_of("dev-3")
    assert hostile is not None
    assert cell(model, hostile, encryption + 1) == "n/a"  # no firewall check for it
    tip = str(cell(model, hostile, encryption, Qt.ItemDataRole.ToolTipRole))
    assert "<b>evil</b>" not in tip and html.escape("<b>evil</b>") in tip
    assert cell(model, hostile, DEVICE) == HOSTILE  # shown as written, never as markup


def test_the_exception_dialog_requires_a_reason_and_an_end(qtbot: QtBot) -> None:
    device = hand_made()[0]
    dialog = ExceptionDialog(
        device, ["encryption", "firewall"], date(2026, 11, 20), check="encryption"
    )
    qtbot.addWidget(dialog)
    dialog.show()
    ok = dialog.ok
    assert dialog.expires.text() == "Choose a date"
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert REASON_REQUIRED in dialog.message.text()
    assert EXPIRY_REQUIRED in dialog.message.text()
    dialog.reason.setText("  Waiting for the vendor's BIOS update  ")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.message.text() == EXPIRY_REQUIRED
    dialog.expires.setDate(QDate(2026, 12, 31))
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.chosen_check() == "encryption"
    assert dialog.chosen_reason() == "Waiting for the vendor's BIOS update"
    assert dialog.expires_at() == datetime(2027, 1, 1, tzinfo=UTC)
    assert dialog.findChild(QDialogButtonBox) is not None


def import_fixtures(store: Store, fixtures: Path) -> None:
    folder = fixtures / "compliance"
    results = import_device_files(store, [folder / name for name in FIXTURE_FILES], now=NOW)
    assert all(result.status == "imported" for result in results), results


def make_view(qtbot: QtBot, store: Store, runner: TaskRunner) -> DevicesView:
    view = DevicesView(store, Settings(time_display="utc"), runner, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.resize(1400, 800)
    view.show()
    view.refresh()
    qtbot.waitUntil(lambda: runner.idle and view.loaded, timeout=30_000)
    return view


def test_the_view_shows_imported_devices_with_a_cell_per_check(
    qtbot: QtBot, store: Store, fixtures: Path, runner: TaskRunner, qtmodeltester: ModelTester
) -> None:
    import_fixtures(store, fixtures)
    page = load_page(store, Settings(), NOW)
    view = make_view(qtbot, store, runner)
    model = view.model
    assert model.rowCount() == len(page.lines) > 3
    qtmodeltester.check(model)
    assert model.checks[: len(page.checks)] == page.checks
    statuses = {
        str(cell(model, row, column, STATUS_ROLE))
        for row in range(model.rowCount())
        for column in range(FIRST_CHECK, model.sources_column)
    }
    assert {"pass", "fail", "unknown"} <= statuses
    assert "device" in view.count.text()
    view.grab()  # the delegate paints every cell
    pc = model.row_of(next(line.device_id for line in page.lines if line.name == "PC-07"))
    assert pc is not None
    os_column = model.column_of("os_supported")
    assert os_column is not None
    assert model.headerData(os_column, Qt.Orientation.Horizontal) == "OS"
    tip = str(cell(model, pc, os_column, Qt.ItemDataRole.ToolTipRole))
    assert "<b>Supported OS version</b> on PC-07" in tip
    assert "intune-all-devices-en.csv" in tip and "Source: Intune" in tip

    failing = sum(1 for line in page.lines if line.failing)
    assert 0 < failing < len(page.lines)
    view.failing_only.setChecked(True)
    assert model.rowCount() == failing
    assert all(
        model.row_object(n).status == "fail"  # type: ignore[union-attr]
        for n in range(model.rowCount())
    )
    assert "hidden by the filters" in view.summary.text()
    view.failing_only.setChecked(False)
    assert model.rowCount() == len(page.lines)

    platform = view.platform.findData("macos")
    assert platform > 0
    view.platform.setCurrentIndex(platform)
    assert model.rowCount() > 0
    assert all(
        model.row_object(n).platform == "macos"  # type: ignore[union-attr]
        for n in range(model.rowCount())
    )
    view.platform.setCurrentIndex(0)

    source = view.source.findData("jamf")
    assert source > 0
    view.source.setCurrentIndex(source)
    assert all(
        "jamf" in model.row_object(n).sources  # type: ignore[union-attr]
        for n in range(model.rowCount())
    )


def test_export_writes_the_rows_shown(
    qtbot: QtBot, store: Store, fixtures: Path, runner: TaskRunner, tmp_path: Path
) -> None:
    import_fixtures(store, fixtures)
    view = make_view(qtbot, store, runner)
    view.failing_only.setChecked(True)
    target = tmp_path / "devices.csv"
    view.export_csv(target)
    qtbot.waitUntil(lambda: runner.idle, timeout=10_000)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 1 + view.model.rowCount()
    assert {row[0] for row in rows[1:]} == {"Fail"}
    assert "exported to devices.csv" in view.summary.text()


def test_the_device_page_adds_and_removes_an_exception(
    qtbot: QtBot, store: Store, fixtures: Path, runner: TaskRunner
) -> None:
    import_fixtures(store, fixtures)
    view = make_view(qtbot, store, runner)
    model = view.model
    number = next(n for n in range(model.rowCount()) if model.row_object(n).status == "fail")  # type: ignore[union-attr]
    line = model.row_object(number)
    assert line is not None
    check = next(name for name, verdict in line.checks.items() if verdict.status == "fail")
    view.table.selectRow(number)
    page = view.open_selected()
    assert page is not None
    qtbot.waitUntil(lambda: page.details is not None, timeout=10_000)
    assert page.checks.rowCount() == len(line.checks)
    assert page.records.rowCount() >= 1
    dialog = page.add_exception(check)
    dialog.reason.setText("Replacement laptop ordered")
    dialog.expires.setDate(QDate(2026, 12, 15))
    dialog.accept()
    qtbot.waitUntil(lambda: page.exceptions.rowCount() == 1, timeout=10_000)
    assert "excepted" in page.status.text()
    qtbot.waitUntil(lambda: runner.idle, timeout=10_000)
    again = view.model.row_of(line.device_id)
    assert again is not None
    column = view.model.column_of(check)
    assert column is not None
    assert cell(view.model, again, column) == "Excepted"
    assert stored.device_exceptions(store, line.device_id)[0].reason == "Replacement laptop ordered"
    verdicts = [
        page.checks.item(n, 1).text()  # type: ignore[union-attr]
        for n in range(page.checks.rowCount())
    ]
    assert "Excepted" in verdicts  # the page shows the new verdict too
    page.exceptions.selectRow(0)
    page.remove_selected_exception()
    qtbot.waitUntil(lambda: page.exceptions.rowCount() == 0, timeout=10_000)


def test_the_import_summary_names_what_was_recognised(
    qtbot: QtBot, store: Store, fixtures: Path, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.csv"
    garbage.write_text("what,ever\n1,2\n")
    results = import_device_files(
        store, [fixtures / "compliance" / "jamf-computers.csv", garbage], now=NOW
    )
    dialog = DeviceImportDialog(results)
    qtbot.addWidget(dialog)
    assert "1 not imported" in dialog.headline.text()
    item = dialog.table.item(0, 2)
    assert item is not None and item.text() == "Jamf Pro"
    failed = dialog.table.item(1, 1)
    assert failed is not None and failed.text() == "Not imported"
    assert "garbage.csv" in dialog.details.toPlainText()


def test_ctrl_8_opens_the_devices_view(
    qtbot: QtBot, make_window: MakeWindow, store: Store, fixtures: Path
) -> None:
    import_fixtures(store, fixtures)
    window = make_window()
    assert VIEWS[DEVICES] == "Devices"
    action = window.view_actions[DEVICES]
    assert action.shortcut() == QKeySequence("Ctrl+8")
    action.trigger()
    assert window.current_view() == DEVICES
    settle(qtbot, window)
    assert window.devices_view.loaded
    assert window.devices_view.model.rowCount() > 0
    line = window.devices_view.model.row_object(0)
    assert line is not None
    page = window.devices_view.open_device(line)
    assert page is not None
    page.open_hits()
    assert window.current_view() == HITS
    assert window.hits_view.host.currentData() == (line.hosts or (line.name,))[0]
    page.open_events()
    assert window.current_view() == EVENTS  # the explorer, on the device's host
    settle(qtbot, window)
    assert window.explorer.filter_bar.text == page.host_filter
    assert page.host_filter.startswith("host:")


def test_importing_a_device_list_shows_what_was_recognised_and_the_devices(
    qtbot: QtBot, store: Store, fixtures: Path, runner: TaskRunner, tmp_path: Path
) -> None:
    view = make_view(qtbot, store, runner)
    assert view.pages.currentWidget() is view.empty
    missing = tmp_path / "unknown-tool.csv"
    missing.write_text("Asset tag,Colour\nA-1,blue\n")
    view.import_files([fixtures / "compliance" / "intune-all-devices-en.csv", missing])
    qtbot.waitUntil(lambda: view.import_dialog is not None and runner.idle, timeout=30_000)
    dialog = view.import_dialog
    assert dialog is not None and dialog.isVisible()
    recognised = dialog.table.item(0, 2)
    assert recognised is not None and recognised.text() == "Intune"
    failed = dialog.table.item(1, 1)
    assert failed is not None and failed.text() == "Not imported"
    assert "unknown-tool.csv" in dialog.details.toPlainText()
    assert view.model.rowCount() > 0 and view.pages.currentWidget() is view.table


def test_the_device_page_shows_history_and_splits_a_merged_record(
    qtbot: QtBot, store: Store, fixtures: Path, runner: TaskRunner
) -> None:
    import_fixtures(store, fixtures)
    view = make_view(qtbot, store, runner)
    model = view.model
    merged = next(line for line in model.rows if len(line.sources) > 1)
    page = view.open_device(merged)
    assert page is not None
    qtbot.waitUntil(lambda: page.details is not None, timeout=10_000)
    assert page.records.rowCount() == len(merged.original.device.records) > 1
    assert page.history.rowCount() >= 1
    first = page.history.item(0, 2)
    assert first is not None and first.text()
    before = model.rowCount()
    page.records.selectRow(page.records.rowCount() - 1)
    assert page.split_button.isEnabled()
    page.split_selected()
    qtbot.waitUntil(lambda: runner.idle and model.rowCount() == before + 1, timeout=10_000)
    assert "device of its own" in page.status.text()


def test_the_device_page_merges_a_device_into_another(
    qtbot: QtBot, store: Store, fixtures: Path, runner: TaskRunner
) -> None:
    import_fixtures(store, fixtures)
    view = make_view(qtbot, store, runner)
    model = view.model
    galaxy, pixel = (
        next(line for line in model.rows if line.name == name)
        for name in ("Galaxy A54", "Pixel 8 Pro")
    )
    page = view.open_device(galaxy)
    assert page is not None
    qtbot.waitUntil(lambda: page.details is not None, timeout=10_000)
    page.merge_target.setCurrentIndex(page.merge_target.findData(pixel.device_id))
    assert page.merge_button.isEnabled()
    before = model.rowCount()
    page.merge_selected()
    qtbot.waitUntil(lambda: runner.idle and model.rowCount() == before - 1, timeout=10_000)
    assert "merged into Pixel 8 Pro" in page.status.text()
    merged = model.row_object(model.row_of(pixel.device_id))  # type: ignore[arg-type]
    assert merged is not None and len(merged.original.device.records) == 2


def test_thresholds_changed_in_the_app_are_saved_and_judge_every_device(
    qtbot: QtBot, store: Store, fixtures: Path, runner: TaskRunner
) -> None:
    from watchkeeper.core import settings as settings_file

    import_fixtures(store, fixtures)
    view = make_view(qtbot, store, runner)
    model = view.model
    mdm = model.column_of("mdm_checkin")
    assert mdm is not None

    def mdm_statuses() -> set[str]:
        return {str(cell(model, row, mdm, STATUS_ROLE)) for row in range(model.rowCount())}

    assert "fail" in mdm_statuses()  # some devices last checked in more than 7 days ago
    dialog = view.edit_thresholds()
    key = "mdm_checkin.max_age_days"
    assert dialog.boxes[key].value() == 7
    dialog.boxes[key].setValue(5000)
    assert dialog.chosen() == {key: 5000}
    view.loaded = False
    dialog.accept()
    qtbot.waitUntil(lambda: runner.idle and view.loaded, timeout=30_000)
    assert "fail" not in mdm_statuses()
    assert settings_file.load().compliance_thresholds == {key: 5000}
    again = view.edit_thresholds()
    assert again.boxes[key].value() == 5000
    again.reset()
    assert again.chosen() == {}
    again.reject()


def test_the_view_notes_the_thresholds_and_a_stale_policy_as_the_command_does(
    store: Store, fixtures: Path
) -> None:
    from watchkeeper.compliance.policy import load_policy
    from watchkeeper.compliance.report import compliance_report

    import_fixtures(store, fixtures)
    later = datetime(2028, 6, 1, 12, 0, tzinfo=UTC)  # the policy is over a year old by then
    thresholds = {"screen_lock.max_minutes": 10.0}
    page = load_page(store, Settings(compliance_thresholds=thresholds), later)
    assert "Settings: Screen lock max minutes is 10 minutes (the policy says 15)" in page.note
    report = compliance_report(store, load_policy(None, thresholds), later)
    assert page.note == " · ".join(report.notes)
    assert page.note.count("review them") == 1
