"""The Sources view's table: one row per sender and application, and the texts it shows."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from watchkeeper.core.printable import printable
from watchkeeper.core.text import counted
from watchkeeper.core.timeparse import shown_time
from watchkeeper.storage.sources import SPARK_MINUTES, STATUSES, SourceRow
from watchkeeper.ui import theme
from watchkeeper.ui.rows_model import column_header

Index = QModelIndex | QPersistentModelIndex
SPARK_ROLE = Qt.ItemDataRole.UserRole + 1  # the per-minute counts, for the sparkline delegate
SKEW_WARNING = 60.0  # seconds of clock skew beyond which timelines from devices disagree


def duration(seconds: float) -> str:
    """A span as people say it: 45 s, 5 min, 3 h, 1.5 days."""
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 120 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 86_400:
        return _one_decimal(seconds / 3600, "h", "h")
    return _one_decimal(seconds / 86_400, "day", "days")


def _one_decimal(value: float, one: str, many: str) -> str:
    text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    text = text.removesuffix(".0")
    return f"{text} {one if text == '1' else many}"


def skew_text(seconds: float | None) -> str:
    """Clock skew signed, as "+90 s" (the sender's clock behind ours) or "−12 min"."""
    if seconds is None:
        return "—"
    if abs(seconds) < 0.5:
        return "0 s"
    sign = "+" if seconds > 0 else "−"
    if abs(seconds) < 600:
        return f"{sign}{abs(seconds):.0f} s"
    return sign + duration(abs(seconds))


def source_name(row: SourceRow) -> str:
    """How the banner and messages name a source: its host (or sender) and application."""
    return printable(f"{row.host or row.sender} ({row.application})")


def expected_text(row: SourceRow) -> str:
    """The expected interval and where it came from: "5 min (learned)"."""
    if row.events == 0:
        return "in the logging plan"
    return f"{duration(row.expected_seconds)} ({row.expected_from})"


def transport_text(row: SourceRow) -> str:
    names = ", ".join(row.transports) or "—"
    if row.encrypted is None:
        return names
    return f"{names} · {'encrypted' if row.encrypted else 'plain'}"


def status_colour(status: str) -> str:
    colours = theme.current()
    if status == "silent":
        return colours.levels["error"]
    if status == "late":
        return colours.levels["warning"]
    return colours.series[2]  # green in both themes


def status_tooltip(row: SourceRow) -> str:
    """Rich text (names escaped): why the status is what it is."""
    e = html.escape
    if row.events == 0:
        return (
            f"<p><b>{e(source_name(row))}</b><br>The logging plan expects it, and nothing "
            "has arrived: silent from day one. The setup wizard's last step shows what to "
            "do on that device.</p>"
        )
    lines = [
        f"<b>{e(source_name(row))}</b> from {e(printable(row.sender))}",
        f"Quiet for {duration(row.quiet_seconds)}; silent after "
        f"{duration(row.expected_seconds)}, late after half of that.",
    ]
    if row.expected_from == "set":
        lines.append("You set this interval (right-click ▸ Expected interval… to change it).")
    elif row.expected_from == "learned":
        gap = row.gap_seconds or 0
        usual = "under a minute" if gap < 60 else duration(gap)
        lines.append(
            f"Learned from its rhythm: 95% of its gaps over its last day of traffic "
            f"were {usual} or shorter; three times that, and at least 5 min."
        )
    else:
        lines.append(
            "Default: too few messages in its last day to learn a rhythm. Set an "
            "interval with right-click ▸ Expected interval…."
        )
    return "<p>" + "<br>".join(lines) + "</p>"


def spark_tooltip(row: SourceRow) -> str:
    total = sum(row.per_minute)
    busiest = max(row.per_minute, default=0)
    return (
        f"{counted(total, 'event')} in the last {SPARK_MINUTES} minutes, at most "
        f"{busiest:,} in a minute; {row.rate:,.1f} a minute over the last 15"
    )


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[SourceRow, bool], str]  # (row, utc) -> what the cell says
    sort_key: Callable[[SourceRow], Any]
    tooltip: str = ""
    right: bool = False  # numbers align right


COLUMNS: tuple[Column, ...] = (
    Column(
        "Status",
        lambda r, _u: r.status.capitalize(),
        lambda r: (STATUSES.index(r.status), -r.quiet_seconds),
        "Receiving; late (quiet for half its expected interval); silent (quiet for longer than it)",
    ),
    Column(
        "Host",
        lambda r, _u: printable(r.host),
        lambda r: r.host.lower(),
        "The host name its messages give most often",
    ),
    Column(
        "Application",
        lambda r, _u: printable(r.application),
        lambda r: r.application.lower(),
        "The process, or the Windows event log, that sent it",
    ),
    Column(
        "Sender",
        lambda r, _u: printable(r.sender),
        lambda r: r.sender,
        "The address the messages came from",
    ),
    Column(
        "Last hour",
        lambda r, _u: f"{sum(r.per_minute):,}",
        lambda r: sum(r.per_minute),
        "Events a minute over the last hour, oldest on the left",
    ),
    Column(
        "Rate",
        lambda r, _u: f"{r.rate:,.1f}/min",
        lambda r: r.rate,
        "Events a minute over the last 15 minutes",
        right=True,
    ),
    Column(
        "Last heard",
        lambda r, _u: f"{duration(r.quiet_seconds)} ago" if r.events else "never",
        lambda r: r.quiet_seconds,
        "When its last message arrived",
        right=True,
    ),
    Column(
        "Expected",
        lambda r, _u: expected_text(r),
        lambda r: r.expected_seconds,
        "Quiet for longer than this, it is silent: set by you, learned from its rhythm, or "
        "the default",
    ),
    Column(
        "Skew",
        lambda r, _u: skew_text(r.skew_seconds),
        lambda r: -1.0 if r.skew_seconds is None else abs(r.skew_seconds),
        "Clock skew: the median of receive time minus event time; + when the sender's "
        "clock is behind, − when it is ahead",
        right=True,
    ),
    Column(
        "Transport",
        lambda r, _u: transport_text(r),
        lambda r: (r.encrypted is not False, r.transports),
        "How its messages came, and whether all of them were encrypted (TLS)",
    ),
    Column("Format", lambda r, _u: r.format, lambda r: r.format),
    Column("Events", lambda r, _u: f"{r.events:,}", lambda r: r.events, right=True),
    Column(
        "First heard",
        lambda r, utc: shown_time(r.first_seen, utc)[:-3] if r.events else "—",  # no seconds
        lambda r: r.first_seen,
        "When its first message arrived",
    ),
)
(
    STATUS,
    HOST,
    APPLICATION,
    SENDER,
    SPARK,
    RATE,
    LAST_HEARD,
    EXPECTED,
    SKEW,
    TRANSPORT,
    FORMAT,
    EVENTS,
    FIRST_HEARD,
) = range(len(COLUMNS))
SPARK_COLUMN = SPARK


class SourcesModel(QAbstractTableModel):
    """The sources of the last load; a reload with the same sources updates rows in place."""

    def __init__(self, utc: bool = False) -> None:
        super().__init__()
        self._rows: list[SourceRow] = []
        self.utc = utc
        self._sort: tuple[int, Qt.SortOrder] | None = None

    # reading ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def row_object(self, row: int) -> SourceRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, key: str) -> int | None:
        for number, row in enumerate(self._rows):
            if row.key == key:
                return number
        return None

    @property
    def rows(self) -> list[SourceRow]:
        return list(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_object(index.row()) if index.isValid() else None
        if row is None or not 0 <= index.column() < len(COLUMNS):
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[column].text(row, self.utc)
        if role == SPARK_ROLE:
            return list(row.per_minute) if column == SPARK else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(row, column)
        if role == Qt.ItemDataRole.DecorationRole:
            return QColor(status_colour(row.status)) if column == STATUS else None
        if role == Qt.ItemDataRole.FontRole:
            if (column == STATUS and row.status != "receiving") or (
                column == SKEW and _skewed(row)
            ):
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[column].right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _tooltip(self, row: SourceRow, column: int) -> str | None:
        if column in (STATUS, EXPECTED, LAST_HEARD):
            return status_tooltip(row)
        if column == SPARK:
            return spark_tooltip(row)
        if column == SKEW and row.skew_seconds is not None:
            verdict = (
                "more than a minute: timelines from this device will not line up with "
                "the others; check its clock (NTP) and time zone"
                if _skewed(row)
                else "within a minute"
            )
            return (
                f"Its messages arrive {skew_text(row.skew_seconds)} after their own "
                f"timestamps (median): {verdict}."
            )
        if column == SKEW:
            return "Its messages carry no time of their own"
        if column == TRANSPORT:
            if row.encrypted is None:
                return "Not known whether its messages were encrypted"
            return (
                "Every message came over TLS"
                if row.encrypted
                else "Some or all of its messages crossed the network unencrypted"
            )
        if column in (HOST, APPLICATION, SENDER):  # rich text, so markup shows as written
            return f"<p>{html.escape(COLUMNS[column].text(row, self.utc))}</p>"
        return None

    def _foreground(self, row: SourceRow, column: int) -> QColor | None:
        if column == STATUS:
            return QColor(status_colour(row.status))
        if column == SKEW and _skewed(row):
            return QColor(theme.current().levels["error"])
        if column == TRANSPORT and row.encrypted is False:
            return QColor(theme.current().levels["warning"])
        if column in (LAST_HEARD, EXPECTED) and row.status != "receiving":
            return QColor(status_colour(row.status))
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return column_header(COLUMNS, section, orientation, role)

    # changing -----------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[SourceRow]) -> None:
        """Show a new load, in the user's sort order; the same sources update in place."""
        rows = self._sorted(list(rows))
        if [row.key for row in rows] == [row.key for row in self._rows]:
            self._rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def set_utc(self, utc: bool) -> None:
        self.utc = utc
        self.repaint()

    def repaint(self) -> None:
        """Colours come from the theme: draw every row again."""
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1)
            )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            self._sort = None
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        keys_before = [row.key for row in self._rows]
        self._rows = self._sorted(self._rows)
        after = {row.key: number for number, row in enumerate(self._rows)}
        for index in self.persistentIndexList():
            if 0 <= index.row() < len(keys_before):
                self.changePersistentIndex(
                    index, self.index(after[keys_before[index.row()]], index.column())
                )
        self.layoutChanged.emit()

    def _sorted(self, rows: list[SourceRow]) -> list[SourceRow]:
        if self._sort is None:
            return rows  # as the query ordered them: the silent first
        column, order = self._sort
        key = COLUMNS[column].sort_key
        return sorted(
            rows, key=lambda row: (key(row), row.key), reverse=order == Qt.SortOrder.DescendingOrder
        )


def _skewed(row: SourceRow) -> bool:
    return row.skew_seconds is not None and abs(row.skew_seconds) > SKEW_WARNING
