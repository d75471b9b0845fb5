"""The retention dialog: how long events are kept, and how many days stay in the store.

Less than six months needs a reason; a policy that would lose events too soon, or keep more
days in the store than in all, is said in one sentence and cannot be saved.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core import settings as settings_file
from watchkeeper.core.settings import (
    DAYS_PER_MONTH,
    MAX_RETENTION_MONTHS,
    MIN_RETENTION_MONTHS,
    Settings,
    retention_problem,
)

MAX_REASON = 300


class RetentionDialog(QDialog):
    """Edits a draft of the retention policy; OK only while the draft may be kept."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Retention")
        self.setMinimumWidth(480)
        intro = QLabel(
            f"Events are kept for the months below, then deleted (24 hours after they are "
            f"marked, so a deletion can still be cancelled). The guidance asks for at least "
            f"{MIN_RETENTION_MONTHS} months. The most recent days stay in the store, where "
            "searches are fastest; older days move to the archive beside it."
        )
        intro.setWordWrap(True)
        self.months = QSpinBox()
        self.months.setRange(1, MAX_RETENTION_MONTHS)
        self.months.setSuffix(" months")
        self.months.setValue(settings.retention_months)
        self.hot_days = QSpinBox()
        self.hot_days.setRange(1, MAX_RETENTION_MONTHS * DAYS_PER_MONTH)
        self.hot_days.setSuffix(" days")
        self.hot_days.setValue(settings.hot_days)
        self.reason = QLineEdit(settings.retention_reason)
        self.reason.setMaxLength(MAX_REASON)
        self.reason.setPlaceholderText(f"Needed for less than {MIN_RETENTION_MONTHS} months")
        form = QFormLayout()
        form.addRow("Keep events for", self.months)
        form.addRow("In the store", self.hot_days)
        form.addRow("Why shorter", self.reason)
        self.problem = QLabel("")
        self.problem.setObjectName("filterError")  # the theme's colour for a problem
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.months.valueChanged.connect(self._on_draft_changed)
        self.hot_days.valueChanged.connect(self._on_draft_changed)
        self.reason.textChanged.connect(self._on_draft_changed)
        self._on_draft_changed()

    def chosen(self) -> tuple[int, int, str]:
        """(months, hot days, reason); the reason only when it is needed."""
        months = self.months.value()
        reason = " ".join(self.reason.text().split()) if months < MIN_RETENTION_MONTHS else ""
        return months, self.hot_days.value(), reason

    def _on_draft_changed(self) -> None:
        problem = retention_problem(*self.chosen())
        self.reason.setEnabled(self.months.value() < MIN_RETENTION_MONTHS)
        self.problem.setText(problem or "")
        self.problem.setVisible(problem is not None)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(problem is None)


def edit_retention(
    parent: QWidget, settings: Settings, say: Callable[[str], object]
) -> RetentionDialog:
    """Open the dialog; on OK the policy is saved at once and said on the status line."""
    dialog = RetentionDialog(settings, parent)

    def _on_accepted() -> None:
        months, hot_days, reason = dialog.chosen()
        settings.retention_months, settings.hot_days = months, hot_days
        settings.retention_reason = reason
        settings_file.save(settings)
        say(f"Events are kept for {months} months, {hot_days} days of them in the store.")

    dialog.accepted.connect(_on_accepted)
    dialog.open()
    return dialog
