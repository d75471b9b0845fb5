"""The status bar as the one owner of the status line: messages, what is running, and news.

QStatusBar paints a temporary message over its normal widgets, and a widget shown while a
message is up (the busy indicator, during an import) is drawn on top of the text. Here the
message is a label laid out beside the busy indicator, so neither can cover the other.
Several parts of the window have something to say; each message comes with a priority and a
time to live, and the line shows the most important one still current (the newest of equals),
so routine news never pushes a warning off the line. `showMessage`, `clearMessage` and
`currentMessage` keep Qt's meaning, so callers need not know.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from functools import partial

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStatusBar,
    QWidget,
)

from watchkeeper.core.text import counted
from watchkeeper.ui.tasks import Task, TaskRunner

SHOWN_MS = 15_000  # how long a message stays, unless told


class Priority(IntEnum):
    """Which message has the line when several are current."""

    ROUTINE = 0  # background news that repeats (forwarded logs loaded, nothing found)
    NEWS = 1  # what the user did and what came of it (an import, rule hits, a suppression)
    WARNING = 2  # something needs the user's attention (silent sources, a failed run)


class ElidedLabel(QLabel):
    """One line of plain text that ends in "…" when it does not fit; the whole in its tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        # as wide as its text while there is room; shorter, with "…", only when there is not
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

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
        shown = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.setPen(self.palette().windowText().color())
        painter.drawText(
            rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown
        )


class BusyIndicator(QWidget):
    """What the runner is doing (its jobs' titles, or the one job's stage and count), and Cancel."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self.label = ElidedLabel("")  # a long stage name shortens; the window never grows
        self.label.setMinimumWidth(80)
        bar = QProgressBar()
        bar.setRange(0, 0)
        bar.setMaximumWidth(120)
        bar.setMaximumHeight(14)
        cancel = QPushButton("Cancel")
        cancel.setToolTip("Stop what is running in the background")
        cancel.clicked.connect(runner.cancel_all)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(bar)
        row.addWidget(cancel)
        self.hide()
        runner.busy_changed.connect(self._on_runner_busy_changed)
        runner.task_progressed.connect(self._on_runner_task_progressed)

    def _on_runner_busy_changed(self, _busy: bool) -> None:
        titles = {task.title for task in self._runner.tasks if not task.quiet}
        self.setVisible(bool(titles))
        if titles:
            self.label.setText(", ".join(sorted(titles)) + "…")

    def _on_runner_task_progressed(self, task: Task) -> None:
        state = task.state
        # what is counted is said: records read or written at this stage, not events stored
        stage = f" · {state.stage}" if state.stage and state.stage != task.title else ""
        self.label.setText(
            task.title + stage + (f": {counted(state.records, 'record')}" if state.records else "…")
        )


class StatusLine(QStatusBar):
    """Messages on the left, then what is running, then the permanent widgets."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = ElidedLabel()
        self.message.setObjectName("statusMessage")
        self._messages: dict[Priority, str] = {}
        self._timers: dict[Priority, QTimer] = {}
        for priority in Priority:
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(partial(self._on_message_expired, priority))
            self._timers[priority] = timer
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

    def follow(self, runner: TaskRunner) -> BusyIndicator:
        """Show what `runner` is doing, with a Cancel button, after the message."""
        busy = BusyIndicator(runner)
        self.set_busy_widget(busy)
        return busy

    def add_link(self, on_click: Callable[[], object]) -> QPushButton:
        """A permanent piece of news that opens its view when clicked; hidden until it has text."""
        link = QPushButton("")
        link.setFlat(True)
        link.setCursor(Qt.CursorShape.PointingHandCursor)
        link.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        link.setMinimumWidth(60)  # a narrow window clips it rather than growing
        link.clicked.connect(lambda: on_click())
        link.hide()
        self.addPermanentWidget(link)
        return link

    def add_text(self) -> QLabel:
        """A permanent label of plain text at the right end."""
        label = QLabel("")
        label.setTextFormat(Qt.TextFormat.PlainText)
        self.addPermanentWidget(label)
        return label

    def say(self, text: str, priority: Priority = Priority.NEWS, timeout: int = SHOWN_MS) -> None:
        """Put `text` on the line for `timeout` ms (0: until replaced), unless something more
        important is up; it shows when that goes, if its own time is not up by then."""
        self._messages[priority] = text
        timer = self._timers[priority]
        if timeout:
            timer.start(timeout)
        else:
            timer.stop()
        self._show(self.currentMessage())

    def unsay(self, text: str, priority: Priority) -> None:
        """Take `text` off the line, if it is still what `priority` has to say."""
        if self._messages.get(priority) == text:
            self._timers[priority].stop()
            self._on_message_expired(priority)

    def showMessage(self, text: str, timeout: int | None = 0) -> None:
        self.say(text, Priority.NEWS, timeout or 0)

    def clearMessage(self) -> None:
        for timer in self._timers.values():
            timer.stop()
        self._messages.clear()
        self._show("")

    def currentMessage(self) -> str:
        for priority in sorted(self._messages, reverse=True):
            if self._messages[priority]:
                return self._messages[priority]
        return ""

    def show_tip(self, tip: str) -> None:
        """A menu's or button's status tip while it is hovered; the message comes back after."""
        self._show(tip or self.currentMessage())

    def _on_message_expired(self, priority: Priority) -> None:
        self._messages.pop(priority, None)
        self._show(self.currentMessage())

    def _show(self, text: str) -> None:
        self.message.setText(text)
