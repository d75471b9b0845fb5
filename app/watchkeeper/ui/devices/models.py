"""The Devices view's table: one row per device, a cell per check, and the texts it shows.

The view shows `DeviceLine`s: what the table needs of a device, whatever the evaluation
layer calls its fields (`line_of` reads that layer's rows). Every text a device brings
(names, owners, evidence) came from an export or a log: it is made printable for a cell and
escaped for a tooltip.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from watchkeeper.compliance import devices, exceptions
from watchkeeper.compliance.checks import SOURCE_NAMES
from watchkeeper.compliance.devices import Device
from watchkeeper.compliance.evaluate import CheckResult, DeviceRow
from watchkeeper.compliance.exceptions import DeviceException
from watchkeeper.compliance.history import HistoryEntry, device_history
from watchkeeper.compliance.importing import DeviceFileResult, import_device_file
from watchkeeper.compliance.policy import load_policy
from watchkeeper.compliance.report import compliance_report
from watchkeeper.compliance.stored import record_key
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.progress import Progress
from watchkeeper.core.settings import Settings
from watchkeeper.core.timeparse import shown_time
from watchkeeper.storage.store import Store
from watchkeeper.ui import theme
from watchkeeper.ui.sources.models import printable

Index = QModelIndex | QPersistentModelIndex
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1  # a check cell's status, for the delegate
STATUSES = ("fail", "unknown", "excepted", "pass", "n/a")  # worst first: the sort order
STATUS_WORDS = {"pass": "Pass", "fail": "Fail", "unknown": "Unknown", "excepted": "Excepted",
                "n/a": "n/a"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CheckCell:
    """One check's verdict on one device, with what it rests on."""

    status: str  # one of STATUSES
    reason: str = ""  # a sentence: why this verdict
    evidence: str = ""  # what the source said, where
    source: str = ""  # which source said it
    observed: datetime | None = None  # when the source saw it (UTC)


@dataclass(frozen=True)
class DeviceLine:
    """One device as the table shows it."""

    device_id: str
    name: str
    platform: str = ""
    owner: str = ""
    sources: tuple[str, ...] = ()
    last_seen: datetime | None = None  # naive or aware UTC
    checks: Mapping[str, CheckCell] = field(default_factory=dict)
    status: str = "unknown"  # the overall verdict, one of STATUSES
    hosts: tuple[str, ...] = ()  # its names in the event store
    original: Any = None  # the evaluation layer's own row, for the device page

    @property
    def failing(self) -> bool:
        return self.status == "fail"


def check_title(name: str) -> str:
    """A check's column title from its name: "screen_lock" -> "Screen lock"."""
    words = name.replace("_", " ").replace("-", " ").strip()
    return (words[:1].upper() + words[1:]) or name


def status_colour(status: str) -> str:
    colours = theme.current()
    return {"pass": colours.series[2], "fail": colours.levels["error"],
            "excepted": colours.series[4], "unknown": colours.levels["warning"]
            }.get(status, colours.muted)


def time_text(value: datetime | None, utc: bool) -> str:
    """A time to the minute, in UTC or local time; aware times are turned to UTC first."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return shown_time(value, utc)[:-3]  # no seconds


def check_tooltip(device: DeviceLine, title: str, cell: CheckCell, utc: bool) -> str:
    """Rich text, every value escaped: the verdict, why, the evidence, its source and date."""
    e = html.escape
    lines = [f"<b>{e(title)}</b> on {e(printable(device.name))}: "
             f"<b>{STATUS_WORDS.get(cell.status, e(cell.status))}</b>"]
    if cell.reason:
        lines.append(e(printable(cell.reason)))
    if cell.evidence:
        lines.append(f"Evidence: {e(printable(cell.evidence))}")
    said = []
    if cell.source:
        said.append(f"Source: {e(printable(cell.source))}")
    if cell.observed is not None:
        said.append(f"seen {e(time_text(cell.observed, utc))}")
    if said:
        lines.append(" · ".join(said))
    return "<p>" + "<br>".join(lines) + "</p>"


def overall_tooltip(device: DeviceLine, title: Callable[[str], str] = check_title) -> str:
    failing = [title(name) for name, cell in device.checks.items() if cell.status == "fail"]
    unknown = [title(name) for name, cell in device.checks.items() if cell.status == "unknown"]
    lines = [f"<b>{html.escape(printable(device.name))}</b>: "
             f"{STATUS_WORDS.get(device.status, html.escape(device.status))}"]
    if failing:
        lines.append("Fails: " + html.escape(", ".join(failing)))
    if unknown:
        lines.append("Not known: " + html.escape(", ".join(unknown)))
    lines.append("Double-click for the device page")
    return "<p>" + "<br>".join(lines) + "</p>"


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[DeviceLine, bool], str]
    sort_key: Callable[[DeviceLine], Any]
    tooltip: str = ""


FIXED_COLUMNS: tuple[Column, ...] = (
    Column("Status", lambda d, _u: STATUS_WORDS.get(d.status, d.status),
           lambda d: _status_rank(d.status),
           "Fail when any check fails; unknown when none fails but some cannot be judged"),
    Column("Device", lambda d, _u: printable(d.name), lambda d: d.name.lower()),
    Column("Platform", lambda d, _u: printable(d.platform), lambda d: d.platform.lower()),
    Column("Owner", lambda d, _u: printable(d.owner), lambda d: d.owner.lower(),
           "The primary user, as the MDM gives it"),
)
# after the checks, which are what the view is for
TRAILING_COLUMNS: tuple[Column, ...] = (
    Column("Sources", lambda d, _u: printable(", ".join(d.sources)), lambda d: d.sources,
           "The inventories and logs that saw this device"),
    Column("Last seen", lambda d, u: time_text(d.last_seen, u),
           lambda d: (d.last_seen is None, time_text(d.last_seen, True)),
           "The latest time any source saw it"),
)
STATUS, DEVICE, PLATFORM, OWNER = range(len(FIXED_COLUMNS))
FIRST_CHECK = len(FIXED_COLUMNS)


def _status_rank(status: str) -> int:
    return STATUSES.index(status) if status in STATUSES else len(STATUSES)


def _check_rank(check: str, line: DeviceLine) -> int:
    cell = line.checks.get(check)
    return _status_rank(cell.status if cell is not None else "n/a")


def check_names(lines: Iterable[DeviceLine], known: Sequence[str] = ()) -> list[str]:
    """The check columns: the policy's order first, then any other check the rows have."""
    names = list(known)
    for line in lines:
        names.extend(name for name in line.checks if name not in names)
    return names


class DevicesModel(QAbstractTableModel):
    """The devices of the last load and filter, with a column per check."""

    def __init__(self, utc: bool = False) -> None:
        super().__init__()
        self._rows: list[DeviceLine] = []
        self._checks: list[str] = []
        self._titles: dict[str, tuple[str, str]] = {}  # check -> (heading, title)
        self.utc = utc
        self._sort: tuple[int, Qt.SortOrder] | None = None

    # reading ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else (FIRST_CHECK + len(self._checks)
                                           + len(TRAILING_COLUMNS))

    @property
    def checks(self) -> list[str]:
        return list(self._checks)

    @property
    def rows(self) -> list[DeviceLine]:
        return list(self._rows)

    def row_object(self, row: int) -> DeviceLine | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, device_id: str) -> int | None:
        for number, line in enumerate(self._rows):
            if line.device_id == device_id:
                return number
        return None

    def column_of(self, check: str) -> int | None:
        return FIRST_CHECK + self._checks.index(check) if check in self._checks else None

    def check_at(self, column: int) -> str | None:
        number = column - FIRST_CHECK
        return self._checks[number] if 0 <= number < len(self._checks) else None

    def column_at(self, column: int) -> Column | None:
        """The device column at `column`; None for a check's."""
        if column < FIRST_CHECK:
            return FIXED_COLUMNS[column]
        trailing = column - FIRST_CHECK - len(self._checks)
        return TRAILING_COLUMNS[trailing] if 0 <= trailing < len(TRAILING_COLUMNS) else None

    @property
    def sources_column(self) -> int:
        return FIRST_CHECK + len(self._checks)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        line = self.row_object(index.row()) if index.isValid() else None
        if line is None or not 0 <= index.column() < self.columnCount():
            return None
        column = index.column()
        check = self.check_at(column)
        if check is not None:
            return self._check_data(line, check, role)
        shown = self.column_at(column)
        assert shown is not None
        if role == Qt.ItemDataRole.DisplayRole:
            return shown.text(line, self.utc)
        if role == STATUS_ROLE:
            return line.status if column == STATUS else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == STATUS:
                return overall_tooltip(line, self.title)
            text = shown.text(line, self.utc)
            return f"<p>{html.escape(text)}</p>" if text else None
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS:
            return QColor(status_colour(line.status))
        return None

    def _check_data(self, line: DeviceLine, check: str, role: int) -> Any:
        cell = line.checks.get(check)
        if cell is None:
            cell = CheckCell("n/a", "This check does not apply to this device")
        if role == Qt.ItemDataRole.DisplayRole:
            return STATUS_WORDS.get(cell.status, cell.status)
        if role == STATUS_ROLE:
            return cell.status
        if role == Qt.ItemDataRole.ToolTipRole:
            return check_tooltip(line, self.title(check), cell, self.utc)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(status_colour(cell.status))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        check = self.check_at(section)
        shown = self.column_at(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return self.heading(check) if check is not None else (shown.title if shown else None)
        if role == Qt.ItemDataRole.ToolTipRole:
            if check is not None:
                return f"{self.title(check)}: hover a cell for its evidence"
            return (shown.tooltip or None) if shown else None
        return None

    # changing -----------------------------------------------------------------------------

    def heading(self, check: str) -> str:
        return self._titles.get(check, (check_title(check), ""))[0]

    def title(self, check: str) -> str:
        return self._titles.get(check, ("", check_title(check)))[1]

    def set_rows(self, rows: Sequence[DeviceLine], checks: Sequence[str] = (),
                 titles: Mapping[str, tuple[str, str]] | None = None) -> None:
        """Show these devices, with a column per check (the policy's order, then others).

        `titles` gives each check a short heading and a full title.
        """
        self.beginResetModel()
        if titles is not None:
            self._titles = dict(titles)
        self._checks = check_names(rows, checks)
        self._rows = self._sorted(list(rows))
        self.endResetModel()

    def set_utc(self, utc: bool) -> None:
        self.utc = utc
        self.repaint()

    def repaint(self) -> None:
        if self._rows and self.columnCount():
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._rows) - 1, self.columnCount() - 1))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < self.columnCount():
            self._sort = None
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = [line.device_id for line in self._rows]
        self._rows = self._sorted(self._rows)
        after = {line.device_id: number for number, line in enumerate(self._rows)}
        for index in self.persistentIndexList():
            if 0 <= index.row() < len(before):
                self.changePersistentIndex(
                    index, self.index(after[before[index.row()]], index.column()))
        self.layoutChanged.emit()

    def _sorted(self, rows: list[DeviceLine]) -> list[DeviceLine]:
        if self._sort is None or self._sort[0] >= self.columnCount():
            return rows
        column, order = self._sort
        check = self.check_at(column)
        shown = self.column_at(column)
        key: Callable[[DeviceLine], Any] = shown.sort_key if shown is not None \
            else partial(_check_rank, check or "")
        return sorted(rows, key=lambda line: (key(line), line.name.lower(), line.device_id),
                      reverse=order == Qt.SortOrder.DescendingOrder)


# filtering ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeviceFilter:
    """What the view's filters ask for; empty strings mean any."""

    failing_only: bool = False
    platform: str = ""
    owner: str = ""
    source: str = ""

    def keeps(self, line: DeviceLine) -> bool:
        return ((not self.failing_only or line.failing)
                and (not self.platform or line.platform == self.platform)
                and (not self.owner or line.owner == self.owner)
                and (not self.source or self.source in line.sources))


def filtered(lines: Iterable[DeviceLine], where: DeviceFilter) -> list[DeviceLine]:
    return [line for line in lines if where.keeps(line)]


@dataclass(frozen=True)
class Facets:
    platforms: list[str]
    owners: list[str]
    sources: list[str]


def facets(lines: Iterable[DeviceLine]) -> Facets:
    """The values each filter offers: those the devices have."""
    platforms: set[str] = set()
    owners: set[str] = set()
    sources: set[str] = set()
    for line in lines:
        if line.platform:
            platforms.add(line.platform)
        if line.owner:
            owners.add(line.owner)
        sources.update(line.sources)
    return Facets(sorted(platforms), sorted(owners, key=str.lower), sorted(sources))


# CSV ----------------------------------------------------------------------------------------

def safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ would be a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def devices_csv(lines: Sequence[DeviceLine], checks: Sequence[str],
                titles: Mapping[str, str] | None = None) -> str:
    """The table as CSV: the device's columns, then each check's status and reason."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = [column.title for column in (*FIXED_COLUMNS, *TRAILING_COLUMNS)]
    for check in checks:
        title = (titles or {}).get(check) or check_title(check)
        header += [title, f"{title}: reason"]
    writer.writerow(header)
    for line in lines:
        row = [STATUS_WORDS.get(line.status, line.status), line.name, line.platform, line.owner,
               ", ".join(line.sources), time_text(line.last_seen, True)]  # UTC
        for check in checks:
            cell = line.checks.get(check)
            row += ([STATUS_WORDS.get(cell.status, cell.status), cell.reason]
                    if cell is not None else ["n/a", ""])
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()


# loading and changing: plain functions the view runs on the task runner ---------------------

ImportResult = DeviceFileResult


@dataclass(frozen=True)
class DevicesPage:
    """One load of the view: every device judged, the policy's checks in order, a remark."""

    lines: list[DeviceLine]
    checks: list[str]
    titles: dict[str, tuple[str, str]] = field(default_factory=dict)  # (heading, title)
    note: str = ""


@dataclass(frozen=True)
class RecordEntry:
    """One source's record merged into a device."""

    record_key: str
    source: str
    name: str
    source_label: str
    location: str
    observed: datetime | None


@dataclass
class DeviceDetails:
    """What the device page shows beyond the row: history, records, exceptions."""

    history: list[HistoryEntry]
    records: list[RecordEntry]
    exceptions: list[DeviceException]
    other_devices: dict[str, str]  # another device's label -> its device id
    checks: list[str] = field(default_factory=list)
    history_note: str = ""


def import_device_files(store: Store, paths: Sequence[Path], now: datetime,
                        progress: Progress) -> list[DeviceFileResult]:
    """Import device lists one by one, reporting each file and stopping on Cancel."""
    results: list[DeviceFileResult] = []
    for number, path in enumerate(paths):
        progress.update(stage="Importing device lists", item=path.name, done=number,
                        total=len(paths))
        results.append(import_device_file(store, path, now=now))
    progress.update(done=len(paths))
    return results


def add_device_exception(store: Store, line: DeviceLine, check: str, reason: str,
                         expires: datetime, now: datetime) -> str:
    """Let a device off a check until `expires`; a sentence saying so."""
    added = exceptions.add_exception(store, _device(line), check, reason, expires, now=now)
    return (f"{check_title(added.check)} is excepted on {printable(line.name)} until "
            f"{added.expires:%Y-%m-%d %H:%M} UTC.")


def _device(line: DeviceLine) -> Device:
    if not isinstance(line.original, DeviceRow):
        raise WatchkeeperError("This device is no longer in the store; refresh the Devices "
                               "view and try again.")
    return line.original.device


def remove_device_exception(store: Store, exception_id: int) -> str:
    removed = exceptions.remove_exception(store, exception_id)
    return "Exception removed." if removed else "That exception was already gone."


def split_record(store: Store, record_key: str, now: datetime) -> str:
    """One record of a device is another device: it stands alone from now on."""
    devices.split_record(store, record_key, now=now)
    return "The record now stands as a device of its own."


def merge_into(store: Store, device_id: str, into_id: str, now: datetime) -> str:
    """Every record of one device belongs to another: they become one device."""
    found = {device.device_id: device for device in devices.merged_devices(store)}
    device, into = found.get(device_id), found.get(into_id)
    if device is None or into is None:
        raise WatchkeeperError("One of the two devices is no longer in the store; "
                               "refresh the Devices view and try again.")
    devices.merge_devices(store, device, into, now=now)
    return f"{printable(device.name)} is merged into {printable(into.name)}."




def load_page(store: Store, settings: Settings, now: datetime,
              progress: Progress | None = None) -> DevicesPage:
    """Every device judged against the policy as of `now`, worst first."""
    report = compliance_report(store, load_policy(None, settings.compliance_thresholds), now,
                               progress)
    enabled = report.checks
    titles = {check.name: (check.column, check.title) for check in enabled}
    lines = sorted((line_of(row) for row in report.rows),
                   key=lambda line: (_status_rank(line.status), line.name.casefold()))
    return DevicesPage(lines, [check.name for check in enabled], titles, " ".join(report.notes))


def line_of(row: DeviceRow) -> DeviceLine:
    """What the table shows of one judged device."""
    cells = {name: CheckCell(result.status, _reason(result), result.evidence or "",
                             SOURCE_NAMES.get(result.source or "", result.source or ""),
                             result.observed)
             for name, result in row.checks.items()}
    return DeviceLine(row.device_id, row.name, row.platform, row.owner or "",
                      tuple(row.sources), row.last_seen, cells, row.overall,
                      tuple(row.host_names), row)


def _reason(result: CheckResult) -> str:
    exception = result.exception
    if exception is None:
        return result.reason
    return (f"{result.reason} Excepted until {exception.expires:%Y-%m-%d} "
            f"(by {exception.created_by}: {exception.reason}).")


def load_details(store: Store, line: DeviceLine,
                 progress: Progress | None = None) -> DeviceDetails:
    """The device page's records, exceptions and history, read fresh from the store."""
    if progress is not None:
        progress.update(stage="Reading the device")
    device = _device(line)
    records = [RecordEntry(record_key(record), record.source, record.name,
                           record.source_label, record.location, record.observed)
               for record in device.records]
    return DeviceDetails(device_history(store, device), records,
                         exceptions.exceptions(store, line.device_id), {}, list(line.checks))
