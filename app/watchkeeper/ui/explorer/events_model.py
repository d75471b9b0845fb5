"""A virtual table over the store: the row count is the index's, rows come a page at a time."""

from __future__ import annotations

from collections import OrderedDict, deque
from datetime import datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from watchkeeper.core.errors import Cancelled
from watchkeeper.core.progress import Progress
from watchkeeper.core.timeparse import shown_time
from watchkeeper.storage import eventset
from watchkeeper.storage.eventset import EventIndex
from watchkeeper.storage.store import Store
from watchkeeper.ui import theme
from watchkeeper.ui.tasks import TaskRunner

PAGE_SIZE = 256
MAX_PAGES = 64  # about 16,000 rows kept: a few screens either way of where the user is
RECENT_PAGES = 8  # pages asked for lately; older requests still queued are dropped
MAX_CELL = 500  # characters shown in a cell; the detail pane has the rest
TITLES = {
    "time": "Time",
    "host": "Host",
    "source": "Source",
    "event_id": "Event ID",
    "level": "Level",
    "username": "User",
    "process": "Process",
    "message": "Message",
    "channel": "Channel",
    "provider": "Provider",
    "src_ip": "Source IP",
    "dst_ip": "Destination IP",
    "src_port": "Source port",
    "dst_port": "Destination port",
    "command_line": "Command line",
    "parent_process": "Parent process",
    "pid": "PID",
}
EVENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
VALUE_ROLE = Qt.ItemDataRole.UserRole + 2  # the stored value, for filters and copying
_NUMERIC = {"event_id", "pid", "src_port", "dst_port"}
Index = QModelIndex | QPersistentModelIndex
_HIDDEN = 2  # id and level lead every fetched row


def cell_text(value: Any, utc: bool) -> str:
    """A value as one line of plain text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return shown_time(value, utc)
    text = str(value)
    if len(text) > MAX_CELL:
        text = text[:MAX_CELL] + "…"
    # one line per row; control characters shown as symbols, not obeyed
    return (
        "".join(
            ch if ch >= " " or ch == "\t" else "\u2423" if ch in "\r\n" else "\ufffd" for ch in text
        )
        if any(ch < " " for ch in text)
        else text
    )


class EventsModel(QAbstractTableModel):
    """Rows of an EventIndex; `show()` swaps in a new one (a new filter or range).

    With a runner, a missing page is fetched in the background and its rows show "…"
    until it arrives (the GUI thread never waits on DuckDB, which may be busy with an
    import); without one (tests of the model alone, benchmarks) pages are read at once.
    """

    page_loaded = Signal(int, int)  # first row, row count

    def __init__(
        self, store: Store, columns: list[str], utc: bool = False, runner: TaskRunner | None = None
    ) -> None:
        super().__init__()
        self._store = store
        self._runner = runner
        self._wanted = list(columns)
        self._columns = self._fetched(columns)
        self._index: EventIndex | None = None
        self._pages: OrderedDict[int, list[tuple[Any, ...]]] = OrderedDict()
        self._requested: set[int] = set()
        self._recent: deque[int] = deque(maxlen=RECENT_PAGES)
        self._generation = 0
        self.utc = utc
        self.pages_fetched = 0

    def _fetched(self, wanted: list[str]) -> list[str]:
        """id and level (for row colours) first, hidden; then the visible columns."""
        return ["id", "level", *eventset.page_columns(self._store, wanted)[1:]]

    # what it shows -------------------------------------------------------------------

    @property
    def fetched_columns(self) -> list[str]:
        return list(self._columns)

    @property
    def columns(self) -> list[str]:
        """The visible columns, as stored."""
        return self._columns[_HIDDEN:]

    def show(
        self, index: EventIndex | None, first_page: list[tuple[Any, ...]] | None = None
    ) -> None:
        """A new result; its first page, read with the index, shows without a wait."""
        self.beginResetModel()
        self._index = index
        self._forget_pages()
        if first_page is not None:
            self._pages[0] = first_page
        self.endResetModel()

    def _forget_pages(self) -> None:
        self._pages.clear()
        self._requested.clear()
        self._generation += 1

    def set_columns(self, columns: list[str]) -> None:
        self.beginResetModel()
        self._wanted = list(columns)
        self._columns = self._fetched(columns)
        self._forget_pages()
        self.endResetModel()

    def refresh_columns(self) -> None:
        """After an import: fields that were unknown before may now exist."""
        self.set_columns(self._wanted)

    def set_utc(self, utc: bool) -> None:
        self.utc = utc
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1)
            )
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.columnCount() - 1)

    def row(self, row: int) -> tuple[Any, ...] | None:
        """The stored values of a row; None while its page is on its way."""
        if self._index is None or not 0 <= row < self._index.total:
            return None
        number, offset = divmod(row, PAGE_SIZE)
        page = self._pages.get(number)
        if page is None:
            if self._runner is None:
                page = self._read_page(self._index, self._columns, number)
                self._keep(number, page)
            else:
                self._request(number)
                return None
        else:
            self._pages.move_to_end(number)
        return page[offset] if offset < len(page) else None

    def _read_page(
        self, index: EventIndex, columns: list[str], number: int
    ) -> list[tuple[Any, ...]]:
        self.pages_fetched += 1
        return eventset.fetch_page(self._store, index, number * PAGE_SIZE, PAGE_SIZE, columns)

    def _keep(self, number: int, page: list[tuple[Any, ...]]) -> None:
        self._pages[number] = page
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)

    def _request(self, number: int) -> None:
        self._recent.append(number)
        if number in self._requested or self._index is None or self._runner is None:
            return
        self._requested.add(number)
        index, columns, generation = self._index, list(self._columns), self._generation

        def fetch(progress: Progress) -> list[tuple[Any, ...]]:
            # scrolled past while it waited for a thread: not worth reading any more
            if number not in self._recent or generation != self._generation:
                raise Cancelled("scrolled past")
            return self._read_page(index, columns, number)

        self._runner.run(
            fetch,
            title="Reading events",
            dialog=False,
            quiet=True,
            on_success=partial(self._on_page_fetched, generation, number),
            on_error=partial(self._on_page_failed, generation, number),
        )

    def _on_page_fetched(self, generation: int, number: int, page: list[tuple[Any, ...]]) -> None:
        if generation != self._generation:
            return  # a page of an older result
        self._requested.discard(number)
        self._keep(number, page)
        first = number * PAGE_SIZE
        last = min(first + PAGE_SIZE, self.rowCount()) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))
            self.page_loaded.emit(first, last - first + 1)

    def _on_page_failed(self, generation: int, number: int, error: BaseException) -> None:
        if generation == self._generation:
            self._requested.discard(number)  # asked for again when it comes into view
        if (
            not isinstance(error, Cancelled)
            and self._runner is not None
            and self._runner.on_error is not None
        ):
            self._runner.on_error(error, "Reading events")

    def event_id(self, row: int) -> int | None:
        values = self.row(row)
        return int(values[0]) if values is not None else None

    def column_name(self, column: int) -> str:
        return self._columns[column + _HIDDEN]

    # Qt's side -----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self._index is None:
            return 0
        return self._index.total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns) - _HIDDEN

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.TextAlignmentRole,
            VALUE_ROLE,
            EVENT_ID_ROLE,
        ):
            return None
        values = self.row(index.row())
        if values is None:
            loading = role == Qt.ItemDataRole.DisplayRole and index.column() == 0
            return "…" if loading else None
        name = self._columns[index.column() + _HIDDEN]
        value = values[index.column() + _HIDDEN]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(value, self.utc)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = cell_text(value, self.utc)
            return text if len(text) > 60 else None
        if role == Qt.ItemDataRole.ForegroundRole:
            level = values[1]
            colour = theme.current().levels.get(level or "")
            return QColor(colour) if colour and level not in ("information", None) else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if name in _NUMERIC:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role == EVENT_ID_ROLE:
            return int(values[0])
        return value

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        if not 0 <= section < self.columnCount():
            return None
        name = self._columns[section + _HIDDEN]
        if name == "time":
            return "Time (UTC)" if self.utc else "Time (local)"
        return TITLES.get(name, name)
