"""Read-only questions the CLI and the window ask of the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from watchkeeper.core.fields import COMMON_COLUMNS
from watchkeeper.core.progress import Progress
from watchkeeper.storage import ledger
from watchkeeper.storage.archive_layout import reading
from watchkeeper.storage.eventset import EventQuery
from watchkeeper.storage.sources import FORWARDED_IMPORTS, naive_utc
from watchkeeper.storage.store import Store

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
    # (source, channel or '' when it has none, event id or None, events), busiest first
    event_types: list[tuple[str, str, int | None, int]] = field(default_factory=list)
    # forwarding hosts quiet for longer than `silent_after` at `now`, longest silent first:
    # (host, when its last message was received, hours from then to `now`)
    silent_hosts: list[tuple[str, datetime, float]] = field(default_factory=list)
    host_count: int = 0  # hosts with a name
    forwarding_hosts: int = 0  # named hosts whose logs arrive through the collector
    history_hosts: int = 0  # named hosts known only from imported files
    history_last: datetime | None = None  # the newest event time among imported files


def overview(
    store: Store,
    top: int = 20,
    silent_after: timedelta = timedelta(hours=24),
    progress: Progress | None = None,
    *,
    now: datetime | None = None,
) -> Overview:
    """The store at a glance; without `now`, nobody is judged silent.

    Only hosts that forward their logs are expected to keep sending, so silence is theirs
    alone, measured from their last message to `now` (naive UTC, like the store). Events
    imported from files are history: they say how recent that history is, never that a
    host has gone quiet.
    """
    row = store.fetch_one('SELECT count(*), min("time"), max("time") FROM events', None, progress)
    assert row is not None
    by_source = store.fetch_all(
        "SELECT coalesce(source, '(none)'), count(*) FROM events GROUP BY 1 ORDER BY 2 DESC, 1",
        None,
        progress,
    )
    # every host once: the busiest for the table, the count, who forwards and who went quiet
    hosts = store.fetch_all(
        f"""SELECT host, count(*) AS n,
               max(received) FILTER (import_id IN ({FORWARDED_IMPORTS})) AS forwarded_last,
               max("time") FILTER (import_id NOT IN ({FORWARDED_IMPORTS})) AS imported_last
            FROM events GROUP BY host ORDER BY n DESC, host""",
        None,
        progress,
    )
    by_day = store.fetch_all(
        'SELECT "time"::DATE AS day, count(*) FROM events GROUP BY day ORDER BY day NULLS LAST',
        None,
        progress,
    )
    event_types = store.fetch_all(
        "SELECT coalesce(source, '(none)'), coalesce(channel, ''), event_id, count(*) "
        "FROM events GROUP BY source, channel, event_id ORDER BY 4 DESC, 1, 2, 3 LIMIT ?",
        [top],
        progress,
    )
    named = [
        (str(host), forwarded, imported)
        for host, _n, forwarded, imported in hosts
        if host and str(host).strip()
    ]
    silent_hosts = _silent(named, now, silent_after, top)
    quarantined = store.fetch_one("SELECT count(*) FROM quarantine", None, progress)
    return Overview(
        events=int(row[0]),
        first=row[1],
        last=row[2],
        by_source=[(str(a), int(b)) for a, b in by_source],
        by_host=[
            ("(none)" if host is None else str(host), int(n)) for host, n, _f, _i in hosts[:top]
        ],
        by_day=[(day.isoformat() if day is not None else "(no time)", int(n)) for day, n in by_day],
        quarantined=int(quarantined[0]) if quarantined else 0,
        imports=ledger.entries(store, limit=top),
        size_bytes=store.size_bytes(),
        event_types=[
            (str(source), str(channel), None if event_id is None else int(event_id), int(count))
            for source, channel, event_id, count in event_types
        ],
        silent_hosts=silent_hosts,
        host_count=len(named),
        forwarding_hosts=sum(1 for _host, seen, _ in named if seen is not None),
        history_hosts=sum(1 for _host, seen, _ in named if seen is None),
        history_last=max(
            (imported for *_h, imported in hosts if imported is not None), default=None
        ),
    )


def _silent(
    named: list[tuple[str, datetime | None, datetime | None]],
    now: datetime | None,
    silent_after: timedelta,
    top: int,
) -> list[tuple[str, datetime, float]]:
    """Forwarding hosts quiet for longer than `silent_after`: (host, last seen, hours)."""
    if now is None:
        return []
    now = naive_utc(now)
    return sorted(
        (
            (host, seen, (now - seen).total_seconds() / 3600)
            for host, seen, _ in named
            if seen is not None and seen < now - silent_after
        ),
        key=lambda item: (item[1], item[0]),
    )[:top]


@dataclass
class SearchResult:
    total: int
    columns: list[str]
    rows: list[tuple[Any, ...]]


def search(
    store: Store,
    where_sql: str = "TRUE",
    where_params: list[Any] | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    newest_first: bool = False,
) -> SearchResult:
    """Events matching a compiled filter, in time order, with the number that match."""
    where, params = EventQuery(where_sql, tuple(where_params or ()), since, until).clause()
    events = reading(store, since, until=until)
    total_row = store.fetch_one(f"SELECT count(*) FROM {events} WHERE {where}", params)
    order = f'"time" {"DESC" if newest_first else "ASC"} NULLS LAST, id {"DESC" if newest_first else "ASC"}'
    with store.cursor() as cursor:
        # the page's ids first, then their rows: sorting whole rows of hundreds of columns
        # read from the archive's files can take more memory than DuckDB is given
        cursor.execute(
            f"SELECT e.*, i.path AS origin_path FROM (SELECT * FROM {events} WHERE id IN ("
            f"SELECT id FROM {events} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?)) AS e "
            f"LEFT JOIN imports AS i ON i.id = e.import_id ORDER BY {order.replace('id ', 'e.id ')}",
            [*params, limit, offset],
        )
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
    fields = {
        k: v
        for k, v in values.items()
        if k not in COMMON_COLUMNS and k != "origin_path" and v is not None
    }
    document["fields"] = fields
    document["origin"] = {
        "file": values.get("origin_path"),
        "record": values.get("record_no"),
        "import_id": values.get("import_id"),
    }
    document["raw"] = values.get("raw")
    return document
