"""The filter bar: the search language, its history, and mistakes shown where they are."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.errors import FilterSyntaxError

PLACEHOLDER = (
    "Filter, e.g.  host:pc-07 event_id:4625   user:alice -source:syslog   "
    '"failed password"   time:>=2026-11-02'
)


class FilterBar(QWidget):
    """An editable combo box over the filter history; Enter submits."""

    submitted = Signal(str)

    def __init__(self, history: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setMaxVisibleItems(15)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        edit = self.combo.lineEdit()
        completer = self.combo.completer()
        assert edit is not None and completer is not None  # an editable combo has both
        self.edit = edit
        edit.setPlaceholderText(PLACEHOLDER)
        edit.setClearButtonEnabled(True)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        edit.returnPressed.connect(self.submit)
        self.combo.activated.connect(lambda _index: self.submit())
        self.set_history(history)
        apply = QPushButton("Apply")
        apply.setToolTip("Apply the filter (Enter)")
        apply.clicked.connect(self.submit)
        clear = QPushButton("Clear")
        clear.setToolTip("Show every event (Esc in the filter)")
        clear.clicked.connect(self.clear)
        self.error = QLabel()
        self.error.setObjectName("filterError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # the message quotes the filter
        self.error.setWordWrap(True)
        self.error.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(apply)
        row.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error)

    @property
    def text(self) -> str:
        return self.combo.currentText().strip()

    def set_text(self, text: str) -> None:
        self.combo.setEditText(text)

    def set_history(self, history: list[str]) -> None:
        current = self.combo.currentText()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems(history)
        self.combo.setEditText(current)
        self.combo.blockSignals(False)

    def submit(self) -> None:
        self.submitted.emit(self.text)

    def clear(self) -> None:
        self.set_text("")
        self.submit()

    def focus(self) -> None:
        self.combo.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def show_error(self, error: FilterSyntaxError) -> None:
        """Say what is wrong and select the part of the filter it is about."""
        self.error.setText(f"{error.message} (at character {error.position + 1})")
        self.error.show()
        edit = self.edit
        end = error.position
        text = edit.text()
        while end < len(text) and not text[end].isspace():
            end += 1
        edit.setFocus()
        edit.setSelection(error.position, max(1, end - error.position))

    def clear_error(self) -> None:
        self.error.hide()
        self.error.clear()
