"""The one path from an exception to the user: a dialog with a title and a sentence.

Tracebacks go to a log file in the user's log folder, never into the dialog.
"""

from __future__ import annotations

import logging
import sys
import threading
from logging.handlers import RotatingFileHandler
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from watchkeeper.core import paths
from watchkeeper.core.errors import WatchkeeperError

log = logging.getLogger("watchkeeper")
LOG_NAME = "watchkeeper.log"


def setup_logging() -> None:
    """Log warnings and errors, with tracebacks, to a rotating file in the log folder."""
    if any(isinstance(h, RotatingFileHandler) for h in log.handlers):
        return
    folder = paths.log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            folder / LOG_NAME, maxBytes=2 << 20, backupCount=3, encoding="utf-8"
        )
    except OSError:
        return  # a read-only home still gets dialogs
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def title_and_message(error: BaseException, doing: str = "") -> tuple[str, str]:
    """What a dialog says about an error: ours speak for themselves; others get a plain note."""
    if isinstance(error, WatchkeeperError):
        return error.title, error.message
    what = f" while {doing[0].lower()}{doing[1:]}" if doing else ""
    first_line = (str(error).splitlines() or [""])[0][:300]
    detail = f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
    return (
        "Unexpected error",
        f"Watchkeeper hit an unexpected problem{what} ({detail}). Nothing was lost; "
        f"the details are in {paths.log_dir() / LOG_NAME}.",
    )


def show_error(parent: QWidget | None, error: BaseException, doing: str = "") -> QMessageBox:
    """Log the error and show it without blocking: the dialog is window-modal, not exec()."""
    setup_logging()
    if isinstance(error, WatchkeeperError):
        log.warning("%s: %s", error.title, error.message)
    else:
        log.error(
            "unexpected error%s",
            f" while {doing}" if doing else "",
            exc_info=(type(error), error, error.__traceback__),
        )
    title, message = title_and_message(error, doing)
    box = QMessageBox(
        QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent
    )
    box.setTextFormat(Qt.TextFormat.PlainText)  # messages quote file and event text
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setObjectName("errorDialog")
    box.open()
    return box


class _Forwarder(QObject):
    """Moves an exception raised on any thread to the GUI thread's dialog."""

    raised = Signal(object)


_forwarder: _Forwarder | None = None


def install_hooks() -> None:
    """Uncaught exceptions, on the GUI thread or any other, reach the one error dialog."""
    global _forwarder
    setup_logging()
    _forwarder = _Forwarder()
    _forwarder.raised.connect(_on_raised)

    def on_exception(
        kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        if error.__traceback__ is None and tb is not None:
            error = error.with_traceback(tb)
        assert _forwarder is not None
        _forwarder.raised.emit(error)

    def on_thread_exception(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            on_exception(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = on_exception
    threading.excepthook = on_thread_exception


def _on_raised(error: object) -> None:
    assert isinstance(error, BaseException)
    app = QApplication.instance()
    parent = app.activeWindow() if isinstance(app, QApplication) else None
    # after the current event: an exception inside a paint must not open a dialog mid-paint
    QTimer.singleShot(0, lambda: show_error(parent, error))
