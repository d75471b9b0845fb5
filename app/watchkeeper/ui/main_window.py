"""The main window: navigation between views, imports, menus, shortcuts and the status bar."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSettings, QSize, Qt
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
    QStatusTipEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QStyle,
    QToolBar,
    QWidget,
)

from watchkeeper import __version__
from watchkeeper.core import paths
from watchkeeper.core import settings as settings_file
from watchkeeper.core.settings import Settings
from watchkeeper.core.text import counted
from watchkeeper.ingest import formats
from watchkeeper.ingest.importer import ImportSummary, import_paths
from watchkeeper.scenarios.demo import DEFAULT_EVENTS, load_demo
from watchkeeper.storage import hits, queries
from watchkeeper.storage.store import Store
from watchkeeper.ui import errors, theme
from watchkeeper.ui.devices.view import DevicesView
from watchkeeper.ui.hits.detecting import Detection
from watchkeeper.ui.hits.detecting import preload as preload_detection
from watchkeeper.ui.hits.dialogs import RuleFoldersDialog
from watchkeeper.ui.hits.models import DetectionResult
from watchkeeper.ui.hits.view import HitsView
from watchkeeper.ui.importing import FILE_FILTER, ImportSummaryDialog, headline, local_paths
from watchkeeper.ui.overview.view import OverviewView
from watchkeeper.ui.overview.welcome import WelcomePage
from watchkeeper.ui.pivots.view import hosts_view, users_view
from watchkeeper.ui.sources.view import SourcesView
from watchkeeper.ui.status_line import Priority, StatusLine
from watchkeeper.ui.tasks import Task, TaskRunner

if TYPE_CHECKING:
    from watchkeeper.ui.explorer.view import ExplorerView

FILTER_HELP = """Filters find events by field and by words.

  host:pc-07 event_id:4625       both must match
  user:alice OR user:bob         either one
  -source:syslog                 NOT: leave these out
  "failed password"              a phrase anywhere in the event
  process:*powershell*           wildcards: * any text, ? one character
  time:>=2026-11-02 time:<2026-11-03
  event_id:>4600                 comparisons on numbers and times
  CommandLine:*                  the field has a value
  (user:alice OR user:bob) -host:dc01

AND, OR and NOT are upper case; in lower case they are words to find.
Field names are the columns (host, user, source, event_id, level, process, ...)
or any original field of the event, such as TargetUserName or Image."""
VIEWS = ("Overview", "Events", "Users", "Hosts", "Hits", "Sources", "Devices")
OVERVIEW, EVENTS, USERS, HOSTS, HITS, SOURCES, DEVICES = range(7)


def window_settings() -> QSettings:
    """Geometry and layout, in our config folder rather than Qt's default place."""
    path = paths.config_dir() / "window.ini"
    return QSettings(str(path), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    def __init__(self, store: Store, settings: Settings | None = None,
                 runner: TaskRunner | None = None) -> None:
        super().__init__()
        self.store = store
        self.settings = settings or settings_file.load()
        self.runner = runner or TaskRunner(self, dialog_parent=self)
        self.runner.on_error = self._on_runner_error
        self.last_import: ImportSummary | None = None
        self.summary_dialog: ImportSummaryDialog | None = None
        self.rule_folders_dialog: RuleFoldersDialog | None = None
        self._stale = set(range(len(VIEWS)))
        self.setWindowTitle(f"Watchkeeper — {store.path.name}")
        self.setWindowIcon(QIcon(str(paths.resources_dir() / "icons" / "watchkeeper.svg")))
        self.setAcceptDrops(True)

        self.welcome = WelcomePage()
        self.welcome.import_requested.connect(self.choose_files)
        self.welcome.demo_requested.connect(self.choose_demo)
        self.overview = OverviewView(self.welcome)
        # The explorer (and pyqtgraph, a third of a second to import) is built when first
        # shown: the window opens on the overview sooner.
        self._explorer: ExplorerView | None = None
        self._explorer_slot = QWidget()
        self.users = users_view(store, self.runner)
        self.hosts = hosts_view(store, self.runner)
        self.hits_view = HitsView(store, self.runner)
        self.hits_view.tuning_changed.connect(self._on_hits_view_tuning_changed)
        self.sources_view = SourcesView(store, self.settings, self.runner, None)
        self.sources_view.silent_changed.connect(self._on_sources_silent_changed)
        self.devices_view = DevicesView(store, self.settings, self.runner)
        self.devices_view.hits_requested.connect(self.show_host_hits)
        self.devices_view.imported.connect(lambda said: self.status_line.say(said))
        for pivot in (self.overview, self.users, self.hosts, self.hits_view, self.devices_view):
            pivot.filter_requested.connect(self.show_events)
        self.overview.hits_requested.connect(partial(self.show_view, HITS))
        self.detection = Detection(store, self.settings, self.runner, self._on_runner_error,
                                   self)
        self.detection.finished.connect(self._on_detection_finished)
        self.detection.stopped.connect(self._on_detection_stopped)
        self._import_note = ""  # the last import's headline, until detection adds to it
        self._apply_utc_to_views()

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.addItems(VIEWS)
        self.navigation.setFixedWidth(150)
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.navigation.currentRowChanged.connect(self._on_navigation_row_changed)
        self.pages = QStackedWidget()
        for view in (self.overview, self._explorer_slot, self.users, self.hosts, self.hits_view,
                     self.sources_view, self.devices_view):
            self.pages.addWidget(view)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 4, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.navigation)
        row.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self._build_actions()
        self._build_status_bar()
        self._restore_layout()
        # The parsers' modules and patterns take 0.1 s to load: load them now, in the
        # background, rather than in the middle of the first import.
        self.runner.run(lambda _progress: formats.parsers(), title="Loading parsers",
                        dialog=False, quiet=True)
        self.runner.run(preload_detection, title="Loading the detection engine", dialog=False,
                        quiet=True)
        if self.current_view() != SOURCES:  # shown, it has loaded already
            self.sources_view.refresh()  # whether any source is silent, for the navigation

    # actions, menus and toolbar ---------------------------------------------------------

    def _action(self, text: str, slot: object,
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                icon: QStyle.StandardPixmap | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    def _build_actions(self) -> None:
        pixmap = QStyle.StandardPixmap
        self.import_action = self._action(
            "&Import files…", self.choose_files, QKeySequence.StandardKey.Open,
            pixmap.SP_DialogOpenButton, "Import log files or archives (Ctrl+O)")
        self.import_folder_action = self._action(
            "Import &folder…", self.choose_folder, "Ctrl+Shift+O", pixmap.SP_DirOpenIcon,
            "Import every log file in a folder")
        self.import_devices_action = self._action(
            "Import &device list…", self.devices_view.choose_files, None, None,
            "Import an Intune, Google Workspace or Jamf Pro export, or an osquery log")
        self.demo_action = self._action("Load &demo data…", self.choose_demo, None,
                                        pixmap.SP_ComputerIcon,
                                        "Generate a small office's logs, attacks included")
        self.refresh_action = self._action("&Refresh", self.refresh_all,
                                           QKeySequence.StandardKey.Refresh,
                                           pixmap.SP_BrowserReload, "Read the store again (F5)")
        quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.view_actions = [
            self._action(name, partial(self.show_view, number), f"Ctrl+{number + 1}")
            for number, name in enumerate(VIEWS)]
        next_view = self._action("&Next view", partial(self._step_view, 1), "Ctrl+PgDown")
        previous_view = self._action("&Previous view", partial(self._step_view, -1), "Ctrl+PgUp")
        self.focus_filter_action = self._action("&Filter events…", self.focus_filter,
                                                QKeySequence.StandardKey.Find,
                                                tip="Type a filter (Ctrl+F)")
        self.clear_filter_action = self._action("&Clear filter", self.clear_filter, "Ctrl+Shift+E",
                                                tip="Show every event again")
        self.utc_action = QAction("Show times in &UTC", self, checkable=True)
        self.utc_action.setShortcut(QKeySequence("Ctrl+Shift+U"))
        self.utc_action.setChecked(self.settings.time_display == "utc")
        self.utc_action.toggled.connect(self._on_utc_toggled)
        self.addAction(self.utc_action)
        self.theme_actions = self._choices(
            (("system", "Follow the &system"), ("light", "&Light"), ("dark", "&Dark")),
            self.settings.theme, self.set_theme)
        self.series_actions = self._choices(
            (("source", "Timeline bars by &source"), ("level", "Timeline bars by &level")),
            self.settings.timeline_series, self._on_series_chosen)

        file_menu = self.menuBar().addMenu("&File")
        for action in (self.import_action, self.import_folder_action,
                       self.import_devices_action, self.demo_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for action in self.view_actions:
            view_menu.addAction(action)
        view_menu.addAction(next_view)
        view_menu.addAction(previous_view)
        view_menu.addSeparator()
        view_menu.addAction(self.focus_filter_action)
        view_menu.addAction(self.clear_filter_action)
        view_menu.addAction(self.refresh_action)
        view_menu.addSeparator()
        view_menu.addAction(self.utc_action)
        for action in self.series_actions.values():
            view_menu.addAction(action)
        theme_menu = view_menu.addMenu("&Theme")
        for action in self.theme_actions.values():
            theme_menu.addAction(action)
        self.hunt_action = self._action(
            "&Hunt again over all events", partial(self.run_detection, True), None,
            pixmap.SP_BrowserReload, "Run every rule over every event again (hits are replaced)")
        self.rule_folders_action = self._action("&Rule folders…", self.edit_rule_folders,
                                                tip="Folders of Sigma rules to run")
        self.suppressions_action = self._action("&Suppressions…", self.show_suppressions,
                                                tip="Every suppression and disabled rule")
        detection_menu = self.menuBar().addMenu("&Detection")
        for action in (self.hunt_action, self.rule_folders_action, self.suppressions_action):
            detection_menu.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&Filter syntax", self.show_filter_help, "F1"))
        help_menu.addAction(self._action("&About Watchkeeper", self.show_about))

        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(18, 18))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.import_action, self.import_folder_action, self.demo_action,
                       self.refresh_action):
            toolbar.addAction(action)
        self.addToolBar(toolbar)

    def _choices(self, options: tuple[tuple[str, str], ...], current: str,
                 slot: Callable[[str], None]) -> dict[str, QAction]:
        """Checkable actions of which one is on, each calling `slot` with its key."""
        group = QActionGroup(self)
        actions: dict[str, QAction] = {}
        for key, label in options:
            action = QAction(label, self, checkable=True)
            action.setChecked(key == current)
            action.triggered.connect(partial(slot, key))
            group.addAction(action)
            actions[key] = action
        return actions

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

    # views ------------------------------------------------------------------------------

    @property
    def explorer(self) -> ExplorerView:
        """The events view, built on first use."""
        if self._explorer is None:
            from watchkeeper.ui.explorer.view import ExplorerView

            explorer = ExplorerView(self.store, self.runner, self.settings)
            explorer.searched.connect(self._on_explorer_searched)
            value = window_settings().value("explorerSplitter")
            if value is not None:
                explorer.splitter.restoreState(value)
            current = self.pages.currentIndex()
            self.pages.removeWidget(self._explorer_slot)
            self.pages.insertWidget(EVENTS, explorer)
            self.pages.setCurrentIndex(current)
            self._explorer = explorer
        return self._explorer

    def show_view(self, number: int) -> None:
        self.navigation.setCurrentRow(number)

    def current_view(self) -> int:
        return self.pages.currentIndex()

    def _step_view(self, step: int) -> None:
        self.show_view((self.current_view() + step) % len(VIEWS))

    def _on_navigation_row_changed(self, row: int) -> None:
        if row < 0:
            return
        if row == EVENTS:
            _ = self.explorer  # built now, on its first showing
        self.pages.setCurrentIndex(row)
        self._refresh_if_stale(row)

    def _refresh_if_stale(self, number: int) -> None:
        if number not in self._stale:
            return
        self._stale.discard(number)
        if number == OVERVIEW:
            self._load_overview()
        elif number == EVENTS:
            self.explorer.apply_filter(self.explorer.filter_bar.text)
        elif number == USERS:
            self.users.refresh()
        elif number == HOSTS:
            self.hosts.refresh()
        elif number == HITS:
            self.hits_view.refresh()
        elif number == SOURCES:
            self.sources_view.refresh()
        elif number == DEVICES:
            self.devices_view.refresh()

    def refresh_all(self) -> None:
        """The store changed: every view is stale; the visible one reloads now."""
        self._stale = set(range(len(VIEWS)))
        self._refresh_if_stale(self.current_view())
        if self.overview.showing_welcome:
            self._refresh_if_stale(OVERVIEW)
        self._update_store_label()

    def show_events(self, text: str, since: datetime | None = None,
                    until: datetime | None = None) -> None:
        """Open the explorer on a filter (clicks through from the other views)."""
        self._stale.discard(EVENTS)
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
        self.runner.run(lambda progress: queries.overview(self.store, progress=progress, now=now),
                        title="Reading the store", key="overview",
                        on_success=self._on_overview_loaded)
        self._load_hit_counts()

    def _load_hit_counts(self) -> None:
        self.runner.run(lambda _progress: hits.hit_counts(self.store), title="Counting rule hits",
                        key="hit-counts", dialog=False, quiet=True,
                        on_success=self.overview.show_hit_counts)

    def _on_overview_loaded(self, info: queries.Overview) -> None:
        self.overview.show_overview(info)
        self._on_store_counted((info.events, info.size_bytes))

    def _update_store_label(self) -> None:
        """Count the store for the status bar, unless the overview is loading (it counts)."""
        if OVERVIEW not in self._stale:
            return
        self.runner.run(lambda progress: (self.store.event_count(), self.store.size_bytes()),
                        title="Counting events", key="status", dialog=False,
                        on_success=self._on_store_counted)

    def _on_store_counted(self, figures: tuple[int, int]) -> None:
        events, size = figures
        self.store_label.setText(f"{counted(events, 'event')} · {size / 1e6:,.1f} MB · "
                                 f"{self.store.path.name}")
        self.store_label.setToolTip(str(self.store.path))

    def _on_explorer_searched(self, text: str) -> None:
        self.settings.remember_filter(text)
        self.explorer.filter_bar.set_history(self.settings.filter_history)

    # importing --------------------------------------------------------------------------

    def choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Import log files", str(Path.home()),
                                                FILE_FILTER)
        if names:
            self.import_paths([Path(name) for name in names])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder of logs", str(Path.home()))
        if folder:
            self.import_paths([Path(folder)])

    def choose_demo(self) -> None:
        events, ok = QInputDialog.getInt(
            self, "Load demo data",
            "A generated small office: Windows PCs, a domain controller, Linux servers,\n"
            "with a password spray, a malicious macro, an SSH brute force and a remote-access\n"
            "tool hidden in a month of ordinary activity.\n\nHow many events?",
            DEFAULT_EVENTS, 1_000, 10_000_000, 50_000)
        if ok:
            self.load_demo(events)

    def import_paths(self, chosen: list[Path]) -> Task:
        return self.runner.run(lambda progress: import_paths(self.store, chosen, progress),
                               title="Importing", on_success=self._on_import_finished)

    def load_demo(self, events: int = DEFAULT_EVENTS, seed: int = 1) -> Task:
        return self.runner.run(lambda progress: load_demo(self.store, events, seed, progress)[1],
                               title="Loading demo data", on_success=self._on_import_finished)

    def _on_import_finished(self, summary: ImportSummary) -> None:
        self.last_import = summary
        self._import_note = headline(summary)
        self.status_line.say(self._import_note)
        self.summary_dialog = ImportSummaryDialog(summary, self)
        self.summary_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.summary_dialog.open()
        self.refresh_all()
        if summary.events or hits.unseen_events(self.store):
            self.run_detection()  # over the events no run has seen (new, or left by a crash)

    # detection --------------------------------------------------------------------------

    def run_detection(self, full: bool = False) -> None:
        """Run the rules over new events (or all, `full`), after any run in progress."""
        self.detection.request(full)

    def _on_detection_finished(self, result: DetectionResult) -> None:
        note = result.note()
        self.hits_label.setText(note)
        self.hits_label.show()
        problems = (f"; {counted(len(result.problems), 'rule file')} could not be used (see "
                    "Detection ▸ Rule folders)" if result.problems else "")
        self.hits_label.setToolTip(
            f"{counted(result.rules_loaded, 'rule')} ran over "
            f"{counted(result.report.events, 'event')} in "
            f"{result.report.seconds:,.1f} s{problems}. Click to see the hits.")
        report = result.report
        # a run over forwarded logs that found nothing is routine; what an import led to is not
        noteworthy = bool(self._import_note or report.full or report.new_hits or report.failures)
        self.status_line.say(f"{self._import_note}  {note}." if self._import_note else f"{note}.",
                             Priority.NEWS if noteworthy else Priority.ROUTINE)
        self._import_note = ""
        self._on_hits_changed()

    def _on_detection_stopped(self, text: str) -> None:
        self.status_line.say(text)

    def _on_hits_changed(self, hits_view_too: bool = True) -> None:
        """Hits were found or tuned: the views that show them read them again."""
        if hits_view_too:
            self._stale.add(HITS)
            if self.current_view() == HITS:
                self._refresh_if_stale(HITS)
        if not self.overview.showing_welcome:
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
        dialog = RuleFoldersDialog(paths.rules_dir(), self.settings.rule_folders,
                                   last.rules_loaded if last else None,
                                   last.problems if last else [], self)
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

    def show_suppressions(self) -> None:
        self.hits_view.show_suppressions()

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
        item.setForeground(QColor(theme.current().levels["error"]) if count
                           else self.navigation.palette().text())
        said = f"{counted(count, 'source')} {'is' if count == 1 else 'are'} silent" if count else ""
        self.sources_label.setText(said)
        self.sources_label.setToolTip(f"<p>{html.escape(self.sources_view.banner_text.text())}</p>")
        self.sources_label.setStyleSheet(
            f"color: {theme.current().levels['error']}; font-weight: 600;" if count else "")
        self.sources_label.setVisible(bool(count))
        if count:
            self.status_line.say(said + ": see Sources.", Priority.WARNING)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        dropped = local_paths(event.mimeData())
        if dropped:
            event.acceptProposedAction()
            self.import_paths(dropped)

    # preferences ------------------------------------------------------------------------

    def _apply_utc_to_views(self) -> None:
        utc = self.settings.time_display == "utc"
        self.overview.utc = utc
        self.users.set_utc(utc)
        self.hosts.set_utc(utc)
        self.hits_view.set_utc(utc)
        self.sources_view.set_utc(utc)
        self.devices_view.set_utc(utc)

    def _on_utc_toggled(self, utc: bool) -> None:
        self.settings.time_display = "utc" if utc else "local"
        self._apply_utc_to_views()
        if self._explorer is not None:
            self._explorer.set_utc(utc)
        self._stale.add(OVERVIEW)
        if self.current_view() == OVERVIEW:
            self._refresh_if_stale(OVERVIEW)

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

    def _on_series_chosen(self, key: str) -> None:
        self.settings.timeline_series = "level" if key == "level" else "source"
        self._stale.add(EVENTS)
        if self.current_view() == EVENTS:
            self._refresh_if_stale(EVENTS)

    def show_filter_help(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "Filter syntax", FILTER_HELP,
                          QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setStyleSheet("QLabel { font-family: monospace; }")
        box.open()

    def show_about(self) -> None:
        QMessageBox.about(self, "About Watchkeeper",
                          f"Watchkeeper {__version__}\n\nLogging and protective monitoring for "
                          f"small organisations.\n\nStore: {self.store.path}\n"
                          f"Logs: {paths.log_dir()}")

    # status bar -------------------------------------------------------------------------

    def _on_runner_error(self, error: BaseException, doing: str) -> None:
        errors.show_error(self, error, doing)

    # keeping the layout -------------------------------------------------------------------

    def _restore_layout(self) -> None:
        saved = window_settings()
        geometry = saved.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1360, 860)
        state = saved.value("state")
        if state is not None:
            self.restoreState(state)
        view = saved.value("view", OVERVIEW)
        try:
            number = int(view)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            number = OVERVIEW
        if self.store.last_event_id == 0:
            number = OVERVIEW  # an empty store opens on the welcome page
        self.show_view(number if 0 <= number < len(VIEWS) else OVERVIEW)
        self._update_store_label()

    def save_layout(self) -> None:
        saved = window_settings()
        saved.setValue("geometry", self.saveGeometry())
        saved.setValue("state", self.saveState())
        if self._explorer is not None:
            saved.setValue("explorerSplitter", self._explorer.splitter.saveState())
        saved.setValue("view", self.current_view())
        saved.sync()
        settings_file.save(self.settings)

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
