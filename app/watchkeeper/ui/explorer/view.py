"""The explorer: filter bar, timeline, the virtual event table and the detail pane."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QItemSelection, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.errors import FilterSyntaxError
from watchkeeper.core.filterlang import exact_term
from watchkeeper.core.settings import Settings
from watchkeeper.core.text import counted
from watchkeeper.core.timeparse import shown_time
from watchkeeper.storage.eventset import EventQuery
from watchkeeper.storage.filters import compile_filter
from watchkeeper.storage.store import Store
from watchkeeper.ui.explorer.columns import column_menu, size_columns
from watchkeeper.ui.explorer.detail_pane import DetailPane, add_value_actions
from watchkeeper.ui.explorer.events_model import VALUE_ROLE, EventsModel
from watchkeeper.ui.explorer.filter_bar import FilterBar
from watchkeeper.ui.explorer.jobs import (
    SearchJob,
    TimelineJob,
    event_job,
    marks_job,
    search_job,
    timeline_job,
)
from watchkeeper.ui.explorer.timeline_view import TimelineView
from watchkeeper.ui.tasks import TaskRunner

ADD_LIMIT = 5000  # events added to an incident at once from a selection


class ExplorerView(QWidget):
    """Every event the filter matches, in time order; a range on the timeline narrows it."""

    count_changed = Signal(int)
    searched = Signal(str)  # a filter was applied: the text, for history
    add_to_incident_requested = Signal(str, list)  # "event", the selected events' ids

    def __init__(
        self, store: Store, runner: TaskRunner, settings: Settings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._settings = settings
        utc = settings.time_display == "utc"
        self._base = EventQuery()  # the filter, without the timeline selection
        self._selection: tuple[datetime, datetime] | None = None

        self.filter_bar = FilterBar(settings.filter_history)
        self.filter_bar.submitted.connect(self._on_filter_bar_submitted)
        self.count = QLabel("")
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        self.range_label = QLabel("")
        self.range_label.setTextFormat(Qt.TextFormat.PlainText)
        self.range_clear = QToolButton()
        self.range_clear.setText("Show all times")
        self.range_clear.setToolTip("Forget the time range picked on the timeline")
        self.range_clear.clicked.connect(lambda: self.select_range(None, None))
        self.range_clear.hide()

        self.timeline = TimelineView(utc)
        self.timeline.range_changed.connect(self._on_timeline_range_changed)
        self.timeline.range_selected.connect(self.select_range)

        self.model = EventsModel(store, settings.table_columns, utc, runner)
        self.model.page_loaded.connect(self._on_model_page_loaded)
        self._detail_row: int | None = None  # selected while its page was on its way
        self.table = self._build_table()
        self._size_columns()

        self.detail = DetailPane(self.add_term, self.replace_filter)
        self.detail.utc = utc

        self._build_layout()

    def _build_table(self) -> QTableView:
        """The virtual event table: rows (several for Add to incident), movable columns,
        menus on cells and header."""
        table = QTableView()
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setShowGrid(False)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = table.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # rows of one height: cheap
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        vertical.setVisible(False)
        header = table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._on_header_menu)
        header.sectionMoved.connect(self._on_header_section_moved)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._on_table_menu)
        table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        return table

    def _build_layout(self) -> None:
        """Filter bar and summary above; the timeline over the table and the detail pane."""
        top = QHBoxLayout()
        top.addWidget(self.filter_bar, 1)
        summary = QHBoxLayout()
        summary.addWidget(self.count)
        summary.addSpacing(12)
        summary.addWidget(self.range_label)
        summary.addWidget(self.range_clear)
        summary.addStretch(1)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.table)
        lower.addWidget(self.detail)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 1)
        lower.setSizes([940, 340])
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.timeline)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([190, 600])
        self.splitter.setObjectName("explorerSplitter")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addLayout(top)
        layout.addLayout(summary)
        layout.addWidget(self.splitter, 1)

    # what the rest of the window asks ---------------------------------------------------

    @property
    def query(self) -> EventQuery:
        """The table's query: the filter and the timeline selection."""
        if self._selection is None:
            return self._base
        return self._base.within(*self._selection)

    def apply_filter(
        self, text: str, since: datetime | None = None, until: datetime | None = None
    ) -> bool:
        """Filter the table and timeline; False (and the mistake shown) when it does not parse."""
        self.filter_bar.set_text(text)
        try:
            compiled = compile_filter(text, self._store)
        except FilterSyntaxError as error:
            self.filter_bar.show_error(error)
            return False
        self.filter_bar.clear_error()
        self._base = EventQuery(compiled.where, tuple(compiled.params), text=text)
        self._selection = (since, until) if since is not None and until is not None else None
        self._show_selection_label()
        self._search()
        self._load_timeline(None)
        self.searched.emit(text)
        return True

    def refresh(self) -> None:
        """New events arrived (an import ended): search again, keep the filter and range."""
        self.model.refresh_columns()
        self._search()
        self._load_timeline(None)

    def add_term(self, term: str) -> None:
        text = self.filter_bar.text
        self.apply_filter(f"{text} {term}".strip() if text else term)

    def replace_filter(self, text: str) -> None:
        self.apply_filter(text)

    def focus_filter(self) -> None:
        self.filter_bar.focus()

    def clear_filter(self) -> None:
        self.apply_filter("")

    def set_utc(self, utc: bool) -> None:
        self.model.set_utc(utc)
        self.timeline.set_utc(utc)
        self.detail.utc = utc
        self._show_selection_label()
        self._on_table_selection_changed()

    def select_range(self, since: datetime | None, until: datetime | None) -> None:
        """Narrow the table to [since, until) picked on the timeline; None, None for all."""
        self._selection = (since, until) if since is not None and until is not None else None
        if self._selection is None:
            self.timeline.clear_selection()
        self._show_selection_label()
        self._search()

    # jobs -------------------------------------------------------------------------------

    def _search(self) -> None:
        query = self.query
        self.count.setText("Searching…")
        self._runner.run(
            partial(search_job, self._store, query, self.model.fetched_columns),
            title="Searching",
            key="explorer-index",
            on_success=self._on_index_built,
        )

    def _load_timeline(self, visible: tuple[datetime, datetime] | None) -> None:
        self._runner.run(
            partial(timeline_job, self._store, self._base, self._settings.timeline_series, visible),
            title="Drawing the timeline",
            key="explorer-timeline",
            dialog=False,
            on_success=partial(self._on_timeline_loaded, visible is None),
        )

    def refresh_hit_marks(self) -> None:
        """Rule hits changed: redraw the markers of the visible range."""
        if self.timeline.histogram is not None:
            self._load_hit_marks(self.timeline.visible_range())

    def _load_hit_marks(self, span: tuple[datetime, datetime]) -> None:
        self._runner.run(
            partial(marks_job, self._store, self._base, span),
            title="Marking rule hits",
            key="explorer-hits",
            dialog=False,
            quiet=True,
            on_success=self.timeline.show_hits,
        )

    def _on_index_built(self, result: SearchJob) -> None:
        index, first_page = result
        self.model.show(index, first_page)
        self.detail.show_event(None, None)
        self.count.setText(counted(index.total, "event"))
        self.count_changed.emit(index.total)
        if index.total:
            self.table.selectRow(0)

    def _on_timeline_loaded(self, reset_range: bool, result: TimelineJob) -> None:
        span, histogram = result
        if histogram is None or span is None:
            self.timeline.show_nothing(
                "No events match this filter, so there is nothing to draw."
                if self._base.text
                else "No events with a time to draw yet: import logs, or receive them."
            )
            self.timeline.show_hits([])
            return
        if reset_range:
            self.timeline.set_range(*span)
        self.timeline.show_histogram(histogram)
        self._load_hit_marks(span)

    def _on_timeline_range_changed(self, start: datetime, end: datetime) -> None:
        self._load_timeline((start, end))

    def _on_filter_bar_submitted(self, text: str) -> None:
        self.apply_filter(text)

    def _show_selection_label(self) -> None:
        if self._selection is None:
            self.range_label.setText("")
            self.range_clear.hide()
            return
        utc = self._settings.time_display == "utc"
        since, until = self._selection
        self.range_label.setText(
            f"from {shown_time(since, utc)} to {shown_time(until, utc)}{' UTC' if utc else ''}"
        )
        self.range_clear.show()

    # the table --------------------------------------------------------------------------

    def _size_columns(self) -> None:
        size_columns(self.table, self.model)

    def _on_table_selection_changed(self, *_: QItemSelection) -> None:
        # the current row, not every selected one: a selection may span millions of rows
        selection = self.table.selectionModel()
        current = selection.currentIndex()
        self._detail_row = None
        if not selection.hasSelection() or not current.isValid():
            self.detail.show_event(None, None)
            return
        event_id = self.model.event_id(current.row())
        if event_id is None:
            self._detail_row = current.row()  # shown when its page arrives
            return
        self._runner.run(
            partial(event_job, self._store, event_id),
            title="Reading the event",
            key="explorer-detail",
            dialog=False,
            quiet=True,
            on_success=self._on_event_read,
        )

    def _on_event_read(self, found: tuple[list[str], tuple[Any, ...]] | None) -> None:
        self.detail.show_event(*(found or (None, None)))

    def _on_model_page_loaded(self, first: int, count: int) -> None:
        if self._detail_row is not None and first <= self._detail_row < first + count:
            self._on_table_selection_changed()

    def _on_table_menu(self, point: QPoint) -> None:
        index = self.table.indexAt(point)
        if not index.isValid():
            return
        name = self.model.column_name(index.column())
        value = self.model.data(index, VALUE_ROLE)
        menu = QMenu(self)
        add_value_actions(menu, name, value, self.add_term, self.replace_filter)
        row = self.model.row(index.row())
        if row is not None:
            columns = ["id", "level", *self.model.columns]
            values = dict(zip(columns, row, strict=False))
            for key, label in (("host", "host"), ("username", "user")):
                if key != name and values.get(key):
                    menu.addAction(
                        f"Show every event of this {label} ({values[key]})",
                        partial(self.replace_filter, exact_term(key, values[key])),
                    )
        event_ids = self.selected_event_ids()
        if event_ids:
            menu.addSeparator()
            menu.addAction(
                f"Add {counted(len(event_ids), 'event')} to incident…",
                partial(self.add_to_incident_requested.emit, "event", event_ids),
            )
        menu.popup(self.table.viewport().mapToGlobal(point))

    def selected_event_ids(self, limit: int = ADD_LIMIT) -> list[int]:
        """The selected events' ids whose rows are read, the first `limit` of them."""
        found: list[int] = []
        selection = self.table.selectionModel().selection()
        for span in (selection.at(n) for n in range(selection.count())):
            for row in range(span.top(), min(span.bottom() + 1, span.top() + limit)):
                event_id = self.model.event_id(row)
                if event_id is not None and len(found) < limit:
                    found.append(event_id)
        return found

    def _on_header_menu(self, point: QPoint) -> None:
        menu = column_menu(
            self, list(self._settings.table_columns), self._on_column_toggled, self._on_add_field
        )
        menu.popup(self.table.horizontalHeader().mapToGlobal(point))

    def _on_column_toggled(self, name: str, checked: bool) -> None:
        columns = [c for c in self._settings.table_columns if c != name]
        if checked:
            columns.append(name)
        if not columns:
            return  # keep at least one column
        self.set_columns(columns)

    def _on_add_field(self) -> None:
        names = self._store.field_names()
        name, ok = QInputDialog.getItem(
            self, "Add a column", "Original field name:", names, 0, True
        )
        if ok and name.strip():
            self.set_columns([*self._settings.table_columns, name.strip()])

    def set_columns(self, columns: list[str]) -> None:
        self._settings.table_columns = columns
        self.model.set_columns(columns)
        self.table.horizontalHeader().reset()
        self._size_columns()

    def _on_header_section_moved(self, *_: int) -> None:
        header = self.table.horizontalHeader()
        order = [self.model.columns[header.logicalIndex(v)] for v in range(header.count())]
        self._settings.table_columns = order
