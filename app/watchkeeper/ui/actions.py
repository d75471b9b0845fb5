"""The window's commands as a table: each row says what it is called, where it shows, what it does.

One place builds the actions, their menus and the toolbar from the rows, so a command's
shortcut, icon and status tip are said once, and every shortcut works with the menu bar
hidden (the action belongs to the window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QStyle, QToolBar

Keys = QKeySequence | QKeySequence.StandardKey | str


@dataclass(frozen=True)
class ActionSpec:
    """One command: its text, where it shows (a menu path such as "&View/&Theme", the toolbar),
    its shortcut, icon and status tip, and the slot it calls."""

    name: str
    text: str
    slot: Callable[..., object]
    menu: str = ""
    shortcut: Keys | None = None
    icon: QStyle.StandardPixmap | None = None
    tip: str = ""
    toolbar: bool = False
    checked: bool | None = None  # checkable, and on or off now; the slot gets the new state


@dataclass(frozen=True)
class Separator:
    """A line between groups of a menu."""

    menu: str


@dataclass(frozen=True)
class Choices:
    """Checkable actions in a menu of which one is on, each calling `slot` with its key."""

    name: str
    menu: str
    options: tuple[tuple[str, str], ...]  # (key, text)
    current: str
    slot: Callable[[str], object]


Row = ActionSpec | Separator | Choices


class Actions:
    """The built actions by name; choices by name and key."""

    def __init__(self) -> None:
        self.named: dict[str, QAction] = {}
        self.choices: dict[str, dict[str, QAction]] = {}

    def __getitem__(self, name: str) -> QAction:
        return self.named[name]


def build_actions(window: QMainWindow, rows: list[Row], toolbar: QToolBar) -> Actions:
    """The actions of `rows`, in their menus (created in the order first named) and toolbar."""
    built = Actions()
    menus: dict[str, QMenu] = {}
    for row in rows:
        menu = _menu(window, menus, row.menu) if row.menu else None
        if isinstance(row, Separator):
            if menu is not None:
                menu.addSeparator()
        elif isinstance(row, Choices):
            built.choices[row.name] = _choices(window, row)
            if menu is not None:
                menu.addActions(list(built.choices[row.name].values()))
        else:
            action = _action(window, row)
            built.named[row.name] = action
            if menu is not None:
                menu.addAction(action)
            if row.toolbar:
                toolbar.addAction(action)
    return built


def _menu(window: QMainWindow, menus: dict[str, QMenu], path: str) -> QMenu:
    if path not in menus:
        parent, _, title = path.rpartition("/")
        menus[path] = (
            _menu(window, menus, parent).addMenu(title)
            if parent
            else window.menuBar().addMenu(title)
        )
    return menus[path]


def _action(window: QMainWindow, spec: ActionSpec) -> QAction:
    action = QAction(spec.text, window)
    if spec.icon is not None:
        action.setIcon(window.style().standardIcon(spec.icon))
    if spec.shortcut is not None:
        action.setShortcut(QKeySequence(spec.shortcut))
    if spec.tip:
        action.setToolTip(spec.tip)
        action.setStatusTip(spec.tip)
    if spec.checked is None:
        action.triggered.connect(spec.slot)
    else:
        action.setCheckable(True)
        action.setChecked(spec.checked)
        action.toggled.connect(spec.slot)
    window.addAction(action)  # shortcuts work even when the menu bar is hidden
    return action


def _choices(window: QMainWindow, choices: Choices) -> dict[str, QAction]:
    group = QActionGroup(window)
    actions: dict[str, QAction] = {}
    for key, text in choices.options:
        action = QAction(text, window, checkable=True)
        action.setChecked(key == choices.current)
        action.triggered.connect(partial(choices.slot, key))
        group.addAction(action)
        actions[key] = action
    return actions
