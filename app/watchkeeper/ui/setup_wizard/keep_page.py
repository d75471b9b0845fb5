"""Step 2, decide how long to keep the logs: retention, days in the store, the archive's folder,
and whether the disk holds what step 1 chose."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from watchkeeper.core import paths
from watchkeeper.core.disk import size_text
from watchkeeper.core.settings import MIN_RETENTION_MONTHS, retention_problem
from watchkeeper.core.text import counted
from watchkeeper.setup.sizing import (
    ARCHIVE_BYTES_PER_EVENT,
    STORE_BYTES_PER_EVENT,
    Sizing,
    sizing,
)
from watchkeeper.storage import archive_layout
from watchkeeper.ui.labels import plain_label
from watchkeeper.ui.retention.editor import RetentionEditor
from watchkeeper.ui.setup_wizard.context import WizardContext

VERDICT_COLOURS = {"fits": "#1b7f3a", "tight": "#a15c00", "does not fit": "#b3261e"}


class KeepPage(QWizardPage):
    """How long events are kept, how many days stay in the store, and where the rest goes."""

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setTitle("Decide how long to keep them")
        self.setSubTitle(
            f"The guidance asks for at least {MIN_RETENTION_MONTHS} months. Recent days stay "
            "in the store, where searches are fastest; older days move to a compressed archive, "
            "where searches still find them."
        )
        self._filling = False
        self.retention = RetentionEditor(context.draft)  # the fields Settings has too
        self.months = self.retention.months
        self.hot_days = self.retention.hot_days
        self.reason = self.retention.reason
        self.problem = self.retention.problem_label
        # the archive lives beside the store (its queries find it there): shown, not chosen
        self.archive = QLineEdit()
        self.archive.setReadOnly(True)
        archive_row = QVBoxLayout()
        archive_row.setSpacing(4)
        archive_row.addWidget(self.archive)
        archive_row.addWidget(
            plain_label(
                "Beside the store, on the same disk: it moves with the store (watchkeeper "
                "--db), and File ▸ Storage and retention shows what it holds.",
                muted=True,
            )
        )
        self.estimate = plain_label()
        self.verdict = plain_label()
        self.verdict.setObjectName("verdict")

        form = QFormLayout()
        form.addRow(self._buddy("Arc&hive folder:", self.archive), archive_row)
        layout = QVBoxLayout(self)
        layout.addWidget(self.retention)
        layout.addLayout(form)
        layout.addSpacing(12)
        heading = QLabel("Disk space")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        layout.addWidget(heading)
        layout.addWidget(self.estimate)
        layout.addWidget(self.verdict)
        layout.addSpacing(8)
        layout.addWidget(
            plain_label(
                f"The estimate counts about {STORE_BYTES_PER_EVENT} bytes an event in the store "
                f"and {ARCHIVE_BYTES_PER_EVENT} in the archive, as measured on a generated "
                "office; your own logs may take more or less.",
                muted=True,
            )
        )
        layout.addStretch(1)
        self.retention.edited.connect(self._on_changed)

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    def _store_path(self) -> Path:
        store = self.context.store
        return store.path if store is not None else paths.default_db_path()

    def _default_archive(self) -> Path:
        return archive_layout.folder(self._store_path())

    def initializePage(self) -> None:
        draft = self.context.draft
        self._filling = True
        try:
            self.retention.load(draft)
            self.archive.setText(str(self._default_archive()))
        finally:
            self._filling = False
        self._on_changed()

    def _on_changed(self) -> None:
        if self._filling:
            return
        self.retention.store(self.context.draft)
        self.retention.problem()
        self._show_sizing()
        self.completeChanged.emit()

    def _show_sizing(self) -> None:
        try:
            found = sizing(self.context.draft, self._store_path())
        except OSError as error:
            self.estimate.setText("")
            self.verdict.setText(f"The free space could not be read ({error.strerror or error}).")
            return
        self.estimate.setText(estimate_text(found))
        self.verdict.setText(found.sentence)
        self.verdict.setStyleSheet(f"color: {VERDICT_COLOURS[found.verdict]};")

    def isComplete(self) -> bool:
        draft = self.context.draft
        return (
            retention_problem(draft.retention_months, draft.hot_days, draft.retention_reason)
            is None
        )


def estimate_text(found: Sizing) -> str:
    """The volume and where it goes, in one sentence."""
    if found.events_per_day == 0:
        return "No devices were counted in step 1, so there is nothing to estimate yet."
    archived = (
        f" and {counted(found.archive_days, 'day')} in the archive "
        f"({size_text(found.archive_bytes)})"
        if found.archive_days
        else ""
    )
    return (
        f"About {counted(found.events_per_day, 'event')} a day: "
        f"{counted(found.hot_days, 'day')} in the store ({size_text(found.store_bytes)})"
        f"{archived}."
    )
