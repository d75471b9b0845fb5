"""Starting the window: the Qt application, settings, theme, the store and the error path."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFileOpenEvent, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from watchkeeper import __version__
from watchkeeper.core import paths
from watchkeeper.core import settings as settings_file
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.storage.store import Store
from watchkeeper.ui import errors, fonts, theme
from watchkeeper.ui.collecting import CollectorController
from watchkeeper.ui.main_window import MainWindow


class FileOpenFilter(QObject):
    """Imports the files the system asks the running app to open (macOS sends them as events)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QFileOpenEvent) and event.file():
            self._window.import_paths([Path(event.file())])
            return True
        return super().eventFilter(watched, event)


def run_app(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="watchkeeper")
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("paths", nargs="*", type=Path, help="files to import once open")
    args = parser.parse_args(argv)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(paths.APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(paths.APP_NAME)
    app.setWindowIcon(QIcon(str(paths.resources_dir() / "icons" / "watchkeeper.svg")))
    fonts.use_readable_font(app)
    errors.install_hooks()
    settings = settings_file.load()
    theme.apply(app, settings.theme)
    try:
        store = Store(args.db or paths.default_db_path())
    except WatchkeeperError as error:
        QMessageBox.critical(None, error.title, error.message)
        return 1
    window = MainWindow(store, settings)
    app.styleHints().colorSchemeChanged.connect(
        lambda _scheme: (
            window.set_theme(window.settings.theme) if window.settings.theme == "system" else None
        )
    )
    window.show()
    _show_notices(window, settings_file.take_notices())
    app.installEventFilter(FileOpenFilter(window))
    if args.paths:
        window.import_paths(args.paths)
    collecting = CollectorController(
        window,
        store,
        settings,
        window.runner,
        window.imports.forwarded_loaded,
        window.sources_view.set_receiving,
    )
    window.statusBar().showMessage(collecting.start(), 15_000)
    window.set_test_sender(collecting.test_sender())
    app.aboutToQuit.connect(collecting.stop)
    code = app.exec()
    store.close()
    return int(code)


def _show_notices(window: MainWindow, notices: list[str]) -> None:
    """What loading the settings had to say (a damaged file set aside), once, without blocking."""
    if not notices:
        return
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Settings reset",
        "\n\n".join(notices),
        QMessageBox.StandardButton.Ok,
        window,
    )
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setObjectName("settingsNotice")
    box.open()
