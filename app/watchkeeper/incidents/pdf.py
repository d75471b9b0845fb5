"""Writing a PDF from rich text with Qt's own PDF writer, headless.

This is the one module outside `ui/` that uses Qt: `QtGui` only, which needs a
`QGuiApplication` (any platform, `offscreen` included) but no window.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from watchkeeper.core.errors import WatchkeeperError

RESOLUTION = 300  # dots per inch of the PDF's layout


class PdfFailed(WatchkeeperError):
    def __init__(self, message: str) -> None:
        super().__init__(message, title="PDF not written")


def write_pdf(html: str, path: Path, title: str, author: str = "Watchkeeper") -> int:
    """Lay out `html` on A4 pages and write them to `path`; returns the number of pages.

    The caller escapes event text before it goes into `html` (it is hostile input).
    """
    if QGuiApplication.instance() is None:
        raise PdfFailed("Qt is not started (a QGuiApplication is needed to lay out text).")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION)
    writer.setTitle(title)
    writer.setCreator(author)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(18, 18, 18, 18),
            QPageLayout.Unit.Millimeter,
        )
    )
    document = QTextDocument()
    document.setDocumentMargin(0)
    document.setHtml(html)
    # Lay out in points so font sizes mean what they say on paper.
    page = writer.pageLayout().paintRect(QPageLayout.Unit.Point)
    document.setPageSize(QSizeF(page.width(), page.height()))
    pages = document.pageCount()
    document.print_(writer)
    del writer  # finishes and closes the file
    if not path.is_file() or path.stat().st_size == 0:
        raise PdfFailed(f"{path.name} could not be written.")
    return pages
