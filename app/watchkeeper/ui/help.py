"""The Help menu's dialogs: the filter syntax, and what this Watchkeeper is and where it keeps things."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from watchkeeper import __version__
from watchkeeper.core import paths

FILTER_HELP = """Filters find events by field and by words.

  host:pc-07 event_id:4625       both must match
  user:alice OR user:bob         either one
  -source:syslog                 NOT: leave these out
  "failed password"              a phrase anywhere in the event
  process:*powershell*           wildcards: * any text, ? one character
  time:>=2026-11-02 time:<2026-11-03
  event_id:>4600                 comparisons on numbers and times
  CommandLine:*                  the field has a value
  (user:alice OR user:bob) -host:dc01

AND, OR and NOT are upper case; in lower case they are words to find.
Field names are the columns (host, user, source, event_id, level, process, ...)
or any original field of the event, such as TargetUserName or Image."""


def show_filter_help(parent: QWidget) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "Filter syntax",
        FILTER_HELP,
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setStyleSheet("QLabel { font-family: monospace; }")
    box.open()


def show_about(parent: QWidget, store_path: Path) -> None:
    QMessageBox.about(
        parent,
        "About Watchkeeper",
        f"Watchkeeper {__version__}\n\nLogging and protective monitoring for "
        f"small organisations.\n\nStore: {store_path}\n"
        f"Logs: {paths.log_dir()}",
    )
