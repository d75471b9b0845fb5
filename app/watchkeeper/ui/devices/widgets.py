"""Small widgets the Devices view's dialogs share: labels and tables of plain text."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from watchkeeper.core.printable import printable


def text_table(headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return table


def fill_table(
    table: QTableWidget, rows: Sequence[Sequence[str]], colours: Sequence[str | None] = ()
) -> None:
    """Rows of plain text; a column's colour (if any) for the second cell of each row."""
    table.setRowCount(len(rows))
    for number, values in enumerate(rows):
        for column, value in enumerate(values):
            item = QTableWidgetItem(printable(value))
            item.setToolTip(printable(value) if len(value) > 30 else "")
            if column == 1 and number < len(colours) and colours[number]:
                item.setForeground(QColor(str(colours[number])))
            table.setItem(number, column, item)
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    for column in range(table.columnCount() - 1):
        header.resizeSection(column, min(header.sectionSize(column), 320))
