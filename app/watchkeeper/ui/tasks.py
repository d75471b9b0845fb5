"""The one runner for background work: jobs on a thread pool, results on the GUI thread.

A job is a plain function taking a Qt-free `Progress`. The runner delivers its result or
error on the GUI thread, shows a progress dialog only when a job outlives half a second,
and on Cancel sets the progress flag, whose hooks interrupt DuckDB.

Qt objects must be deleted on the thread they belong to, so nothing a worker thread lets go
of may be the last hold on one: a job's relay is its task's child, the task keeps the job's
function until it ends on the GUI thread, and Python's cyclic garbage collector, which runs
on whichever thread happens to allocate, runs only on the GUI thread while a runner exists.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from watchkeeper.core import progress as progress_module
from watchkeeper.core.errors import Cancelled
from watchkeeper.core.progress import Progress, ProgressState
from watchkeeper.core.text import counted

DIALOG_DELAY_MS = 500
COLLECT_EVERY_MS = 100
OLDEST_CHECK_GAP = 1.0  # seconds between looks at the oldest generation's size


class _GuiThreadCollection:
    """Turns automatic garbage collection off while runners exist, and collects on the GUI thread.

    Automatic collection on a worker thread frees whatever Qt objects sit in the garbage (a
    model or a menu in a reference cycle) there, and the window crashed in collection while
    a job ran. Each runner's timer collects as automatic collection would at that moment,
    the oldest generation too only once it has grown by a quarter (a full collection of a
    large heap takes tens of milliseconds).
    """

    def __init__(self) -> None:
        self.runners = 0
        self.was_enabled = False
        self.long_lived = 0  # objects in the oldest generation after its last collection
        self.last_check = 0.0

    def hold(self) -> None:
        if self.runners == 0:
            self.was_enabled = gc.isenabled()
            gc.disable()
        self.runners += 1

    def release(self) -> None:
        self.runners -= 1
        if self.runners == 0 and self.was_enabled:
            gc.enable()

    def collect(self) -> None:
        if not self.was_enabled:
            return  # someone else turned collection off
        counts, limits = gc.get_count(), gc.get_threshold()
        if counts[0] <= limits[0]:
            return
        generation = 1 if counts[1] > limits[1] else 0
        now = time.monotonic()
        if generation and counts[2] > limits[2] and now - self.last_check >= OLDEST_CHECK_GAP:
            self.last_check = now
            if len(gc.get_objects(2)) - self.long_lived > self.long_lived // 4:
                generation = 2
        gc.collect(generation)
        if generation == 2:
            self.long_lived = len(gc.get_objects(2))


_collection = _GuiThreadCollection()


class _Relay(QObject):
    """Carries a job's news from its worker thread to the GUI thread (queued signals)."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(object)


class _Job(QRunnable):
    def __init__(self, work: Callable[[Progress], Any], progress: Progress, relay: _Relay) -> None:
        super().__init__()
        self._work: Callable[[Progress], Any] | None = work
        self._progress = progress
        self._relay = relay

    def run(self) -> None:
        # Let go of the function before reporting: its task holds it too and releases it on
        # the GUI thread, so what its closure holds (a model, a view) is never freed here.
        work, self._work = self._work, None
        assert work is not None  # a runnable runs once
        try:
            signal, value = self._relay.succeeded, work(self._progress)
        except BaseException as error:
            signal, value = self._relay.failed, error
        del work
        self._deliver(signal, value)

    @staticmethod
    def _deliver(signal: Any, value: object) -> None:
        # The window may have closed while the job ran: then nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            signal.emit(value)


def _emit_progress(relay: _Relay, state: ProgressState) -> None:
    """On the worker thread: a copy of the state for the GUI thread."""
    with contextlib.suppress(RuntimeError):  # the window closed while the job ran
        relay.progressed.emit(copy.copy(state))


def describe(state: ProgressState) -> str:
    """A progress dialog's text: stage, item, counts and rate."""
    lines = [state.stage or "Working…"]
    if state.item:
        lines.append(state.item)
    if state.records:
        lines.append(f"{counted(state.records, 'record')} · {state.rate:,.0f} a second")
    return "\n".join(lines)


class Task(QObject):
    """One running job; `finished` fires once, after its result or error was delivered."""

    finished = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        title: str,
        key: str | None,
        work: Callable[[Progress], Any],
        on_success: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
    ) -> None:
        super().__init__(runner)
        self.title = title
        self.key = key
        self.work = work
        self._runner = runner
        self._on_success = on_success
        self._on_error = on_error
        # The relay is the task's child, so only the task's deletion on the GUI thread deletes
        # it: a worker thread dropping the job's reference never does. The progress callback
        # holds the relay, not the task, so no cycle keeps the task for the garbage collector,
        # which may run on any thread.
        self.relay = _Relay(self)
        self.progress = Progress(on_update=partial(_emit_progress, self.relay))
        self.state = ProgressState()
        self.started = time.monotonic()
        self.quiet = False
        self.done = False
        self.owner: QObject | None = None  # the widget its result is for (TaskRunner.run)
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

    def cancel(self) -> None:
        if not self.done:
            self.progress.cancel()

    def owner_alive(self) -> bool:
        """Whether the widget the result is for still exists (always, without an owner)."""
        return self.owner is None or shiboken6.isValid(self.owner)


class TaskRunner(QObject):
    """Runs jobs; `busy_changed` fires whenever a job starts or ends (True while any runs)."""

    busy_changed = Signal(bool)
    task_progressed = Signal(object)  # the Task, for the status bar's line

    def __init__(
        self,
        parent: QObject | None = None,
        dialog_parent: QWidget | None = None,
        max_threads: int = 4,
    ) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._dialog_parent = dialog_parent
        self._tasks: list[Task] = []
        # while jobs run, tell them the GUI thread is alive (see core.progress.give_way)
        self._heart = QTimer(self, interval=5)
        self._heart.timeout.connect(progress_module.beat)
        _collection.hold()  # until the pool, gone with the runner, has waited for its jobs
        self._pool.destroyed.connect(_collection.release)
        self._collector = QTimer(self, interval=COLLECT_EVERY_MS)
        self._collector.timeout.connect(_collection.collect)
        self._collector.start()
        self.on_error: Callable[[BaseException, str], None] | None = None

    @property
    def idle(self) -> bool:
        return not self._tasks

    @property
    def tasks(self) -> list[Task]:
        return list(self._tasks)

    def run(
        self,
        work: Callable[[Progress], Any],
        *,
        title: str,
        on_success: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        key: str | None = None,
        dialog: bool = True,
        quiet: bool = False,
        owner: QObject | None = None,
    ) -> Task:
        """Start `work(progress)`; a job with the same `key` as a running one replaces it.

        A `quiet` job (a page of rows, an event's details) is too short to announce in the
        status bar. With an `owner` (the widget that shows the result), a result or error that
        arrives after the owner was closed and deleted is dropped, not shown on a dead widget.
        """
        if key is not None:
            for older in self._tasks:
                if older.key == key:
                    older.cancel()
        task = Task(self, title, key, work, on_success, on_error)
        task.quiet = quiet
        task.owner = owner
        self._tasks.append(task)
        if not self._heart.isActive():
            progress_module.beat()
            self._heart.start()
        self.busy_changed.emit(True)
        if dialog:
            QTimer.singleShot(DIALOG_DELAY_MS, lambda: self._show_dialog(task))
        self._pool.start(_Job(task.work, task.progress, task.relay))
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
            if on_success is not None and not replaced and task.owner_alive():
                on_success(result)
        finally:
            task.finished.emit()
            task.deleteLater()

    def _fail(
        self, task: Task, on_error: Callable[[BaseException], None] | None, error: BaseException
    ) -> None:
        self._end(task)
        try:
            if isinstance(error, Cancelled) and task.key is not None:
                return  # replaced by a newer job of the same kind: nothing to say
            if not task.owner_alive():
                return  # the page that asked is gone, and its question with it
            if on_error is not None:
                on_error(error)
            elif not isinstance(error, Cancelled) and self.on_error is not None:
                self.on_error(error, task.title)
        finally:
            task.finished.emit()
            task.deleteLater()
