"""Tuning dialogs: suppress or disable a rule with a reason, list and undo suppressions, and
choose the rule folders."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.text import counted
from watchkeeper.storage.hits import Suppression
from watchkeeper.ui.labels import plain_label
from watchkeeper.ui.rows_model import Column, RowsModel, fit_columns, make_table

if TYPE_CHECKING:
    from watchkeeper.detection.rules import LoadProblem

_INTRO = {
    "rule": "Stop running “{title}” and hide its hits. They stay in the store: undoing this "
    "in Detection ▸ Suppressions brings them back.",
    "host": "Hide the hits of “{title}” on one host, now and in future. Undo it in "
    "Detection ▸ Suppressions.",
    "user": "Hide the hits of “{title}” for one user, now and in future. Undo it in "
    "Detection ▸ Suppressions.",
    "field": "Hide the hits of “{title}” on events where a field has one value, now and in "
    "future. Undo it in Detection ▸ Suppressions.",
}
_TITLES = {
    "rule": "Disable rule",
    "host": "Suppress for a host",
    "user": "Suppress for a user",
    "field": "Suppress for a field value",
}
_VALUE_LABELS = {"host": "Host:", "user": "User:", "field": "Value:"}
_REASON_HINT = "A reason is required: whoever reads the suppressions later needs to know why."


class SuppressDialog(QDialog):
    """Asks what to suppress (a host, user or field value of the rule's hits) and why."""

    field_chosen = Signal(str)  # the view answers with the field's values (set_values)

    def __init__(
        self,
        kind: str,
        rule_title: str,
        values: Sequence[str] = (),
        fields: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        assert kind in _TITLES
        self.kind = kind
        self.setWindowTitle(_TITLES[kind])
        self.setMinimumWidth(520)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.field = QComboBox()
        self.field.setEditable(True)
        self.field.addItems(list(fields))
        self.field.setToolTip("The fields the rule looks at come first; type any other field")
        self.value = QComboBox()
        self.value.setEditable(True)
        self.value.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.value.setMinimumContentsLength(30)
        self.set_values([(v, 0) for v in values])
        if kind == "field":
            form.addRow("Field:", self.field)
            self.field.currentTextChanged.connect(self._on_field_text_changed)
        if kind != "rule":
            form.addRow(_VALUE_LABELS[kind], self.value)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why? For example: the backup server does this every night")
        form.addRow("Reason:", self.reason)
        self.hint = plain_label(_REASON_HINT, muted=True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Disable rule" if kind == "rule" else "Suppress")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(_INTRO[kind].format(title=rule_title)))
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.reason.textChanged.connect(self._update_ok)
        self.value.currentTextChanged.connect(self._update_ok)
        self.field.currentTextChanged.connect(self._update_ok)
        self._update_ok()
        (self.reason if kind == "rule" else self.value).setFocus()

    def set_values(self, values: Sequence[tuple[str, int]]) -> None:
        """Offer these values (with how many hits carry each), keeping what was typed."""
        typed = self.value.currentText()
        self.value.clear()
        for value, count in values:
            self.value.addItem(
                f"{value}" if not count else f"{value}  ({counted(count, 'hit')})", value
            )
        self.value.setCurrentIndex(-1 if typed else 0)
        if typed:
            self.value.setEditText(typed)

    def chosen_value(self) -> str:
        index = self.value.currentIndex()
        text = self.value.currentText()
        if index >= 0 and text == self.value.itemText(index):
            return str(self.value.itemData(index) or text).strip()
        return text.strip()

    def chosen_field(self) -> str:
        return self.field.currentText().strip()

    def chosen_reason(self) -> str:
        return self.reason.text().strip()

    def accept(self) -> None:
        if self.ok_button.isEnabled():
            super().accept()

    def _update_ok(self, *_: object) -> None:
        ready = bool(self.chosen_reason())
        if self.kind != "rule":
            ready = ready and bool(self.chosen_value())
        if self.kind == "field":
            ready = ready and bool(self.chosen_field())
        self.ok_button.setEnabled(ready)

    def _on_field_text_changed(self, text: str) -> None:
        self.value.setEditText("")
        self.field_chosen.emit(text.strip())


SUPPRESSION_COLUMNS = (
    Column("Rule", lambda s: s.title or s.rule_id),
    Column("Hides", lambda s: s.describe()),
    Column("Added", lambda s: s.created),
    Column("Reason", lambda s: s.reason),  # last: it stretches, reasons are sentences
)


class SuppressionsDialog(QDialog):
    """Every suppression and disabled rule, with why and when; Undo removes one."""

    undo_requested = Signal(int)  # a suppression's id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Suppressions")
        self.resize(1000, 420)
        self.model = RowsModel(SUPPRESSION_COLUMNS)
        self.table = make_table(self.model)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.summary = plain_label("")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip(
            "Remove the suppression: its hits show again, and a disabled rule runs again"
        )
        self.undo_button.clicked.connect(self._on_undo_clicked)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.undo_button)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self._update_buttons()

    def set_suppressions(self, suppressions: Sequence[Suppression], utc: bool) -> None:
        self.model.utc = utc
        self.model.set_rows(list(suppressions))
        fit_columns(self.table, widest=280)
        count = len(suppressions)
        self.summary.setText(
            "Nothing is suppressed and no rule is disabled."
            if not count
            else f"{counted(count, 'suppression')}. Hidden hits stay in the store; "
            "Undo shows them again."
        )
        if count:
            self.table.selectRow(0)
        self._update_buttons()

    def selected(self) -> Suppression | None:
        rows = self.table.selectionModel().selectedRows()
        found = self.model.row_object(rows[0].row()) if rows else None
        return found if isinstance(found, Suppression) else None

    def _update_buttons(self, *_: object) -> None:
        self.undo_button.setEnabled(self.selected() is not None)

    def _on_undo_clicked(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.undo_requested.emit(chosen.id)


class RuleFoldersDialog(QDialog):
    """The folders of Sigma rules that run besides the shipped ones."""

    def __init__(
        self,
        shipped: Path,
        folders: Sequence[str],
        rules_loaded: int | None,
        problems: Sequence[LoadProblem],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rule folders")
        self.resize(720, 440)
        self._original = list(folders)
        intro = plain_label(
            "Sigma rules in these folders (and their subfolders) run after every import, "
            "whole. SigmaHQ's rules ship with Watchkeeper; add your own rules here."
        )
        self.list = QListWidget()
        shipped_item = QListWidgetItem(
            f"{shipped}  (shipped: Watchkeeper's own rules, and SigmaHQ's through "
            "Detection ▸ Rule profile)"
        )
        shipped_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.list.addItem(shipped_item)
        for folder in folders:
            self.list.addItem(folder)
        self.list.currentRowChanged.connect(self._update_buttons)
        add = QPushButton("Add folder…")
        add.clicked.connect(self._on_add_clicked)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        side = QVBoxLayout()
        side.addWidget(add)
        side.addWidget(self.remove_button)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(side)
        if rules_loaded is None:
            loaded = "The rules have not run since Watchkeeper started."
        else:
            loaded = f"The last run loaded {counted(rules_loaded, 'rule')}"
            loaded += f"; {len(problems):,} could not be used:" if problems else "."
        self.loaded = plain_label(loaded, muted=True)
        self.problems = QListWidget()
        self.problems.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for problem in list(problems)[:500]:
            self.problems.addItem(f"{Path(problem.path).name}: {problem.reason}")
            self.problems.item(self.problems.count() - 1).setToolTip(problem.path)
        self.problems.setVisible(bool(problems))
        self.problems.setMaximumHeight(120)
        self.hunt = QCheckBox("Run the rules over every event again when I press OK")
        self.hunt.setToolTip("New rules otherwise see only events imported from now on")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row, 1)
        layout.addWidget(self.loaded)
        layout.addWidget(self.problems)
        layout.addWidget(self.hunt)
        layout.addWidget(buttons)
        self._update_buttons()

    def folders(self) -> list[str]:
        return [self.list.item(n).text() for n in range(1, self.list.count())]

    @property
    def changed(self) -> bool:
        return self.folders() != self._original

    def add_folder(self, folder: str) -> None:
        if folder and folder not in self.folders():
            self.list.addItem(folder)
            self.list.setCurrentRow(self.list.count() - 1)
        self._update_buttons()

    def _on_add_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Add a folder of Sigma rules", str(Path.home())
        )
        if folder:
            self.add_folder(str(Path(folder)))

    def _on_remove_clicked(self) -> None:
        row = self.list.currentRow()
        if row >= 1:
            self.list.takeItem(row)
        self._update_buttons()

    def _update_buttons(self, *_: object) -> None:
        self.remove_button.setEnabled(self.list.currentRow() >= 1)
        if self.changed and not self.hunt.isChecked():
            self.hunt.setChecked(True)  # new rules should see the events already here
