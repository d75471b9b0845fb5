"""The retention fields (months kept, days in the store, the reason for less than six
months) with the policy's problem said as the user types; in File ▸ Storage and retention
and in Settings."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit, QSpinBox, QWidget

from watchkeeper.core.settings import (
    MAX_RETENTION_MONTHS,
    MIN_RETENTION_MONTHS,
    retention_problem,
)


class Retention(Protocol):
    """What the editor reads and writes: the settings, or the setup wizard's draft plan."""

    retention_months: int
    hot_days: int
    retention_reason: str


class RetentionEditor(QGroupBox):
    """`edited` fires on every change; `problem()` says what is wrong, if anything."""

    edited = Signal()

    def __init__(self, settings: Retention, parent: QWidget | None = None) -> None:
        super().__init__("Retention", parent)
        form = QFormLayout(self)
        self.months = QSpinBox()
        self.months.setRange(1, MAX_RETENTION_MONTHS)
        self.months.setSuffix(" months")
        self.hot_days = QSpinBox()
        self.hot_days.setRange(1, 7300)
        self.hot_days.setSuffix(" days")
        for spin in (self.months, self.hot_days):
            spin.setMaximumWidth(160)
        self.reason = QLineEdit()
        self.reason.setMaxLength(500)
        self.reason.setPlaceholderText(
            "Needed only for less than 6 months, e.g. a contract says so"
        )
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b3261e;")
        form.addRow("Keep events &for:", self.months)
        form.addRow("In the s&tore (fastest to search):", self.hot_days)
        form.addRow("W&hy less than 6 months:", self.reason)
        form.addRow(self.problem_label)
        note = QLabel(
            "Older days move to the archive beside the store, where searches still find them "
            "(a little slower). Days past retention are deleted a day after they are marked, "
            "and you can keep them."
        )
        note.setWordWrap(True)
        form.addRow(note)
        self.load(settings)
        for widget in (self.months, self.hot_days):
            widget.valueChanged.connect(self._on_changed)
        self.reason.textChanged.connect(self._on_changed)

    def _on_changed(self) -> None:
        self.problem()
        self.edited.emit()

    def load(self, settings: Retention) -> None:
        self.months.setValue(settings.retention_months)
        self.hot_days.setValue(settings.hot_days)
        self.reason.setText(settings.retention_reason)
        self.problem()

    def problem(self) -> str | None:
        """The policy's problem in one sentence (shown under the fields), or None."""
        problem = retention_problem(self.months.value(), self.hot_days.value(), self.reason.text())
        self.reason.setEnabled(self.months.value() < MIN_RETENTION_MONTHS)
        self.problem_label.setText(problem or "")
        self.problem_label.setVisible(bool(problem))
        return problem

    def store(self, settings: Retention) -> None:
        settings.retention_months = self.months.value()
        settings.hot_days = self.hot_days.value()
        settings.retention_reason = (
            self.reason.text().strip() if self.months.value() < MIN_RETENTION_MONTHS else ""
        )
