"""What every section of the Settings dialog is: a page that loads its settings, checks what
is typed, and puts it back into a draft."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QLabel, QLayout, QMessageBox, QVBoxLayout, QWidget

from watchkeeper.core.settings import Settings
from watchkeeper.ui.labels import plain_label

ERROR_COLOUR = "#b3261e"


class SettingsPage(QWidget):
    """One section; `edited` fires whenever the user changes anything on it."""

    edited = Signal()
    title = ""

    def load(self, settings: Settings) -> None:
        """Show `settings`' values (Restore defaults loads `Settings()`)."""
        raise NotImplementedError

    def store(self, settings: Settings) -> None:
        """Put the page's values into `settings` (called only when `problems()` is empty)."""
        raise NotImplementedError

    def problems(self) -> list[str]:
        """What is wrong on the page, one sentence each; the fields in error are marked."""
        return []


def mark(widget: QWidget, problem: str | None) -> None:
    """A field in error gets a red frame and the sentence as its tooltip."""
    name = type(widget).__name__
    widget.setStyleSheet(f"{name} {{ border: 2px solid {ERROR_COLOUR}; }}" if problem else "")
    widget.setToolTip(problem or "")


def group(title: str, *parts: QWidget | QLayout) -> QGroupBox:
    """A titled box of widgets and layouts, one under the other."""
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for part in parts:
        if isinstance(part, QLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part)
    return box


def note(text: str) -> QLabel:
    """A muted line of explanation under a field."""
    return plain_label(text, muted=True)


def ask_first(
    parent: QWidget, title: str, text: str, name: str, on_yes: Callable[[], None]
) -> QMessageBox:
    """A question that does not block: Yes calls `on_yes`; Cancel, the default, does nothing."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setObjectName(name)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.accepted.connect(on_yes)
    box.open()
    return box
