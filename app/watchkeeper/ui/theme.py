"""Light and dark themes that follow the system, and the colours views share."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from watchkeeper.core.settings import Theme


@dataclass(frozen=True)
class Colours:
    dark: bool
    window: str
    base: str
    alternate: str
    text: str
    muted: str
    accent: str
    levels: dict[str, str]  # level -> row text colour
    series: tuple[str, ...]  # timeline bars


LIGHT = Colours(
    dark=False,
    window="#f4f5f7",
    base="#ffffff",
    alternate="#f7f8fa",
    text="#1d2330",
    muted="#5b6475",
    accent="#2463d1",
    levels={
        "critical": "#b0001e",
        "error": "#c62828",
        "warning": "#a15c00",
        "information": "#1d2330",
        "verbose": "#6b7280",
    },
    series=(
        "#2463d1",
        "#e07b00",
        "#2e9d57",
        "#c23b6b",
        "#7a5cd6",
        "#00879a",
        "#8a6d3b",
        "#5f6b7a",
        "#a3a3a3",
        "#b8860b",
        "#5c940d",
        "#364fc7",
        "#a61e4d",
    ),
)
DARK = Colours(
    dark=True,
    window="#1e2127",
    base="#16181d",
    alternate="#1c1f25",
    text="#e6e8ec",
    muted="#9aa3b2",
    accent="#5b9cff",
    levels={
        "critical": "#ff6b81",
        "error": "#ff7a7a",
        "warning": "#f0b45a",
        "information": "#e6e8ec",
        "verbose": "#8b93a1",
    },
    series=(
        "#5b9cff",
        "#ffa94d",
        "#51cf66",
        "#f06595",
        "#9775fa",
        "#22b8cf",
        "#d9a95b",
        "#8d99ae",
        "#6c757d",
        "#ffd43b",
        "#94d82d",
        "#748ffc",
        "#ff8787",
    ),
)
LEVEL_SERIES = {
    "critical": "#b0001e",
    "error": "#e03131",
    "warning": "#f59f00",
    "information": "#4c8bf5",
    "verbose": "#a0a7b4",
    "(none)": "#8d99ae",
}
# Each source keeps one colour whatever else a query shows: the formats Watchkeeper reads
# have a slot of `series` each, any other name one chosen by a checksum of it; "other"
# (the sources past the busiest few) is grey.
SOURCE_SLOTS = {
    "syslog": 0,
    "nxlog": 1,
    "json": 2,
    "auditd": 3,
    "evtx": 4,
    "journald": 5,
    "winlogbeat": 6,
    "macos": 9,
    "csv": 10,
    "winxml": 11,
    "text": 12,
}
_NAMED_SLOTS = tuple(sorted(SOURCE_SLOTS.values()))
OTHER_SLOT = 8

_current = LIGHT


def current() -> Colours:
    return _current


def series_colour(name: str, colours: Colours | None = None) -> str:
    """A timeline series' colour from its name alone, so it is the same in every query."""
    colours = colours or current()
    if name in LEVEL_SERIES:
        return LEVEL_SERIES[name]
    if name == "other":
        return colours.series[OTHER_SLOT]
    slot = SOURCE_SLOTS.get(name)
    if slot is None:  # crc32, unlike hash(), is the same in every run
        slot = _NAMED_SLOTS[zlib.crc32(name.encode("utf-8")) % len(_NAMED_SLOTS)]
    return colours.series[slot]


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return bool(hints.colorScheme() == Qt.ColorScheme.Dark)


def apply(app: QApplication, theme: Theme) -> Colours:
    """Fusion with our palette: the same look on every platform, in light or dark."""
    global _current
    dark = system_is_dark() if theme == "system" else theme == "dark"
    colours = DARK if dark else LIGHT
    app.setStyle("Fusion")
    palette = QPalette()
    role = QPalette.ColorRole
    for name, value in (
        (role.Window, colours.window),
        (role.Base, colours.base),
        (role.AlternateBase, colours.alternate),
        (role.Text, colours.text),
        (role.WindowText, colours.text),
        (role.ButtonText, colours.text),
        (role.Button, colours.window),
        (role.ToolTipBase, colours.base),
        (role.ToolTipText, colours.text),
        (role.Highlight, colours.accent),
        (role.HighlightedText, "#ffffff"),
        (role.Link, colours.accent),
        (role.PlaceholderText, colours.muted),
    ):
        palette.setColor(name, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for name in (role.Text, role.WindowText, role.ButtonText):
        palette.setColor(disabled, name, QColor(colours.muted))
    app.setPalette(palette)
    app.setStyleSheet(_stylesheet(colours))
    _current = colours
    return colours


def _stylesheet(c: Colours) -> str:
    border = "#343a46" if c.dark else "#d9dde3"
    return f"""
    QListWidget#navigation {{ background: {c.window}; border: none; font-size: 11pt; }}
    QListWidget#navigation::item {{ padding: 8px 12px; border-radius: 6px; margin: 2px 6px; }}
    QListWidget#navigation::item:selected {{ background: {c.accent}; color: #ffffff; }}
    QFrame#card {{ background: {c.base}; border: 1px solid {border}; border-radius: 8px; }}
    QLabel#cardValue {{ font-size: 18pt; font-weight: 600; }}
    QLabel#cardTitle, QLabel#muted {{ color: {c.muted}; }}
    QLabel#filterError {{ color: {c.levels["error"]}; }}
    QLabel#heading {{ font-size: 15pt; font-weight: 600; }}
    QPushButton#choice {{ text-align: left; padding: 14px 18px; font-size: 11pt;
                          border: 1px solid {border}; border-radius: 8px; background: {c.base}; }}
    QPushButton#choice:hover {{ border-color: {c.accent}; }}
    QPushButton#choice:disabled {{ color: {c.muted}; }}
    QTableView {{ gridline-color: {border}; }}
    """
