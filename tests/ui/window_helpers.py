"""Helpers for tests of the window: log files to import, and waiting for background work."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem
from pytestqt.qtbot import QtBot

from watchkeeper.ui.main_window import MainWindow


def write_auth_log(
    path: Path, lines: int = 60, hosts: tuple[str, ...] = ("web01", "files01"), day: int = 3
) -> Path:
    """An auth.log with failed and accepted SSH logons, spread over a few hours."""
    rows = []
    for n in range(lines):
        host = hosts[n % len(hosts)]
        minute = n % 60
        hour = 8 + (n // 60) % 10
        if n % 3 == 0:
            text = f"sshd[{100 + n}]: Accepted password for bob from 10.0.0.{n % 250} port 22 ssh2"
        else:
            text = (
                f"sshd[{100 + n}]: Failed password for root from 203.0.113.{n % 250} port 22 ssh2"
            )
        rows.append(f"Nov  {day} {hour:02d}:{minute:02d}:{n % 60:02d} {host} {text}")
    path.write_text("\n".join(rows) + "\n")
    return path


def item_at(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    """The item in a cell of a table widget, which must have one."""
    item = table.item(row, column)
    assert item is not None, f"no item at row {row}, column {column}"
    return item


def settle(qtbot: QtBot, window: MainWindow, timeout: int = 60_000) -> None:
    """Wait until the window's background jobs have finished and delivered their results."""
    qtbot.waitUntil(lambda: window.runner.idle, timeout=timeout)


class Watchdog:
    """A 10 ms timer on the GUI thread; the longest gap between its ticks is the worst stall."""

    def __init__(self) -> None:
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.last = time.monotonic()
        self.worst_ms = 0.0
        self.ticks = 0

    def start(self) -> None:
        self.last = time.monotonic()
        self.timer.start()

    def _on_timer_timeout(self) -> None:
        now = time.monotonic()
        self.worst_ms = max(self.worst_ms, (now - self.last) * 1000)
        self.last = now
        self.ticks += 1
