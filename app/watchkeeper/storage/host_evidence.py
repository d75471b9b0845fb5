"""What the events in the store say about each host: its activity, and the events about
its security software (Sysmon, Defender) and Windows version.

Every time here is naive UTC, like the rest of the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchkeeper.core.fields import quote_ident
from watchkeeper.storage.store import Store

SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
DEFENDER_CHANNEL = "Microsoft-Windows-Windows Defender/Operational"
# Defender: detections, actions taken, real-time protection on/off, signatures updated.
DEFENDER_EVENTS = (1116, 1117, 5000, 5001, 2000)


@dataclass(frozen=True, slots=True)
class HostActivity:
    """One host's events in one table family (windows, unix, other)."""

    host_key: str  # the host name in lower case
    hosts: tuple[str, ...]  # every spelling of it
    family: str
    events: int
    first_received: datetime | None
    last_time: datetime | None  # the newest event time (received time when none has one)
    last_event: dict[str, Any]  # id, source, channel, event_id, provider, process
    sources: tuple[str, ...]
    processes: tuple[str, ...]  # syslog programs, to tell Linux from macOS and appliances
    android_events: int  # Android security log events (SEC_TAG_...)


def host_activity(store: Store) -> list[HostActivity]:
    """Every named host, per table family, with its newest event."""
    from watchkeeper.storage.schema import FAMILIES, event_table

    found: list[HostActivity] = []
    for family in FAMILIES:
        rows = store.fetch_all(
            "SELECT lower(host) AS key, list(DISTINCT host ORDER BY host), count(*), "
            'min(received), max(coalesce("time", received)), '
            "arg_max({'id': id, 'source': source, 'channel': channel, 'event_id': event_id, "
            "'provider': provider, 'process': process}, coalesce(\"time\", received)), "
            "list(DISTINCT source ORDER BY source) FILTER (source IS NOT NULL), "
            "list(DISTINCT process ORDER BY process) FILTER (source = 'syslog' "
            "AND process IS NOT NULL), "
            "count(*) FILTER (provider LIKE 'SEC\\_TAG\\_%' ESCAPE '\\') "
            f"FROM {event_table(family)} WHERE host IS NOT NULL AND trim(host) <> '' "
            "GROUP BY key ORDER BY key"
        )
        for key, hosts, events, first, last, newest, sources, processes, android in rows:
            found.append(
                HostActivity(
                    key,
                    tuple(hosts),
                    family,
                    int(events),
                    first,
                    last,
                    dict(newest or {}),
                    tuple(sources or ()),
                    tuple(processes or ())[:200],
                    int(android),
                )
            )
    return found


def _optional(store: Store, name: str) -> str:
    """An original field's column, or NULL while no event has brought it."""
    column = store.columns.get(name.lower())
    return quote_ident(column) if column is not None else "NULL"


@dataclass(frozen=True, slots=True)
class HostEvent:
    """One event about a host's security software, with the fields it is read from."""

    host_key: str
    host: str
    id: int
    time: datetime | None
    channel: str | None
    provider: str | None
    event_id: int | None
    message: str | None
    fields: dict[str, str | None]
    raw: str | None


def _host_events(
    store: Store, where: str, names: Sequence[str], params: list[Any]
) -> list[HostEvent]:
    selected = ", ".join(f"{_optional(store, name)}::VARCHAR" for name in names)
    rows = store.fetch_all(
        f'SELECT lower(host), host, id, "time", channel, provider, event_id, message, raw'
        f"{', ' + selected if selected else ''} FROM events "
        f"WHERE host IS NOT NULL AND trim(host) <> '' AND ({where}) ORDER BY \"time\", id",
        params,
    )
    return [
        HostEvent(
            host_key=row[0],
            host=row[1],
            id=row[2],
            time=row[3],
            channel=row[4],
            provider=row[5],
            event_id=row[6],
            message=row[7],
            fields=dict(zip(names, row[9:], strict=True)),
            raw=row[8],
        )
        for row in rows
    ]


def sysmon_events(store: Store) -> list[HostEvent]:
    """Sysmon's own state and configuration changes (4, 16) and its service starting or
    stopping (System 7036), oldest first."""
    param1 = _optional(store, "param1")
    return _host_events(
        store,
        "(channel = ? AND event_id IN (4, 16)) OR (channel = 'System' AND event_id = 7036 "
        f"AND ({param1} ILIKE 'sysmon%' OR message ILIKE 'The Sysmon% service entered%'))",
        ("State", "Version", "Configuration", "param1", "param2"),
        [SYSMON_CHANNEL],
    )


@dataclass(frozen=True, slots=True)
class ChannelPresence:
    host_key: str
    events: int
    first: datetime | None
    last: datetime | None


def channel_presence(store: Store, channel: str) -> dict[str, ChannelPresence]:
    """Per host, how many events of one channel there are and when the first and last were."""
    rows = store.fetch_all(
        'SELECT lower(host) AS key, count(*), min("time"), max("time") FROM events '
        "WHERE channel = ? AND host IS NOT NULL AND trim(host) <> '' GROUP BY key",
        [channel],
    )
    return {key: ChannelPresence(key, int(n), first, last) for key, n, first, last in rows}


def defender_events(store: Store) -> list[HostEvent]:
    """Defender detections, actions, real-time protection changes and updates, oldest first."""
    return _host_events(
        store,
        "channel = ? AND list_contains(?, event_id)",
        (
            "Threat Name",
            "Severity Name",
            "Category Name",
            "Path",
            "Action Name",
            "Current Signature Version",
            "Signature Version",
        ),
        [DEFENDER_CHANNEL, list(DEFENDER_EVENTS)],
    )


def windows_version_events(store: Store) -> list[HostEvent]:
    """The System log's 6009 (the Windows version at each start), oldest first."""
    return _host_events(store, "channel = 'System' AND event_id = 6009", (), [])
