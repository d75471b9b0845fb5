"""A sortable table model over a short list of result rows (overview figures, pivots)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
)
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

from watchkeeper.core.timeparse import shown_time

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Any], Any]
    tooltip: str = ""


def display(value: Any, utc: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, datetime):
        return shown_time(value, utc)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (2, 0)
    if isinstance(value, int | float | datetime):
        return (0, value)
    return (1, display(value, True).lower())


class Heading(Protocol):
    """What a column's heading shows: any of the views' column types."""

    @property
    def title(self) -> str: ...

    @property
    def tooltip(self) -> str: ...


def column_header(
    columns: Sequence[Heading], section: int, orientation: Qt.Orientation, role: int
) -> Any:
    """A table's heading from its columns: the title, and the tooltip that says what it is."""
    if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(columns):
        return None
    if role == Qt.ItemDataRole.DisplayRole:
        return columns[section].title
    if role == Qt.ItemDataRole.ToolTipRole:
        return columns[section].tooltip or None
    return None


class RowsModel(QAbstractTableModel):
    """Rows are any objects; each Column says how to read its value from one."""

    def __init__(self, columns: Sequence[Column], utc: bool = False) -> None:
        super().__init__()
        self._columns = list(columns)
        self._rows: list[Any] = []
        self.utc = utc

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def set_utc(self, utc: bool) -> None:
        self.utc = utc
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(self._columns) - 1)
            )

    def row_object(self, row: int) -> Any:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        value = self._columns[index.column()].value(self._rows[index.row()])
        if role == Qt.ItemDataRole.DisplayRole:
            return display(value, self.utc)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = display(value, self.utc)
            return text if len(text) > 40 else None
        if (
            role == Qt.ItemDataRole.TextAlignmentRole
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return column_header(self._columns, section, orientation, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._columns):
            return
        read = self._columns[column].value
        self.layoutAboutToBeChanged.emit()
        self._rows.sort(
            key=lambda row: _sort_key(read(row)), reverse=order == Qt.SortOrder.DescendingOrder
        )
        self.layoutChanged.emit()


def read_only_table(
    model: QAbstractItemModel,
    row_padding: int = 6,
    stretch_last: bool = True,
    sortable: bool = True,
) -> QTableView:
    """The views' table: whole rows selected one at a time, nothing editable, no grid,
    rows `row_padding` pixels taller than the text, sortable on a click but first shown in
    the order the model gives."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + row_padding)
    table.horizontalHeader().setStretchLastSection(stretch_last)
    table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    table.setSortingEnabled(sortable)
    return table


def table_or_note(table: QTableView, note: str) -> tuple[QStackedWidget, QLabel]:
    """A table, and in its place while it has no rows, a note saying how rows come to be."""
    empty = QLabel(note)
    empty.setObjectName("muted")
    empty.setWordWrap(True)
    empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
    empty.setContentsMargins(24, 36, 24, 0)
    pages = QStackedWidget()
    pages.addWidget(table)
    pages.addWidget(empty)
    return pages, empty


def set_choices(combo: QComboBox, values: list[str]) -> None:
    """A filter's choices: its first item ("Any …") and then `values`, keeping the user's
    choice, even while no row has it, without announcing the change."""
    current = str(combo.currentData() or "")
    anything = combo.itemText(0)
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(anything, "")
    for value in values:
        combo.addItem(value, value)
    if current and current not in values:
        combo.addItem(current, current)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)


def select_row_at(table: QTableView, point: QPoint) -> bool:
    """Select the row under a right-click at `point`; whether there is one."""
    index = table.indexAt(point)
    if not index.isValid():
        return False
    table.selectRow(index.row())
    return True


def draw_cell_background(
    delegate: QStyledItemDelegate,
    painter: QPainter,
    option: QStyleOptionViewItem,
    index: QModelIndex | QPersistentModelIndex,
) -> QStyleOptionViewItem:
    """A cell's background and selection as the style draws them, without its text; the
    cell's style option, for a delegate that paints the rest itself."""
    item = QStyleOptionViewItem(option)
    delegate.initStyleOption(item, index)
    item.text = ""
    widget = item.widget
    style = widget.style() if widget is not None else QApplication.style()
    style.drawControl(QStyle.ControlElement.CE_ItemViewItem, item, painter, widget)
    return item


def make_table(
    model: RowsModel, on_activated: Callable[[Any], None] | None = None, sortable: bool = True
) -> QTableView:
    """A read-only QTableView over a RowsModel; Enter or double-click activates a row."""
    table = read_only_table(model, sortable=sortable)
    if on_activated is not None:
        table.activated.connect(lambda index: on_activated(model.row_object(index.row())))
    return table


def fit_columns(table: QTableView, widest: int = 280) -> None:
    """Columns as wide as their contents and titles, none wider than `widest` pixels."""
    header = table.horizontalHeader()
    for column in range(table.model().columnCount() - 1):  # the last one stretches
        table.resizeColumnToContents(column)
        header.resizeSection(
            column, min(widest, max(header.sectionSize(column), header.sectionSizeHint(column)))
        )
