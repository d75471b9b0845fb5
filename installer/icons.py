"""Renders the app's SVG icon into the formats installers want: PNGs, .ico and .icns."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_icons(svg: Path, target: Path) -> dict[str, Path]:
    """PNGs of every size (hicolor names), `watchkeeper.ico` and `watchkeeper.icns` in `target`."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"build: {svg.name} is not an SVG Qt can draw")
    target.mkdir(parents=True, exist_ok=True)
    pngs: dict[int, Path] = {}
    for size in PNG_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        pngs[size] = target / f"watchkeeper-{size}.png"
        if not image.save(str(pngs[size])):
            raise SystemExit(f"build: could not write {pngs[size]}")
    largest = Image.open(pngs[1024])
    ico = target / "watchkeeper.ico"
    largest.save(ico, sizes=[(s, s) for s in ICO_SIZES])
    icns = target / "watchkeeper.icns"
    largest.save(icns)
    return {"ico": ico, "icns": icns, **{f"png{size}": path for size, path in pngs.items()}}
