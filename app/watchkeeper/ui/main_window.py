"""The main window: the views, how they are wired to each other, and the commands that open them.

What the window does lives beside it: its commands as a table (`commands`, built into
menus and the toolbar by `actions`), the navigation and pages (`view_stack`), the status line
(`status_line`), importing and running the rules (`import_flow`), the saved layout
(`window_state`) and the Help dialogs (`help`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QStatusTipEvent,
)
from PySide6.QtWidgets import QApplication, QMainWindow, QToolBar, QWidget

from watchkeeper.core import paths
from watchkeeper.core import settings as settings_file
from watchkeeper.core.settings import Settings
from watchkeeper.core.text import counted
from watchkeeper.ingest import formats
from watchkeeper.ingest.summary import ImportSummary
from watchkeeper.storage import detection_views, queries
from watchkeeper.storage.store import Store
from watchkeeper.ui import errors, theme, window_state
from watchkeeper.ui.actions import build_actions
from watchkeeper.ui.commands import window_commands
from watchkeeper.ui.devices.view import DevicesView
from watchkeeper.ui.disk_status import DiskStatus
from watchkeeper.ui.hits.dialogs import RuleFoldersDialog
from watchkeeper.ui.hits.rule_sets import RuleSets
from watchkeeper.ui.hits.view import HitsView
from watchkeeper.ui.import_flow import ImportFlow
from watchkeeper.ui.importing import ImportSummaryDialog, local_paths
from watchkeeper.ui.incidents.view import IncidentsView
from watchkeeper.ui.incidents.wiring import wire_incidents
from watchkeeper.ui.overview.view import OverviewView
from watchkeeper.ui.overview.welcome import WelcomePage
from watchkeeper.ui.pivots.view import hosts_view, users_view
from watchkeeper.ui.retention.controller import Retention
from watchkeeper.ui.sources.view import SourcesView
from watchkeeper.ui.status_line import Priority, StatusLine
from watchkeeper.ui.tasks import Task, TaskRunner
from watchkeeper.ui.view_stack import ViewStack

if TYPE_CHECKING:
    from watchkeeper.ui.explorer.view import ExplorerView

VIEWS = ("Overview", "Events", "Users", "Hosts", "Hits", "Incidents", "Sources", "Devices")
OVERVIEW, EVENTS, USERS, HOSTS, HITS, INCIDENTS, SOURCES, DEVICES = range(8)
EXPLORER_SPLITTER = "explorerSplitter"  # its key in the saved layout


class MainWindow(QMainWindow):
    def __init__(
        self, store: Store, settings: Settings | None = None, runner: TaskRunner | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self.settings = settings or settings_file.load()
        self.runner = runner or TaskRunner(self, dialog_parent=self)
        self.runner.on_error = self._on_runner_error
        self.rule_folders_dialog: RuleFoldersDialog | None = None
        self.setWindowTitle(f"Watchkeeper — {store.path.name}")
        self.setWindowIcon(QIcon(str(paths.resources_dir() / "icons" / "watchkeeper.svg")))
        self.setAcceptDrops(True)
        self._build_status_bar()
        self.imports = ImportFlow(
            self,
            store,
            self.settings,
            self.runner,
            self.status_line,
            self.hits_label,
            self._on_runner_error,
            on_store_changed=self.refresh_all,
            on_hits_changed=self._on_hits_changed,
        )
        self.detection = self.imports.detection
        self.rule_sets = RuleSets(
            self,
            self.settings,
            self.runner,
            self.detection,
            self.status_line.say,
            lambda: settings_file.save(self.settings),
        )
        self.retention = Retention(
            self, store, self.settings, self.runner, self.status_line.say, self.refresh_all
        )

        self.welcome = WelcomePage()
        self.overview = OverviewView(self.welcome)
        # The explorer (and pyqtgraph, a third of a second to import) is built when first
        # shown: the window opens on the overview sooner.
        self._explorer: ExplorerView | None = None
        self._explorer_slot = QWidget()
        self.users = users_view(store, self.runner)
        self.hosts = hosts_view(store, self.runner)
        self.hits_view = HitsView(store, self.runner)
        self.incidents_view = IncidentsView(store, self.runner, self.settings)
        self.sources_view = SourcesView(store, self.settings, self.runner, None)
        self.devices_view = DevicesView(store, self.settings, self.runner)
        self._wire_views()
        self._apply_utc_to_views()
        self.views = ViewStack(VIEWS)
        self.views.add(self.overview, self._load_overview)
        self.views.add(
            self._explorer_slot, self._refresh_explorer, first_shown=lambda: self.explorer
        )
        self.views.add(self.users, self.users.refresh)
        self.views.add(self.hosts, self.hosts.refresh)
        self.views.add(self.hits_view, self.hits_view.refresh)
        self.views.add(self.incidents_view, self.incidents_view.refresh)
        self.views.add(self.sources_view, self.sources_view.refresh)
        self.views.add(self.devices_view, self.devices_view.refresh)
        self.navigation, self.pages = self.views.navigation, self.views.pages
        self.linker = wire_incidents(self, INCIDENTS)
        self.setCentralWidget(self.views)

        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(18, 18))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        commands = build_actions(self, window_commands(self), toolbar)
        self.addToolBar(toolbar)
        self.view_actions = [commands[name] for name in VIEWS]
        self.focus_filter_action = commands["filter"]
        self.clear_filter_action = commands["clear-filter"]
        self.utc_action = commands["utc"]
        self.hunt_action = commands["hunt"]
        self.suppressions_action = commands["suppressions"]
        self.theme_actions = commands.choices["theme"]
        self.welcome.forwarding_requested.connect(commands["setup-logging"].trigger)

        self._restore_layout()
        # The parsers take 0.1 s to load: load them now, in the background, not mid-import.
        self.runner.run(
            lambda _progress: formats.parsers(), title="Loading parsers", dialog=False, quiet=True
        )
        self.rule_sets.attach(commands.choices["profile"])
        self.rule_sets.preload()
        self.retention.start()
        if self.current_view() != SOURCES:  # shown, it has loaded already
            self.sources_view.refresh()  # whether any source is silent, for the navigation

    def _wire_views(self) -> None:
        """What one view asks of the others: click-throughs, and news for the status line."""
        self.welcome.import_requested.connect(self.imports.choose_files)
        self.welcome.demo_requested.connect(self.imports.choose_demo)
        for pivot in (self.overview, self.users, self.hosts, self.hits_view, self.devices_view):
            pivot.filter_requested.connect(self.show_events)
        self.overview.hits_requested.connect(partial(self.show_view, HITS))
        self.hits_view.tuning_changed.connect(self._on_hits_view_tuning_changed)
        self.hits_view.triage_changed.connect(self._on_hits_view_tuning_changed)
        self.sources_view.silent_changed.connect(self._on_sources_silent_changed)
        self.sources_view.plan_missing_changed.connect(self.overview.show_plan_missing)
        self.devices_view.hits_requested.connect(self.show_host_hits)
        self.devices_view.imported.connect(lambda said: self.status_line.say(said))

    def _build_status_bar(self) -> None:
        self.status_line = StatusLine()
        self.setStatusBar(self.status_line)
        self.busy = self.status_line.follow(self.runner)
        self.busy_label = self.busy.label
        # the last detection run's news, and silent sources while there are any: a click
        # opens their view
        self.hits_label = self.status_line.add_link(partial(self.show_view, HITS))
        self.sources_label = self.status_line.add_link(partial(self.show_view, SOURCES))
        self.store_label = self.status_line.add_text()
        self.disk_status = DiskStatus(self.store, self.runner, self.status_line)

    # views ------------------------------------------------------------------------------

    @property
    def explorer(self) -> ExplorerView:
        """The events view, built on first use."""
        if self._explorer is None:
            from watchkeeper.ui.explorer.view import ExplorerView

            explorer = ExplorerView(self.store, self.runner, self.settings)
            explorer.searched.connect(self._on_explorer_searched)
            explorer.add_to_incident_requested.connect(self.linker.add)
            window_state.restore_splitter(explorer.splitter, EXPLORER_SPLITTER)
            self.views.replace(EVENTS, explorer)
            self._explorer = explorer
        return self._explorer

    def show_view(self, number: int) -> None:
        self.views.show_view(number)

    def current_view(self) -> int:
        return self.views.current()

    def _refresh_explorer(self) -> None:
        self.explorer.apply_filter(self.explorer.filter_bar.text)

    def refresh_all(self) -> None:
        """The store changed: every view is stale; the visible one reloads now."""
        self.views.mark_all_stale()
        if self.overview.showing_welcome:
            self.views.refresh_if_stale(OVERVIEW)
        self._update_store_label()
        self.disk_status.refresh()

    def show_events(
        self, text: str, since: datetime | None = None, until: datetime | None = None
    ) -> None:
        """Open the explorer on a filter (clicks through from the other views)."""
        self.views.stale.discard(EVENTS)
        self.show_view(EVENTS)
        self.explorer.apply_filter(text, since, until)

    def show_host_hits(self, host: str) -> None:
        """Open the Hits view on one host's rule hits (clicks through from a device)."""
        combo = self.hits_view.host
        if combo.findData(host) < 0:
            combo.addItem(host, host)
        self.show_view(HITS)
        combo.setCurrentIndex(combo.findData(host))

    def focus_filter(self) -> None:
        self.show_view(EVENTS)
        self.explorer.focus_filter()

    def clear_filter(self) -> None:
        self.show_view(EVENTS)
        self.explorer.clear_filter()

    def _load_overview(self) -> None:
        now = datetime.now(UTC)
        self.runner.run(
            lambda progress: queries.overview(self.store, progress=progress, now=now),
            title="Reading the store",
            key="overview",
            on_success=self._on_overview_loaded,
        )
        self._load_hit_counts()

    def _load_hit_counts(self) -> None:
        self.runner.run(
            lambda _progress: detection_views.counts(self.store),
            title="Counting detections",
            key="hit-counts",
            dialog=False,
            quiet=True,
            on_success=self._on_detections_counted,
        )

    def _on_detections_counted(self, counts: tuple[dict[str, int], int]) -> None:
        """Detections per level on the overview; how many are new in the navigation."""
        levels, new = counts
        self.overview.show_hit_counts(levels)
        self.navigation.item(HITS).setText(VIEWS[HITS] + (f"\n({new:,} new)" if new else ""))

    def _on_overview_loaded(self, info: queries.Overview) -> None:
        self.overview.show_overview(info)
        self._on_store_counted((info.events, info.size_bytes))

    def _update_store_label(self) -> None:
        """Count the store for the status bar, unless the overview is loading (it counts)."""
        if OVERVIEW not in self.views.stale:
            return
        self.runner.run(
            lambda progress: (self.store.event_count(), self.store.size_bytes()),
            title="Counting events",
            key="status",
            dialog=False,
            on_success=self._on_store_counted,
        )

    def _on_store_counted(self, figures: tuple[int, int]) -> None:
        events, size = figures
        self.store_label.setText(
            f"{counted(events, 'event')} · {size / 1e6:,.1f} MB · {self.store.path.name}"
        )
        self.store_label.setToolTip(str(self.store.path))

    def _on_explorer_searched(self, text: str) -> None:
        self.settings.remember_filter(text)
        self.explorer.filter_bar.set_history(self.settings.filter_history)

    # importing and detection ----------------------------------------------------------------

    @property
    def last_import(self) -> ImportSummary | None:
        return self.imports.last_import

    @property
    def summary_dialog(self) -> ImportSummaryDialog | None:
        return self.imports.summary_dialog

    def import_paths(self, chosen: list[Path]) -> Task:
        return self.imports.import_paths(chosen)

    def run_detection(self, full: bool = False) -> None:
        """Run the rules over new events (or all, `full`), after any run in progress."""
        self.imports.run_detection(full)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        dropped = local_paths(event.mimeData())
        if dropped:
            event.acceptProposedAction()
            self.import_paths(dropped)

    def _on_hits_changed(self, hits_view_too: bool = True) -> None:
        """Hits were found or tuned: the views that show them read them again."""
        if hits_view_too:
            self.views.mark_stale(HITS)
        self._load_hit_counts()
        if self._explorer is not None:
            self._explorer.refresh_hit_marks()
            if "rule:" in self._explorer.filter_bar.text.lower():
                self._explorer.refresh()

    def _on_hits_view_tuning_changed(self, said: str) -> None:
        self.status_line.say(said)
        self._on_hits_changed(hits_view_too=False)  # the view refreshed itself

    def edit_rule_folders(self) -> RuleFoldersDialog:
        last = self.detection.last
        dialog = RuleFoldersDialog(
            paths.rules_dir(),
            self.settings.rule_folders,
            last.rules_loaded if last else None,
            last.problems if last else [],
            self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(partial(self._on_rule_folders_accepted, dialog))
        self.rule_folders_dialog = dialog
        dialog.open()
        return dialog

    def _on_rule_folders_accepted(self, dialog: RuleFoldersDialog) -> None:
        self.settings.rule_folders = dialog.folders()
        settings_file.save(self.settings)
        if dialog.hunt.isChecked():
            self.run_detection(full=True)

    # sources ----------------------------------------------------------------------------

    def set_test_sender(self, send_test: Callable[[], str] | None) -> None:
        """The collector's test-event sender (a sentence saying what happened), or None."""
        self.sources_view.set_send_test(send_test)

    def _on_sources_silent_changed(self, count: int) -> None:
        """Silent sources show in the navigation and the status bar, whatever view is open."""
        item = self.navigation.item(SOURCES)
        # on a second line: the navigation stays narrow
        text = VIEWS[SOURCES] + (f"\n({count} silent)" if count else "")
        item.setText(text)
        item.setForeground(
            QColor(theme.current().levels["error"]) if count else self.navigation.palette().text()
        )
        said = f"{counted(count, 'source')} {'is' if count == 1 else 'are'} silent" if count else ""
        self.sources_label.setText(said)
        self.sources_label.setToolTip(f"<p>{html.escape(self.sources_view.banner_text.text())}</p>")
        self.sources_label.setStyleSheet(
            f"color: {theme.current().levels['error']}; font-weight: 600;" if count else ""
        )
        self.sources_label.setVisible(bool(count))
        if count:
            self.status_line.say(said + ": see Sources.", Priority.WARNING)

    # preferences ------------------------------------------------------------------------

    def _apply_utc_to_views(self) -> None:
        utc = self.settings.time_display == "utc"
        self.overview.utc = utc
        for view in (self.users, self.hosts, self.hits_view, self.sources_view, self.devices_view):
            view.set_utc(utc)
        self.incidents_view.set_utc(utc)

    def show_times_in_utc(self, utc: bool) -> None:
        """Times in UTC, or in the computer's time zone, in every view."""
        self.settings.time_display = "utc" if utc else "local"
        self._apply_utc_to_views()
        if self._explorer is not None:
            self._explorer.set_utc(utc)
        self.views.mark_stale(OVERVIEW)

    def set_theme(self, key: str) -> None:
        assert key in ("system", "light", "dark")
        self.settings.theme = key  # type: ignore[assignment]
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply(app, self.settings.theme)
        if self._explorer is not None:
            self._explorer.timeline.apply_theme()
        self.hits_view.apply_theme()
        self.sources_view.apply_theme()
        self.devices_view.apply_theme()
        self._on_sources_silent_changed(self.sources_view.silent_count)
        self.theme_actions[key].setChecked(True)

    def set_timeline_series(self, key: str) -> None:
        """Timeline bars by source or by level."""
        self.settings.timeline_series = "level" if key == "level" else "source"
        self.views.mark_stale(EVENTS)

    # keeping the layout -------------------------------------------------------------------

    def _restore_layout(self) -> None:
        number = window_state.restore_window(self, len(VIEWS))
        if number is None or self.store.last_event_id == 0:
            number = OVERVIEW  # an empty store opens on the welcome page
        self.show_view(number)
        self._update_store_label()

    def save_layout(self) -> None:
        splitters = {EXPLORER_SPLITTER: self._explorer.splitter} if self._explorer else {}
        window_state.save_window(self, self.current_view(), splitters)
        settings_file.save(self.settings)

    def _on_runner_error(self, error: BaseException, doing: str) -> None:
        errors.show_error(self, error, doing)

    def event(self, event: QEvent) -> bool:
        if isinstance(event, QStatusTipEvent):  # one owner of the status line
            self.status_line.show_tip(event.tip())
            return True
        return super().event(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.runner.cancel_all()
        self.runner.wait(10_000)
        super().closeEvent(event)
