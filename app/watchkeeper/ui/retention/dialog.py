"""File ▸ Storage and retention…: how long events are kept and how many days stay in the store,
what the archive holds, and the days waiting to be deleted, which the user can keep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.settings import Settings
from watchkeeper.core.text import counted
from watchkeeper.storage.archive import ArchiveSummary
from watchkeeper.storage.archive_deletions import Pending
from watchkeeper.ui.retention.editor import RetentionEditor


class StorageDialog(QDialog):
    """The retention settings, the archive, and the deletions waiting; `archive_now` and
    `keep`/`release` are the window's (they run in the background)."""

    def __init__(
        self,
        settings: Settings,
        archive_folder: str,
        on_archive_now: Callable[[], object],
        on_keep: Callable[[list[int]], None],
        on_release: Callable[[], None],
        on_verify: Callable[[], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Storage and retention")
        self.settings = settings
        self._pending: list[Pending] = []
        layout = QVBoxLayout(self)
        layout.addWidget(self._retention_box())
        layout.addWidget(self._archive_box(archive_folder, on_archive_now))
        layout.addWidget(self._deletions_box(on_keep, on_release))
        layout.addWidget(self._integrity_box(on_verify))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(760, 700)
        self._check()

    # building -----------------------------------------------------------------------------

    def _retention_box(self) -> QGroupBox:
        self.retention = RetentionEditor(self.settings)
        self.months, self.hot_days = self.retention.months, self.retention.hot_days
        self.reason, self.problem = self.retention.reason, self.retention.problem_label
        self.retention.edited.connect(self._check)
        return self.retention

    def _archive_box(self, folder: str, on_archive_now: Callable[[], object]) -> QGroupBox:
        box = QGroupBox("Archive")
        row = QHBoxLayout(box)
        self.archive_label = QLabel("Reading the archive…")
        self.archive_label.setWordWrap(True)
        self.archive_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.archive_label.setToolTip(folder)
        self.archive_now = QPushButton("&Archive now")
        self.archive_now.setToolTip("Move the closed days past the store's window to the archive")
        self.archive_now.clicked.connect(on_archive_now)
        row.addWidget(self.archive_label, 1)
        row.addWidget(self.archive_now, 0, Qt.AlignmentFlag.AlignTop)
        return box

    def _deletions_box(
        self, on_keep: Callable[[list[int]], None], on_release: Callable[[], None]
    ) -> QGroupBox:
        box = QGroupBox("Waiting to be deleted")
        layout = QVBoxLayout(box)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Day", "Source", "Events", "Deleted after"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.empty = QLabel("No archived day is past retention.")
        buttons = QHBoxLayout()
        self.keep = QPushButton("&Keep selected days")
        self.keep.setToolTip("Cancel their deletion; they stay until you let them go")
        self.keep.clicked.connect(lambda: on_keep(self.selected_ids()))
        self.release = QPushButton("&Let kept days go")
        self.release.setToolTip("Days you kept are deleted again once past retention")
        self.release.clicked.connect(on_release)
        buttons.addWidget(self.keep)
        buttons.addWidget(self.release)
        buttons.addStretch(1)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        return box

    def _integrity_box(self, on_verify: Callable[[], object]) -> QGroupBox:
        box = QGroupBox("Tamper evidence")
        row = QHBoxLayout(box)
        self.integrity_label = QLabel("Reading the seals…")
        self.integrity_label.setWordWrap(True)
        self.integrity_label.setTextFormat(Qt.TextFormat.PlainText)
        self.verify = QPushButton("&Verify now")
        self.verify.setToolTip(
            "Hash every stored and archived event again and compare with the daily seals "
            "(as watchkeeper verify does)"
        )
        self.verify.clicked.connect(on_verify)
        row.addWidget(self.integrity_label, 1)
        row.addWidget(self.verify, 0, Qt.AlignmentFlag.AlignTop)
        return box

    # showing ------------------------------------------------------------------------------

    def show_archive(self, summary: ArchiveSummary, hot_events: int) -> None:
        if not summary.files:
            text = (
                f"{counted(hot_events, 'event')} in the store; nothing archived yet. Days older "
                f"than {self.settings.hot_days} days move here when they are closed."
            )
        else:
            text = (
                f"{counted(summary.events, 'event')} of {counted(summary.days, 'day')} "
                f"({summary.oldest:%d %b %Y} to {summary.newest:%d %b %Y}) in "
                f"{counted(summary.files, 'file')}, {summary.bytes / 1e6:,.1f} MB; "
                f"{counted(hot_events, 'event')} in the store."
            )
        self.archive_label.setText(text)

    def show_integrity(self, line: str, problems: list[str] | None = None) -> None:
        """The seals at a glance; after a verification, what it found (plain text: event
        text in a problem is never read as markup)."""
        text = f"Seals: {line}."
        if problems is not None:
            text += (
                f"\n{len(problems):,} problem(s) found: the store may have been tampered with.\n"
                + "\n".join(f"• {p}" for p in problems[:5])
                + (
                    f"\n… and {len(problems) - 5:,} more (watchkeeper verify lists them all)"
                    if len(problems) > 5
                    else ""
                )
                if problems
                else "\nVerified: every sealed event is as it was written."
            )
        self.integrity_label.setText(text)
        self.integrity_label.setStyleSheet("color: #b3261e;" if problems else "")

    def show_pending(self, pending: list[Pending], now: datetime) -> None:
        self._pending = pending
        self.table.setRowCount(len(pending))
        for row, item in enumerate(pending):
            when = (
                "kept at your request"
                if item.held
                else f"{item.delete_after:%d %b %Y %H:%M} UTC"
                if item.delete_after
                else ""
            )
            cells = [f"{item.day:%d %b %Y}", item.source or "(none)", f"{item.events:,}", when]
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if column == 2:
                    cell.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, cell)
        self.table.setVisible(bool(pending))
        self.empty.setVisible(not pending)
        self.keep.setEnabled(any(not p.held for p in pending))
        self.release.setEnabled(any(p.held for p in pending))

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        chosen = [self._pending[r] for r in rows if r < len(self._pending)]
        return [p.id for p in (chosen or self._pending) if not p.held]

    # saving -------------------------------------------------------------------------------

    def _check(self) -> None:
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(self.retention.problem() is None)

    def apply(self) -> None:
        """Put the dialog's values into the settings (the caller saves them)."""
        self.retention.store(self.settings)
