"""Step 4 of the setup wizard, "Prove it works": a live checklist, one row per planned source.

Each source gets a test marker of its own and the command that sends it from there. The
page checks through the task runner when shown, on "Check now" and every 10 s while shown,
and writes each answer into the draft plan (checked, checked_at).
"""

from __future__ import annotations

import html
from datetime import datetime
from functools import partial

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QHideEvent, QIcon, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from watchkeeper.core.printable import printable
from watchkeeper.core.progress import Progress
from watchkeeper.setup.catalogue import PLATFORMS, PlatformKind
from watchkeeper.setup.check import CheckRow, check_plan, record_result
from watchkeeper.setup.endpoint import Endpoint, this_host
from watchkeeper.setup.plan import PlannedSource, source_name_problem
from watchkeeper.setup.test_event import new_marker, test_command, test_hint
from watchkeeper.ui import errors, theme
from watchkeeper.ui.setup_wizard.context import WizardContext
from watchkeeper.ui.sources.models import status_colour

RECHECK_MS = 10_000
STATE_WORDS = {"green": "Works", "amber": "Not yet", "red": "Fix this"}
COLUMNS = ("Source and check", "State", "What was found", "What to do")
# the kinds a source can be added as here (phones are not forwarded)
ADDABLE: tuple[PlatformKind, ...] = ("linux", "windows", "domain_controller", "macos", "network")


def state_colour(state: str) -> str:
    """A checklist state in the Sources view's colours: red as silent, amber as late."""
    return status_colour({"red": "silent", "amber": "late"}.get(state, "receiving"))


def _dot(state: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(state_colour(state)))
    return QIcon(pixmap)


class ProofPage(QWizardPage):
    """The checklist, its test commands, Check now, and adding a source by name."""

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.markers: dict[str, str] = {}  # source name (lower case) -> its test marker
        self.rows: list[CheckRow] = []
        self.setTitle("Prove it works")
        self.setSubTitle(
            "Run each source's test command on that source. A row turns green once its "
            "logs arrive as planned: seen, its test event found, its clock right, every "
            "expected log seen within a day, and all of it encrypted."
        )
        self.command_label = QLabel("Test command:")
        self.command_label.setTextFormat(Qt.TextFormat.PlainText)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(True)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.setColumnWidth(0, 230)
        self.tree.setColumnWidth(1, 80)
        self.tree.setColumnWidth(2, 310)
        self.tree.currentItemChanged.connect(self._on_tree_current_changed)

        self.detail = QLabel("")  # the selected row's sentences, whole
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setWordWrap(True)
        # two lines always: a wrapped label in a wizard page is otherwise given one
        self.detail.setMinimumHeight(self.detail.fontMetrics().lineSpacing() * 2 + 4)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.command_label)
        layout.addLayout(self._make_command_row())
        self.hint = QLabel("")
        self.hint.setObjectName("muted")
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        layout.addLayout(self._make_add_row())
        layout.addLayout(self._make_status_row())
        self.timer = QTimer(self, interval=RECHECK_MS)
        self.timer.timeout.connect(self.check_now)

    def _make_command_row(self) -> QHBoxLayout:
        self.command = QLineEdit()
        self.command.setReadOnly(True)
        self.command_label.setBuddy(self.command)
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("Copy the test command, to paste it on that source")
        self.copy_button.clicked.connect(self.copy_command)
        row = QHBoxLayout()
        row.addWidget(self.command, 1)
        row.addWidget(self.copy_button)
        return row

    def _make_add_row(self) -> QHBoxLayout:
        label = QLabel("&Add a source:")
        self.add_name = QLineEdit()
        self.add_name.setPlaceholderText("its host name, e.g. web01")
        self.add_name.setMaxLength(253)
        label.setBuddy(self.add_name)
        self.add_platform = QComboBox()
        for kind in ADDABLE:
            self.add_platform.addItem(PLATFORMS[kind].title, kind)
        self.add_button = QPushButton("A&dd")
        self.add_button.clicked.connect(self._on_add_clicked)
        self.add_name.returnPressed.connect(self._on_add_clicked)
        self.add_problem = QLabel("")
        self.add_problem.setTextFormat(Qt.TextFormat.PlainText)
        self.add_problem.setWordWrap(True)
        self.add_problem.hide()
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.add_name, 1)
        row.addWidget(self.add_platform)
        row.addWidget(self.add_button)
        row.addWidget(self.add_problem, 1)
        return row

    def _make_status_row(self) -> QHBoxLayout:
        self.check_button = QPushButton("Check &now")
        self.check_button.clicked.connect(self.check_now)
        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.check_button)
        return row

    # the page's life ----------------------------------------------------------------------

    def initializePage(self) -> None:
        self._show_plan()
        self.check_now()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.timer.stop()

    # checking -----------------------------------------------------------------------------

    def marker_for(self, name: str) -> str:
        return self.markers.setdefault(name.lower(), new_marker())

    def check_now(self) -> None:
        """Check every planned source in the background; the rows change when it answers."""
        store = self.context.store
        plan = self.context.draft
        if store is None:
            self.status.setText("No store is open here, so nothing can be checked yet.")
            self.check_button.setEnabled(False)
            return
        if not plan.sources:
            self.status.setText(
                "No sources planned yet: add each device that sends, by its host name (e.g. web01), above."
            )
            return
        now = self.context.clock()
        settings = self.context.settings
        markers = {source.name: self.marker_for(source.name) for source in plan.sources}

        def work(progress: Progress) -> list[CheckRow]:
            return check_plan(store, plan, now, settings, markers, progress)

        self.check_button.setEnabled(False)
        self.status.setText("Checking…")
        self.context.runner.run(
            work,
            owner=self,
            title="Checking the sources",
            key="setup-proof",
            dialog=False,
            quiet=True,
            on_success=partial(self._on_checked, now),
            on_error=self._on_check_failed,
        )

    def _on_checked(self, now: datetime, rows: object) -> None:
        assert isinstance(rows, list)
        self.rows = rows
        record_result(self.context.draft, rows, now)
        self._show_rows(rows)
        green = sum(1 for row in rows if row.state == "green")
        self.status.setText(
            f"{green} of {len(rows)} source(s) work as planned. Checked at "
            f"{self.context.clock().astimezone().strftime('%H:%M:%S')}; checked again every "
            f"{RECHECK_MS // 1000} s."
        )
        self.check_button.setEnabled(True)

    def _on_check_failed(self, error: BaseException) -> None:
        title, message = errors.title_and_message(error, "checking the sources")
        self.status.setText(f"{title}: {message}")
        self.check_button.setEnabled(True)

    # showing ------------------------------------------------------------------------------

    def _show_plan(self) -> None:
        """The planned sources before the first answer: each waiting to be checked."""
        self.tree.clear()
        for source in self.context.draft.sources:
            item = QTreeWidgetItem([printable(source.name), "…", "Not checked yet.", ""])
            item.setData(0, Qt.ItemDataRole.UserRole, source.name)
            self.tree.addTopLevelItem(item)
        self._select_first()

    def _show_rows(self, rows: list[CheckRow]) -> None:
        current = self._current_name()
        # the user's choice of open and closed rows stays; a new row opens unless green
        expanded = {
            top.data(0, Qt.ItemDataRole.UserRole): top.isExpanded()
            for top in self.top_items()
            if top.childCount()
        }
        self.tree.clear()
        for row in rows:
            item = QTreeWidgetItem(
                [printable(row.name), STATE_WORDS[row.state], row.summary, row.fix]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, row.name)
            self._colour(item, row.state)
            item.setToolTip(0, f"<p>{html.escape(printable(row.name))}</p>")
            for check in row.items:
                child = QTreeWidgetItem(
                    [check.label, STATE_WORDS[check.state], check.detail, check.fix]
                )
                child.setData(0, Qt.ItemDataRole.UserRole, row.name)
                self._colour(child, check.state)
                for column in (2, 3):  # wrapped text: the whole sentence on hover too
                    child.setToolTip(column, f"<p>{html.escape(child.text(column))}</p>")
                item.addChild(child)
            self.tree.addTopLevelItem(item)
            item.setExpanded(expanded.get(row.name, row.state != "green"))
        self._select(current)

    def _colour(self, item: QTreeWidgetItem, state: str) -> None:
        item.setIcon(1, _dot(state))
        item.setForeground(1, QColor(state_colour(state)))

    def _current_name(self) -> str | None:
        item = self.tree.currentItem()
        value = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        return value if isinstance(value, str) else None

    def top_items(self) -> list[QTreeWidgetItem]:
        """The sources' rows, in order."""
        items = map(self.tree.topLevelItem, range(self.tree.topLevelItemCount()))
        return [item for item in items if item is not None]

    def _select(self, name: str | None) -> None:
        for item in self.top_items():
            if item.data(0, Qt.ItemDataRole.UserRole) == name:
                self.tree.setCurrentItem(item)
                return
        self._select_first()

    def _select_first(self) -> None:
        """The first source that is not green yet (its command is the one to run next)."""
        states = {row.name: row.state for row in self.rows}
        items = self.top_items()
        for item in items:
            if states.get(item.data(0, Qt.ItemDataRole.UserRole)) != "green":
                self.tree.setCurrentItem(item)
                return
        if items:
            self.tree.setCurrentItem(items[0])
        else:
            self._on_tree_current_changed(None)

    def _on_tree_current_changed(self, item: QTreeWidgetItem | None, *_: object) -> None:
        name = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        source = self._source(name) if isinstance(name, str) else None
        self.detail.setText(
            " ".join(part for part in (f"{item.text(0)}:", item.text(2), item.text(3)) if part)
            if item is not None and item.text(2)
            else ""
        )
        if source is None:
            self.command_label.setText("Test command:")
            self.command.clear()
            self.hint.setText("")
            self.copy_button.setEnabled(False)
            return
        plan = self.context.draft
        endpoint = Endpoint(
            plan.receiving.collector_address or this_host(), dict(plan.receiving.listeners)
        )
        self.command_label.setText(
            f"Test command for {printable(source.name)[:60]} (run it there):"
        )
        self.command.setText(test_command(source, plan, endpoint, self.marker_for(source.name)))
        self.command.setCursorPosition(0)
        self.hint.setText(test_hint(source, plan))
        self.copy_button.setEnabled(True)

    def _source(self, name: str) -> PlannedSource | None:
        for source in self.context.draft.sources:
            if source.name == name:
                return source
        return None

    def copy_command(self) -> None:
        QGuiApplication.clipboard().setText(self.command.text())
        self.status.setText("Test command copied: paste it on that source and run it.")

    # adding a source ----------------------------------------------------------------------

    def _on_add_clicked(self) -> None:
        self.add_source(self.add_name.text().strip(), self.add_platform.currentData())

    def add_source(self, name: str, platform: PlatformKind) -> bool:
        """Plan one more source by its host name; False (and the reason shown) if it cannot be."""
        problem = source_name_problem(name) if name else "Type the source's host name first."
        if not problem and any(s.name.lower() == name.lower() for s in self.context.draft.sources):
            problem = f"{name} is already in the plan."
        self.add_problem.setText(problem)
        self.add_problem.setStyleSheet(f"color: {theme.current().levels['error']};")
        self.add_problem.setVisible(bool(problem))
        if problem:
            return False
        self.context.draft.sources.append(PlannedSource(name, platform))
        self.add_name.clear()
        self._show_plan()
        self._select(name)
        self.check_now()
        return True
