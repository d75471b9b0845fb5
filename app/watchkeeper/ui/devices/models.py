"""The Devices view's table: one row per device, a cell per check, and its tooltips.

What a row holds, the columns' texts, the filters and the CSV export are Qt-free, in
`compliance.lines`; every text is escaped for a tooltip here.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from watchkeeper.compliance.lines import (
    FIXED_COLUMNS,
    STATUS_WORDS,
    TRAILING_COLUMNS,
    CheckCell,
    Column,
    DeviceLine,
    check_names,
    check_rank,
    check_title,
    time_text,
)
from watchkeeper.core.printable import printable
from watchkeeper.ui import theme

Index = QModelIndex | QPersistentModelIndex
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1  # a check cell's status, for the delegate
STATUS, DEVICE, PLATFORM, OWNER = range(len(FIXED_COLUMNS))
FIRST_CHECK = len(FIXED_COLUMNS)


def status_colour(status: str) -> str:
    colours = theme.current()
    return {
        "pass": colours.series[2],
        "fail": colours.levels["error"],
        "excepted": colours.series[4],
        "unknown": colours.levels["warning"],
    }.get(status, colours.muted)


def check_tooltip(device: DeviceLine, title: str, cell: CheckCell, utc: bool) -> str:
    """Rich text, every value escaped: the verdict, why, the evidence, its source and date."""
    e = html.escape
    lines = [
        f"<b>{e(title)}</b> on {e(printable(device.name))}: "
        f"<b>{STATUS_WORDS.get(cell.status, e(cell.status))}</b>"
    ]
    if cell.reason:
        lines.append(e(printable(cell.reason)))
    if cell.evidence:
        lines.append(f"Evidence: {e(printable(cell.evidence))}")
    said = []
    if cell.source:
        said.append(f"Source: {e(printable(cell.source))}")
    if cell.observed is not None:
        said.append(f"seen {e(time_text(cell.observed, utc))}")
    if said:
        lines.append(" · ".join(said))
    return "<p>" + "<br>".join(lines) + "</p>"


def overall_tooltip(device: DeviceLine, title: Callable[[str], str] = check_title) -> str:
    failing = [title(name) for name, cell in device.checks.items() if cell.status == "fail"]
    unknown = [title(name) for name, cell in device.checks.items() if cell.status == "unknown"]
    lines = [
        f"<b>{html.escape(printable(device.name))}</b>: "
        f"{STATUS_WORDS.get(device.status, html.escape(device.status))}"
    ]
    if failing:
        lines.append("Fails: " + html.escape(", ".join(failing)))
    if unknown:
        lines.append("Not known: " + html.escape(", ".join(unknown)))
    lines.append("Double-click for the device page")
    return "<p>" + "<br>".join(lines) + "</p>"


class DevicesModel(QAbstractTableModel):
    """The devices of the last load and filter, with a column per check."""

    def __init__(self, utc: bool = False) -> None:
        super().__init__()
        self._rows: list[DeviceLine] = []
        self._checks: list[str] = []
        self._titles: dict[str, tuple[str, str]] = {}  # check -> (heading, title)
        self.utc = utc
        self._sort: tuple[int, Qt.SortOrder] | None = None

    # reading ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else (FIRST_CHECK + len(self._checks) + len(TRAILING_COLUMNS))

    @property
    def checks(self) -> list[str]:
        return list(self._checks)

    @property
    def rows(self) -> list[DeviceLine]:
        return list(self._rows)

    def row_object(self, row: int) -> DeviceLine | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, device_id: str) -> int | None:
        for number, line in enumerate(self._rows):
            if line.device_id == device_id:
                return number
        return None

    def column_of(self, check: str) -> int | None:
        return FIRST_CHECK + self._checks.index(check) if check in self._checks else None

    def check_at(self, column: int) -> str | None:
        number = column - FIRST_CHECK
        return self._checks[number] if 0 <= number < len(self._checks) else None

    def column_at(self, column: int) -> Column | None:
        """The device column at `column`; None for a check's."""
        if column < FIRST_CHECK:
            return FIXED_COLUMNS[column]
        trailing = column - FIRST_CHECK - len(self._checks)
        return TRAILING_COLUMNS[trailing] if 0 <= trailing < len(TRAILING_COLUMNS) else None

    @property
    def sources_column(self) -> int:
        return FIRST_CHECK + len(self._checks)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        line = self.row_object(index.row()) if index.isValid() else None
        if line is None or not 0 <= index.column() < self.columnCount():
            return None
        column = index.column()
        check = self.check_at(column)
        if check is not None:
            return self._check_data(line, check, role)
        shown = self.column_at(column)
        assert shown is not None
        if role == Qt.ItemDataRole.DisplayRole:
            return shown.text(line, self.utc)
        if role == STATUS_ROLE:
            return line.status if column == STATUS else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == STATUS:
                return overall_tooltip(line, self.title)
            text = shown.text(line, self.utc)
            return f"<p>{html.escape(text)}</p>" if text else None
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS:
            return QColor(status_colour(line.status))
        return None

    def _check_data(self, line: DeviceLine, check: str, role: int) -> Any:
        cell = line.checks.get(check)
        if cell is None:
            cell = CheckCell("n/a", "This check does not apply to this device")
        if role == Qt.ItemDataRole.DisplayRole:
            return STATUS_WORDS.get(cell.status, cell.status)
        if role == STATUS_ROLE:
            return cell.status
        if role == Qt.ItemDataRole.ToolTipRole:
            return check_tooltip(line, self.title(check), cell, self.utc)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(status_colour(cell.status))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        check = self.check_at(section)
        shown = self.column_at(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return self.heading(check) if check is not None else (shown.title if shown else None)
        if role == Qt.ItemDataRole.ToolTipRole:
            if check is not None:
                return f"{self.title(check)}: hover a cell for its evidence"
            return (shown.tooltip or None) if shown else None
        return None

    # changing -----------------------------------------------------------------------------

    def heading(self, check: str) -> str:
        return self._titles.get(check, (check_title(check), ""))[0]

    def title(self, check: str) -> str:
        return self._titles.get(check, ("", check_title(check)))[1]

    def set_rows(
        self,
        rows: Sequence[DeviceLine],
        checks: Sequence[str] = (),
        titles: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        """Show these devices, with a column per check (the policy's order, then others).

        `titles` gives each check a short heading and a full title.
        """
        self.beginResetModel()
        if titles is not None:
            self._titles = dict(titles)
        self._checks = check_names(rows, checks)
        self._rows = self._sorted(list(rows))
        self.endResetModel()

    def set_utc(self, utc: bool) -> None:
        self.utc = utc
        self.repaint()

    def repaint(self) -> None:
        if self._rows and self.columnCount():
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, self.columnCount() - 1)
            )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < self.columnCount():
            self._sort = None
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = [line.device_id for line in self._rows]
        self._rows = self._sorted(self._rows)
        after = {line.device_id: number for number, line in enumerate(self._rows)}
        for index in self.persistentIndexList():
            if 0 <= index.row() < len(before):
                self.changePersistentIndex(
                    index, self.index(after[before[index.row()]], index.column())
                )
        self.layoutChanged.emit()

    def _sorted(self, rows: list[DeviceLine]) -> list[DeviceLine]:
        if self._sort is None or self._sort[0] >= self.columnCount():
            return rows
        column, order = self._sort
        check = self.check_at(column)
        shown = self.column_at(column)
        key: Callable[[DeviceLine], Any] = (
            shown.sort_key if shown is not None else partial(check_rank, check or "")
        )
        return sorted(
            rows,
            key=lambda line: (key(line), line.name.lower(), line.device_id),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
