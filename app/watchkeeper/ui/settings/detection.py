"""Settings ▸ Detection: which of SigmaHQ's rules run, the user's rule folders, and the
values of Sigma placeholders."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFileDialog,
    QGridLayout,
    QHeaderView,
    QListWidget,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.settings import Settings
from watchkeeper.ui.hits.rule_sets import PROFILE_CHOICES
from watchkeeper.ui.settings.checks import placeholder_problem, split_values
from watchkeeper.ui.settings.page import ERROR_COLOUR, SettingsPage, group, note

ERROR_BRUSH = QBrush(QColor(ERROR_COLOUR))


class DetectionPage(SettingsPage):
    title = "Detection"

    def __init__(self, shipped: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profiles = QButtonGroup(self)
        profile_box = group("Rule profile (SigmaHQ's rules)")
        for number, (key, text, what) in enumerate(PROFILE_CHOICES):
            button = QRadioButton(f"{text}: {what}")
            button.setProperty("profile", key)
            self.profiles.addButton(button, number)
            profile_box.layout().addWidget(button)  # type: ignore[union-attr]
        self.profiles.idToggled.connect(lambda _id, on: self.edited.emit() if on else None)
        self.folders = QListWidget()
        self.folders.setMaximumHeight(110)
        self.folders.setToolTip(f"Besides the shipped rules in {shipped}")
        add = QPushButton("A&dd folder…")
        add.clicked.connect(self._on_add_clicked)
        self.remove_folder = QPushButton("Re&move folder")
        self.remove_folder.clicked.connect(self._on_remove_folder_clicked)
        folders = QGridLayout()
        folders.addWidget(self.folders, 0, 0, 3, 1)
        folders.addWidget(add, 0, 1)
        folders.addWidget(self.remove_folder, 1, 1)
        folders_box = group(
            "Your rule folders",
            note("Sigma rules in these folders (and their subfolders) run after every import."),
            folders,
        )
        self.placeholders = QTableWidget(0, 2)
        self.placeholders.setHorizontalHeaderLabels(["Placeholder", "Values, separated by commas"])
        self.placeholders.verticalHeader().setVisible(False)
        self.placeholders.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.placeholders.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.placeholders.setMaximumHeight(140)
        self.placeholders.itemChanged.connect(self.edited)
        add_placeholder = QPushButton("Add &placeholder")
        add_placeholder.clicked.connect(lambda: self.add_placeholder("", ""))
        remove_placeholder = QPushButton("Remove p&laceholder")
        remove_placeholder.clicked.connect(self._on_remove_placeholder_clicked)
        buttons = QGridLayout()
        buttons.addWidget(self.placeholders, 0, 0, 3, 1)
        buttons.addWidget(add_placeholder, 0, 1)
        buttons.addWidget(remove_placeholder, 1, 1)
        placeholders_box = group(
            "Placeholders",
            note(
                "Rules with %name% and the expand modifier match these values, such as "
                "admins: alice, bob."
            ),
            buttons,
        )
        layout = QVBoxLayout(self)
        layout.addWidget(profile_box)
        layout.addWidget(folders_box)
        layout.addWidget(placeholders_box)
        layout.addWidget(
            note(
                "Changed rules run on new events; Detection ▸ Hunt again runs them "
                "over the events already here."
            )
        )
        layout.addStretch(1)

    # editing ------------------------------------------------------------------------------

    def _on_add_clicked(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Add a folder of Sigma rules")
        if chosen:
            self.add_folder(chosen)

    def add_folder(self, folder: str) -> None:
        if folder and folder not in self.folder_list():
            self.folders.addItem(folder)
            self.edited.emit()

    def _on_remove_folder_clicked(self) -> None:
        row = self.folders.currentRow()
        if row >= 0:
            self.folders.takeItem(row)
            self.edited.emit()

    def add_placeholder(self, name: str, values: str) -> None:
        row = self.placeholders.rowCount()
        self.placeholders.insertRow(row)
        name_item = QTableWidgetItem(name)
        self.placeholders.setItem(row, 0, name_item)
        self.placeholders.setItem(row, 1, QTableWidgetItem(values))
        if not name:
            self.placeholders.editItem(name_item)
        self.edited.emit()

    def _on_remove_placeholder_clicked(self) -> None:
        for row in sorted({i.row() for i in self.placeholders.selectedIndexes()}, reverse=True):
            self.placeholders.removeRow(row)
        self.edited.emit()

    def folder_list(self) -> list[str]:
        return [self.folders.item(n).text() for n in range(self.folders.count())]

    def _placeholder_rows(self) -> list[tuple[QTableWidgetItem | None, str, list[str]]]:
        rows = []
        for row in range(self.placeholders.rowCount()):
            name, values = self.placeholders.item(row, 0), self.placeholders.item(row, 1)
            rows.append(
                (
                    name,
                    name.text().strip() if name else "",
                    split_values(values.text() if values else ""),
                )
            )
        return rows

    # values -------------------------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        for button in self.profiles.buttons():
            button.setChecked(button.property("profile") == settings.rule_profile)
        self.folders.clear()
        self.folders.addItems(settings.rule_folders)
        self.placeholders.setRowCount(0)
        for name, values in sorted(settings.placeholders.items()):
            self.add_placeholder(name, ", ".join(values))

    def problems(self) -> list[str]:
        found: list[str] = []
        seen: set[str] = set()
        blocked = self.placeholders.blockSignals(True)  # marking a cell is no edit
        for item, name, values in self._placeholder_rows():
            problem = placeholder_problem(name, values)
            if problem is None and name in seen:
                problem = f"The placeholder {name} is listed twice; keep one."
            seen.add(name)
            if item is not None:
                item.setForeground(self.palette().text() if problem is None else ERROR_BRUSH)
                item.setToolTip(problem or "")
            if problem:
                found.append(problem)
        self.placeholders.blockSignals(blocked)
        return found

    def store(self, settings: Settings) -> None:
        checked = self.profiles.checkedButton()
        if checked is not None:
            settings.rule_profile = str(checked.property("profile"))
        settings.rule_folders = self.folder_list()
        settings.placeholders = {name: values for _, name, values in self._placeholder_rows()}
