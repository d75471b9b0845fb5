"""The status bar as the one owner of the status line: messages and the busy indicator share it.

QStatusBar paints a temporary message over its normal widgets, and a widget shown while a
message is up (the busy indicator, during an import) is drawn on top of the text. Here the
message is a label laid out beside the busy indicator, so neither can cover the other.
`showMessage`, `clearMessage` and `currentMessage` keep Qt's meaning, so callers need not know.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QStatusBar, QWidget


class ElidedLabel(QLabel):
    """One line of plain text that ends in "…" when it does not fit; the whole in its tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    @property
    def elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                              rect.width())
        painter.setPen(self.palette().windowText().color())
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         shown)


class StatusLine(QStatusBar):
    """Messages on the left, then what is running, then the permanent widgets."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = ElidedLabel()
        self.message.setObjectName("statusMessage")
        self._message_text = ""  # the message, under a status tip being shown
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clearMessage)
        self._busy_slot = QHBoxLayout()
        self._busy_slot.setContentsMargins(0, 0, 0, 0)
        left = QWidget()
        row = QHBoxLayout(left)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.message, 1)
        row.addLayout(self._busy_slot)
        super().addWidget(left, 1)

    def set_busy_widget(self, widget: QWidget) -> None:
        """What is running, shown after the message, never over it."""
        self._busy_slot.addWidget(widget)

    def showMessage(self, text: str, timeout: int | None = 0) -> None:
        self._message_text = text
        self.message.setText(text)
        if timeout:
            self._timer.start(timeout)
        else:
            self._timer.stop()

    def clearMessage(self) -> None:
        self._timer.stop()
        self._message_text = ""
        self.message.setText("")

    def currentMessage(self) -> str:
        return self._message_text

    def show_tip(self, tip: str) -> None:
        """A menu's or button's status tip while it is hovered; the message comes back after."""
        self.message.setText(tip or self._message_text)
