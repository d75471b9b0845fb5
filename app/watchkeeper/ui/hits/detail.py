"""The Hits view's lower half: the selected detection's rule text beside its YAML, and the
button that sets its triage state."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QMenu, QPlainTextEdit, QPushButton, QSplitter, QTextBrowser

NO_DETAIL = (
    "Select a detection to see its rule: what it looks for, why it may be wrong, and how "
    "to tune it."
)
STATE_MENU = (
    ("New", "N", "new"),
    ("In review", "R", "in review"),
    ("Benign…", "B", "benign"),
    ("False positive…", "F", "false positive"),
    ("Escalate to incident…", "E", "escalated"),
)


def rule_texts() -> tuple[QTextBrowser, QPlainTextEdit, QSplitter]:
    """What the rule means (links open in the browser) beside its YAML, side by side."""
    info = QTextBrowser()
    info.setOpenExternalLinks(True)
    info.setOpenLinks(True)
    info.setPlaceholderText(NO_DETAIL)
    yaml = QPlainTextEdit()
    yaml.setReadOnly(True)
    yaml.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    yaml.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    yaml.setPlaceholderText("The rule's YAML")
    texts = QSplitter(Qt.Orientation.Horizontal)
    texts.addWidget(info)
    texts.addWidget(yaml)
    texts.setStretchFactor(0, 1)
    texts.setStretchFactor(1, 1)
    texts.setSizes([560, 560])
    return info, yaml, texts


def add_state_actions(menu: QMenu, set_state: Callable[[str], object]) -> None:
    for label, key, state in STATE_MENU:
        menu.addAction(f"{label}\t{key}", partial(set_state, state))


def state_button(set_state: Callable[[str], object]) -> QPushButton:
    """'Set state' with a menu of the states and their keys."""
    button = QPushButton("Set state")
    button.setToolTip("Triage the detection: one key per state (N, R, B, F, E) does the same")
    menu = QMenu(button)
    add_state_actions(menu, set_state)
    button.setMenu(menu)
    return button
