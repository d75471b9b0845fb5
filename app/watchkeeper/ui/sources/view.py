"""The Sources view: every sender forwarding logs, whether it is still heard, and a test event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QGuiApplication, QHideEvent, QPainter, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core import settings as settings_file
from watchkeeper.core.progress import Progress
from watchkeeper.core.settings import Settings
from watchkeeper.core.text import counted
from watchkeeper.setup.expected import missing_sentence, saved_plan, with_plan
from watchkeeper.setup.plan import LoggingPlan
from watchkeeper.storage.sources import SourceRow, silent_sources, source_rows
from watchkeeper.storage.store import Store
from watchkeeper.ui import errors, theme
from watchkeeper.ui.rows_model import (
    draw_cell_background,
    read_only_table,
    select_row_at,
    table_or_note,
)
from watchkeeper.ui.sources.dialogs import IntervalDialog
from watchkeeper.ui.sources.models import (
    COLUMNS,
    SPARK_COLUMN,
    SPARK_ROLE,
    SourcesModel,
    duration,
    source_name,
)
from watchkeeper.ui.tasks import TaskRunner

VISIBLE_REFRESH_MS = 10_000
HIDDEN_REFRESH_MS = 60_000  # hidden, it still checks for silence: the window shows the count
AFTER_TEST_MS = 1_500  # the test event's way: collector, spool, loader, store
BANNER_NAMES = 3
NO_SENDER = "Start the collector to send a test event"
NOTHING_YET = (
    "No device has forwarded logs to this store yet. Once the collector runs and a "
    "device sends to it (syslog over UDP, TCP or TLS, or JSON lines from NXLog, "
    "Fluent Bit or Vector), each sender and application appears here."
)
# widest a column starts, in pixels (None: as wide as its contents)
WIDEST: tuple[int | None, ...] = (
    None,
    180,
    220,
    150,
    None,
    None,
    None,
    None,
    None,
    170,
    None,
    None,
    None,
)


def silent_sentence(silent: list[SourceRow]) -> str:
    """The banner: how many are silent, and the first few by name with when they were heard."""
    count = len(silent)
    named = ", ".join(
        source_name(row)
        if row.events == 0  # planned, never heard
        else f"{source_name(row)} last heard {duration(row.quiet_seconds)} ago"
        for row in silent[:BANNER_NAMES]
    )
    more = f", and {count - BANNER_NAMES} more" if count > BANNER_NAMES else ""
    verb = "is" if count == 1 else "are"
    return f"{counted(count, 'source')} {verb} silent: {named}{more}."


class SparklineDelegate(QStyledItemDelegate):
    """Paints a source's events a minute over the last hour as bars, oldest on the left."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        counts = index.data(SPARK_ROLE)
        if not isinstance(counts, list):
            super().paint(painter, option, index)
            return
        item = draw_cell_background(self, painter, option, index)  # bars stand for the number
        area = QRectF(item.rect).adjusted(6, 4, -6, -4)
        colours = theme.current()
        selected = bool(item.state & QStyle.StateFlag.State_Selected)
        bar = QColor("#ffffff" if selected else colours.accent)
        base = QColor(colours.muted)
        base.setAlpha(90)
        painter.save()
        painter.fillRect(QRectF(area.left(), area.bottom() - 1, area.width(), 1), base)
        peak = max(counts, default=0)
        if peak:
            step = area.width() / len(counts)
            for position, count in enumerate(counts):
                if count:
                    height = max(2.0, area.height() * count / peak)
                    painter.fillRect(
                        QRectF(
                            area.left() + position * step,
                            area.bottom() - height,
                            max(1.0, step - 0.5),
                            height,
                        ),
                        bar,
                    )
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(124, super().sizeHint(option, index).height())


class SourcesView(QWidget):
    """One row per sender and application; a banner when any is silent."""

    silent_changed = Signal(int)  # how many sources are silent, when which ones are changes
    plan_missing_changed = Signal(str)  # what the logging plan expects and is missing

    def __init__(
        self,
        store: Store,
        settings: Settings,
        runner: TaskRunner,
        send_test: Callable[[], str] | None = None,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        plan: Callable[[], LoggingPlan | None] = saved_plan,
    ) -> None:
        super().__init__(parent)
        self._plan = plan  # the logging plan, read again at each refresh
        self.plan_missing = ""
        self._store = store
        self._settings = settings
        self._runner = runner
        self._send_test: Callable[[], str] | None = None
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.silent_count = 0
        self._silent_keys: list[str] = []
        self.loaded = False
        self.interval_dialog: IntervalDialog | None = None

        heading = QLabel("Sources")
        heading.setObjectName("heading")
        self.count = QLabel("")
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        note = QLabel(
            "Every device and application forwarding logs to the collector, with "
            "when it was last heard. A source quiet for longer than its expected "
            "interval is silent: its logs have stopped arriving."
        )
        note.setObjectName("muted")
        note.setWordWrap(True)
        self.receiving = QLabel("")  # the collector's own state (listeners, drops)
        self.receiving.setObjectName("muted")
        self.receiving.setTextFormat(Qt.TextFormat.PlainText)
        self.receiving.setWordWrap(True)
        self.receiving.hide()
        self.banner = self._make_banner()
        actions = self._make_actions()
        self.set_send_test(send_test)

        self.model = SourcesModel()
        self.table = self._make_table()
        self.pages, self.empty = table_or_note(self.table, NOTHING_YET)
        self._sized = False
        self.timer = QTimer(self, interval=HIDDEN_REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self._after_test = QTimer(self, interval=AFTER_TEST_MS, singleShot=True)
        self._after_test.timeout.connect(self.refresh)

        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addWidget(self.receiving)
        layout.addWidget(self.banner)
        layout.addLayout(actions)
        layout.addWidget(self.pages, 1)
        self.apply_theme()
        self._update_buttons()

    def _make_banner(self) -> QFrame:
        """The warning shown above the table while any source is silent."""
        banner = QFrame()
        banner.setObjectName("sourcesBanner")
        self.banner_text = QLabel("")
        self.banner_text.setTextFormat(Qt.TextFormat.PlainText)  # names are event text
        self.banner_text.setWordWrap(True)
        banner_row = QHBoxLayout(banner)
        banner_row.setContentsMargins(12, 8, 12, 8)
        banner_row.addWidget(self.banner_text, 1)
        banner.hide()
        return banner

    def _make_actions(self) -> QHBoxLayout:
        """Expected interval and Send test event, with the test's result beside them."""
        self.interval_button = QPushButton("Expected interval…")
        self.interval_button.setToolTip(
            "How long the selected source may stay quiet before it is silent"
        )
        self.interval_button.clicked.connect(self.edit_interval)
        self.test_button = QPushButton("Send test event")
        self.test_button.clicked.connect(self.send_test_event)
        self.test_result = QLabel("")
        self.test_result.setTextFormat(Qt.TextFormat.PlainText)
        self.test_result.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.interval_button)
        actions.addWidget(self.test_button)
        actions.addSpacing(8)
        actions.addWidget(self.test_result, 1)
        return actions

    def _make_table(self) -> QTableView:
        table = read_only_table(self.model, row_padding=10)
        table.setItemDelegateForColumn(SPARK_COLUMN, SparklineDelegate(table))
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._on_table_menu)
        table.activated.connect(lambda _index: self.edit_interval())
        table.selectionModel().selectionChanged.connect(self._update_buttons)
        return table

    # loading ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the sources again, as of the clock's now, in the background."""
        now = self.clock()
        intervals = dict(self._settings.source_intervals)
        store = self._store
        read_plan = self._plan

        def work(progress: Progress) -> list[SourceRow]:
            heard = source_rows(store, now, intervals, progress)
            return with_plan(store, read_plan(), heard, now, progress)

        self._runner.run(
            work,
            title="Reading sources",
            key="sources",
            dialog=False,
            quiet=True,
            on_success=self._on_loaded,
        )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.timer.setInterval(VISIBLE_REFRESH_MS)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.timer.setInterval(HIDDEN_REFRESH_MS)

    def _on_loaded(self, rows: list[SourceRow]) -> None:
        selected = self.selected_row()
        self.model.set_rows(rows)
        self.loaded = True
        self.pages.setCurrentWidget(self.table if rows else self.empty)
        if rows and not self._sized:
            self._size_columns()
            self._sized = True
        if selected is not None and self.selected_row() is None:
            number = self.model.row_of(selected.key)
            if number is not None:
                self.table.selectRow(number)
        silent = silent_sources(rows)
        late = sum(1 for row in rows if row.status == "late")
        parts = [counted(len(rows), "source")]
        if silent:
            parts.append(f"{len(silent):,} silent")
        if late:
            parts.append(f"{late:,} late")
        self.count.setText(" · ".join(parts) if rows else "No forwarded logs yet")
        self.banner.setVisible(bool(silent))
        self.banner_text.setText(silent_sentence(silent) if silent else "")
        self._update_buttons()
        missing = missing_sentence(rows)
        if missing != self.plan_missing:
            self.plan_missing = missing
            self.plan_missing_changed.emit(missing)
        keys = sorted(row.key for row in silent)
        if keys != self._silent_keys:
            self._silent_keys = keys
            self.silent_count = len(keys)
            self.silent_changed.emit(self.silent_count)

    def _size_columns(self) -> None:
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):  # the last one stretches
            self.table.resizeColumnToContents(column)
            size = max(header.sectionSize(column), header.sectionSizeHint(column))
            widest = WIDEST[column]
            header.resizeSection(column, size if widest is None else min(size, widest))

    def set_utc(self, utc: bool) -> None:
        self.model.set_utc(utc)

    def apply_theme(self) -> None:
        colours = theme.current()
        error = colours.levels["error"]
        self.banner.setStyleSheet(
            f"QFrame#sourcesBanner {{ border: 1px solid {error}; border-radius: 6px; "
            f"background: {colours.base}; }} QLabel {{ color: {error}; font-weight: 600; }}"
        )
        self.model.repaint()

    # the selected source ------------------------------------------------------------------

    def selected_row(self) -> SourceRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_object(rows[0].row()) if rows else None

    def _update_buttons(self, *_: object) -> None:
        row = self.selected_row()
        self.interval_button.setEnabled(row is not None and row.events > 0)  # not a planned one

    def edit_interval(self) -> IntervalDialog | None:
        """Ask how long the selected source may stay quiet; saved in the settings."""
        row = self.selected_row()
        if row is None:
            return None
        dialog = IntervalDialog(row, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(partial(self._on_interval_accepted, dialog, row.key))
        self.interval_dialog = dialog
        dialog.open()
        return dialog

    def _on_interval_accepted(self, dialog: IntervalDialog, key: str) -> None:
        self.set_interval(key, dialog.seconds())

    def set_interval(self, key: str, seconds: float | None) -> None:
        """A source's expected interval in seconds, or None to learn it again; saved at once."""
        if seconds is None:
            self._settings.source_intervals.pop(key, None)
        else:
            self._settings.source_intervals[key] = float(seconds)
        settings_file.save(self._settings)
        self.refresh()

    def _on_table_menu(self, point: QPoint) -> None:
        row = self.selected_row() if select_row_at(self.table, point) else None
        if row is None:
            return
        menu = QMenu(self)
        menu.addAction("Expected interval…", self.edit_interval)
        learn = menu.addAction(
            "Learn its interval again", partial(self.set_interval, row.key, None)
        )
        learn.setEnabled(row.key in self._settings.source_intervals)
        menu.addSeparator()
        menu.addAction("Copy sender", lambda: QGuiApplication.clipboard().setText(row.sender))
        menu.popup(self.table.viewport().mapToGlobal(point))

    # the test event -----------------------------------------------------------------------

    def set_receiving(self, text: str) -> None:
        """What the collector in this window is doing, or why it is not receiving."""
        self.receiving.setText(text)
        self.receiving.setToolTip(text)  # the whole sentence, wherever it is wrapped
        self.receiving.setVisible(bool(text))

    def set_send_test(self, send_test: Callable[[], str] | None) -> None:
        """The collector's test sender (returns a sentence saying what happened), or None."""
        self._send_test = send_test
        self.test_button.setEnabled(send_test is not None)
        self.test_button.setToolTip(
            "Send a message through the collector and into the store, to prove the path works"
            if send_test is not None
            else NO_SENDER
        )

    def send_test_event(self) -> None:
        send = self._send_test
        if send is None:
            return
        self.test_button.setEnabled(False)
        self.test_result.setStyleSheet("")
        self.test_result.setText("Sending a test event…")
        self._runner.run(
            lambda _progress: send(),
            title="Sending a test event",
            key="sources-test",
            dialog=False,
            on_success=self._on_test_sent,
            on_error=self._on_test_failed,
        )

    def _on_test_sent(self, sentence: object) -> None:
        self.test_result.setText(str(sentence))
        self.test_button.setEnabled(self._send_test is not None)
        self._after_test.start()  # it shows as a source once the store has it

    def _on_test_failed(self, error: BaseException) -> None:
        title, message = errors.title_and_message(error, "sending a test event")
        self.test_result.setStyleSheet(f"color: {theme.current().levels['error']};")
        self.test_result.setText(f"{title}: {message}")
        self.test_button.setEnabled(self._send_test is not None)
