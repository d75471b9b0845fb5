"""The Devices view: one row per device, a coloured cell per compliance check, filters, the
device page, CSV export and importing device lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.compliance.importing import import_device_files
from watchkeeper.compliance.lines import (
    DeviceFilter,
    DeviceLine,
    devices_csv,
    facets,
    filtered,
)
from watchkeeper.compliance.page import DevicesPage, load_page
from watchkeeper.core.settings import Settings
from watchkeeper.core.text import counted
from watchkeeper.storage.store import Store
from watchkeeper.ui import errors
from watchkeeper.ui.devices.check_cells import CheckDelegate, size_columns
from watchkeeper.ui.devices.dialogs import DevicePage
from watchkeeper.ui.devices.import_summary import DeviceImportDialog
from watchkeeper.ui.devices.models import DevicesModel
from watchkeeper.ui.devices.thresholds import ThresholdsDialog
from watchkeeper.ui.rows_model import read_only_table, set_choices, table_or_note
from watchkeeper.ui.tasks import TaskRunner

DEVICE_FILES = "Device lists (*.csv *.txt *.tsv *.json *.jsonl *.log);;All files (*)"
NOTHING_YET = (
    "No devices yet. Import a device list exported from Intune, Google Workspace "
    "or Jamf Pro, or an osquery results log (Import device list…); hosts seen in "
    "the imported logs appear here too."
)


def _combo(tip: str, anything: str) -> QComboBox:
    combo = QComboBox()
    combo.setToolTip(tip)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    combo.setMinimumWidth(70)
    combo.setMaximumWidth(260)
    combo.addItem(anything, "")
    return combo


class DevicesView(QWidget):
    """Every device known from inventories and logs, judged against the compliance policy."""

    filter_requested = Signal(str, object, object)  # open the explorer: filter, since, until
    hits_requested = Signal(str)  # open the Hits view on one host
    imported = Signal(str)  # a device list was imported: what happened, in a sentence

    def __init__(
        self,
        store: Store,
        settings: Settings,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._settings = settings
        self._runner = runner
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.page: DevicesPage | None = None
        self.loaded = False
        self.utc = settings.time_display == "utc"
        self.device_page: DevicePage | None = None
        self.import_dialog: DeviceImportDialog | None = None

        heading = QLabel("Devices")
        heading.setObjectName("heading")
        self.count = QLabel("")
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        note = QLabel(
            "Each device from the MDM exports, osquery and the logs, checked against "
            "the compliance policy. Hover a cell for its evidence; double-click a "
            "device for its history, events, rule hits and exceptions."
        )
        note.setObjectName("muted")
        note.setWordWrap(True)

        filters = self._make_filters()
        actions = self._make_actions()

        self.summary = QLabel("")
        self.summary.setObjectName("muted")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)

        self.model = DevicesModel(self.utc)
        self.table = self._make_table()
        self.pages, self.empty = table_or_note(self.table, NOTHING_YET)

        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addLayout(filters)
        layout.addWidget(self.summary)
        layout.addWidget(self.pages, 1)
        layout.addLayout(actions)
        self._update_buttons()

    def _make_filters(self) -> QHBoxLayout:
        self.failing_only = QCheckBox("Failing only")
        self.failing_only.setToolTip("Only devices that fail at least one check")
        self.platform = _combo("Only devices of this platform", "Any platform")
        self.owner = _combo("Only devices of this owner", "Any owner")
        self.source = _combo("Only devices this source saw", "Any source")
        self.failing_only.toggled.connect(self._on_filter_changed)
        for combo in (self.platform, self.owner, self.source):
            combo.currentIndexChanged.connect(self._on_filter_changed)

        filters = QHBoxLayout()
        filters.addWidget(self.failing_only)
        filters.addSpacing(10)
        for label, widget in (
            ("Platform", self.platform),
            ("Owner", self.owner),
            ("Source", self.source),
        ):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
            filters.addSpacing(6)
        filters.addStretch(1)
        return filters

    def _make_actions(self) -> QHBoxLayout:
        self.import_button = QPushButton("Import device list…")
        self.import_button.setToolTip(
            "An Intune, Google Workspace or Jamf Pro export, or an osquery results log"
        )
        self.import_button.clicked.connect(self.choose_files)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save the devices shown, with every check, as CSV")
        self.export_button.clicked.connect(self.choose_export)
        self.thresholds_button = QPushButton("Thresholds…")
        self.thresholds_button.setToolTip(
            "Screen lock, signature age, check-in and log intervals the checks allow"
        )
        self.thresholds_button.clicked.connect(self.edit_thresholds)
        self.open_button = QPushButton("Device page")
        self.open_button.setToolTip(
            "Facts, history, events, rule hits and exceptions of the selected device"
        )
        self.open_button.clicked.connect(self.open_selected)

        # below the table, so a narrow window keeps every filter and button in view
        actions = QHBoxLayout()
        actions.addWidget(self.open_button)
        actions.addWidget(self.export_button)
        actions.addWidget(self.import_button)
        actions.addWidget(self.thresholds_button)
        actions.addStretch(1)
        return actions

    def _make_table(self) -> QTableView:
        table = read_only_table(self.model, row_padding=12, stretch_last=False)
        table.setItemDelegate(CheckDelegate(table))
        table.activated.connect(lambda index: self.open_device(self.model.row_object(index.row())))
        table.selectionModel().selectionChanged.connect(self._update_buttons)
        return table

    # loading ------------------------------------------------------------------------------

    def edit_thresholds(self) -> ThresholdsDialog:
        """The thresholds in force, changed for every device; saved in the settings."""
        from watchkeeper.compliance.policy import load_policy

        dialog = ThresholdsDialog(load_policy(), dict(self._settings.compliance_thresholds), self)
        dialog.accepted.connect(lambda: self._on_thresholds_accepted(dialog))
        dialog.open()
        return dialog

    def _on_thresholds_accepted(self, dialog: ThresholdsDialog) -> None:
        from watchkeeper.core import settings as settings_file

        self._settings.compliance_thresholds = dialog.chosen()
        settings_file.save(self._settings)
        self.refresh()

    def refresh(self) -> None:
        """Judge every device again, as of the clock's now, in the background."""
        self._runner.run(
            partial(load_page, self._store, self._settings, self.clock()),
            title="Checking devices",
            key="devices",
            dialog=False,
            on_success=self._on_loaded,
        )

    def _on_loaded(self, page: DevicesPage) -> None:
        self.page = page
        self.loaded = True
        found = facets(page.lines)
        set_choices(self.platform, found.platforms)
        set_choices(self.owner, found.owners)
        set_choices(self.source, found.sources)
        self._show()
        if self.device_page is not None:  # an exception or merge changed its verdicts
            again = next(
                (
                    line
                    for line in page.lines
                    if line.device_id == self.device_page.device.device_id
                ),
                None,
            )
            if again is not None:
                self.device_page.set_device(again)

    def _show(self) -> None:
        page = self.page
        if page is None:
            return
        selected = self.selected_line()
        lines = filtered(page.lines, self.where)
        self.model.set_rows(lines, page.checks, page.titles)
        size_columns(self.table, self.model)
        self.pages.setCurrentWidget(self.table if page.lines else self.empty)
        total = len(page.lines)
        failing = sum(1 for line in page.lines if line.failing)
        unknown = sum(1 for line in page.lines if line.status == "unknown")
        parts = [counted(total, "device")]
        if failing:
            parts.append(f"{failing:,} failing")
        if unknown:
            parts.append(f"{unknown:,} not fully known")
        self.count.setText(" · ".join(parts) if total else "No devices yet")
        hidden = total - len(lines)
        summary = [f"{hidden:,} hidden by the filters." if hidden else "", page.note]
        self.summary.setText(" ".join(part for part in summary if part))
        self.summary.setVisible(bool(self.summary.text()))
        if selected is not None:
            number = self.model.row_of(selected.device_id)
            if number is not None:
                self.table.selectRow(number)
        self._update_buttons()

    def set_utc(self, utc: bool) -> None:
        self.utc = utc
        self.model.set_utc(utc)

    def apply_theme(self) -> None:
        self.model.repaint()

    # filters ------------------------------------------------------------------------------

    @property
    def where(self) -> DeviceFilter:
        return DeviceFilter(
            failing_only=self.failing_only.isChecked(),
            platform=str(self.platform.currentData() or ""),
            owner=str(self.owner.currentData() or ""),
            source=str(self.source.currentData() or ""),
        )

    def _on_filter_changed(self, *_: object) -> None:
        self._show()

    # the selected device ------------------------------------------------------------------

    def selected_line(self) -> DeviceLine | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_object(rows[0].row()) if rows else None

    def _update_buttons(self, *_: object) -> None:
        self.open_button.setEnabled(self.selected_line() is not None)
        self.export_button.setEnabled(self.model.rowCount() > 0)

    def open_selected(self) -> DevicePage | None:
        return self.open_device(self.selected_line())

    def open_device(self, line: DeviceLine | None) -> DevicePage | None:
        """The device page: facts with evidence, history, events, hits and exceptions."""
        if line is None:
            return None
        if self.device_page is not None:
            self.device_page.close()
        others = {
            f"{other.name} ({other.platform})": other.device_id
            for other in (self.page.lines if self.page is not None else [])
            if other.device_id != line.device_id
        }
        page = DevicePage(
            line,
            self._store,
            self._runner,
            self.utc,
            self,
            clock=self.clock,
            others=others,
            titles={check: self.model.title(check) for check in self.model.checks},
        )
        page.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        page.events_requested.connect(self._on_page_events_requested)
        page.hits_requested.connect(self.hits_requested)
        page.changed.connect(self.refresh)
        page.destroyed.connect(partial(self._on_page_destroyed, page))
        self.device_page = page
        page.show()
        return page

    def _on_page_destroyed(self, page: DevicePage) -> None:
        if self.device_page is page:
            self.device_page = None

    def _on_page_events_requested(self, text: str) -> None:
        self.filter_requested.emit(text, None, None)

    # export and import --------------------------------------------------------------------

    def choose_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self,
            "Export devices as CSV",
            str(Path.home() / "devices.csv"),
            "CSV files (*.csv);;All files (*)",
        )
        if name:
            self.export_csv(Path(name))

    def export_csv(self, path: Path) -> None:
        """Write the devices shown (filters applied) to `path` in the background."""
        checks = self.model.checks
        text = devices_csv(
            self.model.rows, checks, {check: self.model.title(check) for check in checks}
        )
        shown = self.model.rowCount()

        def write(_progress: object) -> str:
            path.write_text(text, encoding="utf-8-sig")  # Excel reads UTF-8 with its mark
            return f"{counted(shown, 'device')} exported to {path.name}."

        self._runner.run(
            write,
            title="Exporting devices",
            on_success=self._on_exported,
            on_error=self._on_export_failed,
        )

    def _on_exported(self, said: str) -> None:
        self.summary.setText(said)
        self.summary.setVisible(True)

    def _on_export_failed(self, error: BaseException) -> None:
        errors.show_error(self, error, "exporting devices")

    def choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, "Import device lists", str(Path.home()), DEVICE_FILES
        )
        if names:
            self.import_files([Path(name) for name in names])

    def import_files(self, chosen: list[Path]) -> None:
        """Read device lists into the store on the runner, then show what was recognised."""
        self._runner.run(
            partial(import_device_files, self._store, chosen, now=self.clock()),
            title="Importing device lists",
            on_success=self._on_import_finished,
        )

    def _on_import_finished(self, results: object) -> None:
        assert isinstance(results, list)
        dialog = DeviceImportDialog(results, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.import_dialog = dialog
        dialog.open()
        self.imported.emit(dialog.headline.text())
        self.refresh()
