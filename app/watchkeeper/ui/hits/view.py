"""The Hits view: rule hits grouped by rule, what each rule means, and tuning it."""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.storage.hits import HitFilter
from watchkeeper.storage.store import Store
from watchkeeper.ui.hits.dialogs import SuppressDialog, SuppressionsDialog
from watchkeeper.ui.hits.filters import (
    ANY_LEVEL,
    ANY_STATUS,
    LEVEL_CHOICES,
    STATUS_CHOICES,
    filter_combo,
    rule_filter,
    summary_text,
)
from watchkeeper.ui.hits.models import (
    WIDEST,
    HitRow,
    HitsModel,
    HitsPage,
    RuleDetail,
    detail_html,
    load_detail,
    load_page,
)
from watchkeeper.ui.hits.tuning import Tuning
from watchkeeper.ui.rows_model import fit_columns, make_table, select_row_at, set_choices
from watchkeeper.ui.tasks import TaskRunner

NO_DETAIL = "Select a rule to see what it looks for, why it may be wrong, and how to tune it."


class HitsView(QWidget):
    """One row per rule with hits; the selected rule's details and tuning below."""

    filter_requested = Signal(str, object, object)  # open the explorer: filter, since, until
    tuning_changed = Signal(str)  # a suppression was added or undone: what happened

    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._page: HitsPage | None = None
        self._detail: RuleDetail | None = None
        self._selected_id: str | None = None
        self.utc = False
        self.loaded = False
        self.tuning = Tuning(store, runner, self)
        self.tuning.changed.connect(self._on_tuning_changed)

        heading = QLabel("Rule hits")
        heading.setObjectName("heading")
        self.count = QLabel("")
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        note = QLabel(
            "Sigma rules run over every import. Each row is one rule and the events "
            "it matched; double-click a row to see those events."
        )
        note.setObjectName("muted")
        note.setWordWrap(True)

        filters = self._make_filters()
        top = self._make_top(heading)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setObjectName("muted")

        self.model = HitsModel()
        self.table = self._make_table()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self._make_detail())
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([380, 400])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addLayout(filters)
        summary = QHBoxLayout()
        summary.addWidget(self.count)
        summary.addSpacing(12)
        summary.addWidget(self.summary, 1)
        layout.addLayout(summary)
        layout.addWidget(self.splitter, 1)
        self._update_buttons()

    def _make_filters(self) -> QHBoxLayout:
        """Level, status, tactic and host: the choices that narrow the rules listed."""
        self.level = filter_combo("Which rule levels to show")
        for label, _levels in LEVEL_CHOICES:
            self.level.addItem(label)
        self.status = filter_combo(
            "Rules are stable, test or experimental: experimental ones are more often wrong"
        )
        for label, _statuses in STATUS_CHOICES:
            self.status.addItem(label)
        self.tactic = filter_combo("MITRE ATT&CK tactic of the rule")
        self.tactic.addItem("Any tactic", "")
        self.host = filter_combo("Only rules that hit on this host")
        self.host.addItem("Any host", "")
        self.level.currentIndexChanged.connect(self._on_level_or_status_changed)
        self.status.currentIndexChanged.connect(self._on_level_or_status_changed)
        self.tactic.currentIndexChanged.connect(self._on_filter_changed)
        self.host.currentIndexChanged.connect(self._on_filter_changed)

        filters = QHBoxLayout()
        for label, widget in (
            ("Level", self.level),
            ("Status", self.status),
            ("Tactic", self.tactic),
            ("Host", self.host),
        ):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
            filters.addSpacing(6)
        filters.addStretch(1)
        return filters

    def _make_top(self, heading: QLabel) -> QHBoxLayout:
        """The heading, and beside it the switches that widen the list and the suppressions."""
        self.show_all = QCheckBox("Show all hits")
        self.show_all.setToolTip(
            "Every level and status: low-level and experimental rules too, which are noisier"
        )
        self.show_suppressed = QCheckBox("Show suppressed")
        self.show_suppressed.setToolTip("Include hits hidden by a suppression or a disabled rule")
        suppressions = QPushButton("Suppressions…")
        suppressions.setToolTip("Every suppression and disabled rule, with Undo")
        suppressions.clicked.connect(self.show_suppressions)
        self.show_all.toggled.connect(self._on_show_all_toggled)
        self.show_suppressed.toggled.connect(self._on_filter_changed)

        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.show_all)
        top.addWidget(self.show_suppressed)
        top.addSpacing(6)
        top.addWidget(suppressions)
        return top

    def _make_table(self) -> QTableView:
        """One row per rule: double-click for its events, right-click to tune it."""
        table = make_table(self.model, self._on_row_activated)
        table.setToolTip("Double-click a rule to see the events it matched")
        table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._on_table_menu)
        return table

    def _make_detail(self) -> QWidget:
        """The selected rule's buttons, above what it means beside its YAML."""
        self.open_button = QPushButton("Open events")
        self.open_button.setToolTip("Show the events this rule matched in the Events view")
        self.open_button.clicked.connect(self.open_events)
        self.disable_button = QPushButton("Disable rule…")
        self.disable_button.setToolTip("Stop running this rule and hide its hits")
        self.disable_button.clicked.connect(self.disable_rule)
        self.suppress_button = QPushButton("Suppress")
        self.suppress_button.setToolTip("Hide this rule's hits for a host, a user or a value")
        menu = QMenu(self.suppress_button)
        self._add_suppress_actions(menu)
        self.suppress_button.setMenu(menu)
        self.info = QTextBrowser()
        self.info.setOpenExternalLinks(True)
        self.info.setOpenLinks(True)
        self.info.setPlaceholderText(NO_DETAIL)
        self.yaml = QPlainTextEdit()
        self.yaml.setReadOnly(True)
        self.yaml.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.yaml.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.yaml.setPlaceholderText("The rule's YAML")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.disable_button)
        buttons.addWidget(self.suppress_button)
        buttons.addStretch(1)
        texts = QSplitter(Qt.Orientation.Horizontal)
        texts.addWidget(self.info)
        texts.addWidget(self.yaml)
        texts.setStretchFactor(0, 1)
        texts.setStretchFactor(1, 1)
        texts.setSizes([560, 560])
        detail = QWidget()
        lower = QVBoxLayout(detail)
        lower.setContentsMargins(0, 4, 0, 0)
        lower.addLayout(buttons)
        lower.addWidget(texts, 1)
        return detail

    # the filter -------------------------------------------------------------------------

    @property
    def where(self) -> HitFilter:
        return HitFilter(
            levels=LEVEL_CHOICES[self.level.currentIndex()][1],
            statuses=STATUS_CHOICES[self.status.currentIndex()][1],
            tactic=str(self.tactic.currentData() or ""),
            host=str(self.host.currentData() or ""),
            show_suppressed=self.show_suppressed.isChecked(),
        )

    def _on_show_all_toggled(self, checked: bool) -> None:
        for combo, index in (
            (self.level, ANY_LEVEL if checked else 0),
            (self.status, ANY_STATUS if checked else 0),
        ):
            combo.blockSignals(True)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        self.refresh()

    def _on_level_or_status_changed(self, *_: object) -> None:
        everything = (
            self.level.currentIndex() == ANY_LEVEL and self.status.currentIndex() == ANY_STATUS
        )
        self.show_all.blockSignals(True)
        self.show_all.setChecked(everything)
        self.show_all.blockSignals(False)
        self.refresh()

    def _on_filter_changed(self, *_: object) -> None:
        self.refresh()

    # loading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        self._runner.run(
            partial(load_page, self._store, self.where),
            title="Reading rule hits",
            key="hits-page",
            on_success=self._on_page_loaded,
        )

    def set_utc(self, utc: bool) -> None:
        self.utc = utc
        self.model.set_utc(utc)
        self._show_detail()

    def apply_theme(self) -> None:
        """Level colours come from the theme: draw the rows and the detail again."""
        self.model.set_utc(self.model.utc)  # repaints every row
        self._show_detail()

    def _on_page_loaded(self, page: HitsPage) -> None:
        self._page = page
        self.loaded = True
        set_choices(self.tactic, page.facets.tactics)
        set_choices(self.host, page.facets.hosts)
        self.model.set_rows(page.rows)
        self._size_columns()
        total = sum(row.hits.count for row in page.rows)
        rules = len(page.rows)
        self.count.setText(
            f"{rules:,} rule{'s' if rules != 1 else ''} · {total:,} hit{'s' if total != 1 else ''}"
        )
        self.summary.setText(summary_text(page))
        number = self.model.row_of(self._selected_id) if self._selected_id else None
        if number is None and rules:
            number = 0
        if number is not None:
            self.table.selectRow(number)
        else:
            self._selected_id = None
            self._detail = None
            self._show_detail()
        self._update_buttons()

    def _size_columns(self) -> None:
        """Columns as wide as their contents, up to a width that suits each."""
        fit_columns(self.table, widest=10_000)
        header = self.table.horizontalHeader()
        for column, widest in enumerate(WIDEST[:-1]):
            if widest is not None:
                header.resizeSection(column, min(header.sectionSize(column), widest))

    # the selected rule --------------------------------------------------------------------

    def selected_row(self) -> HitRow | None:
        rows = self.table.selectionModel().selectedRows()
        found = self.model.row_object(rows[0].row()) if rows else None
        return found if isinstance(found, HitRow) else None

    def select_rule(self, rule_id: str) -> bool:
        number = self.model.row_of(rule_id)
        if number is None:
            return False
        self.table.selectRow(number)
        return True

    def _on_table_selection_changed(self, *_: object) -> None:
        row = self.selected_row()
        self._update_buttons()
        if row is None:
            return
        if row.rule_id != self._selected_id or self._detail is None:
            self._detail = None
            self.info.setHtml("")
            self.yaml.setPlainText("")
        self._selected_id = row.rule_id
        self._runner.run(
            partial(load_detail, self._store, row.rule_id),
            title="Reading the rule",
            key="hits-detail",
            dialog=False,
            quiet=True,
            on_success=self._on_detail_loaded,
        )

    def _on_detail_loaded(self, detail: RuleDetail) -> None:
        if detail.rule_id != self._selected_id:
            return
        self._detail = detail
        self._show_detail()

    def _show_detail(self) -> None:
        detail = self._detail
        if detail is None:
            self.info.setHtml("")
            self.yaml.setPlainText("")
            return
        row = self.selected_row()
        self.info.setHtml(detail_html(detail, row.hits if row is not None else None, self.utc))
        self.yaml.setPlainText(detail.rule.yaml if detail.rule is not None else "")

    def _update_buttons(self) -> None:
        row = self.selected_row()
        for button in (self.open_button, self.suppress_button):
            button.setEnabled(row is not None)
        self.disable_button.setEnabled(row is not None and not row.disabled)

    def _on_row_activated(self, row: Any) -> None:
        if isinstance(row, HitRow):
            self.filter_requested.emit(rule_filter(row.rule_id), None, None)

    def open_events(self) -> None:
        self._on_row_activated(self.selected_row())

    def _add_suppress_actions(self, menu: QMenu) -> None:
        menu.addAction("Suppress for host…", partial(self.suppress, "host"))
        menu.addAction("Suppress for user…", partial(self.suppress, "user"))
        menu.addAction("Suppress for a field value…", partial(self.suppress, "field"))

    def _on_table_menu(self, point: QPoint) -> None:
        row = self.selected_row() if select_row_at(self.table, point) else None
        if row is None:
            return
        menu = QMenu(self)
        menu.addAction("Open events", self.open_events)
        menu.addSeparator()
        disable = menu.addAction("Disable rule…", self.disable_rule)
        disable.setEnabled(not row.disabled)
        self._add_suppress_actions(menu)
        menu.addSeparator()
        menu.addAction("Copy rule id", lambda: QGuiApplication.clipboard().setText(row.rule_id))
        menu.popup(self.table.viewport().mapToGlobal(point))

    # tuning -----------------------------------------------------------------------------

    @property
    def suppressions_dialog(self) -> SuppressionsDialog | None:
        return self.tuning.suppressions_dialog

    def disable_rule(self) -> SuppressDialog | None:
        return self.suppress("rule")

    def suppress(self, kind: str) -> SuppressDialog | None:
        """Ask for the host, user or field value to suppress the selected rule for, and why."""
        row = self.selected_row()
        if row is None:
            return None
        detail = self._detail
        known = detail.rule if detail is not None and detail.rule_id == row.rule_id else None
        return self.tuning.ask(kind, row, known.yaml if known is not None else "")

    def show_suppressions(self) -> SuppressionsDialog:
        self.tuning.utc = self.utc
        return self.tuning.show_suppressions()

    def _on_tuning_changed(self, said: str) -> None:
        self.refresh()
        self.tuning_changed.emit(said)
