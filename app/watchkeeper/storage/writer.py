"""Batches of parsed records, and writing them as rows: columns are added as names appear.

A batch is built on the parsing thread as newline-delimited JSON (orjson writes it in a
couple of microseconds an event); the writer hands the text to DuckDB's JSON reader, which
makes the columns without holding Python's GIL, so parsing and writing run side by side.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from watchkeeper.core.event import Event, Rejected, WindowsEvent
from watchkeeper.core.fields import (
    ALIASES,
    COMMON_COLUMNS,
    PARSED_COLUMNS,
    column_for_field,
    quote_ident,
)
from watchkeeper.storage import schema, windows_rows
from watchkeeper.storage.store import Store

# Keys of the common values in a batch's JSON; \x01 cannot begin a field's column name.
_MARK = "\x01"
_COMMON_KEYS = tuple((name, _MARK + name) for name in PARSED_COLUMNS if name != "time")
_COLUMN_CACHE_LIMIT = 100_000
_column_of: dict[str, tuple[str, str | None]] = {}


@dataclass
class LedgerRow:
    """An import ledger row written in the same transaction as the events it accounts for."""

    id: int
    path: str
    size: int | None
    sha256: str | None
    format: str | None
    status: str
    message: str | None = None


def _target(name: str) -> tuple[str, str | None]:
    """The column an original field goes to, and the common column it would shadow."""
    found = _column_of.get(name)
    if found is None:
        column = column_for_field(name)
        key = name.lower()
        found = (column, ALIASES.get(key, key) if column.startswith("orig.") else None)
        if len(_column_of) < _COLUMN_CACHE_LIMIT:
            _column_of[name] = found
    return found


def _plain(value: Any) -> Any:
    """A value orjson cannot write (huge numbers, lone surrogates, odd types) as text."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -(1 << 63) <= value < (1 << 63) else str(value)
    if isinstance(value, float):
        return value
    return str(value)


@dataclass
class Batch:
    """Records of one or more files, written in one go.

    A file's ledger row goes in with its first records ('running') and is closed with its
    last ones, so a crash leaves either nothing or a 'running' row that the next open
    rolls back.
    """

    received: datetime = field(default_factory=lambda: datetime.now(UTC))
    # per table family: NDJSON (one object an event), its columns by lower-case name, count
    events: dict[str, bytearray] = field(default_factory=dict)
    event_columns: dict[str, dict[str, str]] = field(default_factory=dict)
    event_counts: dict[str, int] = field(default_factory=dict)
    windows: list[str] = field(default_factory=list)  # NDJSON lines, see windows_rows.stage
    windows_offered: dict[int, int] = field(default_factory=dict)
    rejected: list[tuple[int, Rejected]] = field(default_factory=list)
    records: dict[int, int] = field(default_factory=dict)
    opened: list[LedgerRow] = field(default_factory=list)
    closed: list[tuple[int, str, str | None]] = field(default_factory=list)
    count: int = 0

    def add(self, import_id: int, item: Event | WindowsEvent | Rejected) -> None:
        if isinstance(item, WindowsEvent):
            line = f'{{"i":{import_id},"n":{item.record_no},"s":"{item.source}","e":{item.event_json}'
            if item.raw is not item.event_json and item.raw != item.event_json:
                line += ',"r":' + orjson.dumps(_plain(item.raw)).decode()
            if item.received is not None:  # forwarded: its own receive time and sender
                line += ',"rc":' + orjson.dumps(
                    item.received.astimezone(UTC).replace(tzinfo=None)).decode()
                line += ',"sd":' + orjson.dumps(item.sender).decode()
                line += ',"tp":' + orjson.dumps(item.transport).decode()
            self.windows.append(line + "}")
            self.windows_offered[import_id] = self.windows_offered.get(import_id, 0) + 1
        elif isinstance(item, Rejected):
            self.rejected.append((import_id, item))
        else:
            self._add_event(import_id, item)
        weight = item.records if isinstance(item, Rejected) else 1
        self.records[import_id] = self.records.get(import_id, 0) + weight
        self.count += 1

    def _add_event(self, import_id: int, event: Event) -> None:
        common = event.common
        family = schema.family_of(common.get("source"))
        out = self.events.get(family)
        if out is None:
            out = self.events[family] = bytearray()
            self.event_columns[family] = {}
        self.event_counts[family] = self.event_counts.get(family, 0) + 1
        row: dict[str, Any] = {_MARK + "import_id": import_id,
                               _MARK + "record_no": event.record_no, _MARK + "raw": event.raw}
        received = common.get("received")
        if received is not None:  # forwarded messages: when the collector received each
            row[_MARK + "received"] = received.astimezone(UTC).replace(tzinfo=None)
        stamp = common.get("time")
        if stamp is not None:
            offset = stamp.utcoffset()
            if offset is None:
                row[_MARK + "time"] = stamp
            else:
                row[_MARK + "time"] = (stamp - offset).replace(tzinfo=None)
                row[_MARK + "time_offset"] = offset.days * 1440 + offset.seconds // 60
        for name, key in _COMMON_KEYS:
            value = common.get(name)
            if value is not None:
                row[key] = value
        columns = self.event_columns[family]
        for name, value in event.fields.items():
            column, shadowed = _target(name)
            if shadowed is not None and str(value) == str(common.get(shadowed)):
                continue  # the same value is already in the common column
            # one spelling a batch: DuckDB's column names ignore case, its JSON keys do not
            row[columns.setdefault(column.lower(), column)] = value
        try:
            out += orjson.dumps(row)
        except (TypeError, orjson.JSONEncodeError):
            out += orjson.dumps({k: _plain(v) for k, v in row.items()})
        out += b"\n"

    def __len__(self) -> int:
        return self.count

    def empty(self) -> bool:
        return not (self.count or self.opened or self.closed)


def write_batch(store: Store, con: duckdb.DuckDBPyConnection, batch: Batch,
                workdir: Path) -> set[str]:
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
                [received, received, *map(list, zip(*(
                    (r.id, r.path, r.size, r.sha256, r.format, r.status, r.message)
                    for r in batch.opened), strict=True))])
        for family, data in batch.events.items():
            over |= _insert_events(store, con, schema.event_table(family), data,
                                   batch.event_columns[family], workdir, received)
            store.last_event_id += batch.event_counts[family]
        if batch.windows:
            path = workdir / f"windows-{os.getpid()}.json"
            path.write_text("\n".join(batch.windows) + "\n", encoding="utf-8",
                            errors="surrogatepass")
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
                [[i for i, _ in batch.rejected], [r.record_no for _, r in batch.rejected],
                 [r.reason for _, r in batch.rejected], [r.raw for _, r in batch.rejected],
                 received])
        _count(con, batch, duplicates)
        if batch.closed:
            con.execute(
                "UPDATE imports SET status = u.s, message = u.m, finished = ? FROM (SELECT "
                "unnest(?) AS id, unnest(?) AS s, unnest(?::VARCHAR[]) AS m) AS u "
                "WHERE imports.id = u.id",
                [received, *map(list, zip(*batch.closed, strict=True))])
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
        ") AS u WHERE imports.id = u.id", [ids, records, stored, dups, quarantined])


def _insert_events(store: Store, con: duckdb.DuckDBPyConnection, table: str, data: bytearray,
                   event_columns: dict[str, str], workdir: Path, received: datetime) -> set[str]:
    """INSERT ... SELECT from a batch's NDJSON through DuckDB's JSON reader."""
    over = set(store.add_columns(con, table, list(event_columns.values())))
    own = {"import_id": "INTEGER", "record_no": "BIGINT", "raw": "VARCHAR", "time": "VARCHAR",
           "time_offset": "SMALLINT"}
    spec = {_MARK + name: kind for name, kind in own.items()}
    spec[_MARK + "received"] = "VARCHAR"
    select = ["? + row_number() OVER ()",
              f"COALESCE(TRY_CAST({quote_ident(_MARK + 'received')} AS TIMESTAMP), ?::TIMESTAMP)"
              ] + [f"TRY_CAST({quote_ident(_MARK + name)} AS TIMESTAMP)" if name == "time"
                   else quote_ident(_MARK + name) for name in own]
    targets = ["id", "received", *own]
    for name, key in _COMMON_KEYS:
        if name == "time_offset":
            continue
        spec[key] = "VARCHAR"
        kind = COMMON_COLUMNS[name]
        select.append(f"TRY_CAST({quote_ident(key)} AS {kind})" if kind != "VARCHAR"
                      else quote_ident(key))
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
            [first_id, received, str(path), spec])
    finally:
        path.unlink(missing_ok=True)
    return over
