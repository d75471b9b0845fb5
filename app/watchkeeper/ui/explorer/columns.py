"""The event table's columns: their widths and the header menu that picks them."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHeaderView, QMenu, QTableView, QWidget

from watchkeeper.core.fields import PARSED_COLUMNS
from watchkeeper.ui.explorer.events_model import TITLES, EventsModel

# The longest value a narrow column usually holds (a column is as wide as this, or its
# title); free text columns are capped at a sample of a typical length and elided beyond it.
CONTENT_SAMPLES = {
    "time": "2026-12-31 23:59:59",
    "source": "winlogbeat",
    "event_id": "99999",
    "level": "information",
    "pid": "999999",
    "src_port": "65535",
    "dst_port": "65535",
    "src_ip": "255.255.255.255",
    "dst_ip": "255.255.255.255",
    "host": "PC-07.oakfield",
    "username": "administrator",
    "process": "powershell.exe",
    "channel": "Security-Auditing",
    "provider": "Service Control",
}


def size_columns(table: QTableView, model: EventsModel) -> None:
    """Narrow columns as wide as what they hold, the free text ones capped, and Message
    (else the last column) taking the rest, so it is on screen at the window's size.

    Widths come from samples rather than rows: sizing to the rows would read pages of a
    table that may hold millions."""
    header = table.horizontalHeader()
    metrics = table.fontMetrics()
    heading = header.fontMetrics()
    padding = 2 * table.style().pixelMetric(table.style().PixelMetric.PM_HeaderMargin) + 8
    columns = model.columns
    stretch = columns.index("message") if "message" in columns else len(columns) - 1
    header.setStretchLastSection(False)
    for column, name in enumerate(columns):
        if column == stretch:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
            continue
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        sample = CONTENT_SAMPLES.get(name, "an original field")
        title = str(model.headerData(column, Qt.Orientation.Horizontal) or name)
        table.setColumnWidth(
            column,
            max(metrics.horizontalAdvance(sample), heading.horizontalAdvance(title)) + padding,
        )


def column_menu(
    parent: QWidget,
    shown: list[str],
    on_toggled: Callable[[str, bool], None],
    on_add_field: Callable[[], None],
) -> QMenu:
    """A tick per parsed column, then the original fields shown, then a way to add one."""
    menu = QMenu(parent)
    for name in PARSED_COLUMNS:
        action = QAction(TITLES.get(name, name), menu, checkable=True)
        action.setChecked(name in shown)
        action.toggled.connect(partial(on_toggled, name))
        menu.addAction(action)
    extra = [name for name in shown if name not in PARSED_COLUMNS]
    if extra:
        menu.addSeparator()
        for name in extra:
            action = QAction(name, menu, checkable=True)
            action.setChecked(True)
            action.toggled.connect(partial(on_toggled, name))
            menu.addAction(action)
    menu.addSeparator()
    menu.addAction("Add an original field…", on_add_field)
    return menu
