"""What the window looked like when it closed: its geometry, toolbars, splitters and open view.

Kept in QSettings, in our config folder rather than Qt's default place, apart from the
settings a user chooses.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, QSize
from PySide6.QtWidgets import QMainWindow, QSplitter

from watchkeeper.core import paths

DEFAULT_SIZE = QSize(1360, 860)


def window_settings() -> QSettings:
    """Geometry and layout, in our config folder rather than Qt's default place."""
    path = paths.config_dir() / "window.ini"
    return QSettings(str(path), QSettings.Format.IniFormat)


def restore_window(window: QMainWindow, views: int) -> int | None:
    """Put back the window's geometry and toolbars; the view that was open, if one of `views`."""
    saved = window_settings()
    geometry = saved.value("geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    else:
        window.resize(DEFAULT_SIZE)
    state = saved.value("state")
    if state is not None:
        window.restoreState(state)
    try:
        view = int(saved.value("view", -1))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return view if 0 <= view < views else None


def restore_splitter(splitter: QSplitter, key: str) -> None:
    """Put back a splitter's sizes, as saved under `key`."""
    value = window_settings().value(key)
    if value is not None:
        splitter.restoreState(value)


def save_window(window: QMainWindow, view: int, splitters: dict[str, QSplitter]) -> None:
    """Keep the window's geometry, toolbars, open view and the sizes of `splitters` by key."""
    saved = window_settings()
    saved.setValue("geometry", window.saveGeometry())
    saved.setValue("state", window.saveState())
    for key, splitter in splitters.items():
        saved.setValue(key, splitter.saveState())
    saved.setValue("view", view)
    saved.sync()
