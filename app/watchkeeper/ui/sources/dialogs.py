"""The expected-interval dialog: how long a source may stay quiet before it is silent."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.storage.sources import FLOOR_SECONDS, SourceRow
from watchkeeper.ui.sources.models import expected_text, source_name

UNITS = (("minutes", 60.0), ("hours", 3600.0), ("days", 86_400.0))


class IntervalDialog(QDialog):
    """How long a source may stay quiet before it is silent: learned, or the user's choice."""

    def __init__(self, row: SourceRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Expected interval")
        self.setMinimumWidth(460)
        intro = QLabel(
            f"How long may {source_name(row)} stay quiet before it counts as "
            "silent? Late is half of that."
        )
        intro.setTextFormat(Qt.TextFormat.PlainText)  # names are event text
        intro.setWordWrap(True)
        self.learn = QRadioButton("Learn it from the source's rhythm")
        self.fixed = QRadioButton("Silent after")
        choice = QButtonGroup(self)
        choice.addButton(self.learn)
        choice.addButton(self.fixed)
        self.amount = QDoubleSpinBox()
        self.amount.setDecimals(1)
        self.amount.setRange(0.5, 999.0)
        self.unit = QComboBox()
        for name, _seconds in UNITS:
            self.unit.addItem(name)
        if row.expected_from == "set":
            self.fixed.setChecked(True)
            self._show_seconds(row.expected_seconds)
            now = f"Now: {expected_text(row)}."
        else:
            self.learn.setChecked(True)
            self._show_seconds(max(FLOOR_SECONDS, row.expected_seconds))
            now = (
                "Now: "
                + expected_text(row)
                + (
                    ", since it sent too few messages in its last day to learn from."
                    if row.expected_from == "default"
                    else "."
                )
            )
        current = QLabel(now)
        current.setObjectName("muted")
        current.setTextFormat(Qt.TextFormat.PlainText)
        current.setWordWrap(True)
        self.learn.toggled.connect(self._on_choice_toggled)
        fixed_row = QHBoxLayout()
        fixed_row.addWidget(self.fixed)
        fixed_row.addWidget(self.amount)
        fixed_row.addWidget(self.unit)
        fixed_row.addStretch(1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(current)
        layout.addSpacing(6)
        layout.addWidget(self.learn)
        layout.addLayout(fixed_row)
        layout.addSpacing(6)
        layout.addWidget(buttons)
        self._on_choice_toggled(self.learn.isChecked())

    def _show_seconds(self, seconds: float) -> None:
        unit = 0
        for number, (_name, size) in enumerate(UNITS):
            if seconds >= size and (seconds / size) <= self.amount.maximum():
                unit = number
        self.unit.setCurrentIndex(unit)
        self.amount.setValue(seconds / UNITS[unit][1])

    def set_seconds(self, seconds: float) -> None:
        """Choose a fixed interval (as a user would by typing it)."""
        self.fixed.setChecked(True)
        self._show_seconds(seconds)

    def _on_choice_toggled(self, learn: bool) -> None:
        self.amount.setEnabled(not learn)
        self.unit.setEnabled(not learn)

    def seconds(self) -> float | None:
        """The chosen interval, or None to learn it."""
        if self.learn.isChecked():
            return None
        return self.amount.value() * UNITS[self.unit.currentIndex()][1]
