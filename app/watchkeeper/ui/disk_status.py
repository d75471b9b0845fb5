"""The disk guard in the window: the disk's level and days until full at the right of the
status line, and a warning on the line itself at 80, 90 and 95 % (never read-only in silence).
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer

from watchkeeper.core.disk import days_text, level_warning, size_text
from watchkeeper.storage.disk_history import DiskReport, disk_report
from watchkeeper.storage.store import Store
from watchkeeper.ui import theme
from watchkeeper.ui.status_line import ElidedLabel, Priority, StatusLine
from watchkeeper.ui.tasks import TaskRunner

CHECK_EVERY_MS = 60_000
_LABELS = {"ok": "Disk", "warn": "Disk nearly full:", "pause": "Imports paused: disk"}


def disk_text(report: DiskReport) -> str:
    """The status line's short form: "Disk 62 % used · full in: about 40 days"."""
    label = _LABELS.get(report.level, "Spool only: disk")
    days = days_text(report.days_until_full)
    return f"{label} {report.use.percent} % used · full in: {days}"


class DiskStatus(QObject):
    """Measures the store's disk now and then (and after imports), off the GUI thread."""

    def __init__(self, store: Store, runner: TaskRunner, status_line: StatusLine) -> None:
        super().__init__(status_line)
        self._store = store
        self._runner = runner
        self._status_line = status_line
        # shortened with "…" (whole in its tooltip) in a narrow window, which never grows for it
        self.label = ElidedLabel()
        self.label.setMinimumWidth(120)
        status_line.addPermanentWidget(self.label)
        self.label.setObjectName("diskStatus")
        self.label.setContentsMargins(12, 0, 4, 0)  # apart from the store's figures before it
        self.warning = ""  # the warning on the line, while there is one
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_EVERY_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def refresh(self, now: datetime | None = None) -> None:
        moment = now or datetime.now(UTC)
        self._runner.run(
            lambda _progress: disk_report(self._store, moment),
            title="Measuring the disk",
            key="disk-status",
            dialog=False,
            quiet=True,
            on_success=self.show_report,
        )

    def show_report(self, report: DiskReport) -> None:
        self.label.setText(disk_text(report))
        self.label.setToolTip(
            f"{disk_text(report)}. The disk holding {report.use.folder}: {report.use.percent} % used, "
            f"{size_text(report.use.free)} free. Imports pause at 90 %; at 95 % the "
            "collector keeps what it receives in its spool."
        )
        alarming = report.level != "ok"
        self.label.setStyleSheet(
            f"color: {theme.current().levels['error']}; font-weight: 600;" if alarming else ""
        )
        warning = level_warning(report.use) or ""
        if self.warning and warning != self.warning:
            self._status_line.unsay(self.warning, Priority.WARNING)
        if warning:
            self._status_line.say(warning, Priority.WARNING, 0)
        self.warning = warning
