"""One event in full: every field (copyable), where it came from, and the raw record."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.fields import COMMON_COLUMNS
from watchkeeper.core.filterlang import exact_term
from watchkeeper.core.timeparse import shown_time

_RUN = 10  # characters without a space before a line may break
_LONG_RUN = re.compile(rf"\S{{{_RUN + 1},}}")
_ZWSP = "\u200b"
_HIDDEN = {"dedup_key", "raw", "origin_path", "import_id", "record_no"}
FilterAction = Callable[[str], None]  # adds a term to the filter


def breakable(text: str) -> str:
    """Text that wraps anywhere in a long run without spaces (a hash, an encoded command):
    a zero-width space every few characters of such a run, which Qt may break a line at."""
    if len(text) <= _RUN:
        return text
    return _LONG_RUN.sub(
        lambda match: _ZWSP.join(
            match.group(0)[i : i + _RUN] for i in range(0, len(match.group(0)), _RUN)
        ),
        text,
    )


def add_value_actions(
    menu: QMenu,
    name: str,
    value: Any,
    on_filter: FilterAction,
    on_replace: FilterAction,
    copy: bool = True,
) -> None:
    """The right-click actions on a value: filter, exclude, pivot to host or user, copy."""
    if value is None or value == "":
        return
    shown = str(value) if len(str(value)) <= 40 else str(value)[:40] + "…"
    if not isinstance(value, datetime):
        menu.addAction(f"Filter on {name} = {shown}", lambda: on_filter(exact_term(name, value)))
        menu.addAction(
            f"Exclude {name} = {shown}", lambda: on_filter(exact_term(name, value, exclude=True))
        )
    if name in ("host", "username"):
        who = "host" if name == "host" else "user"
        menu.addAction(
            f"Show every event of this {who}", lambda: on_replace(exact_term(name, value))
        )
    if copy:
        menu.addSeparator()
        menu.addAction("Copy value", lambda: QGuiApplication.clipboard().setText(str(value)))


class DetailPane(QWidget):
    """Fields as a two-column table and the raw record; right-click a value to filter on it."""

    def __init__(
        self, on_filter: FilterAction, on_replace: FilterAction, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._on_filter = on_filter
        self._on_replace = on_replace
        self.utc = False
        self.heading = QLabel("Select an event to see every field.")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        self.heading.setObjectName("muted")
        self.fields = QTableWidget(0, 2)
        self.fields.setHorizontalHeaderLabels(["Field", "Value"])
        self.fields.verticalHeader().setVisible(False)
        self.fields.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.fields.horizontalHeader().setStretchLastSection(True)
        self.fields.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.fields.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # whole values, wrapped; rows as tall as their value
        self.fields.setWordWrap(True)
        self.fields.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.fields.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.fields.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.fields.setToolTip(
            "Right-click a value to filter on it or copy it; Ctrl+C copies the selected fields"
        )
        self.fields.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.fields.customContextMenuRequested.connect(self._on_fields_menu)
        copy = QShortcut(QKeySequence.StandardKey.Copy, self.fields)
        copy.setContext(Qt.ShortcutContext.WidgetShortcut)
        copy.activated.connect(self.copy_selected)
        self.raw = QPlainTextEdit()
        self.raw.setReadOnly(True)
        self.raw.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.fields, "Fields")
        self.tabs.addTab(self.raw, "Raw record")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.tabs, 1)
        self._values: list[tuple[str, Any]] = []

    def show_event(self, columns: list[str] | None, row: tuple[Any, ...] | None) -> None:
        if columns is None or row is None:
            self.heading.setText("Select an event to see every field.")
            self.fields.setRowCount(0)
            self.raw.clear()
            self._values = []
            return
        values = dict(zip(columns, row, strict=True))
        origin = values.get("origin_path") or "received"
        record = values.get("record_no")
        self.heading.setText(
            f"Event {values.get('id')} · from {origin}"
            + (f", record {record}" if record is not None else "")
        )
        common = [
            (n, values[n])
            for n in COMMON_COLUMNS
            if n not in _HIDDEN and n != "id" and values.get(n) not in (None, "")
        ]
        original = sorted(
            (
                (n, v)
                for n, v in values.items()
                if n not in COMMON_COLUMNS and n not in _HIDDEN and v not in (None, "")
            ),
            key=lambda item: item[0].lower(),
        )
        self._values = common + original
        self.fields.setRowCount(len(self._values))
        for r, (name, value) in enumerate(self._values):
            text = (
                shown_time(value, self.utc, fraction=True)
                if isinstance(value, datetime)
                else str(value)
            )
            name_item = QTableWidgetItem(name)
            # items are plain text: no markup obeyed
            value_item = QTableWidgetItem(breakable(text))
            self.fields.setItem(r, 0, name_item)
            self.fields.setItem(r, 1, value_item)
        self.raw.setPlainText(str(values.get("raw") or ""))

    def field_names(self) -> list[str]:
        return [name for name, _ in self._values]

    def copy_selected(self) -> None:
        rows = sorted({index.row() for index in self.fields.selectedIndexes()})
        lines = [f"{self._values[r][0]}: {self.value_text(r)}" for r in rows]
        QGuiApplication.clipboard().setText("\n".join(lines))

    def value_text(self, row: int) -> str:
        """A field's whole value as text, as it was stored (times as shown)."""
        value = self._values[row][1]
        return (
            shown_time(value, self.utc, fraction=True)
            if isinstance(value, datetime)
            else str(value)
        )

    def add_copy_actions(self, menu: QMenu, row: int) -> None:
        menu.addAction(
            "Copy value", partial(QGuiApplication.clipboard().setText, self.value_text(row))
        )
        menu.addAction("Copy selected fields", self.copy_selected)

    def _on_fields_menu(self, point: QPoint) -> None:
        row = self.fields.rowAt(point.y())
        if not 0 <= row < len(self._values):
            return
        name, value = self._values[row]
        menu = QMenu(self)
        add_value_actions(menu, name, value, self._on_filter, self._on_replace, copy=False)
        menu.addSeparator()
        self.add_copy_actions(menu, row)
        menu.popup(self.fields.viewport().mapToGlobal(point))
