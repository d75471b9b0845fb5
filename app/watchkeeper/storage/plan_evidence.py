"""What the store holds from one expected sender: its test event, and its expected channels.

The setup checklist asks of each planned source whether its test event (a marker in the
message) has arrived, and whether the events that prove each of its logs arrive (a Windows
channel and event ids, a program, a source type, a field such as CommandLine) came within a
day. Only forwarded events count, as in `sources`: an imported file proves no forwarding.

A sender matches a name when its host or sender address equals it, case-insensitively, or
when the host's first label does (a name without dots given for `web01.example.lan`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchkeeper.core.fields import quote_ident
from watchkeeper.core.progress import Progress
from watchkeeper.storage.sources import FORWARDED_IMPORTS, naive_utc
from watchkeeper.storage.store import Store

MARKER_PREFIX = "WK-TEST-"


@dataclass(frozen=True, slots=True)
class ChannelQuery:
    """Events that prove a log arrives; every non-empty part must hold."""

    channel: str = ""
    event_ids: tuple[int, ...] = ()
    processes: tuple[str, ...] = ()
    source: str = ""
    field: str = ""  # an original field the events must carry, not empty


@dataclass(frozen=True, slots=True)
class MarkerFound:
    marker: str  # the marker found (the one asked for, or any test marker)
    received: datetime  # naive UTC, as the store keeps it


def name_matches(name: str, host: str, sender: str) -> bool:
    """The rule `_matches` applies in SQL, for rows already read (sources.SourceRow)."""
    wanted = name.lower()
    if not wanted:
        return False
    host, sender = (host or "").lower(), (sender or "").lower()
    if wanted in (host, sender):
        return True
    return "." not in wanted and ":" not in wanted and host.split(".", 1)[0] == wanted


def _sender_column(store: Store) -> str:
    column = store.columns.get("sender")
    return quote_ident(column) if column is not None else "NULL"


def _matches(store: Store) -> str:
    """SQL true when an event's host or sender is the name in parameter $name."""
    sender = _sender_column(store)
    return (
        f"(lower(host) = $name OR lower(coalesce({sender}, '')) = $name"
        " OR (NOT contains($name, '.') AND NOT contains($name, ':')"
        " AND split_part(lower(host), '.', 1) = $name))"
    )


def find_marker(
    store: Store, name: str, marker: str | None, progress: Progress | None = None
) -> MarkerFound | None:
    """The newest forwarded event from `name` whose message or raw text holds `marker`.

    Without a marker, any test marker (MARKER_PREFIX and hex digits) counts: a check run
    later than the test, or from the command line, still knows the path was proved.
    """
    row = _one(
        store,
        f"SELECT coalesce(message, raw), received FROM events "
        f"WHERE import_id IN ({FORWARDED_IMPORTS}) AND {_matches(store)} "
        "AND (contains(message, $marker) OR contains(raw, $marker)) "
        "ORDER BY received DESC LIMIT 1",
        {"name": name.lower(), "marker": marker or MARKER_PREFIX},
        progress,
    )
    if row is None:
        return None
    text, received = row
    found = marker or _marker_in(str(text or ""))
    return MarkerFound(found, received)


def _marker_in(text: str) -> str:
    start = text.find(MARKER_PREFIX)
    if start < 0:
        return MARKER_PREFIX
    end = start + len(MARKER_PREFIX)
    while end < len(text) and (text[end].isalnum() or text[end] in "-_"):
        end += 1
    return text[start:end]


def channel_counts(
    store: Store,
    name: str,
    queries: list[ChannelQuery],
    since: datetime,
    until: datetime,
    progress: Progress | None = None,
) -> list[int]:
    """For each query, how many forwarded events from `name` it matched in (since, until]."""
    if not queries:
        return []
    params: dict[str, object] = {
        "name": name.lower(),
        "since": naive_utc(since),
        "until": naive_utc(until),
    }
    filters = []
    for number, query in enumerate(queries):
        parts = _conditions(store, query, number, params)
        filters.append(f"count(*) FILTER (WHERE {' AND '.join(parts) or 'true'})")
    row = _one(
        store,
        f"SELECT {', '.join(filters)} FROM events "
        f"WHERE import_id IN ({FORWARDED_IMPORTS}) AND {_matches(store)} "
        "AND received > $since::TIMESTAMP AND received <= $until::TIMESTAMP",
        params,
        progress,
    )
    return [int(value or 0) for value in row] if row else [0] * len(queries)


def _one(
    store: Store, sql: str, params: dict[str, object], progress: Progress | None
) -> tuple[Any, ...] | None:
    """One row of a query with named parameters, on a short-lived cursor."""
    with store.reading(progress) as cursor:
        row: tuple[Any, ...] | None = cursor.execute(sql, params).fetchone()
    return row


def _conditions(
    store: Store, query: ChannelQuery, number: int, params: dict[str, object]
) -> list[str]:
    """The SQL conditions of one query, its values added to `params` (never pasted)."""
    parts = []
    if query.channel:
        params[f"channel{number}"] = query.channel.lower()
        parts.append(f"lower(channel) = $channel{number}")
    if query.event_ids:
        params[f"ids{number}"] = list(query.event_ids)
        parts.append(f"list_contains($ids{number}::INTEGER[], event_id)")
    if query.processes:
        params[f"processes{number}"] = [p.lower() for p in query.processes]
        parts.append(f"list_contains($processes{number}::VARCHAR[], lower(process))")
    if query.source:
        params[f"source{number}"] = query.source.lower()
        parts.append(f"lower(source) = $source{number}")
    if query.field:
        column = store.resolve(query.field)
        if column is None:
            parts.append("false")  # no event has brought that field yet
        else:
            parts.append(f"nullif(trim(CAST({quote_ident(column)} AS VARCHAR)), '') IS NOT NULL")
    return parts
