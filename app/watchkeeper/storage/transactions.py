"""One way to write in a transaction: all of a change is stored, or none of it."""

from __future__ import annotations

import contextlib
import threading
from types import TracebackType

import duckdb

from watchkeeper.core.errors import StoreError


class Transaction:
    """A DuckDB transaction on one connection, holding a write lock from BEGIN to its end.

    As a context manager it commits when the block ends and rolls back on any exception,
    a COMMIT that fails included. The background writer, whose transaction spans several
    batches, calls `begin()`, `commit()` and `rollback()` itself. DuckDB has no savepoints,
    so a second transaction begun on a thread that has one open is refused.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        lock: threading.RLock | None = None,
        open_on: threading.local | None = None,
        close: bool = False,
    ) -> None:
        self.con = con
        self._lock = lock
        self._open_on = open_on if open_on is not None else threading.local()
        self._close = close  # the connection is this transaction's own
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    def begin(self) -> duckdb.DuckDBPyConnection:
        if self._lock is not None:
            self._lock.acquire()
        try:
            if getattr(self._open_on, "open", False):
                raise StoreError(
                    "A change to the store was started inside another one; "
                    "nothing of either was stored."
                )
            self.con.execute("BEGIN")
        except BaseException:
            self._release()
            raise
        self._open = self._open_on.open = True
        return self.con

    def commit(self) -> None:
        """COMMIT; when it fails, DuckDB has undone the transaction and its error is raised."""
        try:
            self.con.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise
        self._end()

    def rollback(self) -> None:
        if not self._open:
            return
        try:
            # after a failed COMMIT or a lost connection there is nothing left to roll back
            with contextlib.suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
        finally:
            self._end()

    def _end(self) -> None:
        self._open = self._open_on.open = False
        self._release()

    def _release(self) -> None:
        if self._close:
            self.con.close()
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        return self.begin()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.rollback()
