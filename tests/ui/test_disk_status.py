"""The disk guard in the window: the level and days until full at the right of the status
line, a warning on the line at 80, 90 and 95 %, and a paused import said there too."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from tests.small_disk import SmallDisk, small_disk
from tests.ui.window_helpers import settle, write_auth_log

from watchkeeper.core.disk import DiskUse
from watchkeeper.storage.disk_history import DiskReport
from watchkeeper.storage.store import Store
from watchkeeper.ui.main_window import MainWindow
from watchkeeper.ui.status_line import Priority

MakeWindow = Callable[..., MainWindow]
GB = 1_000_000_000


def _report(percent: int, days: float | None = 12.0) -> DiskReport:
    use = DiskUse(
        Path("/data"), total=500 * GB, used=percent * 5 * GB, free=(100 - percent) * 5 * GB
    )
    return DiskReport(use, stored=2 * GB, archived=GB, days_until_full=days)


def test_the_window_shows_the_disk_and_days_until_full(make_window: MakeWindow) -> None:
    window = make_window()
    text = window.disk_status.label.text()
    assert " % used · full in: not known yet" in text, text  # one sample so far
    assert window.disk_status.label.isVisible()


@pytest.mark.parametrize(
    ("percent", "label", "warning"),
    [
        (85, "Disk nearly full: 85 % used", "imports pause at 90 % full"),
        (92, "Imports paused: disk 92 % used", "imports are paused while it is over 90 %"),
        (97, "Spool only: disk 97 % used", "the collector keeps what it receives in its spool"),
    ],
)
def test_a_warning_at_each_level_until_space_is_freed(
    make_window: MakeWindow, percent: int, label: str, warning: str
) -> None:
    window = make_window()
    status = window.status_line
    window.disk_status.show_report(_report(percent))
    assert window.disk_status.label.text() == f"{label} · full in: about 12 days"
    assert warning in status.currentMessage()
    assert status.currentMessage().startswith("The disk holding /data is ")
    # space freed: the warning goes by itself, and the line says nothing stale
    window.disk_status.show_report(_report(40, None))
    assert window.disk_status.label.text() == "Disk 40 % used · full in: not known yet"
    assert "The disk holding" not in status.currentMessage()


def test_freeing_space_leaves_other_warnings_alone(make_window: MakeWindow) -> None:
    window = make_window()
    window.disk_status.show_report(_report(93))
    window.status_line.say("2 sources are silent: see Sources.", Priority.WARNING)
    window.disk_status.show_report(_report(50))
    assert window.status_line.currentMessage() == "2 sources are silent: see Sources."


def test_the_status_line_with_a_warning_is_readable(
    make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    window.resize(1100, 700)
    window.disk_status.show_report(_report(92, 3.4))
    QApplication.processEvents()
    picture = tmp_path / "status-line.png"
    assert window.statusBar().grab().save(str(picture))
    label = window.disk_status.label
    assert label.isVisible() and label.width() >= label.sizeHint().width()


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    yield from small_disk(tmp_path / "disk")


def test_an_import_paused_in_the_window_is_said_on_the_line(
    qtbot: QtBot, make_window: MakeWindow, disk: SmallDisk, tmp_path: Path
) -> None:
    log = write_auth_log(tmp_path / "auth.log", 30)
    with Store(disk.path / "store.duckdb") as store:
        window = make_window(on=store)
        disk.fill_to(0.92)
        window.import_paths([log])
        settle(qtbot, window)
        message = window.status_line.currentMessage()
        assert message.startswith(f"The disk holding {disk.path} is 9")
        assert "imports are paused" in message
        assert window.last_import is not None and window.last_import.paused
        if window.summary_dialog is not None:
            window.summary_dialog.close()
        disk.free()
        window.disk_status.refresh()
        settle(qtbot, window)
        assert "The disk holding" not in window.status_line.currentMessage()
        window.import_paths([log])
        settle(qtbot, window)
        assert window.last_import is not None and window.last_import.events == 30
