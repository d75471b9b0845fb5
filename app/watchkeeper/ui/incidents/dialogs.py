"""The Incidents view's small dialogs: which incident to add something to, why a status
moves back or how the incident ended, and a note, action or notification to record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.storage.incident_views import Incident
from watchkeeper.storage.incidents import RESOLUTIONS, SEVERITIES, STATUSES
from watchkeeper.ui.incidents.jobs import USUAL_RECIPIENTS
from watchkeeper.ui.labels import plain_label


def severity_combo(tip: str = "How bad it is") -> QComboBox:
    combo = QComboBox()
    for number, word in SEVERITIES.items():
        combo.addItem(f"{number} {word}", number)
    combo.setToolTip(tip)
    return combo


def _buttons(dialog: QDialog, ok_text: str) -> tuple[QDialogButtonBox, QPushButton]:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons, ok


class ChooseIncidentDialog(QDialog):
    """A new incident (its title and severity), or one of the incidents not yet closed."""

    def __init__(
        self,
        what: str,
        incidents: Sequence[Incident],
        title: str = "",
        severity: int = 2,
        ok_text: str = "Add",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(ok_text if ok_text.endswith("incident") else f"{ok_text} to incident")
        self.setMinimumWidth(540)
        self.new = QRadioButton("A new incident")
        self.existing = QRadioButton("An incident already open")
        self.title = QLineEdit(title)
        self.title.setPlaceholderText("What happened, in a few words")
        self.severity = severity_combo()
        self.severity.setCurrentIndex(max(0, self.severity.findData(severity)))
        self.incident = QComboBox()
        for item in incidents:
            self.incident.addItem(f"{item.label} · {item.status} · {item.title}"[:120], item.id)
        self.existing.setEnabled(bool(incidents))
        self.incident.setEnabled(bool(incidents))
        self.new.setChecked(True)
        self.buttons, self.ok_button = _buttons(self, ok_text)
        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("Severity", self.severity)
        layout = QVBoxLayout(self)
        if what:
            layout.addWidget(plain_label(what))
        layout.addWidget(self.new)
        layout.addLayout(form)
        layout.addWidget(self.existing)
        layout.addWidget(self.incident)
        layout.addWidget(self.buttons)
        for signal in (self.new.toggled, self.title.textChanged):
            signal.connect(self._update)
        self._update()
        self.title.setFocus()

    def chosen_incident(self) -> int | None:
        """The incident chosen, or None for a new one."""
        return None if self.new.isChecked() else int(self.incident.currentData())

    def chosen_title(self) -> str:
        return self.title.text().strip()

    def chosen_severity(self) -> int:
        return int(self.severity.currentData())

    def accept(self) -> None:
        if self.ok_button.isEnabled():
            super().accept()

    def _update(self, *_: object) -> None:
        new = self.new.isChecked()
        self.title.setEnabled(new)
        self.severity.setEnabled(new)
        self.ok_button.setEnabled(not new or bool(self.chosen_title()))


class StatusDialog(QDialog):
    """Asks why an incident moves back, and how it ended when it is closed."""

    def __init__(
        self, label: str, old: str, new: str, resolution: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{label}: {new}")
        self.setMinimumWidth(480)
        self.backwards = STATUSES.index(new) < STATUSES.index(old)
        self.closing = new == "closed"
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("For example: the attacker came back on another host")
        self.resolution = QComboBox()
        self.resolution.addItem("Choose how it ended…", "")
        for word in RESOLUTIONS:
            self.resolution.addItem(word.capitalize(), word)
        self.resolution.setCurrentIndex(max(0, self.resolution.findData(resolution)))
        self.buttons, self.ok_button = _buttons(self, f"Mark {new}")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        if self.backwards:
            what = "Reopening" if old == "closed" else f"Moving it back from {old} to {new}"
            layout.addWidget(plain_label(f"{what}: say why. Whoever reads it later needs to know."))
            form.addRow("Reason", self.reason)
        if self.closing:
            layout.addWidget(
                plain_label(
                    "How did it end? True positive: it was an attack. Benign: real, but "
                    "harmless. False positive: the alarm was wrong."
                )
            )
            form.addRow("Resolution", self.resolution)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.reason.textChanged.connect(self._update)
        self.resolution.currentIndexChanged.connect(self._update)
        self._update()

    @staticmethod
    def needed(old: str, new: str) -> bool:
        """Whether moving from `old` to `new` asks something."""
        return new == "closed" or STATUSES.index(new) < STATUSES.index(old)

    def chosen_reason(self) -> str:
        return self.reason.text().strip()

    def chosen_resolution(self) -> str | None:
        return str(self.resolution.currentData() or "") or None

    def accept(self) -> None:
        if self.ok_button.isEnabled():
            super().accept()

    def _update(self, *_: object) -> None:
        ready = (not self.backwards or bool(self.chosen_reason())) and (
            not self.closing or self.chosen_resolution() is not None
        )
        self.ok_button.setEnabled(ready)


_ENTRY_TITLES = {
    "note": ("Add note", "What you found, decided or were told"),
    "action": ("Add action", "What was done: for example, reset bob's password"),
    "notification": ("Add notification", "What was said, a reference number"),
}


class EntryDialog(QDialog):
    """A note, an action taken (what and when) or a notification made (to whom, when)."""

    def __init__(
        self, kind: str, now: datetime, utc: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.utc = utc
        title, hint = _ENTRY_TITLES[kind]
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(hint)
        self.text.setTabChangesFocus(True)
        self.text.setMaximumHeight(120)
        self.recipient = QComboBox()
        self.recipient.setEditable(True)
        self.recipient.addItems(list(USUAL_RECIPIENTS))
        self.recipient.setCurrentIndex(-1)
        line = self.recipient.lineEdit()
        if line is not None:
            line.setPlaceholderText("Whom you told: choose or type")
        self.when = QDateTimeEdit()
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        shown = now.astimezone(UTC) if utc else now.astimezone()
        self.when.setDateTime(QDateTime(shown.replace(tzinfo=None)))
        form = QFormLayout()
        if kind == "notification":
            form.addRow("To", self.recipient)
        if kind != "note":
            form.addRow("When" + (" (UTC)" if utc else ""), self.when)
        form.addRow("Note" if kind == "notification" else "Text", self.text)
        self.buttons, self.ok_button = _buttons(self, title)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.text.textChanged.connect(self._update)
        self.recipient.currentTextChanged.connect(self._update)
        self._update()
        (self.recipient if kind == "notification" else self.text).setFocus()

    def chosen_text(self) -> str:
        return self.text.toPlainText().strip()

    def chosen_recipient(self) -> str | None:
        return self.recipient.currentText().strip() or None if self.kind == "notification" else None

    def chosen_time(self) -> datetime | None:
        if self.kind == "note":
            return None
        when: datetime = self.when.dateTime().toPython()  # type: ignore[assignment]
        return when.replace(tzinfo=UTC) if self.utc else when.astimezone()

    def accept(self) -> None:
        if self.ok_button.isEnabled():
            super().accept()

    def _update(self, *_: object) -> None:
        if self.kind == "notification":
            self.ok_button.setEnabled(bool(self.chosen_recipient()))
        else:
            self.ok_button.setEnabled(bool(self.chosen_text()))
