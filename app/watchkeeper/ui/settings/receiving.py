"""Settings ▸ Receiving: network listening, the listeners and their ports, TLS, the HTTP
token, connections, the heartbeat and how long each source may stay quiet."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.settings import LISTENERS, MAX_HEARTBEAT_MINUTES, Settings
from watchkeeper.ui.settings.checks import LISTENER_TITLES, default_port_text, listener_problems
from watchkeeper.ui.settings.credentials import Credentials
from watchkeeper.ui.settings.page import SettingsPage, group, mark, note
from watchkeeper.ui.settings.secrets_boxes import TlsBox, TokenBox

LOOPBACK_NOTE = (
    "Off: only programs on this computer can send logs (the listeners use 127.0.0.1). "
    "Turn it on to receive from other computers and devices."
)
NETWORK_NOTE = (
    "On: other computers and devices on your network can send logs to this computer. "
    "Allow the ports below in this computer's firewall."
)


class ReceivingPage(SettingsPage):
    title = "Receiving"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.network = QCheckBox("&Listen on the network")
        self.network_note = note(LOOPBACK_NOTE)
        self.network.toggled.connect(self._on_network_toggled)
        self.switches: dict[str, QCheckBox] = {}
        self.ports: dict[str, QLineEdit] = {}
        self.tls = TlsBox()
        self.token = TokenBox()
        layout = QVBoxLayout(self)
        layout.addWidget(group("Network", self.network, self.network_note))
        layout.addWidget(self._listeners_box())
        layout.addWidget(self.tls)
        layout.addWidget(self.token)
        layout.addWidget(self._connections_box())
        layout.addWidget(self._silence_box())
        layout.addStretch(1)
        self.tls.edited.connect(self.edited)

    def _listeners_box(self) -> QWidget:
        grid = QGridLayout()
        for row, name in enumerate(LISTENERS):
            switch = QCheckBox(LISTENER_TITLES[name])
            port = QLineEdit()
            port.setMaximumWidth(90)
            port.setAccessibleName(f"{LISTENER_TITLES[name]} port")
            switch.toggled.connect(port.setEnabled)
            switch.toggled.connect(self.edited)
            port.textChanged.connect(self.edited)
            self.switches[name], self.ports[name] = switch, port
            grid.addWidget(switch, row, 0)
            grid.addWidget(note("port"), row, 1)
            grid.addWidget(port, row, 2)
        grid.setColumnStretch(0, 1)
        return group("Listeners", grid)

    def _connections_box(self) -> QWidget:
        form = QFormLayout()
        self.per_sender = QSpinBox()
        self.per_sender.setRange(1, 10_000)
        self.per_sender.setToolTip("More than this from one address are refused")
        self.idle = QSpinBox()
        self.idle.setRange(1, 7 * 24 * 3600)
        self.idle.setSuffix(" seconds")
        self.idle.setToolTip("A connection with nothing sent for this long is closed")
        self.heartbeat = QSpinBox()
        self.heartbeat.setRange(0, MAX_HEARTBEAT_MINUTES)
        self.heartbeat.setSuffix(" minutes")
        self.heartbeat.setSpecialValueText("Off")
        self.heartbeat.setToolTip("A test event through the collector this often, to prove it")
        for spin in (self.per_sender, self.idle, self.heartbeat):
            spin.setMaximumWidth(180)
            spin.valueChanged.connect(self.edited)
        form.addRow("&Connections per sender:", self.per_sender)
        form.addRow("Close idle connections &after:", self.idle)
        form.addRow("&Heartbeat test event every:", self.heartbeat)
        return group("Connections", form)

    def _silence_box(self) -> QWidget:
        self.intervals = QTableWidget(0, 2)
        self.intervals.setHorizontalHeaderLabels(["Source", "Silent after (minutes)"])
        self.intervals.verticalHeader().setVisible(False)
        self.intervals.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.intervals.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.intervals.setMaximumHeight(130)
        self.remove_interval = QPushButton("&Remove")
        self.remove_interval.setToolTip("The source goes back to the interval learned from it")
        self.remove_interval.clicked.connect(self._on_remove_interval_clicked)
        row = QHBoxLayout()
        row.addWidget(
            note("Set on the Sources view for each source; here they can be changed or removed."),
            1,
        )
        row.addWidget(self.remove_interval)
        return group("How long a source may stay quiet", self.intervals, row)

    # values -------------------------------------------------------------------------------

    def _on_network_toggled(self, on: bool) -> None:
        self.network_note.setText(NETWORK_NOTE if on else LOOPBACK_NOTE)
        self.edited.emit()

    def _on_remove_interval_clicked(self) -> None:
        for row in sorted({i.row() for i in self.intervals.selectedIndexes()}, reverse=True):
            self.intervals.removeRow(row)
        self.edited.emit()

    def show_credentials(self, credentials: Credentials) -> None:
        self.tls.show_fingerprint(credentials)
        self.token.show_token(credentials)

    def load(self, settings: Settings) -> None:
        self.network.setChecked(settings.listen_on_network)
        self._on_network_toggled(settings.listen_on_network)
        for name in LISTENERS:
            self.switches[name].setChecked(name in settings.listeners)
            self.ports[name].setText(default_port_text(settings, name))
            self.ports[name].setEnabled(name in settings.listeners)
        self.tls.load(settings)
        self.per_sender.setValue(settings.connections_per_sender)
        self.idle.setValue(round(settings.connection_idle_seconds))
        self.heartbeat.setValue(settings.heartbeat_minutes)
        self.intervals.setRowCount(0)
        for key, seconds in sorted(settings.source_intervals.items()):
            row = self.intervals.rowCount()
            self.intervals.insertRow(row)
            source = QTableWidgetItem(key)
            source.setFlags(source.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.intervals.setItem(row, 0, source)
            minutes = QDoubleSpinBox()
            minutes.setRange(0.1, 7 * 24 * 60)
            minutes.setDecimals(1)
            minutes.setValue(seconds / 60)
            # an interval not touched keeps its seconds exactly (the box shows tenths of minutes)
            minutes.setProperty("seconds", float(seconds))
            minutes.setProperty("shown", minutes.value())
            minutes.valueChanged.connect(self.edited)
            self.intervals.setCellWidget(row, 1, minutes)

    def chosen_ports(self) -> dict[str, str]:
        return {n: self.ports[n].text() for n in LISTENERS if self.switches[n].isChecked()}

    def problems(self) -> list[str]:
        found = listener_problems(self.chosen_ports())
        for name, port in self.ports.items():
            mark(port, found.get(name))
        return [*found.values(), *self.tls.problems()]

    def store(self, settings: Settings) -> None:
        settings.listen_on_network = self.network.isChecked()
        settings.listeners = {name: int(text) for name, text in self.chosen_ports().items()}
        self.tls.store(settings)
        settings.connections_per_sender = self.per_sender.value()
        settings.connection_idle_seconds = float(self.idle.value())
        settings.heartbeat_minutes = self.heartbeat.value()
        intervals: dict[str, float] = {}
        for row in range(self.intervals.rowCount()):
            source, minutes = self.intervals.item(row, 0), self.intervals.cellWidget(row, 1)
            if source is not None and isinstance(minutes, QDoubleSpinBox):
                untouched = minutes.value() == minutes.property("shown")
                intervals[source.text()] = (
                    float(minutes.property("seconds"))
                    if untouched
                    else round(minutes.value() * 60, 1)
                )
        settings.source_intervals = intervals
