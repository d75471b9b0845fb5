"""The Hits view: detections to triage, grouped in stories; the rule behind each, its
events and history, triage from the keyboard, and tuning the rule."""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.storage.detection_views import DetectionFilter
from watchkeeper.storage.store import Store
from watchkeeper.ui.hits.detail import add_state_actions, rule_texts, state_button
from watchkeeper.ui.hits.detection_model import (
    DetectionRow,
    DetectionsModel,
)
from watchkeeper.ui.hits.dialogs import SuppressDialog, SuppressionsDialog
from watchkeeper.ui.hits.filters import (
    ANY_LEVEL,
    ANY_STATUS,
    LEVEL_CHOICES,
    STATE_CHOICES,
    STATUS_CHOICES,
    choice_combo,
    count_text,
    detection_filter,
    events_filter,
    filter_combo,
    labelled_row,
    summary_text,
)
from watchkeeper.ui.hits.models import HitsPage, RuleDetail, detail_html, load_detail, load_page
from watchkeeper.ui.hits.triage import (
    KEYS_HELP,
    DetectionsTree,
    ReasonDialog,
    Triage,
    make_tree,
    size_columns,
)
from watchkeeper.ui.hits.tuning import Tuning
from watchkeeper.ui.rows_model import set_choices
from watchkeeper.ui.tasks import TaskRunner


class HitsView(QWidget):
    """One row per detection, related ones under the most severe; the selected one's rule,
    state and history below."""

    filter_requested = Signal(str, object, object)  # open the explorer: filter, since, until
    tuning_changed = Signal(str)  # a suppression was added or undone: what happened
    triage_changed = Signal(str)  # a detection's state was changed: what happened

    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._page: HitsPage | None = None
        self._detail: RuleDetail | None = None
        self._selected_id: int | None = None
        self.utc = False
        self.loaded = False
        self.tuning = Tuning(store, runner, self)
        self.tuning.changed.connect(self._on_tuning_changed)
        self.triage = Triage(store, runner, self, self._offer_tuning)
        self.triage.changed.connect(self._on_triage_changed)

        heading = QLabel("Detections")
        heading.setObjectName("heading")
        self.count = QLabel("")
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        note = QLabel(
            "Sigma rules run over every import. Each row is one rule's hits on one host "
            "within a burst; related detections sit under the most severe. Double-click a "
            f"row to see its events. {KEYS_HELP}."
        )
        note.setObjectName("muted")
        note.setWordWrap(True)

        filters = self._make_filters()
        top = self._make_top(heading)  # after the filters: it holds the state's
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setObjectName("muted")

        self.model = DetectionsModel()
        self.table = self._make_tree()
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
        """State, level, status, tactic and host: the choices that narrow the list."""
        self.state = choice_combo("Which triage states to show", [c[0] for c in STATE_CHOICES])
        self.state.currentIndexChanged.connect(self._on_filter_changed)
        self.level = choice_combo("Which rule levels to show", [c[0] for c in LEVEL_CHOICES])
        self.status = choice_combo(
            "Rules are stable, test or experimental: experimental ones are more often wrong",
            [c[0] for c in STATUS_CHOICES],
        )
        self.tactic = filter_combo("MITRE ATT&CK tactic of the rule")
        self.tactic.addItem("Any tactic", "")
        self.host = filter_combo("Only rules that hit on this host")
        self.host.addItem("Any host", "")
        self.level.currentIndexChanged.connect(self._on_level_or_status_changed)
        self.status.currentIndexChanged.connect(self._on_level_or_status_changed)
        self.tactic.currentIndexChanged.connect(self._on_filter_changed)
        self.host.currentIndexChanged.connect(self._on_filter_changed)

        pairs = {"Level": self.level, "Status": self.status, "Tactic": self.tactic}
        return labelled_row({**pairs, "Host": self.host})

    def _make_top(self, heading: QLabel) -> QHBoxLayout:
        """The heading, and beside it the switches that widen the list and the suppressions."""
        self.show_all = QCheckBox("Show all")
        self.show_all.setToolTip(
            "Every level, status and state: low-level and experimental rules too, which are "
            "noisier, and detections already judged benign or false positives"
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
        top.addSpacing(12)
        # the filter used most, beside the heading (the row below has the rule's filters)
        top.addWidget(QLabel("State"))
        top.addWidget(self.state)
        top.addStretch(1)
        top.addWidget(self.show_all)
        top.addWidget(self.show_suppressed)
        top.addSpacing(6)
        top.addWidget(suppressions)
        return top

    def _make_tree(self) -> DetectionsTree:
        """Detections in stories: double-click for the events, right-click to tune the rule,
        a key per triage state."""
        tree = make_tree(self.model)
        tree.activated.connect(lambda index: self._on_row_activated(self.model.row_object(index)))
        tree.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        tree.customContextMenuRequested.connect(self._on_table_menu)
        tree.state_key_pressed.connect(self.set_state)
        tree.move_requested.connect(self.move_selection)
        return tree

    def _make_detail(self) -> QWidget:
        """The selected rule's buttons, above what it means beside its YAML."""
        self.open_button = QPushButton("Open events")
        self.open_button.setToolTip("Show this detection's events in the Events view")
        self.open_button.clicked.connect(self.open_events)
        self.disable_button = QPushButton("Disable rule…")
        self.disable_button.setToolTip("Stop running this rule and hide its hits")
        self.disable_button.clicked.connect(self.disable_rule)
        self.suppress_button = QPushButton("Suppress")
        self.suppress_button.setToolTip("Hide this rule's hits for a host, a user or a value")
        menu = QMenu(self.suppress_button)
        self._add_suppress_actions(menu)
        self.suppress_button.setMenu(menu)
        self.info, self.yaml, texts = rule_texts()
        self.state_button = state_button(self.set_state)
        self.escalate_button = QPushButton("Escalate to incident…")
        self.escalate_button.setToolTip("A new incident from this detection, or add it to one (E)")
        self.escalate_button.clicked.connect(partial(self.set_state, "escalated"))
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.state_button)
        buttons.addWidget(self.escalate_button)
        buttons.addWidget(self.disable_button)
        buttons.addWidget(self.suppress_button)
        buttons.addStretch(1)
        detail = QWidget()
        lower = QVBoxLayout(detail)
        lower.setContentsMargins(0, 4, 0, 0)
        lower.addLayout(buttons)
        lower.addWidget(texts, 1)
        return detail

    # the filter -------------------------------------------------------------------------

    @property
    def where(self) -> DetectionFilter:
        return detection_filter(
            self.level.currentIndex(),
            self.status.currentIndex(),
            self.state.currentIndex(),
            str(self.tactic.currentData() or ""),
            str(self.host.currentData() or ""),
            self.show_suppressed.isChecked(),
        )

    def _on_show_all_toggled(self, checked: bool) -> None:
        for combo, index in (
            (self.level, ANY_LEVEL if checked else 0),
            (self.status, ANY_STATUS if checked else 0),
            (self.state, len(STATE_CHOICES) - 1 if checked else 0),
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
            title="Reading detections",
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
        self.table.expandAll()
        size_columns(self.table)
        self._count_rows()
        self.summary.setText(summary_text(page))
        row = self.model.find(self._selected_id) if self._selected_id is not None else None
        rows = self.model.rows()
        if row is None and rows:
            row = rows[0]
        if row is not None:
            self.select_row(row)
        else:
            self._selected_id = None
            self._detail = None
            self._show_detail()
        self._update_buttons()

    def _count_rows(self) -> None:
        states = [row.detection.state for row in self.model.rows()]
        self.count.setText(count_text(states, len(self.model.top_rows())))

    # the selected detection -----------------------------------------------------------------

    def selected_row(self) -> DetectionRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_object(rows[0]) if rows else None

    def select_row(self, row: DetectionRow) -> None:
        index = self.model.index_of(row)
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)

    def select_detection(self, detection_id: int) -> bool:
        row = self.model.find(detection_id)
        if row is not None:
            self.select_row(row)
        return row is not None

    def select_rule(self, rule_id: str) -> bool:
        """Select the first detection of a rule."""
        row = next((r for r in self.model.rows() if r.rule_id == rule_id), None)
        if row is not None:
            self.select_row(row)
        return row is not None

    def move_selection(self, step: int) -> None:
        """Select the next (1) or previous (-1) detection, stories' members included."""
        rows = self.model.rows()
        current = self.selected_row()
        if rows:
            number = rows.index(current) + step if current in rows else 0
            self.select_row(rows[max(0, min(len(rows) - 1, number))])

    def _on_table_selection_changed(self, *_: object) -> None:
        row = self.selected_row()
        self._update_buttons()
        if row is None:
            return
        if row.id != self._selected_id or self._detail is None:
            self._detail = None
            self.info.setHtml("")
            self.yaml.setPlainText("")
        self._selected_id = row.id
        self._load_detail(row)

    def _load_detail(self, row: DetectionRow) -> None:
        self._runner.run(
            partial(load_detail, self._store, row.rule_id, row.id),
            title="Reading the rule",
            key="hits-detail",
            dialog=False,
            quiet=True,
            on_success=self._on_detail_loaded,
        )

    def _on_detail_loaded(self, detail: RuleDetail) -> None:
        if detail.detection_id != self._selected_id:
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
        shown = row if row is not None and row.id == detail.detection_id else None
        self.info.setHtml(detail_html(detail, shown, self.utc))
        self.yaml.setPlainText(detail.rule.yaml if detail.rule is not None else "")

    def _update_buttons(self) -> None:
        row = self.selected_row()
        for button in (self.open_button, self.suppress_button, self.escalate_button):
            button.setEnabled(row is not None)
        self.disable_button.setEnabled(row is not None and not row.disabled)

    def _on_row_activated(self, row: Any) -> None:
        if isinstance(row, DetectionRow):
            self.filter_requested.emit(*events_filter(row.detection))

    def open_events(self) -> None:
        self._on_row_activated(self.selected_row())

    def _add_suppress_actions(self, menu: QMenu) -> None:
        menu.addAction("Suppress for host…", partial(self.suppress, "host"))
        menu.addAction("Suppress for user…", partial(self.suppress, "user"))
        menu.addAction("Suppress for a field value…", partial(self.suppress, "field"))

    def _on_table_menu(self, point: QPoint) -> None:
        index = self.table.indexAt(point)
        row = self.model.row_object(index)
        if row is None:
            return
        self.select_row(row)
        menu = QMenu(self)
        menu.addAction("Open events", self.open_events)
        add_state_actions(menu.addMenu("Set state"), self.set_state)
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

    def suppress(self, kind: str, reason: str = "") -> SuppressDialog | None:
        """Ask for the host, user or field value to suppress the selected rule for, and why."""
        row = self.selected_row()
        if row is None:
            return None
        detail = self._detail
        known = detail.rule if detail is not None and detail.rule_id == row.rule_id else None
        return self.tuning.ask(kind, row, known.yaml if known is not None else "", reason)

    def show_suppressions(self) -> SuppressionsDialog:
        self.tuning.utc = self.utc
        return self.tuning.show_suppressions()

    def _on_tuning_changed(self, said: str) -> None:
        self.refresh()
        self.tuning_changed.emit(said)

    # triage -----------------------------------------------------------------------------

    def set_state(self, state: str) -> ReasonDialog | None:
        """Mark the selected detection; benign and false positive ask why first."""
        row = self.selected_row()
        return self.triage.set_state(row, state) if row is not None else None

    def _on_triage_changed(self, row: DetectionRow) -> None:
        self.model.refresh_row(row)
        self._count_rows()
        if row.id == self._selected_id:
            self._load_detail(row)
        item = row.detection
        self.triage_changed.emit(f"Detection {item.id} ({item.title}): {item.state}")

    def _offer_tuning(self, kind: str, row: DetectionRow, reason: str) -> None:
        if self.selected_row() is not row:
            self.select_row(row)
        self.suppress(kind, reason)
