"""The Users and Hosts pivots: one row per account or machine, with what it did and when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watchkeeper.core.fields import quote_ident
from watchkeeper.core.identity import (
    KIND_LABELS,
    KIND_ORDER,
    KIND_PERSON,
    Identity,
    Spelling,
)
from watchkeeper.core.progress import Progress
from watchkeeper.storage.host_names import host_addresses, machine_key
from watchkeeper.storage.identities import (
    IDENTITIES,
    domain_sql,
    generation,
    identities_from,
    remember,
    sid_sql,
    store_identities,
    user_ids,
)
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


def is_other_activity(store: Store) -> str:
    """SQL true for an event that shows an account in use beyond trying to log on: a process
    or connection, sudo, a session or cron job, or any event of a source that is not an
    authentication log (a phone's, a cloud service's)."""
    return _any(is_process_start(store), is_network_connection(store), _is_other_use(store))


def _is_other_use(store: Store) -> str:
    """is_other_activity but for processes and connections, which the views count anyway."""
    unix_use = None
    action_column = store.resolve("action")
    if action_column is not None:
        unix_use = (
            f'("source" IN {_UNIX_SOURCES} AND {quote_ident(action_column)} IN '
            "('sudo', 'session_opened', 'cron_command', 'password_changed'))"
        )
    return _any(
        unix_use,
        f"(coalesce(\"source\", '') NOT IN {_UNIX_SOURCES} AND NOT {_SECURITY} IS TRUE)",
    )


def activity_counts(store: Store) -> str:
    """The four activity counts of a GROUP BY, as columns named like the row fields."""
    return (
        f"count(*) FILTER (WHERE {is_logon_success(store)}) AS logon_successes, "
        f"count(*) FILTER (WHERE {is_logon_failure(store)}) AS logon_failures, "
        f"count(*) FILTER (WHERE {is_process_start(store)}) AS processes_started, "
        f"count(*) FILTER (WHERE {is_network_connection(store)}) AS network_connections"
    )


@dataclass(frozen=True, slots=True)
class UserRow:
    """One identity in the Users view: a person, service or machine account, however spelt."""

    username: str  # the user part, as most of its events write it (the SID when only that)
    events: int
    logon_successes: int
    logon_failures: int
    hosts: list[str]  # the busiest few, busiest first
    host_count: int
    processes_started: int
    network_connections: int
    first_seen: datetime | None  # UTC; None when none of its events has a time
    last_seen: datetime | None
    kind: str = KIND_PERSON  # one of core.identity.KIND_ORDER
    domain: str | None = None
    sid: str | None = None
    aliases: list[str] = field(default_factory=list)  # every username value of its events
    label: str = ""  # DOMAIN\user: what a filter names it by

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True, slots=True)
class HostRow:
    """One machine in the Hosts view: its short name, FQDN and other spellings together."""

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
    aliases: list[str] = field(default_factory=list)  # every host value of its events


@dataclass
class _Tally:
    """Counts folded from grouped rows into one user or host."""

    events: int = 0
    successes: int = 0
    failures: int = 0
    processes: int = 0
    connections: int = 0
    first: datetime | None = None
    last: datetime | None = None
    per_other: dict[str, int] = field(default_factory=dict)  # busiest hosts, or users
    spellings: dict[str, int] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)
    ranks: dict[str, int] = field(default_factory=dict)  # people before services, machines

    def add(self, counts: tuple[Any, ...], spelling: str, other: str | None) -> None:
        events, successes, failures, processes, connections, first, last = counts
        self.events += events
        self.successes += successes
        self.failures += failures
        self.processes += processes
        self.connections += connections
        self.first = first if self.first is None or (first and first < self.first) else self.first
        self.last = last if self.last is None or (last and last > self.last) else self.last
        self.spellings[spelling] = self.spellings.get(spelling, 0) + events
        if other:
            self.per_other[other] = self.per_other.get(other, 0) + events

    def busiest(self) -> list[str]:
        ranked = sorted(
            self.per_other.items(),
            key=lambda item: (self.ranks.get(item[0], 0), -item[1], item[0]),
        )
        return [name for name, _count in ranked[:TOP]]


_COUNTS = 'count(*) AS events, {activity}, min("time") AS first_seen, max("time") AS last_seen'


def _host_names(
    rows: list[tuple[Any, ...]], host_at: int, events_at: int, addresses: dict[str, str]
) -> dict[str, str]:
    """Each host value to the name its host row shows: the busiest name of its machine, a
    short name before an FQDN, any name before an address."""
    by_key: dict[str, dict[str, int]] = {}
    for row in rows:
        name = row[host_at]
        if name:
            spellings = by_key.setdefault(machine_key(name, addresses), {})
            spellings[name] = spellings.get(name, 0) + row[events_at]
    shown = {}
    for spellings in by_key.values():
        best = min(
            spellings,
            key=lambda name: (name in addresses, -spellings[name], "." in name, name),
        )
        shown.update(dict.fromkeys(spellings, best))
    return shown


def users(
    store: Store,
    where: str = "TRUE",
    params: list[Any] | None = None,
    limit: int = 5000,
    progress: Progress | None = None,
) -> list[UserRow]:
    """Identities with their activity: people first, then services, machines and names that
    only ever failed to log on; within a kind, most failed logons first, then the busiest.

    `where` and `params` (a compiled filter's) narrow the events counted; what kind an
    identity is comes from all its events. One scan groups the events by spelling and host;
    the small result is folded per identity here.
    """
    sql = (
        f"SELECT username, {domain_sql(store)} AS domain, {sid_sql(store)} AS sid, host, "
        f"{_COUNTS.format(activity=activity_counts(store))}, "
        f"count(*) FILTER (WHERE {_is_other_use(store)}) AS other_use FROM events "
        f"WHERE username IS NOT NULL AND username <> '' AND ({where}) GROUP BY ALL"
    )
    state = generation(store)  # before the scan: events added during it make the next differ
    rows = store.fetch_all(sql, list(params or []), progress)
    if where == "TRUE":
        known = identities_from(_spellings(rows), user_ids(store, state))
        remember(store, IDENTITIES, state, known)
    else:
        known = store_identities(store, progress, state)
    hosts_shown = _host_names(rows, 3, 4, host_addresses(store, state))
    tallies: dict[int, tuple[Identity, _Tally]] = {}
    for name, domain, sid, host, *counts, _other in rows:
        identity = known.of(name, domain, sid)
        if identity is None:
            continue
        tally = tallies.setdefault(id(identity), (identity, _Tally()))[1]
        tally.add(tuple(counts), name, hosts_shown.get(host) if host else None)
    found = [_user_row(identity, tally) for identity, tally in tallies.values()]
    found.sort(
        key=lambda r: (
            KIND_ORDER.index(r.kind),
            -r.logon_failures,
            -r.events,
            r.username,
            r.domain or "",
            r.sid or "",
        )
    )
    return found[:limit]


def _spellings(rows: list[tuple[Any, ...]]) -> list[Spelling]:
    """The distinct spellings of (username, domain, sid, host, counts...) rows."""
    summed: dict[tuple[str, str | None, str | None], list[int]] = {}
    for name, domain, sid, _host, events, successes, failures, *counted, other_use in rows:
        processes, connections = counted[0], counted[1]
        other = processes + connections + other_use
        total = summed.setdefault((name, domain, sid), [0, 0, 0, 0])
        for position, value in enumerate((events, successes, failures, other)):
            total[position] += value
    return [Spelling(*key, *total) for key, total in summed.items()]


def _user_row(identity: Identity, tally: _Tally) -> UserRow:
    return UserRow(
        username=identity.name or identity.sid or identity.label,
        events=tally.events,
        logon_successes=tally.successes,
        logon_failures=tally.failures,
        hosts=tally.busiest(),
        host_count=len(tally.per_other),
        processes_started=tally.processes,
        network_connections=tally.connections,
        first_seen=tally.first,
        last_seen=tally.last,
        kind=identity.kind,
        domain=identity.domain,
        sid=identity.sid,
        aliases=identity.usernames,
        label=identity.label,
    )


def hosts(
    store: Store,
    where: str = "TRUE",
    params: list[Any] | None = None,
    limit: int = 5000,
    progress: Progress | None = None,
) -> list[HostRow]:
    """Machines with their activity, by name; `where` and `params` narrow the events counted.

    A short name and its FQDNs are one machine. Silence is measured against the store's
    latest event rather than the clock, since an import of old logs is not a machine gone
    quiet today.
    """
    sql = (
        f"SELECT host, source, username, {domain_sql(store)} AS domain, {sid_sql(store)} AS sid, "
        f"{_COUNTS.format(activity=activity_counts(store))} FROM events "
        f"WHERE host IS NOT NULL AND host <> '' AND ({where}) GROUP BY ALL"
    )
    rows = store.fetch_all(sql, list(params or []), progress)
    store_last_row = store.fetch_one('SELECT max("time") FROM events')
    store_last = store_last_row[0] if store_last_row else None
    state = generation(store)
    known = store_identities(store, progress, state) if any(row[2] for row in rows) else None
    shown = _host_names(rows, 0, 5, host_addresses(store, state))
    tallies: dict[str, _Tally] = {}
    names = _user_names(known.identities if known is not None else [])
    for host, source, name, domain, sid, *counts in rows:
        identity = known.of(name, domain, sid) if known is not None and name else None
        tally = tallies.setdefault(shown[host], _Tally())
        tally.add(tuple(counts), host, names[id(identity)] if identity else None)
        if identity is not None:
            tally.ranks[names[id(identity)]] = KIND_ORDER.index(identity.kind)
        if source is not None:
            tally.sources.add(source)
    found = [
        HostRow(
            host=name,
            events=tally.events,
            sources=sorted(tally.sources),
            user_count=len(tally.per_other),
            users=tally.busiest(),
            logon_successes=tally.successes,
            logon_failures=tally.failures,
            processes_started=tally.processes,
            network_connections=tally.connections,
            first_seen=tally.first,
            last_seen=tally.last,
            silent_hours=_hours_between(tally.last, store_last),
            aliases=sorted(tally.spellings),
        )
        for name, tally in tallies.items()
    ]
    found.sort(key=lambda r: (r.host.lower(), r.host))
    return found[:limit]


def _user_names(identities: list[Identity]) -> dict[int, str]:
    """How the Hosts view names each identity: by its name, or as DOMAIN\\user where two
    identities share the name."""
    counts: dict[str, int] = {}
    for identity in identities:
        counts[_user_name(identity)] = counts.get(_user_name(identity), 0) + 1
    return {
        id(identity): _user_name(identity)
        if counts[_user_name(identity)] == 1
        else identity.label or _user_name(identity)
        for identity in identities
    }


def _user_name(identity: Identity) -> str:
    return identity.name or identity.sid or identity.label


def _hours_between(earlier: datetime | None, later: datetime | None) -> float | None:
    if earlier is None or later is None:
        return None
    return (later - earlier).total_seconds() / 3600
