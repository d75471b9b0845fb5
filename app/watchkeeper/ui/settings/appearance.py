"""Settings ▸ Appearance: theme, how times show, the event table's columns, and what the
PDF reports carry (the organisation's name, the paper)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.settings import PAGE_SIZES, Settings
from watchkeeper.ui.explorer.events_model import TITLES
from watchkeeper.ui.settings.checks import MAX_ORGANISATION, organisation_problem
from watchkeeper.ui.settings.page import SettingsPage, group, mark, note

THEMES = (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark"))
TIMES = (("local", "This computer's time zone"), ("utc", "UTC"))
SERIES = (("source", "By source"), ("level", "By level"))


def _combo(options: tuple[tuple[str, str], ...]) -> QComboBox:
    combo = QComboBox()
    for key, text in options:
        combo.addItem(text, key)
    return combo


def _choose(combo: QComboBox, key: str) -> None:
    combo.setCurrentIndex(max(0, combo.findData(key)))


class AppearancePage(SettingsPage):
    title = "Appearance"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = _combo(THEMES)
        self.times = _combo(TIMES)
        self.series = _combo(SERIES)
        form = QFormLayout()
        form.addRow("&Theme:", self.theme)
        form.addRow("Show &times in:", self.times)
        form.addRow("Timeline &bars:", self.series)
        self.columns = QListWidget()
        self.columns.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.columns.setMinimumHeight(260)
        self.columns.setToolTip("Tick the columns to show; drag them into the order you want")
        self.columns.itemChanged.connect(self.edited)
        self.columns.model().rowsMoved.connect(self.edited)
        self.organisation = QLineEdit()
        self.organisation.setMaxLength(MAX_ORGANISATION * 2)  # too long is said, not cut
        self.organisation.setPlaceholderText("Shown in the header of every report")
        self.page_size = QComboBox()
        self.page_size.addItems(list(PAGE_SIZES))
        reports = QFormLayout()
        reports.addRow("&Organisation:", self.organisation)
        reports.addRow("Pa&per:", self.page_size)
        for combo in (self.theme, self.times, self.series, self.page_size):
            combo.currentIndexChanged.connect(self.edited)
        self.organisation.textChanged.connect(self.edited)
        window = group("Window", form)
        columns_row = QHBoxLayout()
        columns_row.addWidget(self.columns, 1)
        columns_row.addWidget(note("Ticked columns show in the Events view, in this order."), 1)
        table = group("Event table columns", columns_row)
        pdf = group("Reports", reports)
        layout = QVBoxLayout(self)
        for box in (window, table, pdf):
            layout.addWidget(box)
        layout.addStretch(1)

    def load(self, settings: Settings) -> None:
        _choose(self.theme, settings.theme)
        _choose(self.times, settings.time_display)
        _choose(self.series, settings.timeline_series)
        self.page_size.setCurrentText(settings.page_size)
        self.organisation.setText(settings.organisation)
        self.columns.clear()
        shown = list(settings.table_columns)
        for name in [*shown, *(n for n in TITLES if n not in shown)]:
            item = QListWidgetItem(TITLES.get(name, name))
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in shown else Qt.CheckState.Unchecked)
            self.columns.addItem(item)

    def chosen_columns(self) -> list[str]:
        chosen = []
        for row in range(self.columns.count()):
            item = self.columns.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                chosen.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return chosen

    def problems(self) -> list[str]:
        found = []
        problem = organisation_problem(self.organisation.text())
        mark(self.organisation, problem)
        if problem:
            found.append(problem)
        if not self.chosen_columns():
            found.append("Tick at least one column for the event table.")
        return found

    def store(self, settings: Settings) -> None:
        settings.theme = self.theme.currentData()
        settings.time_display = self.times.currentData()
        settings.timeline_series = self.series.currentData()
        settings.page_size = self.page_size.currentText()
        settings.organisation = self.organisation.text().strip()
        settings.table_columns = self.chosen_columns()
