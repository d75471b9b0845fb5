"""Starting the window: the Qt application, the store, and the error path."""

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

    from PySide6.QtWidgets import QApplication, QMessageBox

    from watchkeeper.storage.store import Store
    from watchkeeper.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(paths.APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(paths.APP_NAME)
    try:
        store = Store(args.db or paths.default_db_path())
    except WatchkeeperError as error:
        QMessageBox.critical(None, error.title, error.message)
        return 1
    window = MainWindow(store)
    window.show()
    code = app.exec()
    store.close()
    return int(code)
