"""A Qt-free progress reporter that long jobs update and that Cancel can stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from watchkeeper.core.errors import Cancelled


@dataclass
class ProgressState:
    """What a long job has done so far; the UI or the terminal shows it."""

    stage: str = ""
    item: str = ""
    done: int = 0
    total: int | None = None
    records: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.records / elapsed if elapsed > 0 else 0.0


class Progress:
    """Reports progress and checks for cancellation; cheap to call often.

    `on_update` is called at most `max_rate` times a second, from the worker thread.
    `on_cancel` hooks (such as a DuckDB interrupt) run once when `cancel()` is called.
    """

    def __init__(
        self,
        on_update: Callable[[ProgressState], None] | None = None,
        max_rate: float = 10.0,
    ) -> None:
        self.state = ProgressState()
        self._on_update = on_update
        self._min_interval = 1.0 / max_rate
        self._last = 0.0
        self._cancelled = threading.Event()
        self._cancel_hooks: list[Callable[[], None]] = []

    def update(self, **changes: object) -> None:
        """Change what is shown. A new stage starts its own count (and rate) unless the caller
        gives `records`: the events an import reads are not added to the lines written before."""
        if "stage" in changes and changes["stage"] != self.state.stage and "records" not in changes:
            self.state.records = 0
            self.state.started = time.monotonic()
        for name, value in changes.items():
            setattr(self.state, name, value)
        self.check()
        if self._on_update is None:
            return
        now = time.monotonic()
        if now - self._last >= self._min_interval:
            self._last = now
            self._on_update(self.state)

    def add(self, records: int) -> None:
        self.update(records=self.state.records + records)

    def flush(self) -> None:
        if self._on_update is not None:
            self._on_update(self.state)

    def cancel(self) -> None:
        self._cancelled.set()
        for hook in list(self._cancel_hooks):
            hook()

    def on_cancel(self, hook: Callable[[], None]) -> None:
        self._cancel_hooks.append(hook)

    def remove_cancel_hook(self, hook: Callable[[], None]) -> None:
        if hook in self._cancel_hooks:
            self._cancel_hooks.remove(hook)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self) -> None:
        if self._cancelled.is_set():
            raise Cancelled("Stopped at your request; everything committed so far is kept.")


# --- sharing the interpreter with a window ---------------------------------------------------
#
# Parsing is pure Python and holds the GIL; DuckDB's threads take and release it all the
# time, which keeps resetting CPython's 5 ms switch timer, so a window's thread could wait a
# second for its turn (measured). A window beats this heart from a 5 ms timer while jobs
# run; a job that finds the beat late sleeps a moment, which hands the GIL over at once.

LATE_AFTER = 0.012  # seconds without a beat before long jobs give way
PAUSE = 0.003
MAX_WAIT = 0.1
_last_beat: float | None = None  # None: nobody interactive is waiting (the command line)


def beat() -> None:
    global _last_beat
    _last_beat = time.monotonic()


def stop_beating() -> None:
    global _last_beat
    _last_beat = None


def give_way() -> None:
    """Called often by CPU-bound loops; while the window is behind, waits for it to catch up.

    The window is behind when it is busy (painting a table calls Python for every cell) or
    waiting for the GIL; either way it needs the GIL to itself until it beats again. The wait
    is capped, so a window that hangs for another reason does not stop the job.
    """
    waited = 0.0
    while waited < MAX_WAIT:
        last = _last_beat
        if last is None or time.monotonic() - last <= LATE_AFTER:
            return
        time.sleep(PAUSE)
        waited += PAUSE
