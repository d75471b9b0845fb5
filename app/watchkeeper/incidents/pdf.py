"""Writing a PDF from rich text with Qt's own PDF writer, headless.

This is the one module outside `ui/` that uses Qt (with `incidents.chart`): `QtGui` only,
which needs a `QGuiApplication` (any platform, `offscreen` included) but no window.

Why Qt's QPdfWriter and QTextDocument rather than a PDF library (measured with
tests/benchmarks/bench_report.py --compare, against fpdf2 2.8.9): on one 20,000-row table with
a heading repeated on every page, "Page X of Y" and accented and Cyrillic names, Qt took
13.3 s (690 pages, 14 MB) and fpdf2 19.2 s (513 pages, 0.8 MB, fonts subset). The same sample
with a chart took 57 lines with Qt and 30 with fpdf2. Qt is already in the app; fpdf2 would
add fontTools (36 MB installed) and Pillow (7 MB) to the bundle, under the LGPL. A `<thead>`
repeats on every page; the header and "Page X of Y" are drawn by hand below; letters that
DejaVu Sans lacks (Chinese) fall back to any installed font that has them. Qt's files are
larger, which the evidence appendix's limit keeps in bounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
    QTextOption,
)

from watchkeeper.core import paths
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.incidents.pdf_info import set_information

RESOLUTION = 300  # dots per inch of the PDF's layout
PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}
FONT = "DejaVu Sans"
BODY_POINTS = 9.5
STYLE = (
    "body { font-size: 9.5pt; } h1 { font-size: 20pt; } h2 { font-size: 14pt; }"
    " h3 { font-size: 11pt; } th { background-color: #e8ecf2; text-align: left; }"
    " td, th { padding: 3px; } table { border-color: #c8ccd2; } .note { color: #555555; }"
)


class PdfFailed(WatchkeeperError):
    def __init__(self, message: str) -> None:
        super().__init__(message, title="PDF not written")


_started: list[QGuiApplication] = []  # the application headless_app made, kept alive
_fonts: dict[Path, list[str]] = {}  # font folders registered with Qt, and their families
FONT_FILES = {".ttf", ".otf", ".ttc"}


def register_fonts(folder: Path) -> list[str]:
    """Make the fonts in `folder` known to Qt, once; their families.

    Letters the body font lacks are drawn with any font that has them: a bundle that carries
    a CJK font in resources/fonts prints Chinese names on a machine that has none.
    """
    if folder not in _fonts:
        families: list[str] = []
        for file in sorted(folder.iterdir()) if folder.is_dir() else ():
            if file.suffix.lower() in FONT_FILES:
                font_id = QFontDatabase.addApplicationFont(str(file))
                families += QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        _fonts[folder] = list(dict.fromkeys(families))
    return _fonts[folder]


def headless_app() -> QGuiApplication:
    """The running Qt application, or a new one that draws offscreen: export needs no display."""
    running = QGuiApplication.instance()
    if isinstance(running, QGuiApplication):
        return running
    if running is not None:
        raise PdfFailed("Qt runs without its GUI part here, so pages cannot be laid out.")
    _started.append(QGuiApplication(["watchkeeper", "-platform", "offscreen"]))
    return _started[0]


def write_pdf(
    html: str,
    path: Path,
    title: str,
    author: str = "Watchkeeper",
    *,
    subject: str = "",
    header: str = "",
    page_size: str = "A4",
    images: Mapping[str, QImage] | None = None,
) -> int:
    """Lay out `html` on pages and write them to `path`; returns the number of pages.

    Every page has `header` at its top and "Page X of Y" at its foot. `images` are embedded
    where the HTML names them (`<img src="NAME">`). The caller escapes event text before it
    goes into `html` (it is hostile input).
    """
    if QGuiApplication.instance() is None:
        raise PdfFailed("Qt is not started (a QGuiApplication is needed to lay out text).")
    if page_size not in PAGE_SIZES:
        raise PdfFailed(f"page size {page_size!r} is not one of {', '.join(PAGE_SIZES)}.")
    register_fonts(paths.resources_dir() / "fonts")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION)
    writer.setTitle(title)
    writer.setAuthor(author)
    writer.setCreator("Watchkeeper")
    writer.setDocumentXmpMetadata(_xmp(title, author, subject))
    writer.setPageLayout(
        QPageLayout(
            QPageSize(PAGE_SIZES[page_size]),
            QPageLayout.Orientation.Portrait,
            QMarginsF(18, 22, 18, 20),
            QPageLayout.Unit.Millimeter,
        )
    )
    document = _document(html, images or {})
    # Lay out in points so font sizes mean what they say on paper.
    page = writer.pageLayout().paintRect(QPageLayout.Unit.Point)
    document.setPageSize(QSizeF(page.width(), page.height()))
    pages = document.pageCount()
    painter = QPainter()
    if not painter.begin(writer):
        raise PdfFailed(f"{path.name} could not be written.")
    try:
        _paint_pages(painter, writer, document, header, QSizeF(page.width(), page.height()))
    finally:
        painter.end()
    del writer  # finishes and closes the file
    if not path.is_file() or path.stat().st_size == 0:
        raise PdfFailed(f"{path.name} could not be written.")
    if subject:
        set_information(path, title, author, subject)
    return pages


def _document(html: str, images: Mapping[str, QImage]) -> QTextDocument:
    document = QTextDocument()
    document.setDocumentMargin(0)
    font = QFont(FONT)
    font.setPointSizeF(BODY_POINTS)
    document.setDefaultFont(_without_ligatures(font))
    document.setDefaultStyleSheet(STYLE)
    # A 10,000-letter value without a space still wraps inside the page.
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    document.setDefaultTextOption(option)
    for name, image in images.items():
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
    document.setHtml(html)
    return document


def _without_ligatures(font: QFont) -> QFont:
    """ "fi" stays two letters, so a file name copied from the PDF (or searched) is found."""
    for feature in ("liga", "clig"):
        font.setFeature(QFont.Tag(feature), 0)
    return font


def _paint_pages(
    painter: QPainter, writer: QPdfWriter, document: QTextDocument, header: str, page: QSizeF
) -> None:
    pages = document.pageCount()
    scale = writer.resolution() / 72  # points to device pixels
    margin = writer.pageLayout().marginsPoints()
    small = QFont(FONT)
    small.setPixelSize(8)  # in points: the painter is scaled to points
    small = _without_ligatures(small)
    for index in range(pages):
        if index:
            writer.newPage()
        painter.save()
        painter.scale(scale, scale)
        painter.save()
        painter.translate(0, -index * page.height())
        context = QAbstractTextDocumentLayout.PaintContext()
        context.clip = QRectF(0, index * page.height(), page.width(), page.height())
        painter.setClipRect(context.clip)
        document.documentLayout().draw(painter, context)
        painter.restore()
        painter.setFont(small)
        painter.setPen(QColor("#555555"))
        top = QRectF(0, -margin.top() + 28, page.width(), 14)
        heading = QFontMetricsF(small).elidedText(header, Qt.TextElideMode.ElideRight, page.width())
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextSingleLine, heading)
        painter.drawLine(QPointF(0, -margin.top() + 44), QPointF(page.width(), -margin.top() + 44))
        foot = QRectF(0, page.height() + 22, page.width(), 14)
        painter.drawText(foot, Qt.AlignmentFlag.AlignRight, f"Page {index + 1} of {pages}")
        painter.restore()


def _xmp(title: str, author: str, subject: str) -> bytes:
    """The document's metadata as XMP (QPdfWriter has no subject of its own)."""
    title, author, subject = (escape(text) for text in (title, author, subject))
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:pdf="http://ns.adobe.com/pdf/1.3/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>'
        f"<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>"
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{subject}</rdf:li>'
        "</rdf:Alt></dc:description>"
        f"<pdf:Keywords>{subject}</pdf:Keywords><pdf:Producer>Watchkeeper</pdf:Producer>"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()
