"""Detection from the window: one run at a time on the window's runner, after imports or on request."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, Signal

from watchkeeper.core.errors import Cancelled
from watchkeeper.core.progress import Progress
from watchkeeper.core.settings import Settings
from watchkeeper.storage.store import Store
from watchkeeper.ui.hits.models import DetectionResult
from watchkeeper.ui.tasks import Task, TaskRunner


def run_detection(
    store: Store,
    settings: Settings,
    full: bool,
    progress: Progress,
    since: datetime | None = None,
) -> DetectionResult:
    """Load the rules of the shipped pack, SigmaHQ's set and the settings' folders, and run
    them over new events (all with `full`; those since `since` again, with the hits kept)."""
    # pySigma takes a third of a second to import: only when detection first runs
    from watchkeeper.detection import service

    if since is not None:
        ruleset, report = service.rehunt(store, since, settings, progress)
    else:
        ruleset, report = service.run(store, settings=settings, progress=progress, full=full)
    levels = {rule.rule_id: rule.level for rule in ruleset.rules}
    result = DetectionResult(report, len(ruleset.rules), list(ruleset.problems), levels)
    result.profile_counts = dict(ruleset.profile_counts)
    return result


def preload(settings: Settings, progress: Progress) -> dict[str, int]:
    """Import the detection engine and load the rules in the background when the window opens,
    compiling any the cache lacks (the first start of a checkout); each profile's rule count.

    Importing pySigma holds the interpreter lock in long stretches (a third of a second in
    all): at the end of the first import it would stall the window. The rules loaded here are
    kept in memory, so the first detection run does not load them again.
    """
    import sigma.collection  # noqa: F401  (the rule compiler's first need)

    from watchkeeper.detection import service

    return dict(service.load(settings=settings, progress=progress).profile_counts)


class Detection(QObject):
    """Queues detection runs so two never overlap; a request during a run follows it.

    Runs over the same events at once would both save their hits (harmlessly), but a full
    re-hunt clears the hits first and could drop what an incremental run saved meanwhile.
    """

    finished = Signal(object)  # DetectionResult
    stopped = Signal(str)  # a run was cancelled or failed: what to say in the status bar

    def __init__(
        self,
        store: Store,
        settings: Settings,
        runner: TaskRunner,
        on_error: Callable[[BaseException, str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._settings = settings
        self._runner = runner
        self._on_error = on_error
        self._task: Task | None = None
        self._pending: bool | None = None  # None: nothing waits; else whether it is full
        self._pending_since: datetime | None = None  # a re-hunt waits, from this time
        self.last: DetectionResult | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def request(self, full: bool = False, since: datetime | None = None) -> Task | None:
        """Run now, or after the current run (a waiting full hunt stays full); with `since`,
        run the rules again over the events since then (after the rules changed)."""
        if self._task is not None:
            if since is not None:
                earlier = self._pending_since
                self._pending_since = since if earlier is None else min(since, earlier)
            else:
                self._pending = bool(self._pending) or full
            return None
        # the job reads its own copy: the user may edit the folders while it runs
        chosen = copy.deepcopy(self._settings)
        title = "Hunting over all events" if full else "Running detection rules"
        if since is not None and not full:
            title = "Hunting again over recent events"
        self._task = self._runner.run(
            lambda progress: run_detection(self._store, chosen, full, progress, since),
            title=title,
            dialog=full or since is not None,
            on_success=self._on_job_succeeded,
            on_error=self._on_job_failed,
        )
        return self._task

    def _on_job_succeeded(self, result: DetectionResult) -> None:
        self._task = None
        self.last = result
        self.finished.emit(result)
        self._next()

    def _on_job_failed(self, error: BaseException) -> None:
        self._task = None
        if isinstance(error, Cancelled):
            # Cancel (or closing the window) stops what waits too; the next run catches up
            self._pending = self._pending_since = None
            self.stopped.emit("Detection cancelled; the hits are as they were.")
        else:
            self.stopped.emit("Detection failed; see the message.")
            self._on_error(error, "Running detection rules")
        self._next()

    def _next(self) -> None:
        if self._pending_since is not None:
            since, self._pending_since = self._pending_since, None
            self.request(since=since)
        elif self._pending is not None:
            full, self._pending = self._pending, None
            self.request(full)
