"""The collector inside the window: listeners while it is open, and loading the spool.

The window owns the store, so it loads the spool itself, every couple of seconds, through
the task runner; new events refresh the views and run the rules, as an import does. When
the listeners' ports are taken (the headless `watchkeeper collect` service is running),
the window leaves receiving to it and still loads what it spools.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from watchkeeper.collect.loader import load_spool
from watchkeeper.collect.service import (
    Collector,
    listener_settings,
    receiving_sentence,
    send_test_event,
)
from watchkeeper.collect.spool import sealed_segments, spool_folder
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.progress import Progress
from watchkeeper.core.settings import Settings
from watchkeeper.ingest.summary import ImportSummary
from watchkeeper.storage.store import Store
from watchkeeper.ui.tasks import Task, TaskRunner

LOAD_EVERY_MS = 2_000
REFRESH_EVERY = 15.0  # seconds: steady forwarding must not reload the visible view each load


class CollectorController(QObject):
    """Starts the in-process collector and loads the spool on a timer."""

    def __init__(
        self,
        parent: QObject,
        store: Store,
        settings: Settings,
        runner: TaskRunner,
        on_loaded: Callable[[ImportSummary, bool], None],
        on_state: Callable[[str], None],
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._settings = settings
        self._runner = runner
        self._on_loaded = on_loaded
        self._on_state = on_state
        self._folder = spool_folder(store.path)
        self.collector: Collector | None = None
        self.state = ""  # what the window says about receiving (nothing until started)
        self._loading = False
        self._stopped = False
        self._refreshed = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(LOAD_EVERY_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> str:
        """Listen (when any listener is turned on) and start loading; a sentence saying how."""
        self._timer.start()
        self._on_timer_timeout()  # what arrived while the window was closed
        self.collector, self.state = self._start_collector()
        self._on_state(self.state)
        return self.state

    def restart(self, on_done: Callable[[str], None] | None = None) -> Task:
        """Stop the listeners and start them again with the settings as they are now, in the
        background; `on_done` gets the sentence saying how it went."""
        old, self.collector = self.collector, None  # the timer leaves it alone meanwhile
        self.state = "Restarting the listeners…"
        self._on_state(self.state)

        def work(_progress: Progress) -> tuple[Collector | None, str]:
            if old is not None:
                old.stop()
            return self._start_collector()

        def done(result: tuple[Collector | None, str]) -> None:
            if self._stopped and result[0] is not None:  # the window closed meanwhile
                result[0].stop()
                return
            self.collector, self.state = result
            self._on_state(self.state)
            if on_done is not None:
                on_done(self.state)

        def failed(error: BaseException) -> None:
            done((None, f"Not receiving in this window: the listeners did not restart ({error})."))

        return self._runner.run(
            work, title="Restarting the listeners", on_success=done, on_error=failed
        )

    def _start_collector(self) -> tuple[Collector | None, str]:
        if not self._settings.listeners:
            return None, "No listeners are turned on; forwarded logs are not received."
        try:
            collector = Collector(
                self._store.path, self._settings, listener_settings(self._settings), load=False
            )
            collector.start()
        except WatchkeeperError as error:
            # e.g. the ports are the running `watchkeeper collect` service's: it receives,
            # and the window loads what it spools
            return None, (
                f"Not receiving in this window ({error.message}). If the collector "
                "service is running, the window loads what it receives."
            )
        return collector, receiving_sentence(collector) + "."

    def stop(self) -> None:
        self._stopped = True
        self._timer.stop()
        if self.collector is not None:
            self.collector.stop()
            self.collector = None

    def test_sender(self) -> Callable[[], str] | None:
        """What the Sources view's "Send test event" calls, when this window receives."""
        collector = self.collector
        if collector is None:
            return None
        return lambda: send_test_event(collector, self._store)

    def _on_timer_timeout(self) -> None:
        if self.collector is not None:
            self.collector.spool.tick()
            self.state = receiving_sentence(self.collector) + "."
        self._on_state(self.state)
        if self._loading or not sealed_segments(self._folder):
            return
        self._loading = True
        self._runner.run(
            lambda progress: load_spool(self._store, self._folder, progress),
            title="Loading forwarded logs",
            dialog=False,
            quiet=True,
            on_success=self._on_spool_loaded,
            on_error=self._on_spool_failed,
        )

    def _on_spool_loaded(self, summary: ImportSummary) -> None:
        self._loading = False
        if summary.events or summary.quarantined:
            now = time.monotonic()
            refresh = now - self._refreshed >= REFRESH_EVERY
            if refresh:
                self._refreshed = now
            self._on_loaded(summary, refresh)

    def _on_spool_failed(self, error: BaseException) -> None:
        self._loading = False
        if self._runner.on_error is not None:  # the window's one error path
            self._runner.on_error(error, "Loading forwarded logs")
