"""Fonts shipped inside a bundle, so text is not drawn as boxes on a machine without any."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QRawFont

from watchkeeper.core import paths

SAMPLE = "Watchkeeper 0123456789"


def can_draw(font: QFont, text: str = SAMPLE) -> bool:
    """Whether `font` (or what Qt resolves it to) has a glyph for every letter of `text`."""
    raw = QRawFont.fromFont(font)
    return raw.isValid() and all(raw.supportsCharacter(ch) for ch in text if not ch.isspace())


_registered: list[str] = []


def register_bundled_fonts() -> list[str]:
    """Add the fonts in resources/fonts (present in installed bundles), once; their families."""
    if _registered:
        return list(_registered)
    folder = paths.resources_dir() / "fonts"
    families: list[str] = []
    if folder.is_dir():
        for file in sorted(folder.iterdir()):
            if file.suffix.lower() not in (".ttf", ".otf"):
                continue
            font_id = QFontDatabase.addApplicationFont(str(file))
            if font_id >= 0:
                families += QFontDatabase.applicationFontFamilies(font_id)
    _registered[:] = dict.fromkeys(families)
    return list(_registered)


def use_readable_font(app: QGuiApplication) -> str:
    """Register the bundled fonts, and use one when the system's default cannot draw text.

    Returns the family the application's text is drawn in, or "" when none can draw it.
    """
    bundled = register_bundled_fonts()
    if not can_draw(app.font()):
        for family in bundled:
            candidate = QFont(family, app.font().pointSize())
            if can_draw(candidate):
                app.setFont(candidate)
                break
    font = app.font()
    return QRawFont.fromFont(font).familyName() if can_draw(font) else ""
