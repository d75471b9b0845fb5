"""The Devices table's check cells: a verdict drawn as a coloured chip, and column widths
that fit the chips."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTableView

from watchkeeper.compliance.lines import STATUS_WORDS
from watchkeeper.ui.devices.models import STATUS, STATUS_ROLE, DevicesModel, status_colour
from watchkeeper.ui.rows_model import draw_cell_background

WIDEST = (None, 170, 90, 150)  # the device columns before the checks, at most
CHECK_WIDTH = 16  # a check column beside its longest word: the chip's padding and a margin


class CheckDelegate(QStyledItemDelegate):
    """Paints a verdict as a coloured chip with its word: pass, fail, unknown, excepted, n/a."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        status = index.data(STATUS_ROLE)
        if not isinstance(status, str):
            super().paint(painter, option, index)
            return
        item = draw_cell_background(self, painter, option, index)
        word = STATUS_WORDS.get(status, status)
        colour = QColor(status_colour(status))
        if status == "n/a":  # quiet: most devices have checks that do not apply
            painter.save()
            painter.setPen(colour)
            painter.drawText(item.rect, int(Qt.AlignmentFlag.AlignCenter), word)
            painter.restore()
            return
        metrics = item.fontMetrics
        width = min(item.rect.width() - 6, metrics.horizontalAdvance(word) + 12)
        height = min(item.rect.height() - 6, metrics.height() + 4)
        left = item.rect.left() + (
            4 if index.column() == STATUS else (item.rect.width() - width) / 2
        )
        chip = QRectF(left, item.rect.top() + (item.rect.height() - height) / 2, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = QColor(colour)
        solid = status in ("fail", "pass")
        fill.setAlpha(230 if solid else 40)
        painter.setBrush(fill)
        painter.setPen(QPen(colour, 1) if not solid else Qt.PenStyle.NoPen)
        painter.drawRoundedRect(chip, height / 2, height / 2)
        painter.setPen(QColor("#ffffff") if solid else colour)
        font = item.font
        font.setBold(status == "fail")
        painter.setFont(font)
        painter.drawText(chip, int(Qt.AlignmentFlag.AlignCenter), word)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width() + 18, hint.height())


def size_columns(table: QTableView, model: DevicesModel) -> None:
    """Check columns as wide as a chip or their heading; the others fit, up to WIDEST."""
    header = table.horizontalHeader()
    metrics = table.fontMetrics()
    chip = max(metrics.horizontalAdvance(word) for word in STATUS_WORDS.values())
    for column in range(model.columnCount()):
        # a check column is as wide as a chip or its heading, whichever is wider
        if model.check_at(column) is not None:
            header.resizeSection(column, max(chip + CHECK_WIDTH, header.sectionSizeHint(column)))
            continue
        table.resizeColumnToContents(column)
        size = max(header.sectionSize(column), header.sectionSizeHint(column))
        widest = WIDEST[column] if column < len(WIDEST) else None
        header.resizeSection(column, size if widest is None else min(size, widest))
