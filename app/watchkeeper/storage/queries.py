"""Read-only questions the CLI and the window ask of the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchkeeper.core.fields import COMMON_COLUMNS
from watchkeeper.storage import ledger
from watchkeeper.storage.store import Store

# Shown first and in this order; the rest of an event's non-empty fields follow.
SUMMARY_COLUMNS = ("id", "time", "host", "source", "channel", "event_id", "level", "username",
                   "process", "src_ip", "message")
_BOOKKEEPING = {"dedup_key", "raw", "import_id", "record_no"}


@dataclass
class Overview:
    events: int
    first: datetime | None
    last: datetime | None
    by_source: list[tuple[str, int]]
    by_host: list[tuple[str, int]]
    by_day: list[tuple[str, int]]
    quarantined: int
    imports: list[ledger.LedgerEntry]
    size_bytes: int


def overview(store: Store, top: int = 20) -> Overview:
    row = store.fetch_one('SELECT count(*), min("time"), max("time") FROM events')
    assert row is not None
    by_source = store.fetch_all(
        "SELECT coalesce(source, '(none)'), count(*) FROM events GROUP BY 1 ORDER BY 2 DESC, 1")
    by_host = store.fetch_all(
        "SELECT coalesce(host, '(none)'), count(*) FROM events GROUP BY 1 ORDER BY 2 DESC, 1 "
        "LIMIT ?", [top])
    by_day = store.fetch_all(
        "SELECT coalesce(strftime(\"time\", '%Y-%m-%d'), '(no time)'), count(*) FROM events "
        "GROUP BY 1 ORDER BY 1")
    quarantined = store.fetch_one("SELECT count(*) FROM quarantine")
    return Overview(
        events=int(row[0]), first=row[1], last=row[2],
        by_source=[(str(a), int(b)) for a, b in by_source],
        by_host=[(str(a), int(b)) for a, b in by_host],
        by_day=[(str(a), int(b)) for a, b in by_day],
        quarantined=int(quarantined[0]) if quarantined else 0,
        imports=ledger.entries(store, limit=top),
        size_bytes=store.size_bytes(),
    )


@dataclass
class SearchResult:
    total: int
    columns: list[str]
    rows: list[tuple[Any, ...]]


def _where(where_sql: str, since: datetime | None, until: datetime | None) -> tuple[str, list[Any]]:
    clauses = [f"({where_sql})"]
    params: list[Any] = []
    if since is not None:
        clauses.append('"time" >= ?')
        params.append(since)
    if until is not None:
        clauses.append('"time" < ?')
        params.append(until)
    return " AND ".join(clauses), params


def search(store: Store, where_sql: str = "TRUE", where_params: list[Any] | None = None, *,
           since: datetime | None = None, until: datetime | None = None, limit: int = 100,
           offset: int = 0, newest_first: bool = False) -> SearchResult:
    """Events matching a compiled filter, in time order, with the number that match."""
    where, extra = _where(where_sql, since, until)
    params = [*(where_params or []), *extra]
    total_row = store.fetch_one(f"SELECT count(*) FROM events WHERE {where}", params)
    order = f'"time" {"DESC" if newest_first else "ASC"} NULLS LAST, id {"DESC" if newest_first else "ASC"}'
    with store.cursor() as cursor:
        cursor.execute(
            f"SELECT e.*, i.path AS origin_path FROM (SELECT * FROM events WHERE {where} "
            f"ORDER BY {order} LIMIT ? OFFSET ?) AS e LEFT JOIN imports AS i "
            f"ON i.id = e.import_id ORDER BY {order.replace('id ', 'e.id ')}",
            [*params, limit, offset])
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall()
    return SearchResult(int(total_row[0]) if total_row else 0, columns, rows)


def event_dict(columns: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    """One event as a document: common columns, non-empty original fields, and its origin."""
    values = dict(zip(columns, row, strict=True))
    document: dict[str, Any] = {}
    for name in COMMON_COLUMNS:
        if name in _BOOKKEEPING:
            continue
        value = values.get(name)
        if value is not None:
            document[name] = value.isoformat() + "Z" if isinstance(value, datetime) else value
    fields = {k: v for k, v in values.items()
              if k not in COMMON_COLUMNS and k != "origin_path" and v is not None}
    document["fields"] = fields
    document["origin"] = {"file": values.get("origin_path"), "record": values.get("record_no"),
                          "import_id": values.get("import_id")}
    document["raw"] = values.get("raw")
    return document
