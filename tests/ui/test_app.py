"""Starting the window: what loading the settings had to say is shown once."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox

from watchkeeper.core import paths
from watchkeeper.core import settings as settings_file
from watchkeeper.ui.app import _show_notices
from watchkeeper.ui.main_window import MainWindow


def test_a_damaged_settings_file_is_said_once_in_the_window(
    make_window: Callable[..., MainWindow],
) -> None:
    path = paths.config_dir() / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00\x01binary")
    settings_file.take_notices()
    window = make_window(settings_file.load())
    _show_notices(window, settings_file.take_notices())
    (box,) = [b for b in window.findChildren(QMessageBox) if b.objectName() == "settingsNotice"]
    assert box.isVisible() and "settings.json.damaged" in box.text()
    box.close()
    _show_notices(window, settings_file.take_notices())
    assert not [
        b
        for b in window.findChildren(QMessageBox)
        if b.objectName() == "settingsNotice" and b.isVisible()
    ]
