"""The collector's listeners: one row each, ticked with its port, checked as the user types."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QGroupBox, QLabel, QSpinBox, QWidget

from watchkeeper.core.settings import LISTENERS
from watchkeeper.setup.listening import TITLES, port_problems, port_warnings
from watchkeeper.setup.service import current_system

ERROR_STYLE = "color: #b3261e;"
WARNING_STYLE = "color: #8a5300;"


class ListenersBox(QGroupBox):
    """Which listeners run and on which ports; `changed` fires on every edit."""

    changed = Signal()

    def __init__(self, ports: dict[str, int], parent: QWidget | None = None) -> None:
        super().__init__("Listeners and ports", parent)
        self.ticks: dict[str, QCheckBox] = {}
        self.spins: dict[str, QSpinBox] = {}
        grid = QGridLayout(self)
        grid.setColumnStretch(0, 1)
        for row, name in enumerate(TITLES):
            tick = QCheckBox(TITLES[name])
            tick.setToolTip(f"The {name} listener")
            tick.setChecked(name in ports)
            spin = QSpinBox()
            spin.setRange(1, 65535)
            spin.setValue(ports.get(name, LISTENERS[name]))
            spin.setAccessibleName(f"{name} port")
            spin.setEnabled(name in ports)
            tick.toggled.connect(spin.setEnabled)
            tick.toggled.connect(self._on_edit)
            spin.valueChanged.connect(self._on_edit)
            grid.addWidget(tick, row, 0)
            grid.addWidget(spin, row, 1)
            self.ticks[name], self.spins[name] = tick, spin
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(ERROR_STYLE)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        grid.addWidget(self.problem, len(TITLES), 0, 1, 2)
        grid.addWidget(self.warning, len(TITLES) + 1, 0, 1, 2)
        self._on_edit()

    def show_ports(self, ports: dict[str, int]) -> None:
        """Tick exactly these listeners, on these ports."""
        for name, tick in self.ticks.items():
            tick.setChecked(name in ports)
            self.spins[name].setValue(ports.get(name, LISTENERS[name]))

    def ports(self) -> dict[str, int]:
        """The ticked listeners and their ports."""
        return {
            name: self.spins[name].value() for name, tick in self.ticks.items() if tick.isChecked()
        }

    def problems(self) -> list[str]:
        return port_problems(self.ports())

    def _on_edit(self) -> None:
        problems = self.problems()
        self.problem.setText(" ".join(problems))
        self.problem.setVisible(bool(problems))
        warnings = port_warnings(self.ports(), current_system())
        self.warning.setText(" ".join(warnings))
        self.warning.setVisible(bool(warnings))
        self.changed.emit()
