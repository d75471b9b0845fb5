"""The one runner for background work: jobs on a thread pool, results on the GUI thread.

A job is a plain function taking a Qt-free `Progress`. The runner delivers its result or
error on the GUI thread, shows a progress dialog only when a job outlives half a second,
and on Cancel sets the progress flag, whose hooks interrupt DuckDB.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from watchkeeper.core import progress as progress_module
from watchkeeper.core.errors import Cancelled
from watchkeeper.core.progress import Progress, ProgressState

DIALOG_DELAY_MS = 500


class _Relay(QObject):
    """Carries a job's news from its worker thread to the GUI thread (queued signals)."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(object)


class _Job(QRunnable):
    def __init__(self, work: Callable[[Progress], Any], progress: Progress, relay: _Relay) -> None:
        super().__init__()
        self._work = work
        self._progress = progress
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._work(self._progress)
        except BaseException as error:
            self._deliver(self._relay.failed, error)
        else:
            self._deliver(self._relay.succeeded, result)

    @staticmethod
    def _deliver(signal: Any, value: object) -> None:
        # The window may have closed while the job ran: then nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            signal.emit(value)


def describe(state: ProgressState) -> str:
    """A progress dialog's text: stage, item, counts and rate."""
    lines = [state.stage or "Working…"]
    if state.item:
        lines.append(state.item)
    if state.records:
        lines.append(f"{state.records:,} events · {state.rate:,.0f} a second")
    return "\n".join(lines)


class Task(QObject):
    """One running job; `finished` fires once, after its result or error was delivered."""

    finished = Signal()

    def __init__(self, runner: TaskRunner, title: str, key: str | None,
                 on_success: Callable[[Any], None] | None,
                 on_error: Callable[[BaseException], None] | None) -> None:
        super().__init__(runner)
        self.title = title
        self.key = key
        self._runner = runner
        self._on_success = on_success
        self._on_error = on_error
        self.progress = Progress(on_update=self._on_worker_progress)
        self.state = ProgressState()
        self.started = time.monotonic()
        self.quiet = False
        self.done = False
        self.relay = _Relay()
        # Bound slots of a GUI-thread object: Qt queues the worker's emits to this thread.
        self.relay.succeeded.connect(self._on_relay_succeeded)
        self.relay.failed.connect(self._on_relay_failed)
        self.relay.progressed.connect(self._on_relay_progressed)
        self._dialog: QProgressDialog | None = None

    @Slot(object)
    def _on_relay_succeeded(self, result: object) -> None:
        self._runner._finish(self, self._on_success, result)

    @Slot(object)
    def _on_relay_failed(self, error: object) -> None:
        assert isinstance(error, BaseException)
        self._runner._fail(self, self._on_error, error)

    @Slot(object)
    def _on_relay_progressed(self, state: object) -> None:
        assert isinstance(state, ProgressState)
        self._runner._progress(self, state)

    def _on_worker_progress(self, state: ProgressState) -> None:
        with contextlib.suppress(RuntimeError):  # the window closed while the job ran
            self.relay.progressed.emit(copy.copy(state))

    def cancel(self) -> None:
        if not self.done:
            self.progress.cancel()


class TaskRunner(QObject):
    """Runs jobs; `busy_changed` fires whenever a job starts or ends (True while any runs)."""

    busy_changed = Signal(bool)
    task_progressed = Signal(object)  # the Task, for the status bar's line

    def __init__(self, parent: QObject | None = None, dialog_parent: QWidget | None = None,
                 max_threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._dialog_parent = dialog_parent
        self._tasks: list[Task] = []
        # while jobs run, tell them the GUI thread is alive (see core.progress.give_way)
        self._heart = QTimer(self, interval=5)
        self._heart.timeout.connect(progress_module.beat)
        self.on_error: Callable[[BaseException, str], None] | None = None

    @property
    def idle(self) -> bool:
        return not self._tasks

    @property
    def tasks(self) -> list[Task]:
        return list(self._tasks)

    def run(self, work: Callable[[Progress], Any], *, title: str,
            on_success: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None,
            key: str | None = None, dialog: bool = True, quiet: bool = False) -> Task:
        """Start `work(progress)`; a job with the same `key` as a running one replaces it.

        A `quiet` job (a page of rows, an event's details) is too short to announce in the
        status bar.
        """
        if key is not None:
            for older in self._tasks:
                if older.key == key:
                    older.cancel()
        task = Task(self, title, key, on_success, on_error)
        task.quiet = quiet
        self._tasks.append(task)
        if not self._heart.isActive():
            progress_module.beat()
            self._heart.start()
        self.busy_changed.emit(True)
        if dialog:
            QTimer.singleShot(DIALOG_DELAY_MS, lambda: self._show_dialog(task))
        self._pool.start(_Job(work, task.progress, task.relay))
        return task

    def cancel_all(self) -> None:
        for task in self._tasks:
            task.cancel()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the pool is empty (closing the window, tests); results still queue."""
        return bool(self._pool.waitForDone(timeout_ms))

    # on the GUI thread ---------------------------------------------------------------

    def _progress(self, task: Task, state: ProgressState) -> None:
        task.state = state
        if task._dialog is not None:
            task._dialog.setLabelText(describe(state))
            if state.total and state.total > 1:  # files done of several; one file: busy bar
                task._dialog.setMaximum(state.total)
                task._dialog.setValue(min(state.done, state.total))
        self.task_progressed.emit(task)

    def _show_dialog(self, task: Task) -> None:
        if task.done or task.progress.cancelled:
            return
        dialog = QProgressDialog(describe(task.state), "Cancel", 0, 0, self._dialog_parent)
        dialog.setWindowTitle(task.title)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setMinimumWidth(420)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(task.cancel)
        dialog.canceled.connect(lambda: dialog.setLabelText("Cancelling…"))
        task._dialog = dialog
        dialog.show()

    def _end(self, task: Task) -> None:
        task.done = True
        if task._dialog is not None:
            with contextlib.suppress(RuntimeError):  # already gone with its parent
                task._dialog.canceled.disconnect()
                task._dialog.close()
                task._dialog.deleteLater()
            task._dialog = None
        if task in self._tasks:
            self._tasks.remove(task)
        if not self._tasks:
            self._heart.stop()
            progress_module.stop_beating()
        self.busy_changed.emit(bool(self._tasks))

    def _finish(self, task: Task, on_success: Callable[[Any], None] | None, result: Any) -> None:
        replaced = task.progress.cancelled and task.key is not None
        self._end(task)
        try:
            if on_success is not None and not replaced:
                on_success(result)
        finally:
            task.finished.emit()
            task.deleteLater()

    def _fail(self, task: Task, on_error: Callable[[BaseException], None] | None,
              error: BaseException) -> None:
        self._end(task)
        try:
            if isinstance(error, Cancelled) and task.key is not None:
                return  # replaced by a newer job of the same kind: nothing to say
            if on_error is not None:
                on_error(error)
            elif not isinstance(error, Cancelled) and self.on_error is not None:
                self.on_error(error, task.title)
        finally:
            task.finished.emit()
            task.deleteLater()
