"""Starting the window: the Qt application, settings, theme, the store and the error path."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from watchkeeper import __version__
from watchkeeper.core import paths
from watchkeeper.core.errors import WatchkeeperError


def run_app(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="watchkeeper")
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args(argv)

    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication, QMessageBox

    from watchkeeper.core import settings as settings_file
    from watchkeeper.storage.store import Store
    from watchkeeper.ui import errors, theme
    from watchkeeper.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(paths.APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(paths.APP_NAME)
    app.setWindowIcon(QIcon(str(paths.resources_dir() / "icons" / "watchkeeper.svg")))
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
        lambda _scheme: window.set_theme(window.settings.theme)
        if window.settings.theme == "system" else None)
    window.show()
    code = app.exec()
    store.close()
    return int(code)
