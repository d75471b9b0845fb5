"""The one writer: a thread that commits batches while the caller goes on parsing."""

from __future__ import annotations

import queue
import threading

from watchkeeper.storage.store import Store
from watchkeeper.storage.writer import Batch, write_batch

_STOP = object()


class BackgroundWriter:
    """Commits batches in order on its own connection; at most `depth` batches wait.

    Parsing (Python) and inserting (DuckDB, which releases the GIL) then overlap on two
    cores, and memory stays bounded because a fast parser waits for a slow disk.
    """

    def __init__(self, store: Store, depth: int = 2) -> None:
        self._store = store
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._con = store.cursor()
        self.fields_over_limit: set[str] = set()
        self._thread = threading.Thread(target=self._run, name="watchkeeper-writer", daemon=True)
        self._thread.start()

    def submit(self, batch: Batch) -> None:
        self._raise_if_failed()
        if not batch.empty():
            self._queue.put(batch)

    def drain(self) -> None:
        """Wait until everything submitted is committed."""
        self._queue.join()
        self._raise_if_failed()

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()
        self._con.close()
        self._raise_if_failed()

    def interrupt(self) -> None:
        self._con.interrupt()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                if self._error is None and isinstance(item, Batch):
                    # after a failure the rest is dropped: those imports are rolled back
                    self.fields_over_limit |= write_batch(self._store, self._con, item)
                    self._store.checkpoint_if_large(self._con)
            except BaseException as error:  # handed to the caller's thread
                self._error = error
            finally:
                self._queue.task_done()
