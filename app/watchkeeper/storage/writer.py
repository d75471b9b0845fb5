"""Turning batches of parsed events into rows: one transaction a batch, columns as needed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import orjson

from watchkeeper.core.event import Event, Rejected
from watchkeeper.core.fields import (
    ALIASES,
    COMMON_COLUMNS,
    INTEGER_COLUMNS,
    PARSED_COLUMNS,
    column_for_field,
    quote_ident,
)
from watchkeeper.storage.store import Store

_TEXT_COMMON = tuple(c for c in PARSED_COLUMNS if c not in INTEGER_COLUMNS and c != "time")
_INT_COMMON = tuple(c for c in PARSED_COLUMNS if c in INTEGER_COLUMNS and c != "time_offset")
_PLAIN_TEXT = frozenset((str, type(None)))
_PLAIN_INT = frozenset((int, type(None)))  # out-of-range numbers become NULL by TRY_CAST


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


@dataclass
class Batch:
    """Events and rejected records of one or more files, committed together.

    A file's ledger row goes in with its first events ('running') and is closed with its
    last ones, so a crash leaves either nothing or a 'running' row that the next open
    rolls back.
    """

    received: datetime = field(default_factory=lambda: datetime.now(UTC))
    events: list[Event] = field(default_factory=list)
    event_imports: list[list[int]] = field(default_factory=list)  # [import_id, count] runs
    rejected: list[tuple[int, Rejected]] = field(default_factory=list)
    records: dict[int, int] = field(default_factory=dict)
    opened: list[LedgerRow] = field(default_factory=list)
    closed: list[tuple[int, str, str | None]] = field(default_factory=list)

    def add(self, import_id: int, item: Event | Rejected) -> None:
        if isinstance(item, Rejected):
            self.rejected.append((import_id, item))
        else:
            self.events.append(item)
            runs = self.event_imports
            if runs and runs[-1][0] == import_id:
                runs[-1][1] += 1
            else:
                runs.append([import_id, 1])
        self.records[import_id] = self.records.get(import_id, 0) + 1

    def __len__(self) -> int:
        return len(self.events) + len(self.rejected)

    def empty(self) -> bool:
        return not (self.events or self.rejected or self.opened or self.closed)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return orjson.dumps(value, default=str).decode()


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(1 << 63) <= value < (1 << 63) else None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def write_batch(store: Store, con: duckdb.DuckDBPyConnection, batch: Batch) -> set[str]:
    """Write one batch inside the caller's transaction (see pipeline.BackgroundWriter).

    Returns the field names over the column limit (kept only in the raw record).
    """
    received = batch.received.astimezone(UTC).replace(tzinfo=None)
    import_ids, keep, duplicates = _deduplicate_within(batch)
    events = [e for e, k in zip(batch.events, keep, strict=True) if k] if duplicates else batch.events
    columns, field_columns = _columns(events)
    columns["import_id"] = np.array(
        [i for i, k in zip(import_ids, keep, strict=True) if k], dtype=object)
    over: set[str] = set()
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
        if events:
            over = set(store.add_columns(con, list(field_columns)))
            for name in over:
                del field_columns[name]
            stored = _insert(store, con, columns, field_columns, received)
            for import_id, offered in _offered(columns["import_id"]).items():
                duplicates[import_id] = (duplicates.get(import_id, 0)
                                         + offered - stored.get(import_id, 0))
        if batch.rejected:
            con.execute(
                "INSERT INTO quarantine SELECT unnest(?), unnest(?), unnest(?), unnest(?), ?",
                [[i for i, _ in batch.rejected], [r.record_no for _, r in batch.rejected],
                 [r.reason for _, r in batch.rejected], [r.raw for _, r in batch.rejected],
                 received])
        rejected_by: dict[int, int] = {}
        for import_id, _ in batch.rejected:
            rejected_by[import_id] = rejected_by.get(import_id, 0) + 1
        ids = list(batch.records)
        if ids:
            dups = [duplicates.get(i, 0) for i in ids]
            quarantined = [rejected_by.get(i, 0) for i in ids]
            records = [batch.records[i] for i in ids]
            kept = [r - q - d for r, q, d in zip(records, quarantined, dups, strict=True)]
            con.execute(
                "UPDATE imports SET records = imports.records + u.r, events = imports.events + "
                "u.e, duplicates = imports.duplicates + u.d, quarantined = imports.quarantined"
                " + u.q FROM (SELECT unnest(?) AS id, unnest(?) AS r, unnest(?) AS e, "
                "unnest(?) AS d, unnest(?) AS q) AS u WHERE imports.id = u.id",
                [ids, records, kept, dups, quarantined])
        if batch.closed:
            con.execute(
                "UPDATE imports SET status = u.s, message = u.m, finished = ? FROM (SELECT "
                "unnest(?) AS id, unnest(?) AS s, unnest(?::VARCHAR[]) AS m) AS u "
                "WHERE imports.id = u.id",
                [received, *map(list, zip(*batch.closed, strict=True))])
    return over


def _deduplicate_within(batch: Batch) -> tuple[list[int], list[bool], dict[int, int]]:
    """Per event: its import id and whether it is the first with its dedup key in the batch."""
    import_ids: list[int] = []
    for import_id, count in batch.event_imports:
        import_ids.extend([import_id] * count)
    keep = [True] * len(batch.events)
    duplicates: dict[int, int] = {}
    seen: set[int] = set()
    for index, event in enumerate(batch.events):
        key = event.dedup_key
        if key is None:
            continue
        if key in seen:
            keep[index] = False
            duplicates[import_ids[index]] = duplicates.get(import_ids[index], 0) + 1
        else:
            seen.add(key)
    return import_ids, keep, duplicates


def _offered(import_ids: np.ndarray[Any, Any]) -> dict[int, int]:
    offered: dict[int, int] = {}
    for import_id in import_ids:
        offered[import_id] = offered.get(import_id, 0) + 1
    return offered


def _column(values: list[Any], convert: Any, plain: frozenset[type]) -> np.ndarray[Any, Any]:
    """An object array for DuckDB; values are converted only when some are not plain."""
    if any(type(v) not in plain for v in values):
        values = [convert(v) for v in values]
    return np.array(values, dtype=object)


def _columns(events: list[Event]) -> tuple[dict[str, np.ndarray[Any, Any]], dict[str, list[Any]]]:
    """The batch as arrays: common columns, and one list per original field column."""
    n = len(events)
    columns: dict[str, np.ndarray[Any, Any]] = {}
    times = np.empty(n, dtype=object)
    offsets = np.empty(n, dtype=object)
    commons = [e.common for e in events]
    for i, common in enumerate(commons):
        stamp = common.get("time")
        if stamp is not None:
            offset = stamp.utcoffset()
            if offset is None:
                times[i] = stamp
            else:
                times[i] = (stamp - offset).replace(tzinfo=None)
                offsets[i] = offset.days * 1440 + offset.seconds // 60
    columns["time"] = times
    columns["time_offset"] = offsets
    for name in _TEXT_COMMON:
        columns[name] = _column([c.get(name) for c in commons], _text, _PLAIN_TEXT)
    for name in _INT_COMMON:
        columns[name] = _column([c.get(name) for c in commons], _int, _PLAIN_INT)
    columns["record_no"] = np.array([e.record_no for e in events], dtype=object)
    columns["raw"] = np.array([e.raw for e in events], dtype=object)
    columns["dedup_key"] = np.array(
        [None if e.dedup_key is None else str(e.dedup_key) for e in events], dtype=object)
    field_columns: dict[str, list[Any]] = {}
    # name (lower case) -> column, and the common column it shadows, if any; merged
    # case-insensitively, as DuckDB names columns
    by_key: dict[str, tuple[str, str | None]] = {}
    for i, event in enumerate(events):
        for name, value in event.fields.items():
            key = name.lower()
            target = by_key.get(key)
            if target is None:
                column = column_for_field(name)
                shadowed = ALIASES.get(key, key) if column.startswith("orig.") else None
                target = by_key[key] = (column, shadowed)
            column, shadowed = target
            text = value if type(value) is str else _text(value)
            if shadowed is not None and text == _text(event.common.get(shadowed)):
                continue  # the same value is already in the common column
            values = field_columns.get(column)
            if values is None:
                values = field_columns[column] = [None] * n
            values[i] = text
    return columns, field_columns


def _insert(store: Store, con: duckdb.DuckDBPyConnection,
            columns: dict[str, np.ndarray[Any, Any]], field_columns: dict[str, list[Any]],
            received: datetime) -> dict[int, int]:
    """INSERT ... SELECT from the arrays; events already stored (same dedup key) are left out.

    Returns the number of events stored per import id.
    """
    batch: dict[str, np.ndarray[Any, Any]] = dict(columns)
    select: list[str] = []
    targets: list[str] = []
    for name, kind in COMMON_COLUMNS.items():
        if name == "id":
            select.append("? + row_number() OVER ()")
        elif name == "received":
            select.append("?::TIMESTAMP")
        elif name in batch:
            select.append(f"TRY_CAST(b.{quote_ident(name)} AS {kind})")
        else:
            continue
        targets.append(quote_ident(name))
    for index, (name, values) in enumerate(field_columns.items()):
        batch[f"f{index}"] = np.array(values, dtype=object)
        select.append(f"b.f{index}::VARCHAR")
        targets.append(quote_ident(store.columns[name.lower()]))
    first_id = store.last_event_id
    parameters: list[Any] = [first_id, received]
    where = ""
    keys = [k for k in columns["dedup_key"] if k is not None]
    if keys:
        # Exact copies share their time, so only stored events in the batch's time range
        # can match; DuckDB's zone maps skip the rest of the table.
        # Exact copies share their record number and time, so only stored events in the
        # batch's ranges of both can match; DuckDB's zone maps skip the rest of the table.
        numbers = columns["record_no"]
        where = (" WHERE b.dedup_key IS NULL OR b.dedup_key::UHUGEINT NOT IN ("
                 "SELECT dedup_key FROM events WHERE dedup_key IS NOT NULL "
                 "AND record_no BETWEEN ? AND ?")
        parameters += [min(numbers), max(numbers)]
        times = [t for t in columns["time"] if t is not None]
        if len(times) == len(columns["time"]):
            where += ' AND "time" BETWEEN ? AND ?'
            parameters += [min(times), max(times)]
        where += ")"
    con.register("wk_batch", batch)
    try:
        con.execute(f"INSERT INTO events ({', '.join(targets)}) SELECT {', '.join(select)} "
                    f"FROM wk_batch AS b{where}", parameters)
    finally:
        con.unregister("wk_batch")
    rows = con.execute("SELECT import_id, count(*), max(id) FROM events WHERE id > ? GROUP BY 1",
                       [first_id]).fetchall()
    store.last_event_id = max([first_id, *(int(r[2]) for r in rows)])
    return {int(r[0]): int(r[1]) for r in rows}
