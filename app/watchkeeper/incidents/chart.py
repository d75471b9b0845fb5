"""The report's charts, drawn with QPainter into images the PDF embeds (QtGui only, headless).

Drawn at 300 dots per inch for a 170 mm wide column, so they print sharp.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from watchkeeper.incidents.report_text import visible

WIDTH = 2000  # pixels: 170 mm at 300 dpi
LABEL = 420  # the column of host names
ROW = 110
EVENT = QColor("#4a6fa5")
DETECTION = QColor("#c0392b")
INK = QColor("#222222")
RULE = QColor("#bbbbbb")
TITLE = 90  # pixels above the chart for its title
MOST_HOSTS = 12  # more are summed into one strip, so the chart stays readable


def _font(pixels: int, bold: bool = False) -> QFont:
    font = QFont("DejaVu Sans")
    font.setPixelSize(pixels)
    font.setBold(bold)
    return font


def _canvas(height: int, title: str) -> tuple[QImage, QPainter]:
    """A white image with its title drawn in it, so a page never parts a chart from its title."""
    image = QImage(WIDTH, height + TITLE, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(INK)
    painter.setFont(_font(46, bold=True))
    painter.drawText(QRectF(0, 0, WIDTH, TITLE), Qt.AlignmentFlag.AlignVCenter, visible(title))
    painter.translate(0, TITLE)
    painter.setFont(_font(34))
    return image, painter


def _label(text: str, limit: int = 22) -> str:
    text = visible(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_names(hosts: Sequence[str]) -> dict[str, str]:
    """Host names without their DNS domain (PC-07.contoso.local: PC-07), where that leaves
    every name different; the labels' column is narrow."""
    short = {host: host.split(".")[0] if not host[:1].isdigit() else host for host in hosts}
    return short if len(set(short.values())) == len(short) else {host: host for host in hosts}


def activity_chart(
    events: Sequence[tuple[datetime, str]],
    detections: Sequence[tuple[datetime, datetime, str]],
    title: str = "What was seen, over time",
) -> QImage:
    """A strip per host: a tick per event, a red bar per detection (first to last), over time."""
    hosts = sorted({host for _, host in events} | {host for _, _, host in detections})
    if len(hosts) > MOST_HOSTS:
        kept = set(hosts[: MOST_HOSTS - 1])
        other = f"{len(hosts) - len(kept)} other hosts"
        events = [(t, h if h in kept else other) for t, h in events]
        detections = [(a, b, h if h in kept else other) for a, b, h in detections]
        hosts = [*sorted(kept), other]
    moments = [t for t, _ in events] + [t for a, b, _ in detections for t in (a, b)]
    image, painter = _canvas(200 + ROW * max(len(hosts), 1), title)
    if not moments:
        painter.setPen(INK)
        box = QRectF(0, 0, image.width(), image.height() - TITLE)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "No events linked.")
        painter.end()
        return image
    start, end = min(moments), max(moments)
    seconds = max((end - start).total_seconds(), 1.0)
    left, right = LABEL, WIDTH - 40

    def x(moment: datetime) -> float:
        return left + (right - left) * (moment - start).total_seconds() / seconds

    rows = {host: 40 + ROW * index for index, host in enumerate(hosts)}
    shown = short_names(hosts)
    for host, top in rows.items():
        painter.setPen(INK)
        painter.drawText(
            QRectF(12, top, LABEL - 32, ROW), Qt.AlignmentFlag.AlignVCenter, _label(shown[host])
        )
        painter.setPen(QPen(RULE, 2))
        painter.drawLine(QPointF(left, top + ROW / 2), QPointF(right, top + ROW / 2))
    # One mark per pixel column is all a page can show; one call draws them all (each call of
    # a Qt method costs PySide6 6.12 a reference to None on Python 3.11: see ui.singletons).
    ticks = {(round(x(moment)), rows[host]) for moment, host in events}
    painter.setPen(QPen(EVENT, 3))
    painter.drawLines([QLineF(spot, top + 20, spot, top + ROW - 20) for spot, top in ticks])
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(DETECTION)
    painter.drawRects(
        [
            QRectF(x(first) - 6, rows[host] + 38, x(last) - x(first) + 12, ROW - 76)
            for first, last, host in detections
        ]
    )
    _axis(painter, start, end, left, right, 40 + ROW * len(hosts))
    painter.end()
    return image


def _axis(painter: QPainter, start: datetime, end: datetime, left: int, right: int, y: int) -> None:
    painter.setPen(QPen(INK, 2))
    painter.drawLine(left, y + 10, right, y + 10)
    same_day = start.date() == end.date()
    for step in range(5):
        moment = start + (end - start) * step / 4
        text = f"{moment:%H:%M:%S}" if same_day else f"{moment.day} {moment:%b %H:%M}"
        spot = left + (right - left) * step / 4
        painter.drawLine(QPointF(spot, y + 10), QPointF(spot, y + 24))
        align = [Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignHCenter][0 < step < 4]
        box = QRectF(spot - (0 if step == 0 else 300 if step == 4 else 150), y + 28, 300, 50)
        painter.drawText(box, align if step < 4 else Qt.AlignmentFlag.AlignRight, text)
    painter.setPen(EVENT)
    painter.drawText(QRectF(left, y + 80, 400, 50), Qt.AlignmentFlag.AlignLeft, "| event")
    painter.setPen(DETECTION)
    painter.drawText(QRectF(left + 300, y + 80, 500, 50), Qt.AlignmentFlag.AlignLeft, "▮ detection")


def bar_chart(bars: Sequence[tuple[str, int]], title: str = "") -> QImage:
    """One horizontal bar per label, its value written beside it."""
    image, painter = _canvas(40 + 80 * max(len(bars), 1), title)
    most = max((value for _, value in bars), default=0) or 1
    for index, (label, value) in enumerate(bars):
        top = 20 + 80 * index
        painter.setPen(INK)
        painter.drawText(
            QRectF(12, top, LABEL - 32, 70), Qt.AlignmentFlag.AlignVCenter, _label(label)
        )
        length = (WIDTH - LABEL - 260) * max(value, 0) / most
        painter.fillRect(QRectF(LABEL, top + 12, max(length, 2), 46), EVENT)
        painter.drawText(
            QRectF(LABEL + length + 16, top, 240, 70), Qt.AlignmentFlag.AlignVCenter, f"{value:,}"
        )
    painter.end()
    return image
