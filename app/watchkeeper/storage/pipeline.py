"""The one writer: a thread that writes batches while the caller goes on parsing."""

from __future__ import annotations

import contextlib
import queue
import shutil
import threading
import time

import duckdb

from watchkeeper.core.disk import DiskFull, disk_full_sentence, is_disk_full
from watchkeeper.core.errors import StoreError
from watchkeeper.storage import workdirs
from watchkeeper.storage.batch import Batch
from watchkeeper.storage.store import Store
from watchkeeper.storage.transactions import Transaction
from watchkeeper.storage.writer import RECORD_ERRORS, write_apart, write_batch

# what a full disk means for an import, after "The disk holding ... is full (... free); "
FULL_AFTER = "nothing more was imported, and the import can be run again"

_STOP = object()
_SYNC = object()

# Commit after a row group's worth of rows: DuckDB writes a transaction's full row groups
# (122,880 rows) straight into the file, compressed, instead of into the WAL and again at
# the checkpoint; more than one row group held back costs memory in wide tables.
COMMIT_ROWS = 122_880
COMMIT_SECONDS = 3.0  # and at least this often, so other readers see progress
# The batches of the open transaction are kept until it commits, to be written again apart
# if DuckDB refuses one of their records; past this many bytes of them, commit early.
KEEP_BYTES = 128 * 1024 * 1024


class BackgroundWriter:
    """Writes batches in order on its own connection; at most `depth` batches wait.

    Parsing (Python) and inserting (DuckDB, which releases the GIL) overlap, and memory
    stays bounded because a fast parser waits for a slow disk. Several batches share one
    transaction; `drain()` commits everything submitted so far.
    """

    def __init__(self, store: Store, depth: int = 2) -> None:
        self._store = store
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._con = store.cursor()
        # batch files for DuckDB's JSON reader, beside the store (the system's temporary
        # folder may be small); the importer never imports its own working folders
        try:
            self._workdir = workdirs.make_workdir(store.path, ".import-")
        except OSError as error:
            self._con.close()
            if is_disk_full(error):
                raise DiskFull(disk_full_sentence(store.path, FULL_AFTER)) from error
            raise
        self._transaction: Transaction | None = None  # open from the first batch to a commit
        self._rows = 0
        self._since = time.monotonic()
        self._kept: list[Batch] = []
        self._kept_bytes = 0
        self.fields_over_limit: set[str] = set()
        self._thread = threading.Thread(target=self._run, name="watchkeeper-writer", daemon=True)
        self._thread.start()

    def submit(self, batch: Batch) -> None:
        self._raise_if_failed()
        if not batch.empty():
            self._queue.put(batch)

    def drain(self) -> None:
        """Wait until everything submitted is committed."""
        self._queue.put(_SYNC)
        self._queue.join()
        self._raise_if_failed()

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()
        self._con.close()
        shutil.rmtree(self._workdir, ignore_errors=True)
        self._raise_if_failed()

    def interrupt(self) -> None:
        self._con.interrupt()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            if is_disk_full(error):
                raise DiskFull(disk_full_sentence(self._store.path, FULL_AFTER)) from error
            if isinstance(error, duckdb.Error):
                first = (
                    str(error).strip().splitlines()[0]
                    if str(error).strip()
                    else type(error).__name__
                )
                raise StoreError(
                    f"Writing to {self._store.path.name} failed, and the files of "
                    f"this import since the last commit were rolled back: {first}"
                ) from error
            raise error

    def _clear_workdir(self) -> None:
        with contextlib.suppress(OSError):
            for path in self._workdir.iterdir():
                path.unlink(missing_ok=True)

    def _write(self, batch: Batch) -> None:
        if self._transaction is None:
            transaction = self._store.transaction(self._con)
            transaction.begin()
            self._transaction = transaction
        self._kept.append(batch)
        self._kept_bytes += batch.size()
        try:
            self.fields_over_limit |= write_batch(self._store, self._con, batch, self._workdir)
        except RECORD_ERRORS:  # one record refused: the open transaction's batches apart
            kept, self._kept, self._kept_bytes = self._kept, [], 0
            self._end(commit=False)
            self.fields_over_limit |= write_apart(self._store, self._con, kept, self._workdir)
            self._rows, self._since = 0, time.monotonic()
            return
        self._rows += len(batch)
        if (
            self._rows >= COMMIT_ROWS
            or self._kept_bytes >= KEEP_BYTES
            or time.monotonic() - self._since >= COMMIT_SECONDS
        ):
            self._end(commit=True)

    def _end(self, commit: bool) -> None:
        """Commit (or roll back) the open transaction and let other writers in."""
        transaction, self._transaction = self._transaction, None
        if transaction is None:
            return
        if commit:
            transaction.commit()
            self._store.checkpoint_if_large(self._con)
            self._rows = 0
            self._since = time.monotonic()
            self._kept, self._kept_bytes = [], 0
        else:
            transaction.rollback()
            self._store.refresh_columns()
            self._store.refresh_last_id()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP or item is _SYNC:
                    if self._error is None:
                        self._end(commit=True)
                    if item is _STOP:
                        return
                elif self._error is None and isinstance(item, Batch):
                    # after a failure the rest is dropped: the caller reports the error
                    self._write(item)
            except BaseException as error:  # handed to the caller's thread
                self._error = error
                self._clear_workdir()  # on a full disk, room for the rollback that follows
                # the connection itself may be gone: then the first error stands
                with contextlib.suppress(BaseException):
                    self._end(commit=False)
            finally:
                self._queue.task_done()
