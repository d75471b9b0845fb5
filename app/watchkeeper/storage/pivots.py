"""The Users and Hosts pivots: one row per account or machine, with what it did and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchkeeper.core.fields import quote_ident
from watchkeeper.core.progress import Progress
from watchkeeper.storage.store import Store

TOP = 5  # busiest hosts of a user, busiest users of a host

# Windows Security events are recognised by channel or provider: Event Viewer's CSV export
# has no channel column, only the provider.
_SECURITY = "(\"channel\" = 'Security' OR \"provider\" = 'Microsoft-Windows-Security-Auditing')"
_SYSMON = (
    "(\"channel\" = 'Microsoft-Windows-Sysmon/Operational' "
    "OR \"provider\" = 'Microsoft-Windows-Sysmon')"
)
# Sources whose parsers set `action` and `outcome` (ingest/authlog.py, ingest/auditd.py); other
# imports may bring columns of the same names that mean something else.
_UNIX_SOURCES = "('syslog', 'journald', 'macos', 'auditd')"
# One successful logon leaves one of these; auditd's USER_AUTH ("authentication") is left out
# of successes because the USER_LOGIN that follows it is the same logon.
_LOGON_ACTIONS = "('ssh_login', 'login')"
# A refused password or key; su and auditd's USER_AUTH are often the only trace of one.
_FAILED_LOGON_ACTIONS = "('ssh_login', 'login', 'su', 'authentication')"


def _any(*clauses: str | None) -> str:
    """The OR of the clauses that exist, or FALSE when none does."""
    present = [clause for clause in clauses if clause]
    return "(" + " OR ".join(present) + ")" if present else "FALSE"


def _unix_outcome(store: Store, actions: str, outcome: str) -> str | None:
    """Unix auth events with one of `actions` and the given outcome; None without the fields."""
    action_column, outcome_column = store.resolve("action"), store.resolve("outcome")
    if action_column is None or outcome_column is None:
        return None
    return (
        f'("source" IN {_UNIX_SOURCES} AND {quote_ident(action_column)} IN {actions} '
        f"AND {quote_ident(outcome_column)} = '{outcome}')"
    )


def is_logon_success(store: Store) -> str:
    """SQL true for a successful logon: Windows 4624, or an ssh or console login that worked."""
    return _any(
        f'({_SECURITY} AND "event_id" = 4624)', _unix_outcome(store, _LOGON_ACTIONS, "success")
    )


def is_logon_failure(store: Store) -> str:
    """SQL true for a failed logon: Windows 4625 and 4771, refused ssh, login, su or auditd auth."""
    return _any(
        f'({_SECURITY} AND "event_id" IN (4625, 4771))',
        _unix_outcome(store, _FAILED_LOGON_ACTIONS, "failure"),
    )


def is_process_start(store: Store) -> str:
    """SQL true for a started process: Windows 4688, Sysmon 1, or an auditd EXECVE."""
    audit = None
    action_column = store.resolve("action")
    if action_column is not None:
        audit = f"(\"source\" = 'auditd' AND {quote_ident(action_column)} = 'process_started'"
        outcome_column = store.resolve("outcome")
        if outcome_column is not None:
            audit += f" AND {quote_ident(outcome_column)} IS DISTINCT FROM 'failure'"
        audit += ")"
    return _any(f'({_SECURITY} AND "event_id" = 4688)', f'({_SYSMON} AND "event_id" = 1)', audit)


def is_network_connection(store: Store) -> str:
    """SQL true for a network connection: Windows Filtering Platform 5156 or Sysmon 3."""
    return _any(f'({_SECURITY} AND "event_id" = 5156)', f'({_SYSMON} AND "event_id" = 3)')


def _activity_counts(store: Store) -> str:
    """The four activity counts of a GROUP BY, as columns named like the row fields."""
    return (
        f"count(*) FILTER (WHERE {is_logon_success(store)}) AS logon_successes, "
        f"count(*) FILTER (WHERE {is_logon_failure(store)}) AS logon_failures, "
        f"count(*) FILTER (WHERE {is_process_start(store)}) AS processes_started, "
        f"count(*) FILTER (WHERE {is_network_connection(store)}) AS network_connections"
    )


_SUMS = (
    "sum(events)::BIGINT AS events, sum(logon_successes)::BIGINT AS logon_successes, "
    "sum(logon_failures)::BIGINT AS logon_failures, "
    "sum(processes_started)::BIGINT AS processes_started, "
    "sum(network_connections)::BIGINT AS network_connections, "
    "min(first_seen) AS first_seen, max(last_seen) AS last_seen"
)


@dataclass(frozen=True, slots=True)
class UserRow:
    """One account in the Users view."""

    username: str
    events: int
    logon_successes: int
    logon_failures: int
    hosts: list[str]  # the busiest few, busiest first
    host_count: int
    processes_started: int
    network_connections: int
    first_seen: datetime | None  # UTC; None when none of its events has a time
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class HostRow:
    """One machine in the Hosts view."""

    host: str
    events: int
    sources: list[str]
    user_count: int
    users: list[str]  # the busiest few, busiest first
    logon_successes: int
    logon_failures: int
    processes_started: int
    network_connections: int
    first_seen: datetime | None  # UTC; None when none of its events has a time
    last_seen: datetime | None
    silent_hours: float | None  # from last_seen to the store's latest event


def users(
    store: Store,
    where: str = "TRUE",
    params: list[Any] | None = None,
    limit: int = 5000,
    progress: Progress | None = None,
) -> list[UserRow]:
    """Accounts with their activity, most failed logons first, then the busiest.

    `where` and `params` (a compiled filter's) narrow the events counted. One scan of the
    events groups them by account and host; the small result is then folded per account.
    """
    sql = (
        "WITH pairs AS (SELECT username, host, count(*) AS events, "
        f"{_activity_counts(store)}, "
        'min("time") AS first_seen, max("time") AS last_seen FROM events '
        f"WHERE username IS NOT NULL AND username <> '' AND ({where}) GROUP BY username, host) "
        f"SELECT username, {_SUMS}, "
        f"list_slice(list(host ORDER BY events DESC, host) FILTER (WHERE host <> ''), 1, {TOP}) "
        "AS hosts, "
        "count(host) FILTER (WHERE host <> '') AS host_count "
        "FROM pairs GROUP BY username "
        "ORDER BY logon_failures DESC, events DESC, username LIMIT ?"
    )
    rows = store.fetch_all(sql, [*(params or []), limit], progress)
    return [
        UserRow(
            username=name,
            events=events,
            logon_successes=successes,
            logon_failures=failures,
            hosts=host_list or [],
            host_count=host_count,
            processes_started=processes,
            network_connections=connections,
            first_seen=first,
            last_seen=last,
        )
        for (
            name,
            events,
            successes,
            failures,
            processes,
            connections,
            first,
            last,
            host_list,
            host_count,
        ) in rows
    ]


def hosts(
    store: Store,
    where: str = "TRUE",
    params: list[Any] | None = None,
    limit: int = 5000,
    progress: Progress | None = None,
) -> list[HostRow]:
    """Machines with their activity, by name; `where` and `params` narrow the events counted.

    Silence is measured against the store's latest event rather than the clock, since an
    import of old logs is not a machine gone quiet today.
    """
    sql = (
        "WITH triples AS (SELECT host, username, source, count(*) AS events, "
        f"{_activity_counts(store)}, "
        'min("time") AS first_seen, max("time") AS last_seen FROM events '
        f"WHERE host IS NOT NULL AND host <> '' AND ({where}) GROUP BY host, username, source), "
        "per_user AS (SELECT host, username, sum(events) AS events FROM triples "
        "WHERE username IS NOT NULL AND username <> '' GROUP BY host, username), "
        "host_users AS (SELECT host, count(*) AS user_count, "
        f"list_slice(list(username ORDER BY events DESC, username), 1, {TOP}) AS users "
        "FROM per_user GROUP BY host), "
        f"totals AS (SELECT host, {_SUMS}, "
        "list(DISTINCT source ORDER BY source) FILTER (WHERE source IS NOT NULL) AS sources "
        "FROM triples GROUP BY host) "
        "SELECT t.host, t.events, t.sources, coalesce(u.user_count, 0), u.users, "
        "t.logon_successes, t.logon_failures, t.processes_started, t.network_connections, "
        't.first_seen, t.last_seen, (SELECT max("time") FROM events) AS store_last '
        "FROM totals AS t LEFT JOIN host_users AS u ON u.host = t.host "
        "ORDER BY lower(t.host), t.host LIMIT ?"
    )
    rows = store.fetch_all(sql, [*(params or []), limit], progress)
    return [
        HostRow(
            host=name,
            events=events,
            sources=source_list or [],
            user_count=user_count,
            users=user_list or [],
            logon_successes=successes,
            logon_failures=failures,
            processes_started=processes,
            network_connections=connections,
            first_seen=first,
            last_seen=last,
            silent_hours=_hours_between(last, store_last),
        )
        for (
            name,
            events,
            source_list,
            user_count,
            user_list,
            successes,
            failures,
            processes,
            connections,
            first,
            last,
            store_last,
        ) in rows
    ]


def _hours_between(earlier: datetime | None, later: datetime | None) -> float | None:
    if earlier is None or later is None:
        return None
    return (later - earlier).total_seconds() / 3600
