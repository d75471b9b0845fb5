"""The one label for text from logs, rules and users: shown as written, never as markup."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def plain_label(text: str = "", muted: bool = False, wrap: bool = True) -> QLabel:
    """A label that shows `text` as written (names, titles and values are not markup);
    `muted` draws it in the theme's quieter colour."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    if muted:
        label.setObjectName("muted")
    return label
