"""Changing the policy's thresholds in the app: kept in the settings, over the policy file."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.compliance.policy import CHECKS, Policy


def threshold_keys(policy: Policy) -> list[tuple[str, str, float, str]]:
    """(settings key, label, the policy file's value, unit) of every enabled check's threshold."""
    keys = []
    for check in policy.enabled:
        for param, value in check.params.items():
            unit = CHECKS[check.name].params[param][1]
            words = param.removeprefix("max_").replace("_", " ")
            label = (
                f"{check.title}, at most"
                if len(check.params) == 1
                else f"{check.title}, {words} at most"
            )
            keys.append((f"{check.name}.{param}", label, float(value), unit))
    return keys


class ThresholdsForm(QWidget):
    """One box per threshold, starting at the value in force; in the dialog and in Settings."""

    def __init__(
        self, base: Policy, current: dict[str, float], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._base = {key: value for key, _, value, _ in threshold_keys(base)}
        self.boxes: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        for key, label, value, unit in threshold_keys(base):
            box = QDoubleSpinBox()
            box.setDecimals(0 if value == int(value) else 1)
            box.setRange(1, 10_000)
            box.setSuffix(f" {unit}")
            box.setMaximumWidth(180)
            box.setToolTip(f"The policy file says {value:g} {unit}")
            self.boxes[key] = box
            form.addRow(label, box)
        self.load(current)

    def load(self, current: dict[str, float]) -> None:
        for key, box in self.boxes.items():
            box.setValue(current.get(key, self._base[key]))

    def reset(self) -> None:
        self.load({})

    def chosen(self) -> dict[str, float]:
        """The thresholds that differ from the policy file: what the settings keep."""
        return {
            key: box.value() for key, box in self.boxes.items() if box.value() != self._base[key]
        }


class ThresholdsDialog(QDialog):
    """The thresholds form; OK keeps those that differ from the policy file."""

    def __init__(
        self, base: Policy, current: dict[str, float], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compliance thresholds")
        self.form = ThresholdsForm(base, current)
        self.boxes = self.form.boxes
        note = QLabel(
            "Changes are kept in your settings; the policy file stays as shipped. "
            "An exception for one device is made on its device page."
        )
        note.setWordWrap(True)
        note.setObjectName("muted")
        reset = QPushButton("Use the policy's values")
        reset.clicked.connect(self.reset)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(note)
        layout.addWidget(reset)
        layout.addWidget(buttons)

    def reset(self) -> None:
        self.form.reset()

    def chosen(self) -> dict[str, float]:
        return self.form.chosen()
