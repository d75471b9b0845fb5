"""Writing batches as rows: columns are added as names appear.

The writer hands a batch's newline-delimited JSON (storage/batch.py) to DuckDB's JSON reader,
which makes the columns without holding Python's GIL, so parsing and writing run side by side.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from watchkeeper.core.fields import COMMON_COLUMNS, quote_ident
from watchkeeper.storage import schema, windows_rows
from watchkeeper.storage.batch import COMMON_KEYS, MARK, Batch
from watchkeeper.storage.store import Store

# DuckDB's errors about what a batch holds (a value or a name it cannot take), as against
# the disk, memory or the connection: such a batch is written again in parts, and a record
# that cannot be written even alone is quarantined, so one record never fails a batch.
RECORD_ERRORS: tuple[type[duckdb.Error], ...] = (
    duckdb.ParserException,
    duckdb.BinderException,
    duckdb.ConversionException,
    duckdb.InvalidInputException,
    duckdb.TypeMismatchException,
    duckdb.OutOfRangeException,
    duckdb.NotImplementedException,
    duckdb.SyntaxException,
)


def error_line(error: BaseException) -> str:
    """The first line of an error's text, for a message of one line."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def write_apart(
    store: Store, con: duckdb.DuckDBPyConnection, batches: list[Batch], workdir: Path
) -> set[str]:
    """Write batches that failed together, each in a transaction of its own.

    A batch DuckDB refuses is halved until the record it refuses is alone; that record is
    quarantined with DuckDB's reason and the rest is stored. Returns the field names over
    the column limit, as write_batch does.
    """
    over: set[str] = set()
    waiting = list(batches)
    while waiting:
        batch = waiting.pop(0)
        try:
            with store.transaction(con):
                over |= write_batch(store, con, batch, workdir)
        except BaseException as error:
            # columns added and ids taken by the rolled-back batch are gone again
            store.refresh_columns()
            store.refresh_last_id()
            if not isinstance(error, RECORD_ERRORS):
                raise
            halves = batch.halves()
            if halves is None and not (batch.events or batch.windows):
                raise  # nothing of the records' own: the store itself is at fault
            waiting[:0] = (
                halves
                if halves is not None
                else [
                    batch.quarantined(f"not stored, the database refused it ({error_line(error)})")
                ]
            )
    return over


def write_batch(
    store: Store, con: duckdb.DuckDBPyConnection, batch: Batch, workdir: Path
) -> set[str]:
    """Write one batch inside the caller's transaction (see pipeline.BackgroundWriter).

    Returns the field names over the column limit (kept only in the raw record).
    """
    received = batch.received.astimezone(UTC).replace(tzinfo=None)
    over: set[str] = set()
    duplicates: dict[int, int] = {}
    with store.write_lock:
        if batch.opened:
            con.execute(
                "INSERT INTO imports (id, path, size, sha256, format, status, message, started,"
                " finished) SELECT *, ?, CASE WHEN status = 'running' THEN NULL ELSE ?::TIMESTAMP"
                " END FROM (SELECT unnest(?) AS id, unnest(?), unnest(?::BIGINT[]), unnest(?),"
                " unnest(?), unnest(?) AS status, unnest(?))",
                [
                    received,
                    received,
                    *map(
                        list,
                        zip(
                            *(
                                (r.id, r.path, r.size, r.sha256, r.format, r.status, r.message)
                                for r in batch.opened
                            ),
                            strict=True,
                        ),
                    ),
                ],
            )
        for family, data in batch.events.items():
            over |= _insert_events(
                store,
                con,
                schema.event_table(family),
                data,
                batch.event_columns[family],
                workdir,
                received,
            )
            store.last_event_id += batch.event_counts[family]
        if batch.windows:
            path = workdir / f"windows-{os.getpid()}.json"
            path.write_text(
                "\n".join(batch.windows) + "\n", encoding="utf-8", errors="surrogatepass"
            )
            try:
                windows_rows.stage(con, path)
            finally:
                path.unlink(missing_ok=True)
            first_id = store.last_event_id
            stored, skipped = windows_rows.insert(store, con, first_id, received)
            store.last_event_id = first_id + sum(stored.values())
            over |= set(skipped)
            for import_id, offered in batch.windows_offered.items():
                duplicates[import_id] = offered - stored.get(import_id, 0)
        if batch.rejected:
            con.execute(
                "INSERT INTO quarantine SELECT unnest(?), unnest(?), unnest(?), unnest(?), ?",
                [
                    [i for i, _ in batch.rejected],
                    [r.record_no for _, r in batch.rejected],
                    [r.reason for _, r in batch.rejected],
                    [r.raw for _, r in batch.rejected],
                    received,
                ],
            )
        _count(con, batch, duplicates)
        if batch.closed:
            con.execute(
                "UPDATE imports SET status = u.s, message = u.m, finished = ? FROM (SELECT "
                "unnest(?) AS id, unnest(?) AS s, unnest(?::VARCHAR[]) AS m) AS u "
                "WHERE imports.id = u.id",
                [received, *map(list, zip(*batch.closed, strict=True))],
            )
    return over


def _count(con: duckdb.DuckDBPyConnection, batch: Batch, duplicates: dict[int, int]) -> None:
    """Add the batch's records, events, exact copies and quarantined records to the ledger."""
    rejected_by: dict[int, int] = {}
    for import_id, rejected in batch.rejected:
        rejected_by[import_id] = rejected_by.get(import_id, 0) + rejected.records
    ids = list(batch.records)
    if not ids:
        return
    records = [batch.records[i] for i in ids]
    dups = [duplicates.get(i, 0) for i in ids]
    quarantined = [rejected_by.get(i, 0) for i in ids]
    stored = [r - q - d for r, q, d in zip(records, quarantined, dups, strict=True)]
    con.execute(
        "UPDATE imports SET records = imports.records + u.r, events = imports.events + u.e, "
        "duplicates = imports.duplicates + u.d, quarantined = imports.quarantined + u.q FROM ("
        "SELECT unnest(?) AS id, unnest(?) AS r, unnest(?) AS e, unnest(?) AS d, unnest(?) AS q"
        ") AS u WHERE imports.id = u.id",
        [ids, records, stored, dups, quarantined],
    )


def _insert_events(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    table: str,
    data: bytearray,
    event_columns: dict[str, str],
    workdir: Path,
    received: datetime,
) -> set[str]:
    """INSERT ... SELECT from a batch's NDJSON through DuckDB's JSON reader."""
    over = set(store.add_columns(con, table, list(event_columns.values())))
    own = {
        "import_id": "INTEGER",
        "record_no": "BIGINT",
        "raw": "VARCHAR",
        "time": "VARCHAR",
        "time_offset": "SMALLINT",
    }
    spec = {MARK + name: kind for name, kind in own.items()}
    spec[MARK + "received"] = "VARCHAR"
    select = [
        "? + row_number() OVER ()",
        f"COALESCE(TRY_CAST({quote_ident(MARK + 'received')} AS TIMESTAMP), ?::TIMESTAMP)",
    ] + [
        f"TRY_CAST({quote_ident(MARK + name)} AS TIMESTAMP)"
        if name == "time"
        else quote_ident(MARK + name)
        for name in own
    ]
    targets = ["id", "received", *own]
    for name, key in COMMON_KEYS:
        if name == "time_offset":
            continue
        spec[key] = "VARCHAR"
        kind = COMMON_COLUMNS[name]
        select.append(
            f"TRY_CAST({quote_ident(key)} AS {kind})" if kind != "VARCHAR" else quote_ident(key)
        )
        targets.append(name)
    columns = store.table_columns(table)
    for column in event_columns.values():
        if column in over:
            continue
        spec[column] = "VARCHAR"
        select.append(quote_ident(column))
        targets.append(columns[column.lower()])
    path = workdir / f"events-{os.getpid()}.json"
    path.write_bytes(data)
    first_id = store.last_event_id
    try:
        con.execute(
            f"INSERT INTO {table} ({', '.join(quote_ident(t) for t in targets)}) "
            f"SELECT {', '.join(select)} FROM read_json(?, format = 'newline_delimited', "
            "maximum_object_size = 16777216, columns = ?)",
            [first_id, received, str(path), spec],
        )
    finally:
        path.unlink(missing_ok=True)
    return over
