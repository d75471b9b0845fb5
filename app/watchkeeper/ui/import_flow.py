"""New events in the store, then the rules over them, then the views: imports, demo data, forwarded logs.

The window chooses what comes in; this controller runs the import as a job, says what came
of it (the summary dialog, the status line), has the views read the store again and runs
the rules over the new events, then says what the rules found.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QPushButton, QWidget

from watchkeeper.core.settings import Settings
from watchkeeper.core.text import counted
from watchkeeper.ingest.importer import import_paths
from watchkeeper.ingest.summary import ImportSummary
from watchkeeper.scenarios.demo import DEFAULT_EVENTS, load_demo
from watchkeeper.storage import hits
from watchkeeper.storage.store import Store
from watchkeeper.ui.hits.detecting import Detection
from watchkeeper.ui.hits.models import DetectionResult
from watchkeeper.ui.importing import FILE_FILTER, ImportSummaryDialog, headline
from watchkeeper.ui.status_line import Priority, StatusLine
from watchkeeper.ui.tasks import Task, TaskRunner

DEMO_QUESTION = (
    "A generated small office: Windows PCs, a domain controller, Linux servers,\n"
    "with a password spray, a malicious macro, an SSH brute force and a remote-access\n"
    "tool hidden in a month of ordinary activity.\n\nHow many events?"
)


class ImportFlow(QObject):
    """Import → detect → refresh, and what the window says at each step."""

    def __init__(
        self,
        window: QWidget,
        store: Store,
        settings: Settings,
        runner: TaskRunner,
        status_line: StatusLine,
        hits_label: QPushButton,
        on_error: Callable[[BaseException, str], None],
        on_store_changed: Callable[[], None],
        on_hits_changed: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._store = store
        self._runner = runner
        self._status_line = status_line
        self._hits_label = hits_label
        self._on_store_changed = on_store_changed
        self._on_hits_changed = on_hits_changed
        self.last_import: ImportSummary | None = None
        self.summary_dialog: ImportSummaryDialog | None = None
        self._import_note = ""  # the last import's headline, until detection adds to it
        self.detection = Detection(store, settings, runner, on_error, self)
        self.detection.finished.connect(self._on_detection_finished)
        self.detection.stopped.connect(self._on_detection_stopped)

    # choosing what comes in ---------------------------------------------------------------

    def choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self._window, "Import log files", str(Path.home()), FILE_FILTER
        )
        if names:
            self.import_paths([Path(name) for name in names])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self._window, "Import a folder of logs", str(Path.home())
        )
        if folder:
            self.import_paths([Path(folder)])

    def choose_demo(self) -> None:
        events, ok = QInputDialog.getInt(
            self._window, "Load demo data", DEMO_QUESTION, DEFAULT_EVENTS, 1_000, 10_000_000, 50_000
        )
        if ok:
            self.load_demo(events)

    # importing ----------------------------------------------------------------------------

    def import_paths(self, chosen: list[Path]) -> Task:
        return self._runner.run(
            lambda progress: import_paths(self._store, chosen, progress),
            title="Importing",
            on_success=self._on_import_finished,
        )

    def load_demo(self, events: int = DEFAULT_EVENTS, seed: int = 1) -> Task:
        return self._runner.run(
            lambda progress: load_demo(self._store, events, seed, progress)[1],
            title="Loading demo data",
            on_success=self._on_import_finished,
        )

    def _on_import_finished(self, summary: ImportSummary) -> None:
        self.last_import = summary
        self._import_note = headline(summary)
        self._status_line.say(self._import_note)
        if summary.disk_full:  # paused by the disk guard, or the disk is full: said on the line
            self._status_line.say(summary.disk_full, Priority.WARNING)
        self.summary_dialog = ImportSummaryDialog(summary, self._window)
        self.summary_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.summary_dialog.open()
        self._on_store_changed()
        if summary.events or hits.unseen_events(self._store):
            self.run_detection()  # over the events no run has seen (new, or left by a crash)

    def forwarded_loaded(self, summary: ImportSummary, refresh: bool) -> None:
        """Forwarded messages reached the store: the rules run, and (now and then) views reload."""
        self._status_line.say(
            f"{counted(summary.events, 'forwarded event')} loaded"
            + (f", {summary.quarantined:,} quarantined" if summary.quarantined else ""),
            Priority.ROUTINE,
            5_000,
        )
        if summary.events:
            self.run_detection()
        if refresh:
            self._on_store_changed()

    # detection ----------------------------------------------------------------------------

    def run_detection(self, full: bool = False) -> None:
        """Run the rules over new events (or all, `full`), after any run in progress."""
        self.detection.request(full)

    def _on_detection_finished(self, result: DetectionResult) -> None:
        note = result.note()
        self._hits_label.setText(note)
        self._hits_label.show()
        problems = (
            f"; {counted(len(result.problems), 'rule file')} could not be used (see "
            "Detection ▸ Rule folders)"
            if result.problems
            else ""
        )
        self._hits_label.setToolTip(
            f"{counted(result.rules_loaded, 'rule')} ran over "
            f"{counted(result.report.events, 'event')} in "
            f"{result.report.seconds:,.1f} s{problems}. Click to see the hits."
        )
        report = result.report
        # a run over forwarded logs that found nothing is routine; what an import led to is not
        noteworthy = bool(self._import_note or report.full or report.new_hits or report.failures)
        self._status_line.say(
            f"{self._import_note}  {note}." if self._import_note else f"{note}.",
            Priority.NEWS if noteworthy else Priority.ROUTINE,
        )
        self._import_note = ""
        self._on_hits_changed()

    def _on_detection_stopped(self, text: str) -> None:
        self._status_line.say(text)
