"""The overview: what the store holds at a glance; every figure opens the matching events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QLabel,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.filterlang import exact_term
from watchkeeper.core.text import counted, shown_day
from watchkeeper.core.timeparse import shown_time
from watchkeeper.storage.ledger import LedgerEntry
from watchkeeper.storage.queries import Overview
from watchkeeper.ui import theme
from watchkeeper.ui.hits.models import SEVERE
from watchkeeper.ui.overview.welcome import WelcomePage
from watchkeeper.ui.rows_model import Column, RowsModel, fit_columns, make_table

QUIET_TITLE = "Hosts gone quiet (24 h)"


class _ClickableCard(QFrame):
    """A card that opens another view when clicked."""

    clicked = Signal()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit()
        super().mouseReleaseEvent(event)


def _card(title: str, clickable: bool = False) -> tuple[QFrame, QLabel, QLabel]:
    frame = _ClickableCard() if clickable else QFrame()
    frame.setObjectName("card")
    value = QLabel("–")
    value.setObjectName("cardValue")
    value.setTextFormat(Qt.TextFormat.PlainText)
    caption = QLabel(title)
    caption.setObjectName("cardTitle")
    note = QLabel("")
    note.setObjectName("muted")
    note.setTextFormat(Qt.TextFormat.PlainText)
    note.setWordWrap(True)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(14, 10, 14, 10)
    layout.addWidget(caption)
    layout.addWidget(value)
    layout.addWidget(note)
    return frame, value, note


class OverviewView(QWidget):
    """Cards and tables; `filter_requested` carries a filter and an optional time range."""

    filter_requested = Signal(str, object, object)  # filter text, since, until
    hits_requested = Signal()  # the rule hits card was clicked

    def __init__(self, welcome: WelcomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.utc = False
        self.welcome = welcome
        self._pages = QStackedWidget()
        self._pages.addWidget(welcome)
        body = QWidget()
        self._pages.addWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._pages)

        cards = self._make_cards()
        self._make_models()
        self._grid = self._make_tables()
        # what the logging plan expects and has not arrived (the Sources view works it out)
        self.plan_missing = QLabel("")
        self.plan_missing.setObjectName("planMissing")
        self.plan_missing.setTextFormat(Qt.TextFormat.PlainText)  # host names are event text
        self.plan_missing.setWordWrap(True)
        self.plan_missing.hide()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.plan_missing)
        layout.addLayout(cards)
        layout.addLayout(self._grid, 1)

    def _make_cards(self) -> QGridLayout:
        """The row of figures: events, time covered, hosts, quiet hosts and rule hits."""
        cards = QGridLayout()
        frame, self.events_value, self.events_note = _card("Events")
        cards.addWidget(frame, 0, 0)
        frame, self.range_value, self.range_note = _card("Time covered")
        cards.addWidget(frame, 0, 1)
        frame, self.hosts_value, self.hosts_note = _card("Hosts")
        cards.addWidget(frame, 0, 2)
        frame, self.silent_value, self.silent_note = _card(QUIET_TITLE)
        quiet_title = frame.findChild(QLabel, "cardTitle")
        assert quiet_title is not None
        self.silent_title = quiet_title
        cards.addWidget(frame, 0, 3)
        frame, self.hits_value, self.hits_note = _card("Detections", True)
        frame.setToolTip("Detections of critical and high level; click to triage them")
        frame.setCursor(Qt.CursorShape.PointingHandCursor)
        assert isinstance(frame, _ClickableCard)
        frame.clicked.connect(self.hits_requested)
        self.hits_card = frame
        cards.addWidget(frame, 0, 4)

        return cards

    def _make_models(self) -> None:
        """The rows behind each table: a count per source, host, day and event type, the
        quiet hosts and the latest imports."""
        self.sources = RowsModel(
            [Column("Source", lambda r: r[0]), Column("Events", lambda r: r[1])]
        )
        self.hosts = RowsModel([Column("Host", lambda r: r[0]), Column("Events", lambda r: r[1])])
        self.days = RowsModel(
            [Column("Day (UTC)", lambda r: r[0]), Column("Events", lambda r: r[1])]
        )
        self.types = RowsModel(
            [
                Column("Source", lambda r: r[0]),
                Column("Channel", lambda r: r[1]),
                Column("Event ID", lambda r: r[2]),
                Column("Events", lambda r: r[3]),
            ]
        )
        self.silent = RowsModel(
            [
                Column("Host", lambda r: r[0]),
                Column("Last heard", lambda r: r[1], "When its last forwarded message arrived"),
                Column(
                    "Quiet for (hours)",
                    lambda r: r[2],
                    "Hours between its last forwarded message and now",
                ),
            ]
        )
        self.imports = RowsModel(
            [
                Column("#", lambda e: e.id),
                Column("Status", lambda e: e.status),
                Column("Events", lambda e: e.events),
                Column("Duplicates", lambda e: e.duplicates),
                Column("Quarantined", lambda e: e.quarantined),
                Column("File", lambda e: e.path),
                Column("Note", lambda e: e.message or ""),
            ]
        )

    def _make_tables(self) -> QGridLayout:
        """A titled table per model; a click on a row shows its events."""
        grid = QGridLayout()
        grid.setSpacing(10)
        self.tables: dict[str, QTableView] = {}
        self.boxes: dict[str, QGroupBox] = {}
        for key, title, model, activate in (
            ("sources", "By source", self.sources, self._on_source),
            ("hosts", "Busiest hosts", self.hosts, self._on_host),
            ("days", "By day", self.days, self._on_day),
            ("types", "Busiest event types", self.types, self._on_type),
            ("silent", "Hosts that stopped sending", self.silent, self._on_host),
            ("imports", "Latest imports", self.imports, self._on_import),
        ):
            box = QGroupBox(title)
            inner = QVBoxLayout(box)
            table = make_table(model, activate)
            table.clicked.connect(lambda index, m=model, a=activate: a(m.row_object(index.row())))
            table.setToolTip("Click a row to see its events")
            inner.addWidget(table)
            self.tables[key] = table
            row, column, span = {
                "sources": (0, 0, 1),
                "hosts": (0, 1, 1),
                "days": (0, 2, 1),
                "types": (1, 0, 2),
                "silent": (1, 2, 1),
                "imports": (2, 0, 3),
            }[key]
            grid.addWidget(box, row, column, 1, span)
            self.boxes[key] = box
        return grid

    @property
    def showing_welcome(self) -> bool:
        return self._pages.currentIndex() == 0

    def show_overview(self, info: Overview) -> None:
        if not info.events:
            self._pages.setCurrentIndex(0)
            return
        self._pages.setCurrentIndex(1)
        self.events_value.setText(f"{info.events:,}")
        self.events_note.setText(
            f"{counted(len(info.by_source), 'source')} · "
            f"{info.quarantined:,} quarantined · "
            f"store {info.size_bytes / 1e6:,.1f} MB"
        )
        if info.first and info.last:
            days = (info.last - info.first) / timedelta(days=1)
            self.range_value.setText(f"{days:,.1f} days")
            self.range_note.setText(
                f"{shown_time(info.first, self.utc)} to {shown_time(info.last, self.utc)}"
            )
        else:
            self.range_value.setText("no times")
            self.range_note.setText("")
        self.hosts_value.setText(f"{info.host_count:,}")
        self.hosts_note.setText(f"busiest: {info.by_host[0][0]}" if info.by_host else "")
        self._show_quiet(info)
        for model in (self.sources, self.hosts, self.days, self.types, self.silent, self.imports):
            model.utc = self.utc
        self.sources.set_rows(info.by_source)
        self.hosts.set_rows(info.by_host)
        self.days.set_rows(list(reversed(info.by_day)))
        self.types.set_rows(info.event_types)
        self.silent.set_rows(info.silent_hosts)
        self.imports.set_rows(info.imports)
        for table in self.tables.values():
            fit_columns(table)

    def _show_quiet(self, info: Overview) -> None:
        """Silence is judged only for hosts that forward; imported files are history."""
        newest = (
            f"newest event {shown_day(info.history_last, self.utc)}"
            if info.history_last is not None
            else ""
        )
        # the table of hosts that stopped sending only where a host could stop
        forwarding = bool(info.forwarding_hosts)
        self.boxes["silent"].setVisible(forwarding)
        self._grid.removeWidget(self.boxes["types"])
        self._grid.addWidget(self.boxes["types"], 1, 0, 1, 2 if forwarding else 3)
        if not forwarding:
            self.silent_title.setText("Imported history")
            self.silent_value.setText(counted(info.history_hosts, "host"))
            self.silent_note.setText(
                "history imported from files"
                + (f", {newest}" if newest else "")
                + "; no host forwards its logs"
            )
            self.silent_note.setToolTip(
                "Only hosts that forward their logs to the collector "
                "are expected to keep sending, and can go quiet"
            )
            return
        self.silent_note.setToolTip("")
        self.silent_title.setText(QUIET_TITLE)
        self.silent_value.setText(f"{len(info.silent_hosts):,}")
        note = (
            "none: every forwarding host sent within the last day"
            if not info.silent_hosts
            else f"longest: {info.silent_hosts[0][0]}"
        )
        if info.history_hosts:
            note += (
                f"; {counted(info.history_hosts, 'more host')} known only from imported "
                "files" + (f" ({newest})" if newest else "")
            )
        self.silent_note.setText(note)

    def show_plan_missing(self, sentence: str) -> None:
        """One sentence naming what the logging plan expects and has not arrived; none hides it."""
        self.plan_missing.setText(sentence)
        self.plan_missing.setStyleSheet(
            f"color: {theme.current().levels['warning']}; font-weight: 600;"
        )
        self.plan_missing.setVisible(bool(sentence))

    def show_hit_counts(self, counts: dict[str, int]) -> None:
        """Visible detections by level: the severe ones as the figure, the rest in the note."""
        severe = sum(counts.get(level, 0) for level in SEVERE)
        lower = sum(counts.values()) - severe
        self.hits_value.setText(f"{severe:,}")
        if not counts:
            note = "none yet: rules run after every import"
        else:
            note = ", ".join(f"{counts.get(level, 0):,} {level}" for level in SEVERE)
            note += f"; {lower:,} of lower levels not counted" if lower else ""
        self.hits_note.setText(note)

    # click-throughs -------------------------------------------------------------------------

    def _on_source(self, row: tuple[str, int] | None) -> None:
        if row is not None:
            self.filter_requested.emit(
                "-source:*" if row[0] == "(none)" else exact_term("source", row[0]), None, None
            )

    def _on_host(self, row: tuple[Any, ...] | None) -> None:
        if row is not None:
            self.filter_requested.emit(
                "-host:*" if row[0] == "(none)" else exact_term("host", row[0]), None, None
            )

    def _on_day(self, row: tuple[str, int] | None) -> None:
        if row is None:
            return
        try:
            day = datetime.strptime(row[0], "%Y-%m-%d")
        except ValueError:
            self.filter_requested.emit("-time:*", None, None)
            return
        self.filter_requested.emit("", day, day + timedelta(days=1))

    def _on_type(self, row: tuple[str, str, int | None, int] | None) -> None:
        if row is None:
            return
        parts = [exact_term("source", row[0])]
        if row[1]:
            parts.append(exact_term("channel", row[1]))
        parts.append(f"event_id:{row[2]}" if row[2] is not None else "-event_id:*")
        self.filter_requested.emit(" ".join(parts), None, None)

    def _on_import(self, entry: LedgerEntry | None) -> None:
        if entry is not None:
            self.filter_requested.emit(f"import_id:{entry.id}", None, None)
