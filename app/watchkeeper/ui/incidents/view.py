"""The Incidents view: the incidents (those not closed first shown), filtered by status and
severity, and below the list the selected one's page, where everything of it is edited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.settings import Settings
from watchkeeper.storage import incidents
from watchkeeper.storage.incident_views import Incident, IncidentDetail
from watchkeeper.storage.store import Store
from watchkeeper.ui.hits.triage import os_user
from watchkeeper.ui.incidents import jobs
from watchkeeper.ui.incidents.dialogs import (
    ChooseIncidentDialog,
    EntryDialog,
    StatusDialog,
    severity_combo,
)
from watchkeeper.ui.incidents.jobs import STATUS_CHOICES, IncidentList
from watchkeeper.ui.incidents.page import Edit, IncidentPage
from watchkeeper.ui.rows_model import Column, RowsModel, fit_columns, make_table, table_or_note
from watchkeeper.ui.tasks import TaskRunner

COLUMNS = (
    Column("Id", lambda r: r.label),
    Column("Title", lambda r: r.title),
    Column("Severity", lambda r: r.severity_word, "1 low, 2 medium, 3 high, 4 critical"),
    Column("Status", lambda r: r.status + (f" ({r.resolution})" if r.resolution else "")),
    Column("Owner", lambda r: r.owner),
    Column("Opened", lambda r: r.opened),
    Column("Closed", lambda r: r.closed),
    Column("Detections", lambda r: r.detections),
    Column(
        "Events added",
        lambda r: r.events,
        "Events added by hand; Open events shows its detections' too",
    ),
)
EMPTY = (
    "No incidents here. Escalate a detection in Hits (E), add events, hosts or users to one "
    "from their views, or start one with New incident (Ctrl+N)."
)


class IncidentsView(QWidget):
    filter_requested = Signal(str, object, object)  # open the explorer: filter, since, until
    changed = Signal(str)  # an incident was changed: what happened
    open_count_changed = Signal(int)  # incidents not closed, for the navigation

    def __init__(
        self,
        store: Store,
        runner: TaskRunner,
        settings: Settings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._settings = settings
        self.who: Callable[[], str] = os_user
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.selected_id: int | None = None
        self.incidents: list[Incident] = []  # those listed
        self.dialog: Any = None  # the dialog open, for tests
        self.utc = False
        self.loaded = False
        heading = QLabel("Incidents")
        heading.setObjectName("heading")
        self.status = QComboBox()
        self.status.addItems([name for name, _ in STATUS_CHOICES])
        self.status.setToolTip("Which incidents to list")
        self.severity = severity_combo("Only incidents of this severity")
        self.severity.insertItem(0, "Any severity", 0)
        self.severity.setCurrentIndex(0)
        self.count = QLabel("")
        self.count.setObjectName("muted")
        self.new_button = QPushButton("New incident…")
        self.new_button.setToolTip("Start an incident by hand (Ctrl+N)")
        self.new_button.clicked.connect(self.new_incident)
        QShortcut(
            QKeySequence.StandardKey.New,
            self,
            self.new_incident,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addSpacing(12)
        for text, combo in (("Status", self.status), ("Severity", self.severity)):
            top.addWidget(QLabel(text))
            top.addWidget(combo)
        top.addSpacing(12)
        top.addWidget(self.count)
        top.addStretch(1)
        top.addWidget(self.new_button)
        self.model = RowsModel(COLUMNS)
        self.table = make_table(self.model)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.list_pages, _empty = table_or_note(self.table, EMPTY)
        self.page = IncidentPage()
        self._connect_page()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.list_pages)
        self.splitter.addWidget(self.page)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([150, 570])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self.status.currentIndexChanged.connect(self.refresh)
        self.severity.currentIndexChanged.connect(self.refresh)

    def _connect_page(self) -> None:
        page = self.page
        page.edit_requested.connect(self._on_page_edit_requested)
        page.status_requested.connect(self._on_page_status_requested)
        page.entry_requested.connect(self.add_entry)
        page.events_requested.connect(self.open_events)
        page.export_requested.connect(self.export_pdf)

    # the list ---------------------------------------------------------------------------

    def refresh(self, *_: object) -> None:
        statuses = STATUS_CHOICES[self.status.currentIndex()][1]
        severity = int(self.severity.currentData() or 0)
        self._runner.run(
            partial(jobs.load_list, self._store, statuses, severity),
            title="Reading incidents",
            key="incidents-list",
            dialog=False,
            on_success=self._on_list_loaded,
        )

    def set_utc(self, utc: bool) -> None:
        self.utc = utc
        self.model.set_utc(utc)
        self.page.utc = utc
        self.page.show_incident(self.page.found)

    def select(self, incident_id: int, status: str = "", severity: int = 0) -> None:
        """Show one incident; if the filters hide its `status` or `severity` (or they are not
        known), list every incident."""
        self.selected_id = incident_id
        statuses = STATUS_CHOICES[self.status.currentIndex()][1]
        wanted = int(self.severity.currentData() or 0)
        hidden = (statuses and status not in statuses) or (wanted and severity != wanted)
        for combo, index in ((self.status, len(STATUS_CHOICES) - 1), (self.severity, 0)):
            if hidden:
                combo.blockSignals(True)
                combo.setCurrentIndex(index)
                combo.blockSignals(False)
        self.refresh()

    def _on_list_loaded(self, found: IncidentList) -> None:
        self.loaded = True
        self.incidents = found.incidents
        self.model.set_rows(found.incidents)
        self.list_pages.setCurrentIndex(0 if found.incidents else 1)
        fit_columns(self.table, widest=260)
        shown = len(found.incidents)
        self.count.setText(f"{shown:,} shown · {found.open_count:,} not closed")
        self.open_count_changed.emit(found.open_count)
        rows = self.incidents
        number = next((n for n, r in enumerate(rows) if r.id == self.selected_id), 0)
        if rows:
            self.table.selectRow(number)
            self._load_page(rows[number].id)
        else:
            self.selected_id = None
            self.page.show_incident(None)

    def _on_table_selection_changed(self, *_: object) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            item = self.model.row_object(rows[0].row())
            if item.id != self.selected_id or self.page.found is None:
                self._load_page(item.id)

    def _load_page(self, incident_id: int) -> None:
        self.selected_id = incident_id
        self._runner.run(
            partial(jobs.load_detail, self._store, incident_id, self.clock()),
            title="Reading the incident",
            key="incident-page",
            dialog=False,
            quiet=True,
            on_success=self._on_page_loaded,
        )

    def _on_page_loaded(self, found: IncidentDetail) -> None:
        if found.incident.id == self.selected_id:
            self.page.show_incident(found)

    # changes ----------------------------------------------------------------------------

    def save(self, edit: Edit, said: str) -> None:
        """Make a change to the incident shown as a job, with who and when; show it after."""
        found = self.page.found
        if found is None:
            return
        incident_id, who, now = found.incident.id, self.who(), self.clock()
        bound = partial(edit, self._store, incident_id, who, now)
        self._runner.run(
            lambda _progress: jobs.change(bound, self._store, incident_id, now),
            title="Saving the incident",
            dialog=False,
            on_success=partial(self._on_saved, f"{found.incident.label}: {said}"),
            on_error=self._on_save_failed,
        )

    def _on_page_edit_requested(self, edit: Edit, said: str) -> None:
        self.save(edit, said)

    def _on_saved(self, said: str, found: IncidentDetail) -> None:
        self.page.show_incident(found)
        self.changed.emit(said)
        self.select(found.incident.id, found.incident.status, found.incident.severity)

    def _on_save_failed(self, error: BaseException) -> None:
        self.page.show_incident(self.page.found)  # what the store holds
        if self._runner.on_error is not None:
            self._runner.on_error(error, "Saving the incident")

    def _on_page_status_requested(self, status: str) -> StatusDialog | None:
        found = self.page.found
        if found is None:
            return None
        item = found.incident
        if not StatusDialog.needed(item.status, status):
            self.save(partial(_set_status, status=status), f"{status}")
            return None
        dialog = StatusDialog(item.label, item.status, status, item.resolution, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(partial(self._on_status_accepted, dialog, status))
        dialog.rejected.connect(self.page.revert_status)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_status_accepted(self, dialog: StatusDialog, status: str) -> None:
        self.dialog = None
        edit = partial(
            _set_status,
            status=status,
            resolution=dialog.chosen_resolution(),
            reason=dialog.chosen_reason(),
        )
        self.save(edit, status)

    def add_entry(self, kind: str) -> EntryDialog | None:
        """Ask for a note, an action or a notification, and save it."""
        if self.page.found is None:
            return None
        dialog = EntryDialog(kind, self.clock(), self.utc, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(partial(self._on_entry_accepted, dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_entry_accepted(self, dialog: EntryDialog) -> None:
        self.dialog = None
        edit = partial(
            _add_entry,
            kind=dialog.kind,
            text=dialog.chosen_text(),
            at=dialog.chosen_time(),
            recipient=dialog.chosen_recipient(),
        )
        self.save(edit, f"{dialog.kind} added")

    def new_incident(self) -> ChooseIncidentDialog:
        dialog = ChooseIncidentDialog("", [], ok_text="New incident", parent=self)
        dialog.existing.hide()
        dialog.incident.hide()
        dialog.new.hide()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(partial(self._on_new_accepted, dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_new_accepted(self, dialog: ChooseIncidentDialog) -> None:
        self.dialog = None
        title, severity = dialog.chosen_title(), dialog.chosen_severity()
        who, now = self.who(), self.clock()
        self._runner.run(
            lambda _progress: incidents.create(self._store, title, who, now, severity),
            title="Opening an incident",
            dialog=False,
            on_success=partial(self._on_created, severity),
        )

    def _on_created(self, severity: int, incident_id: int) -> None:
        self.changed.emit(f"{incidents.label(incident_id)} opened")
        self.select(incident_id, "open", severity)

    # leaving the view -------------------------------------------------------------------

    def open_events(self) -> None:
        """The incident's events in the explorer, as the filter incident:INC-n."""
        if self.page.found is not None:
            self.filter_requested.emit(f"incident:{self.page.found.incident.label}", None, None)

    def export_pdf(self, path: Path | None = None) -> None:
        """Ask where, then write the PDF summary as a job with progress."""
        found = self.page.found
        if found is None:
            return
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self, "Export PDF", f"{found.incident.label}.pdf", "PDF (*.pdf)"
            )
            if not chosen:
                return
            path = Path(chosen)
        settings = self._settings or Settings()
        organisation, page_size = settings.organisation, settings.page_size
        incident_id, now, target = found.incident.id, self.clock(), path
        self._runner.run(
            lambda _progress: jobs.export_pdf(
                self._store, incident_id, target, now, organisation, page_size
            ),
            title=f"Writing {found.incident.label}'s PDF summary",
            on_success=lambda pages: self.changed.emit(
                f"{found.incident.label}: {pages} page(s) written to {target.name}"
            ),
        )


def _set_status(store: Store, incident_id: int, by: str, now: datetime, **wanted: Any) -> None:
    incidents.set_status(store, incident_id, wanted.pop("status"), by, now, **wanted)


def _add_entry(
    store: Store, incident_id: int, by: str, now: datetime, *, kind: str, text: str, **more: Any
) -> None:
    incidents.add_entry(store, incident_id, kind, text, by, now, **more)
