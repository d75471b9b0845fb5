"""Adding an exception: a device let off one check until a date, with a reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.compliance.lines import STATUS_WORDS, DeviceLine, check_title
from watchkeeper.core.printable import printable
from watchkeeper.ui.labels import plain_label

REASON_REQUIRED = "Say why: whoever reads the exceptions later needs to know."
EXPIRY_REQUIRED = "Choose the date the exception ends: none lasts for ever."
EXPIRY_TOO_LATE = "An exception lasts a year at most; choose an earlier date."
MAX_DAYS = 366


class ExceptionDialog(QDialog):
    """Let a device off one check until a date, with a reason: both are required."""

    def __init__(
        self,
        device: DeviceLine,
        checks: Sequence[str],
        today: date,
        parent: QWidget | None = None,
        check: str | None = None,
        titles: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add exception")
        self.setMinimumWidth(520)
        self._today = today
        intro = plain_label(
            f"Let {printable(device.name)} off one check until a date. The "
            "check shows as Excepted, not Fail, until then; afterwards it is "
            "judged again."
        )
        self.check = QComboBox()
        for name in checks:
            cell = device.checks.get(name)
            word = STATUS_WORDS.get(cell.status, cell.status) if cell is not None else "n/a"
            title = (titles or {}).get(name) or check_title(name)
            self.check.addItem(f"{title} ({word})", name)
        if check is not None and self.check.findData(check) >= 0:
            self.check.setCurrentIndex(self.check.findData(check))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("e.g. the vendor's update for this model is due in May")
        self.expires = QDateEdit()
        self.expires.setCalendarPopup(True)
        self.expires.setDisplayFormat("yyyy-MM-dd")
        first = QDate(today.year, today.month, today.day)
        self.expires.setMinimumDate(first)  # the minimum means none chosen yet
        self.expires.setMaximumDate(first.addDays(MAX_DAYS + 1))
        self.expires.setSpecialValueText("Choose a date")
        self.expires.setDate(first)
        self.message = QLabel("")
        self.message.setObjectName("filterError")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Check:", self.check)
        form.addRow("Reason:", self.reason)
        form.addRow("Ends after:", self.expires)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Add exception")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def chosen_check(self) -> str:
        return str(self.check.currentData() or "")

    def chosen_reason(self) -> str:
        return " ".join(self.reason.text().split())

    def chosen_end(self) -> date | None:
        chosen = self.expires.date()
        if chosen == self.expires.minimumDate():
            return None
        return date(chosen.year(), chosen.month(), chosen.day())

    def expires_at(self) -> datetime | None:
        """The end of the chosen day, UTC: the exception holds through that day."""
        end = self.chosen_end()
        if end is None:
            return None
        return datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)

    def problems(self) -> list[str]:
        found = []
        if not self.chosen_check():
            found.append("Choose the check the exception is for.")
        if not self.chosen_reason():
            found.append(REASON_REQUIRED)
        end = self.chosen_end()
        if end is None:
            found.append(EXPIRY_REQUIRED)
        elif (end - self._today).days > MAX_DAYS:
            found.append(EXPIRY_TOO_LATE)
        return found

    def accept(self) -> None:
        found = self.problems()
        self.message.setText(" ".join(found))
        if not found:
            super().accept()
