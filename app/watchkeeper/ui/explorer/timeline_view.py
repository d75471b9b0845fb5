"""The timeline: stacked bars of events over time, zoomed with the wheel, panned by dragging.

Shift+drag selects a range and a click on a bar selects its bucket: both emit
`range_selected`, which the explorer turns into a time filter on the table. Rule hits are
small triangles along the top, coloured by level; hovering one names its rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent, MouseDragEvent
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from watchkeeper.core.text import counted
from watchkeeper.core.timeparse import EPOCH, shown_time
from watchkeeper.storage.hit_views import HitMark
from watchkeeper.storage.timeline import Histogram, step_label
from watchkeeper.ui import theme
from watchkeeper.ui.hits.models import level_colour, level_rank

SETTLE_MS = 150  # after the last wheel step or drag, ask for the bars of the new range
HEADROOM = 1.22  # the plot is this much taller than the tallest bar: room for hit markers
MARK_HEIGHT = 1.13  # where the markers sit, as a multiple of the tallest bar


def to_epoch(value: datetime) -> float:
    return (value - EPOCH).total_seconds()


def from_epoch(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


class _SelectingViewBox(pg.ViewBox):  # type: ignore[misc]
    """Drag pans; Shift+drag draws a range; a click reports where it was."""

    def __init__(self, owner: TimelineView) -> None:
        super().__init__(enableMenu=False)
        self._owner = owner
        self._anchor: float | None = None
        self.setMouseEnabled(x=True, y=False)

    def mouseDragEvent(self, ev: object, axis: int | None = None) -> None:
        assert isinstance(ev, MouseDragEvent)
        selecting = ev.button() == Qt.MouseButton.LeftButton and bool(
            ev.modifiers() & Qt.KeyboardModifier.ShiftModifier
        )
        if not selecting and self._anchor is None:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        here = self.mapSceneToView(ev.scenePos()).x()
        if ev.isStart() or self._anchor is None:
            self._anchor = self.mapSceneToView(ev.buttonDownScenePos()).x()
        self._owner.show_selection(min(self._anchor, here), max(self._anchor, here))
        if ev.isFinish():
            low, high = sorted((self._anchor, here))
            self._anchor = None
            self._owner.select(low, high)

    def mouseClickEvent(self, ev: object) -> None:
        assert isinstance(ev, MouseClickEvent)
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._owner.select_bucket_at(self.mapSceneToView(ev.scenePos()).x())
            return
        super().mouseClickEvent(ev)


class TimelineView(QWidget):
    """Bars for a Histogram; asks for new bars when the visible range settles."""

    range_changed = Signal(object, object)  # visible start, end (naive UTC datetimes)
    range_selected = Signal(object, object)  # a selection: start, end (naive UTC)

    def __init__(self, utc: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._box = _SelectingViewBox(self)
        self._axis = pg.DateAxisItem(orientation="bottom", utcOffset=0 if utc else None)
        self._plot = pg.PlotWidget(viewBox=self._box, axisItems={"bottom": self._axis})
        self._plot.setMinimumHeight(140)
        self._plot.hideButtons()
        self._plot.getPlotItem().setMenuEnabled(False)
        self._plot.showGrid(x=False, y=True, alpha=0.15)
        self._plot.getAxis("left").setWidth(48)
        self._legend = pg.LegendItem(offset=(-10, 4), colCount=4)
        self._legend.setParentItem(self._plot.getPlotItem().vb)
        self._bars: list[pg.BarGraphItem] = []
        self._region = pg.LinearRegionItem(movable=False)
        self._region.setZValue(-5)
        self._region.hide()
        self._plot.addItem(self._region, ignoreBounds=True)
        self._histogram: Histogram | None = None
        self.colours: dict[str, str] = {}  # series name -> the colour of its bars
        self._marks: list[HitMark] = []
        self._peak = 1.0
        self.utc = utc
        self._markers = pg.ScatterPlotItem(
            symbol="t", size=10, pxMode=True, hoverable=True, tip=self._marker_tip, hoverSize=13
        )
        self._markers.setZValue(20)
        self._plot.addItem(self._markers, ignoreBounds=True)
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self._on_settle_timeout)
        self._box.sigXRangeChanged.connect(self._on_box_range_changed)
        self._quiet = False

        self._caption = QLabel()
        self._caption.setObjectName("muted")
        self._caption.setTextFormat(Qt.TextFormat.PlainText)
        self.hits_caption = QLabel("")
        self.hits_caption.setObjectName("muted")
        self.hits_caption.setTextFormat(Qt.TextFormat.PlainText)
        self.hits_caption.setToolTip(
            "Triangles along the top are rule hits of high and critical "
            "level; hover one to see its rule"
        )
        self._hint = hint = QLabel("Shift+drag or click a bar to pick a time")
        hint.setObjectName("muted")
        hint.setToolTip(
            "Wheel: zoom · Drag: pan · Shift+drag or click a bar: show only that "
            "time in the table · Double-click: all times again"
        )
        top = QHBoxLayout()
        top.setContentsMargins(4, 0, 4, 0)
        top.addWidget(self._caption)
        top.addSpacing(16)
        top.addWidget(self.hits_caption)
        top.addStretch(1)
        top.addWidget(hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        # with nothing to draw, a sentence in place of an empty plot and a meaningless axis
        self.nothing = QLabel("")
        self.nothing.setObjectName("muted")
        self.nothing.setTextFormat(Qt.TextFormat.PlainText)
        self.nothing.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.nothing.setWordWrap(True)
        self._pages = QStackedWidget()
        self._pages.addWidget(self._plot)
        self._pages.addWidget(self.nothing)
        layout.addWidget(self._pages)
        self.apply_theme()

    # showing ---------------------------------------------------------------------------

    def apply_theme(self) -> None:
        colours = theme.current()
        self._plot.setBackground(colours.base)
        for side in ("left", "bottom"):
            axis = self._plot.getAxis(side)
            axis.setTextPen(colours.muted)
            axis.setPen(colours.muted)
        backdrop = pg.mkColor(colours.base)
        backdrop.setAlpha(220)  # the legend stays readable over tall bars
        self._legend.setBrush(pg.mkBrush(backdrop))
        self._legend.setLabelTextColor(colours.text)
        accent = pg.mkColor(colours.accent)
        accent.setAlpha(50)
        self._region.setBrush(pg.mkBrush(accent))
        if self._histogram is not None:
            self.show_histogram(self._histogram)
        self.show_hits(self._marks)

    def set_utc(self, utc: bool) -> None:
        self.utc = utc
        self._axis.utcOffset = 0 if utc else None
        self._axis.picture = None
        self._axis.update()

    @property
    def histogram(self) -> Histogram | None:
        return self._histogram

    @property
    def showing_nothing(self) -> bool:
        return self._pages.currentWidget() is self.nothing

    def show_nothing(self, sentence: str) -> None:
        """No event to draw at all (none matches, or none has a time): say so, without axes."""
        self.show_histogram(Histogram.empty())
        self.nothing.setText(sentence)
        self._caption.setText("")
        self._hint.hide()
        self._pages.setCurrentWidget(self.nothing)

    def show_histogram(self, histogram: Histogram) -> None:
        """Draw the bars; the visible range is left as the user set it."""
        self._pages.setCurrentWidget(self._plot)
        self._hint.show()
        self._histogram = histogram
        for item in self._bars:
            self._plot.removeItem(item)
        self._bars.clear()
        self._legend.clear()
        edges = histogram.edges_epoch()
        base = np.zeros(histogram.buckets, dtype=np.float64)
        colours = self._series_colours(histogram.series)
        self.colours = dict(zip(histogram.series, colours, strict=True))
        for name, counts, colour in zip(histogram.series, histogram.counts, colours, strict=True):
            heights = counts.astype(np.float64)
            shown = heights > 0
            if not shown.any():
                continue
            bar = pg.BarGraphItem(
                x0=edges[:-1][shown],
                x1=edges[1:][shown],
                y0=base[shown],
                height=heights[shown],
                brush=colour,
                pen=pg.mkPen(None),
            )
            self._plot.addItem(bar)
            self._bars.append(bar)
            self._legend.addItem(bar, name)
            base += heights
        peak = float(base.max()) if len(base) else 0.0
        self._peak = max(1.0, peak)
        self._quiet = True
        self._box.setYRange(0, self._peak * HEADROOM, padding=0)
        self._quiet = False
        self._place_markers()
        total = histogram.total
        self._caption.setText(
            f"{counted(total, 'event')} · one bar = {step_label(histogram.step_seconds)}"
            if total
            else "No events in this range"
        )

    @property
    def marks(self) -> list[HitMark]:
        return list(self._marks)

    def show_hits(self, marks: list[HitMark]) -> None:
        """Markers for rule hits, the most severe drawn on top."""
        self._marks = sorted(marks, key=lambda m: -level_rank(m.level))
        self._place_markers()
        count = len(marks)
        self.hits_caption.setText(f"▼ {counted(count, 'rule hit')}" if count else "")

    def _place_markers(self) -> None:
        marks = self._marks
        if not marks:
            self._markers.setData([], [])
            return
        outline = pg.mkPen(theme.current().base, width=1)
        self._markers.setData(
            x=np.array([to_epoch(m.time) for m in marks], dtype=np.float64),
            y=np.full(len(marks), self._peak * MARK_HEIGHT),
            brush=[pg.mkBrush(level_colour(m.level)) for m in marks],
            size=[13 if m.level == "critical" else 10 for m in marks],  # critical stands out
            pen=outline,
            data=marks,
        )

    def _marker_tip(self, x: float, y: float, data: object) -> str:
        if not isinstance(data, HitMark):
            return ""
        return f"{data.title}\n{data.level} · {shown_time(data.time, self.utc)}"

    def _series_colours(self, series: list[str]) -> list[str]:
        return [theme.series_colour(name) for name in series]

    def set_range(self, start: datetime, end: datetime) -> None:
        """Show [start, end) without asking for new bars (the caller has them coming)."""
        self._quiet = True
        self._box.setXRange(to_epoch(start), to_epoch(end), padding=0.01)
        self._quiet = False

    def visible_range(self) -> tuple[datetime, datetime]:
        low, high = self._box.viewRange()[0]
        return from_epoch(low), from_epoch(high)

    def show_selection(self, low: float, high: float) -> None:
        self._region.setRegion((low, high))
        self._region.show()

    def clear_selection(self) -> None:
        self._region.hide()

    # the user's gestures -----------------------------------------------------------------

    def select(self, low: float, high: float) -> None:
        if high - low < 1:
            self.clear_selection()
            return
        self.range_selected.emit(from_epoch(low), from_epoch(high))

    def select_bucket_at(self, x: float) -> None:
        histogram = self._histogram
        if histogram is None or not histogram.buckets:
            return
        edges = histogram.edges_epoch()
        bucket = int(np.searchsorted(edges, x, side="right")) - 1
        if not 0 <= bucket < histogram.buckets or not histogram.counts[:, bucket].any():
            return
        self.show_selection(edges[bucket], edges[bucket + 1])
        self.range_selected.emit(from_epoch(edges[bucket]), from_epoch(edges[bucket + 1]))

    def mouseDoubleClickEvent(self, event: object) -> None:
        self.range_selected.emit(None, None)

    def _on_box_range_changed(self, *_: object) -> None:
        if not self._quiet:
            self._settle.start()

    def _on_settle_timeout(self) -> None:
        start, end = self.visible_range()
        self.range_changed.emit(start, end)

    def bar_rect_centre(self, bucket: int) -> QPointF:
        """Where a bar is on screen (tests click it)."""
        assert self._histogram is not None
        edges = self._histogram.edges_epoch()
        point = self._box.mapViewToScene(QPointF((edges[bucket] + edges[bucket + 1]) / 2, 0.5))
        return QPointF(self._plot.mapFromScene(point))
