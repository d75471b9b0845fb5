"""The Devices view's dialogs: the device page and an import's summary."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QPushButton,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.compliance.checks import SOURCE_NAMES
from watchkeeper.compliance.exceptions import DeviceException
from watchkeeper.compliance.lines import STATUS_WORDS, DeviceLine, check_title, time_text
from watchkeeper.compliance.page import (
    DeviceDetails,
    add_device_exception,
    load_details,
    merge_into,
    remove_device_exception,
    split_record,
)
from watchkeeper.core.filterlang import exact_term
from watchkeeper.core.printable import printable
from watchkeeper.storage.store import Store
from watchkeeper.ui import errors
from watchkeeper.ui.devices.exception_dialog import ExceptionDialog
from watchkeeper.ui.devices.models import status_colour
from watchkeeper.ui.devices.widgets import fill_table, text_table
from watchkeeper.ui.labels import plain_label
from watchkeeper.ui.tasks import TaskRunner


class DevicePage(QDialog):
    """One device: its checks with evidence, history, records, exceptions, events and hits."""

    events_requested = Signal(str)  # an explorer filter
    hits_requested = Signal(str)  # a host name for the Hits view
    changed = Signal()  # an exception, merge or split changed how devices are judged

    def __init__(
        self,
        device: DeviceLine,
        store: Store,
        runner: TaskRunner,
        utc: bool,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        others: Mapping[str, str] | None = None,
        titles: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.device = device
        self._titles = dict(titles or {})  # check -> its title in the policy
        self._others = dict(others or {})  # another device's label -> its id, to merge into
        self._store = store
        self._runner = runner
        self._utc = utc
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.details: DeviceDetails | None = None
        self.exception_dialog: ExceptionDialog | None = None
        self.setWindowTitle(f"Device — {printable(device.name)}")
        self.resize(1100, 620)

        title = plain_label(printable(device.name))
        title.setObjectName("heading")
        facts = [
            STATUS_WORDS.get(device.status, device.status),
            device.platform,
            device.owner,
            "seen by " + ", ".join(device.sources) if device.sources else "",
            "last seen " + time_text(device.last_seen, utc) if device.last_seen else "",
        ]
        self.facts_line = plain_label(" · ".join(printable(f) for f in facts if f), muted=True)
        self.events_button = QPushButton("Events on this host")
        self.events_button.setToolTip(f"Open the Events view on {self.host_filter}")
        self.events_button.clicked.connect(self.open_events)
        self.hits_button = QPushButton("Rule hits on this host")
        self.hits_button.setToolTip("Open the Hits view on this host")
        self.hits_button.clicked.connect(self.open_hits)
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.events_button)
        top.addWidget(self.hits_button)

        self.checks = text_table(["Check", "Verdict", "Why", "Evidence", "Source", "Seen"])
        self.history = text_table(["When", "Source", "Change", "Evidence"])
        self.records = text_table(["Source", "Name", "File", "Where", "Observed", "Record"])
        self.exceptions = text_table(["Check", "Reason", "Ends", "By", "Added"])
        self.exceptions.itemSelectionChanged.connect(self._update_buttons)
        self.records.itemSelectionChanged.connect(self._update_buttons)
        self.status = plain_label("", muted=True)

        exceptions_page = self._make_exceptions_page()
        records_page = self._make_records_page()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.checks, "Checks and evidence")
        self.tabs.addTab(self.history, "History")
        self.tabs.addTab(records_page, "Records")
        self.tabs.addTab(exceptions_page, "Exceptions")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.facts_line)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self._show_checks()
        self._update_buttons()
        self.reload()

    def _make_exceptions_page(self) -> QWidget:
        self.add_button = QPushButton("Add exception…")
        self.add_button.clicked.connect(self.add_exception)
        self.remove_button = QPushButton("Remove exception")
        self.remove_button.clicked.connect(self.remove_selected_exception)
        exceptions_page = QWidget()
        column = QVBoxLayout(exceptions_page)
        column.addWidget(self.exceptions, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        column.addLayout(row)
        return exceptions_page

    def _make_records_page(self) -> QWidget:
        self.split_button = QPushButton("Split record off")
        self.split_button.setToolTip("The selected record is another device: show it alone")
        self.split_button.clicked.connect(self.split_selected)
        self.merge_target = QComboBox()
        self.merge_target.setMinimumWidth(260)
        self.merge_target.setToolTip("The device this one really is")
        self.merge_button = QPushButton("Merge this device into")
        self.merge_button.setToolTip(
            "This device and the chosen one are the same machine: show them as one"
        )
        self.merge_button.clicked.connect(self.merge_selected)
        records_page = QWidget()
        column = QVBoxLayout(records_page)
        column.addWidget(
            plain_label(
                "The sources' records merged into this device. Split one "
                "off when it is another device; merge this device into "
                "another when they are the same machine.",
                muted=True,
            )
        )
        column.addWidget(self.records, 1)
        row = QHBoxLayout()
        row.addWidget(self.split_button)
        row.addSpacing(12)
        row.addWidget(self.merge_button)
        row.addWidget(self.merge_target)
        row.addStretch(1)
        column.addLayout(row)
        return records_page

    def title(self, check: str) -> str:
        return self._titles.get(check) or check_title(check)

    @property
    def host_filter(self) -> str:
        """The explorer filter for the device's events: each of its names in the logs."""
        hosts = self.device.hosts or (self.device.name,)
        return " OR ".join(exact_term("host", host) for host in hosts)

    def set_device(self, device: DeviceLine) -> None:
        """The same device judged again: its verdicts, records and exceptions anew."""
        self.device = device
        self._show_checks()
        self.reload()

    def _show_checks(self) -> None:
        names = list(self.device.checks)
        rows = []
        colours: list[str | None] = []
        for name in names:
            cell = self.device.checks[name]
            rows.append(
                [
                    self.title(name),
                    STATUS_WORDS.get(cell.status, cell.status),
                    cell.reason,
                    cell.evidence,
                    cell.source,
                    time_text(cell.observed, self._utc),
                ]
            )
            colours.append(status_colour(cell.status))
        fill_table(self.checks, rows, colours)
        # the reasons and evidence are sentences: wrapped, in columns of a readable width
        self.checks.setWordWrap(True)
        header = self.checks.horizontalHeader()
        header.resizeSection(2, 330)
        header.resizeSection(3, 330)
        self.checks.resizeRowsToContents()

    # loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        self._runner.run(
            partial(load_details, self._store, self.device),
            title="Reading the device",
            key=f"device-{self.device.device_id}",
            dialog=False,
            quiet=True,
            on_success=self._on_details_loaded,
        )

    def _on_details_loaded(self, details: DeviceDetails) -> None:
        self.details = details
        utc = self._utc
        fill_table(
            self.history,
            [
                [
                    time_text(change.time, utc),
                    SOURCE_NAMES.get(change.source, change.source),
                    change.sentence,
                    change.evidence or "",
                ]
                for change in details.history
            ],
        )
        if not details.history:
            self.history.setRowCount(1)
            self.history.setItem(
                0, 2, QTableWidgetItem(details.history_note or "No changes recorded yet")
            )
        fill_table(
            self.records,
            [
                [
                    r.source,
                    r.name,
                    r.source_label,
                    r.location,
                    time_text(r.observed, utc),
                    r.record_key,
                ]
                for r in details.records
            ],
        )
        fill_table(
            self.exceptions,
            [
                [
                    self.title(e.check),
                    e.reason,
                    time_text(e.expires, utc),
                    e.created_by,
                    time_text(e.created, utc),
                ]
                for e in details.exceptions
            ],
        )
        current = self.merge_target.currentData()
        self.merge_target.clear()
        for label, device_id in (details.other_devices or self._others).items():
            self.merge_target.addItem(printable(label), device_id)
        self.merge_target.setCurrentIndex(max(0, self.merge_target.findData(current)))
        self.tabs.setTabText(3, f"Exceptions ({len(details.exceptions)})")
        self.tabs.setTabText(2, f"Records ({len(details.records)})")
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(self.selected_exception() is not None)
        record = self.selected_record_key()
        several = self.details is not None and len(self.details.records) > 1
        self.split_button.setEnabled(record is not None and several)
        self.merge_button.setEnabled(self.merge_target.count() > 0)

    # events and hits ----------------------------------------------------------------------

    def open_events(self) -> None:
        self.events_requested.emit(self.host_filter)

    def open_hits(self) -> None:
        self.hits_requested.emit((self.device.hosts or (self.device.name,))[0])

    # exceptions ---------------------------------------------------------------------------

    def selected_exception(self) -> DeviceException | None:
        rows = self.exceptions.selectionModel().selectedRows()
        if not rows or self.details is None:
            return None
        number = rows[0].row()
        found = self.details.exceptions
        return found[number] if 0 <= number < len(found) else None

    def add_exception(self, check: str | None = None) -> ExceptionDialog:
        today = self.clock().astimezone(UTC).date()
        names = list(self.device.checks) or (list(self.details.checks) if self.details else [])
        dialog = ExceptionDialog(self.device, names, today, self, check, self._titles)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(partial(self._on_exception_accepted, dialog))
        self.exception_dialog = dialog
        dialog.open()
        return dialog

    def _on_exception_accepted(self, dialog: ExceptionDialog) -> None:
        expires = dialog.expires_at()
        assert expires is not None
        self._write(
            partial(
                add_device_exception,
                self._store,
                self.device,
                dialog.chosen_check(),
                dialog.chosen_reason(),
                expires,
                self.clock(),
            ),
            "Adding the exception",
        )

    def remove_selected_exception(self) -> None:
        chosen = self.selected_exception()
        if chosen is not None:
            self._write(
                partial(remove_device_exception, self._store, chosen.id), "Removing the exception"
            )

    # merge and split ----------------------------------------------------------------------

    def selected_record_key(self) -> str | None:
        rows = self.records.selectionModel().selectedRows()
        if not rows or self.details is None:
            return None
        number = rows[0].row()
        found = self.details.records
        return found[number].record_key if 0 <= number < len(found) else None

    def split_selected(self) -> None:
        key = self.selected_record_key()
        if key is not None:
            self._write(
                partial(split_record, self._store, key, self.clock()), "Splitting the record"
            )

    def merge_selected(self) -> None:
        into = self.merge_target.currentData()
        if not into:
            self.status.setText("Choose the device this one is.")
            return
        self._write(
            partial(merge_into, self._store, self.device.device_id, str(into), self.clock()),
            "Merging devices",
        )

    def _write(self, work: Callable[[], str], title: str) -> None:
        self._runner.run(
            lambda _progress: work(),
            title=title,
            dialog=False,
            on_success=self._on_written,
            on_error=self._on_write_failed,
        )

    def _on_written(self, said: object) -> None:
        self.status.setText(str(said))
        self.changed.emit()
        self.reload()

    def _on_write_failed(self, error: BaseException) -> None:
        title, message = errors.title_and_message(error, "changing the device")
        self.status.setText(f"{title}: {message}")
