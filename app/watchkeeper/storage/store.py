"""The Store: the one owner of the DuckDB connection."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from watchkeeper.core import paths
from watchkeeper.core.errors import Cancelled, StoreError, StoreReadOnly
from watchkeeper.core.fields import ALIASES, COMMON_COLUMNS, quote_ident
from watchkeeper.core.progress import Progress
from watchkeeper.storage import schema
from watchkeeper.storage.transactions import Transaction

MAX_FIELD_COLUMNS = 4000
WAL_LIMIT = 32 << 20  # beyond this, new field names stay only in the raw record


def _memory_limit() -> str:
    """DuckDB's memory limit: WATCHKEEPER_MEMORY_LIMIT (e.g. '2GB'), else 512 MB."""
    value = os.environ.get("WATCHKEEPER_MEMORY_LIMIT", "512MB").strip()
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?\s*[KMGT]?i?B", value, re.IGNORECASE):
        raise StoreError(
            f"WATCHKEEPER_MEMORY_LIMIT must be a size such as 512MB or 2GB, not {value!r}."
        )
    return value


SQLITE_HEADER = b"SQLite format 3\x00"
# DuckDB would download an extension it knows (SQLite's reader, for one) the moment a file
# or a query seems to need it, and load it: Watchkeeper never fetches or loads code at run time.
NO_EXTENSIONS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never installs or loads an extension by itself."""
    return duckdb.connect(str(path), read_only=read_only, config=dict(NO_EXTENSIONS))


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]


def _damaged(name: str, error: BaseException) -> StoreError:
    return StoreError(
        f"{name} cannot be read: it is damaged or cut short "
        f"({_first_line(error)}); Watchkeeper leaves it untouched.",
        title="Store damaged",
    )


class Store:
    """One DuckDB file. Writes go through `write_lock`; readers use `cursor()`.

    DuckDB lets one process open a file for writing; a second process gets a clear
    StoreError instead of a DuckDB traceback. A file that is not a sound Watchkeeper store
    is refused with one sentence and left exactly as it was.
    """

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else paths.default_db_path()
        self.read_only = read_only
        memory_limit = _memory_limit()
        self._con = self._connect()
        try:
            # DuckDB would take 80% of memory; a desktop app shares the machine. Queries that
            # need more spill to a temporary folder beside the store.
            self._con.execute(f"SET memory_limit = '{memory_limit}'")
            self.write_lock = threading.RLock()
            self._transaction_open = threading.local()  # per thread: transactions do not nest
            self._columns: dict[str, str] = {}
            self._table_columns: dict[str, dict[str, str]] = {}
            from watchkeeper.storage import archive, archive_deletions

            archive.configure(self._con, self.path)
            if read_only:
                schema.check_readable(self._con)
            else:
                schema.migrate(self._con)
                self.recover_interrupted()
                archive.recover(self)
                archive_deletions.remove_deleted_files(self)
            self.refresh_columns()
            self.refresh_last_id()
        except StoreError as error:
            self._con.close()
            raise StoreError(f"{self.path.name}: {error.message}", title=error.title) from error
        except duckdb.Error as error:
            self._con.close()
            raise _damaged(self.path.name, error) from error

    def _connect(self) -> duckdb.DuckDBPyConnection:
        name = self.path.name
        if not self.path.exists():
            if self.read_only:
                raise StoreError(f"There is no store at {self.path}.")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except FileExistsError as error:
                raise StoreError(
                    f"The folder for {name} cannot be created: {error.filename} is a file."
                ) from error
            except OSError as error:
                raise StoreError(
                    f"The folder for {name} cannot be created "
                    f"({error.strerror or error}): {self.path.parent}"
                ) from error
        elif self.path.is_dir():
            raise StoreError(
                f"{self.path} is a folder; give the store's file, such as "
                f"{self.path / paths.DB_FILENAME}."
            )
        elif not self.path.is_file():
            raise StoreError(f"{self.path} is not a file Watchkeeper can keep a store in.")
        else:
            try:
                with self.path.open("rb") as head:
                    sqlite = head.read(len(SQLITE_HEADER)) == SQLITE_HEADER
            except OSError as error:
                raise StoreError(f"{name} cannot be read ({error.strerror or error}).") from error
            if sqlite:
                raise StoreError(
                    f"{name} is a SQLite database, not a Watchkeeper store; choose another file."
                )
        try:
            return connect(self.path, read_only=self.read_only)
        except duckdb.IOException as error:
            text = _first_line(error)
            if "lock" in text.lower():
                raise StoreError(
                    f"{name} is open in another Watchkeeper process; "
                    "close it there or choose another file."
                ) from error
            if "permission denied" in text.lower() or "read-only file system" in text.lower():
                raise StoreReadOnly(
                    f"{name} can be read but not written (the file or its "
                    "folder is read-only); Watchkeeper needs write access to "
                    "change it."
                ) from error
            if "not a valid DuckDB database file" in text:
                raise StoreError(
                    f"{name} is not a Watchkeeper store (not a DuckDB file); choose another file."
                ) from error
            raise _damaged(name, error) from error
        except duckdb.Error as error:
            raise StoreError(
                f"{name} is not a DuckDB store Watchkeeper can open: {_first_line(error)}"
            ) from error

    # connections -------------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection for one thread; cheap, and sees committed data."""
        return self._con.cursor()

    def fetch_all(
        self, sql: str, params: list[Any] | None = None, progress: Progress | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows of a read on a short-lived cursor; Cancel on `progress` interrupts it.

        The cursor is closed at once: a result left unread keeps a transaction open, and an
        open transaction stops DuckDB from checkpointing.
        """
        with self.reading(progress) as cursor:
            return cursor.execute(sql, params or []).fetchall()

    def fetch_one(
        self, sql: str, params: list[Any] | None = None, progress: Progress | None = None
    ) -> tuple[Any, ...] | None:
        rows = self.fetch_all(sql, params, progress)
        return rows[0] if rows else None

    @contextlib.contextmanager
    def reading(self, progress: Progress | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived cursor whose query stops, as Cancelled, when `progress` is cancelled."""
        with self._con.cursor() as cursor:
            if progress is None:
                yield cursor
                return
            progress.check()

            def stop() -> None:
                with contextlib.suppress(duckdb.Error):
                    cursor.interrupt()

            progress.on_cancel(stop)
            try:
                yield cursor
            except duckdb.InterruptException as error:
                raise Cancelled("Stopped at your request.") from error
            finally:
                progress.remove_cancel_hook(stop)

    def transaction(self, con: duckdb.DuckDBPyConnection | None = None) -> Transaction:
        """A write transaction holding `write_lock`: `with store.transaction() as con:` commits
        when the block ends and rolls back on any exception, a failed COMMIT included.

        On `con` when given (a writer's own connection), else on a cursor of its own.
        """
        return Transaction(
            self.cursor() if con is None else con,
            self.write_lock,
            self._transaction_open,
            close=con is None,
        )

    def interrupt(self) -> None:
        """Stop the query running on the main connection (Cancel)."""
        self._con.interrupt()

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # columns -----------------------------------------------------------------------

    def refresh_columns(self) -> None:
        rows = self.fetch_all(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = "
            "current_database() AND schema_name = 'main' AND list_contains(?, table_name) "
            "ORDER BY column_index",
            [list(schema.EVENT_TABLES)],
        )
        self._table_columns = {table: {} for table in schema.EVENT_TABLES}
        self._columns = {}
        for table, name in rows:
            self._table_columns[table][name.lower()] = name
            self._columns.setdefault(name.lower(), name)

    def refresh_last_id(self) -> None:
        row = self.fetch_one(schema.TOP_ID)
        self.last_event_id = int(row[0]) if row else 0

    @property
    def columns(self) -> dict[str, str]:
        """Every column of the events view, by lower-case name."""
        return self._columns

    def table_columns(self, table: str) -> dict[str, str]:
        """The columns of one event table, by lower-case name."""
        return self._table_columns[table]

    def field_names(self) -> list[str]:
        """Original field columns (not the common ones), in the order they appeared."""
        return [name for key, name in self._columns.items() if key not in COMMON_COLUMNS]

    def resolve(self, name: str) -> str | None:
        """The column a field name (as a user or rule writes it) is stored in."""
        key = name.lower()
        key = ALIASES.get(key, key)
        return self._columns.get(key)

    def known_names(self) -> list[str]:
        return sorted({*self._columns.values(), *ALIASES})

    def add_columns(
        self, con: duckdb.DuckDBPyConnection, table: str, names: list[str]
    ) -> list[str]:
        """Add VARCHAR columns to one event table; returns the names over the limit."""
        columns = self._table_columns[table]
        over: list[str] = []
        for name in names:
            if name.lower() in columns:
                continue
            if len(columns) >= MAX_FIELD_COLUMNS:
                over.append(name)
                continue
            # the spelling the other tables already use, so the view has one column
            spelled = self._columns.get(name.lower(), name)
            con.execute(f"ALTER TABLE {table} ADD COLUMN {quote_ident(spelled)} VARCHAR")
            columns[name.lower()] = spelled
            self._columns.setdefault(name.lower(), spelled)
        return over

    # recovery ----------------------------------------------------------------------

    def recover_interrupted(self) -> list[str]:
        """Roll back imports a killed process left half done, so importing again is exact."""
        with self.write_lock:
            rows = self.fetch_all("SELECT id, path FROM imports WHERE status = 'running'")
            for import_id, _path in rows:
                try:
                    self.rollback_import(
                        import_id,
                        "interrupted",
                        "The import was interrupted; its events were removed.",
                    )
                except duckdb.Error as error:
                    from watchkeeper.core.disk import is_disk_full

                    if not is_disk_full(error):
                        raise
                    return []  # no room to write it down: done at an open with room
            return [path for _id, path in rows]

    def rollback_import(self, import_id: int, status: str, message: str) -> None:
        with self.transaction(self._con) as con:
            for table in schema.EVENT_TABLES:
                con.execute(f"DELETE FROM {table} WHERE import_id = ?", [import_id])
            con.execute("DELETE FROM quarantine WHERE import_id = ?", [import_id])
            con.execute(
                "UPDATE imports SET status = ?, message = ?, events = 0, duplicates = 0, "
                "quarantined = 0, finished = now() WHERE id = ?",
                [status, message, import_id],
            )

    def checkpoint_if_large(self, con: duckdb.DuckDBPyConnection) -> None:
        """Fold a large WAL into the file, so reopening after a crash stays quick."""
        wal = self.path.with_name(self.path.name + ".wal")
        try:
            large = wal.stat().st_size > WAL_LIMIT
        except OSError:
            return
        if large:
            # a long read may be under way: then try again after the next batch
            with self.write_lock, contextlib.suppress(duckdb.Error):
                con.execute("CHECKPOINT")

    # figures -----------------------------------------------------------------------

    def event_count(self) -> int:
        """The store's events and the archive's, as its manifest counts them (reading the
        archive's files to count them would cost a moment a file)."""
        row = self.fetch_one(
            "SELECT (SELECT count(*) FROM events_hot) + coalesce((SELECT sum(events) FROM "
            "archive_files WHERE state = 'archived'), 0)"
        )
        return int(row[0]) if row else 0

    def size_bytes(self) -> int:
        total = self.path.stat().st_size if self.path.exists() else 0
        wal = self.path.with_name(self.path.name + ".wal")
        return total + (wal.stat().st_size if wal.exists() else 0)
