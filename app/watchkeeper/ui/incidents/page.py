"""One incident, edited in place: its record, the 72-hour warning, its timeline, actions,
notifications, what is linked to it and its history. Every change is handed to the view as
an edit (a storage function's call without who and when), which the view saves as a job."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.timeparse import shown_time
from watchkeeper.storage import incidents
from watchkeeper.storage.incident_views import IncidentDetail
from watchkeeper.storage.incidents import STATUSES
from watchkeeper.ui.incidents.dialogs import severity_combo
from watchkeeper.ui.labels import plain_label

# An edit: called with the store, the incident's number, who and when.
Edit = Callable[..., object]


class NoteEdit(QPlainTextEdit):
    """A text box that says when the user leaves it, so what was typed is saved then."""

    edited = Signal()

    def __init__(self, hint: str) -> None:
        super().__init__()
        self.setPlaceholderText(hint)
        self.setTabChangesFocus(True)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.edited.emit()


def _table(headings: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headings))
    table.setHorizontalHeaderLabels(list(headings))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def fill(table: QTableWidget, rows: Sequence[Sequence[Any]], utc: bool) -> None:
    """Rows of values as plain text items (times as the window shows them)."""
    table.setRowCount(len(rows))
    for number, row in enumerate(rows):
        for column, value in enumerate(row):
            if isinstance(value, datetime):
                text = shown_time(value, utc)
            else:
                text = "" if value is None else str(value)
            item = QTableWidgetItem(" ".join(text.split()))  # one line per row
            # a tooltip that looks like markup is read as markup: escaped, it reads as written
            item.setToolTip(f"<p style='white-space: pre-wrap'>{html.escape(text[:2000])}</p>")
            table.setItem(number, column, item)
    header = table.horizontalHeader()
    for column in range(table.columnCount() - 1):
        table.resizeColumnToContents(column)
        header.resizeSection(column, min(header.sectionSize(column), 260))
    header.setSectionResizeMode(table.columnCount() - 1, QHeaderView.ResizeMode.Stretch)


class IncidentPage(QWidget):
    """The incident's page; `edit_requested` carries each change, `status_requested` a move
    of status (which may ask first), and the buttons open its events and export it."""

    edit_requested = Signal(object, str)  # an Edit, what it does in words
    status_requested = Signal(str)
    entry_requested = Signal(str)  # note, action or notification
    events_requested = Signal()
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.found: IncidentDetail | None = None
        self.utc = False
        self.label = QLabel("")
        self.label.setObjectName("heading")
        self.title = QLineEdit()
        self.title.setPlaceholderText("Title")
        self.open_events = QPushButton("Open events")
        self.open_events.setToolTip("Show the incident's events in the Events view (incident:)")
        self.export = QPushButton("Export PDF…")
        self.export.setToolTip("A summary of the incident for a reader who is not a specialist")
        self.severity = severity_combo()
        self.status = QComboBox()
        self.status.addItems([s.capitalize() for s in STATUSES])
        self.resolution = plain_label("", wrap=False)
        self.resolution.setObjectName("muted")
        self.owner = QLineEdit()
        self.owner.setPlaceholderText("Who is handling it")
        self.personal = QCheckBox("Personal data affected")
        self.personal.setToolTip(
            "A personal-data breach must be reported to the regulator (the ICO) within 72 hours"
        )
        self.warning = plain_label()
        self.warning.setObjectName("warning")
        self.warning.setStyleSheet("color: #c0392b; font-weight: 600;")
        self.tabs = QTabWidget()
        self._build_tabs()
        self._build_layout()
        self._connect()
        self.setEnabled(False)

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.label)
        top.addWidget(self.title, 1)
        top.addWidget(self.open_events)
        top.addWidget(self.export)
        fields = QHBoxLayout()
        for text, widget in (("Severity", self.severity), ("Status", self.status)):
            fields.addWidget(QLabel(text))
            fields.addWidget(widget)
        fields.addWidget(self.resolution)
        fields.addSpacing(12)
        fields.addWidget(QLabel("Owner"))
        fields.addWidget(self.owner, 1)
        fields.addSpacing(12)
        fields.addWidget(self.personal)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(top)
        layout.addLayout(fields)
        layout.addWidget(self.warning)
        layout.addWidget(self.tabs, 1)

    def _build_tabs(self) -> None:
        self.summary = NoteEdit("What happened, in plain words: what, when, to what")
        self.impact = NoteEdit("What data or systems were affected, and how badly")
        self.lessons = NoteEdit("What to do differently next time")
        record = QWidget()
        form = QFormLayout(record)
        form.addRow("Summary", self.summary)
        form.addRow("Impact", self.impact)
        form.addRow("Lessons learned", self.lessons)
        self.timeline = _table(("When", "Who or what", "What"))
        self.add_note = QPushButton("Add note…")
        self.add_action = QPushButton("Add action…")
        self.add_notification = QPushButton("Add notification…")
        story = QWidget()
        column = QVBoxLayout(story)
        buttons = QHBoxLayout()
        for button in (self.add_note, self.add_action, self.add_notification):
            buttons.addWidget(button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        column.addWidget(self.timeline, 1)
        self.actions_table = _table(("When", "Who", "Action"))
        self.notifications = _table(("When", "Who", "To", "Note"))
        done = QWidget()
        column = QVBoxLayout(done)
        for heading, kind, table in (
            ("Actions taken", "action", self.actions_table),
            ("Notifications made", "notification", self.notifications),
        ):
            row = QHBoxLayout()
            row.addWidget(plain_label(heading, wrap=False))
            row.addStretch(1)
            add = QPushButton(f"Add {kind}…")
            add.clicked.connect(partial(self.entry_requested.emit, kind))
            row.addWidget(add)
            column.addLayout(row)
            column.addWidget(table, 1)
        self.detections = _table(("Id", "Rule", "Level", "Host", "User", "First", "Events"))
        self.subjects = plain_label()
        linked = QWidget()
        column = QVBoxLayout(linked)
        column.addWidget(self.subjects)
        column.addWidget(self.detections, 1)
        self.history = _table(("When", "Who", "Field", "From", "To", "Reason"))
        for widget, name in (
            (story, "Timeline"),
            (record, "Summary"),
            (done, "Actions and notifications"),
            (linked, "Linked"),
            (self.history, "History"),
        ):
            self.tabs.addTab(widget, name)

    def _connect(self) -> None:
        self.title.editingFinished.connect(partial(self._on_text_edited, "title"))
        self.owner.editingFinished.connect(partial(self._on_text_edited, "owner"))
        for name in ("summary", "impact", "lessons"):
            getattr(self, name).edited.connect(partial(self._on_text_edited, name))
        self.severity.activated.connect(self._on_severity_activated)
        self.status.activated.connect(self._on_status_activated)
        self.personal.clicked.connect(self._on_personal_clicked)
        self.add_note.clicked.connect(partial(self.entry_requested.emit, "note"))
        self.add_action.clicked.connect(partial(self.entry_requested.emit, "action"))
        self.add_notification.clicked.connect(partial(self.entry_requested.emit, "notification"))
        self.open_events.clicked.connect(self.events_requested.emit)
        self.export.clicked.connect(self.export_requested.emit)

    # showing --------------------------------------------------------------------------

    def show_incident(self, found: IncidentDetail | None) -> None:
        self.found = found
        self.setEnabled(found is not None)
        if found is None:
            self.label.setText("")
            self.title.clear()
            for table in (self.timeline, self.actions_table, self.notifications, self.history):
                table.setRowCount(0)
            self.warning.hide()
            return
        item = found.incident
        self.label.setText(item.label)
        self.title.setText(item.title)
        self.title.setCursorPosition(0)
        self.severity.setCurrentIndex(max(0, self.severity.findData(item.severity)))
        self.status.setCurrentIndex(STATUSES.index(item.status))
        self.resolution.setText(f"({item.resolution})" if item.resolution else "")
        self.owner.setText(item.owner)
        self.personal.setChecked(item.personal_data)
        # the store's sentence names the command; here the button does it
        said = (found.warning or "").replace("`incidents notify`", "Add notification")
        self.warning.setText(said)
        self.warning.setVisible(bool(found.warning))
        for name in ("summary", "impact", "lessons"):
            box: NoteEdit = getattr(self, name)
            if box.toPlainText() != getattr(item, name):
                box.setPlainText(getattr(item, name))
        self._fill_tables(found)

    def _fill_tables(self, found: IncidentDetail) -> None:
        utc = self.utc
        fill(self.timeline, [(t.at, t.who, t.text) for t in found.timeline], utc)
        fill(self.actions_table, [(e.at, e.by, e.text) for e in found.of_kind("action")], utc)
        notified = [(e.at, e.by, e.recipient, e.text) for e in found.of_kind("notification")]
        fill(self.notifications, notified, utc)
        fill(
            self.detections,
            [
                (d.id, d.title, d.level, d.host, d.user, d.first, f"{d.events:,}")
                for d in found.detections
            ],
            utc,
        )
        fill(
            self.history,
            [(c.at, c.by, c.field, c.old, c.new, c.reason) for c in found.history],
            utc,
        )
        lines = [
            f"{word}: {', '.join(names) if names else 'none'}"
            for word, names in (
                ("Hosts", found.hosts),
                ("Users", found.users),
                ("Devices", found.devices),
            )
        ]
        lines.append(
            f"Events linked by hand: {len(found.event_ids):,} · detections: "
            f"{len(found.detections):,} (Open events shows theirs too)"
        )
        self.subjects.setText("\n".join(lines))
        self.tabs.setTabText(0, f"Timeline ({len(found.timeline):,})")
        self.tabs.setTabText(3, f"Linked ({len(found.detections) + len(found.event_ids):,})")

    # editing --------------------------------------------------------------------------

    def _on_text_edited(self, name: str) -> None:
        if self.found is None:
            return
        widget = getattr(self, name)
        text = widget.text() if isinstance(widget, QLineEdit) else widget.toPlainText()
        if text.strip() == getattr(self.found.incident, name).strip():
            return
        if name == "title" and not text.strip():
            self.title.setText(self.found.incident.title)  # a title is needed: keep it
            return
        edit = partial(_update, fields={name: text.strip()})
        self.edit_requested.emit(edit, f"{name.capitalize()} saved")

    def _on_severity_activated(self, _index: int) -> None:
        number = int(self.severity.currentData())
        if self.found is not None and number != self.found.incident.severity:
            self.edit_requested.emit(
                partial(_update, fields={"severity": number}), "Severity saved"
            )

    def _on_personal_clicked(self, checked: bool) -> None:
        if self.found is not None:
            said = "Personal data affected" if checked else "No personal data affected"
            self.edit_requested.emit(partial(_update, fields={"personal_data": checked}), said)

    def _on_status_activated(self, index: int) -> None:
        if self.found is not None and STATUSES[index] != self.found.incident.status:
            self.status_requested.emit(STATUSES[index])

    def revert_status(self) -> None:
        """The move was cancelled: show the status the incident has."""
        if self.found is not None:
            self.status.setCurrentIndex(STATUSES.index(self.found.incident.status))


def _update(store: Any, incident_id: int, by: str, now: datetime, *, fields: dict[str, Any]) -> int:
    return incidents.update(store, incident_id, by, now, **fields)
