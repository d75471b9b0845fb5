"""Devices in the store: inventory imports and their records, merges, splits, exceptions, and
what the events say about each host.

Every time here is naive UTC, like the rest of the store, except an exception's, which comes
back aware. Records and facts arrive as plain rows: what a record or fact means is the
compliance package's business, not the store's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.fields import quote_ident
from watchkeeper.storage.store import Store

LINK_KINDS = ("merge", "split")
SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
DEFENDER_CHANNEL = "Microsoft-Windows-Windows Defender/Operational"
# Defender: detections, actions taken, real-time protection on/off, signatures updated.
DEFENDER_EVENTS = (1116, 1117, 5000, 5001, 2000)


@dataclass(frozen=True, slots=True)
class FactRow:
    fact: str
    value: str  # as the compliance package encoded it
    evidence: str
    observed: datetime


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One device as one source saw it, as stored; `import_id` and `imported` once saved."""

    record_key: str
    source: str
    source_label: str
    location: str
    observed: datetime
    name: str
    serial: str | None
    aliases: tuple[tuple[str, str], ...]  # (kind, value)
    platform: str
    os_name: str | None
    os_version: str | None
    owner: str | None
    model: str | None
    manufacturer: str | None
    facts: tuple[FactRow, ...] = ()
    import_id: int = 0
    record_no: int = 0
    imported: datetime | None = None


@dataclass(frozen=True, slots=True)
class InventoryImport:
    id: int
    name: str  # the file name
    sha256: str
    source: str
    imported: datetime
    records: int
    problems: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeviceLink:
    """The user's word on one record: it belongs with `target_key`'s device, or alone."""

    record_key: str
    kind: str  # "merge" or "split"
    target_key: str | None  # merge: a record key of the device it belongs to
    reason: str | None
    created: datetime
    created_by: str | None


@dataclass(frozen=True, slots=True)
class DeviceException:
    """A check a device is let off until `expires` (UTC), and why."""

    id: int
    device_id: str
    device_name: str | None  # as it was called when the exception was made
    check: str
    reason: str
    expires: datetime
    created_by: str
    created: datetime

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> DeviceException:
        """A stored row, its naive UTC times made aware."""
        ident, device_id, device_name, check, reason, expires, created_by, created = row
        return cls(ident, device_id, device_name, check, reason, expires.replace(tzinfo=UTC),
                   created_by, created.replace(tzinfo=UTC))

    def active(self, now: datetime) -> bool:
        return self.expires > now


# inventory imports ---------------------------------------------------------------------

_IMPORT_COLUMNS = "id, name, sha256, source, imported, records, problems, notes"
_RECORD_COLUMNS = ("record_key, source, source_label, location, observed, name, serial, "
                   "aliases, platform, os_name, os_version, owner, model, manufacturer, "
                   "import_id, record_no, imported")


def _import(row: tuple[Any, ...]) -> InventoryImport:
    return InventoryImport(int(row[0]), row[1], row[2], row[3], row[4], int(row[5]),
                           tuple(row[6]), tuple(row[7]))


def inventory_import(store: Store, sha256: str) -> InventoryImport | None:
    """The import of the file with this content, if it was imported before."""
    row = store.fetch_one(f"SELECT {_IMPORT_COLUMNS} FROM device_imports WHERE sha256 = ?",
                          [sha256])
    return None if row is None else _import(row)


def inventory_imports(store: Store) -> list[InventoryImport]:
    """Every inventory file imported, the latest first."""
    rows = store.fetch_all(f"SELECT {_IMPORT_COLUMNS} FROM device_imports ORDER BY id DESC")
    return [_import(row) for row in rows]


def save_inventory_import(store: Store, name: str, sha256: str, source: str,
                          records: Sequence[RecordRow], problems: Sequence[str],
                          notes: Sequence[str], imported: datetime
                          ) -> tuple[InventoryImport, bool]:
    """Record a file and its records in one transaction; (the import, whether it is new).

    A file whose content was imported before adds nothing and gives the earlier import.
    """
    with store.write_lock:
        earlier = inventory_import(store, sha256)
        if earlier is not None:
            return earlier, False
        with store.transaction() as con:
            row = con.execute("SELECT coalesce(max(id), 0) + 1 FROM device_imports").fetchone()
            assert row is not None
            import_id = int(row[0])
            con.execute("INSERT INTO device_imports VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [import_id, name, sha256, source, imported, len(records),
                         list(problems), list(notes)])
            _insert(con, "device_records", _RECORD_TYPES,
                    [[import_id, number, r.record_key, r.source, r.source_label, r.location,
                      r.observed, imported, r.name, r.serial,
                      [{"kind": kind, "value": value} for kind, value in r.aliases],
                      r.platform, r.os_name, r.os_version, r.owner, r.model, r.manufacturer]
                     for number, r in enumerate(records, 1)])
            _insert(con, "device_facts", _FACT_TYPES,
                    [[import_id, number, r.record_key, f.fact, f.value, f.evidence, f.observed]
                     for number, r in enumerate(records, 1) for f in r.facts])
    return InventoryImport(import_id, name, sha256, source, imported, len(records),
                           tuple(problems), tuple(notes)), True


_RECORD_TYPES = ("INTEGER", "INTEGER", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR",
                 "TIMESTAMP", "TIMESTAMP", "VARCHAR", "VARCHAR",
                 "STRUCT(kind VARCHAR, value VARCHAR)[]", "VARCHAR", "VARCHAR", "VARCHAR",
                 "VARCHAR", "VARCHAR", "VARCHAR")
_FACT_TYPES = ("INTEGER", "INTEGER", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "TIMESTAMP")


def _insert(con: Any, table: str, types: Sequence[str], rows: list[list[Any]]) -> None:
    """Rows into a table as one statement of column lists: DuckDB's executemany runs one
    statement a row, and took 0.25 s for an export of 200 devices."""
    if not rows:
        return
    columns = [list(column) for column in zip(*rows, strict=True)]
    selected = ", ".join(f"unnest(?::{kind}[])" for kind in types)
    con.execute(f"INSERT INTO {table} SELECT {selected}", columns)


def record_rows(store: Store, record_keys: Sequence[str] | None = None) -> list[RecordRow]:
    """Stored records with their facts, oldest observation first; all, or some records'."""
    where, params = ("TRUE", []) if record_keys is None else (
        "list_contains(?, record_key)", [list(record_keys)])
    rows = store.fetch_all(
        f"SELECT {_RECORD_COLUMNS} FROM device_records WHERE {where} "
        "ORDER BY observed, import_id, record_no", params)
    fact_rows = store.fetch_all(
        "SELECT f.import_id, f.record_no, f.fact, f.value, f.evidence, f.observed "
        "FROM device_facts f SEMI JOIN (SELECT import_id, record_no FROM device_records "
        f"WHERE {where}) r USING (import_id, record_no) ORDER BY f.fact", params)
    facts: dict[tuple[int, int], list[FactRow]] = {}
    for import_id, record_no, *fact in fact_rows:
        facts.setdefault((import_id, record_no), []).append(FactRow(*fact))
    return [_record(row, tuple(facts.get((row[14], row[15]), ()))) for row in rows]


# The newest of each value: a later export without an owner column leaves the owner known.
_NEWEST = "(observed, import_id, record_no)"
_LATEST_COLUMNS = ", ".join([
    "record_key", *(f"arg_max_null({c}, {_NEWEST})" for c in (
        "source", "source_label", "location", "observed", "name")),
    f"arg_max(serial, {_NEWEST})",
    f"coalesce(arg_max(aliases, {_NEWEST}) FILTER (len(aliases) > 0), [])",
    f"coalesce(arg_max(platform, {_NEWEST}) FILTER (platform <> 'other'), 'other')",
    *(f"arg_max({c}, {_NEWEST})" for c in ("os_name", "os_version", "owner", "model",
                                           "manufacturer")),
    *(f"arg_max_null({c}, {_NEWEST})" for c in ("import_id", "record_no")),
    "min(imported)"])


def latest_records(store: Store) -> list[RecordRow]:
    """Per record, its newest observation, each value the newest any observation gave.

    The OS name and version go together: both come from the newest observation with a
    version. `imported` is when the record was first imported (the oldest names its
    device). Facts are left out: `newest_facts` has the newest of each.
    """
    rows = store.fetch_all(f"SELECT {_LATEST_COLUMNS} FROM device_records GROUP BY record_key "
                           "ORDER BY record_key")
    versions = {key: (name, version) for key, name, version in store.fetch_all(
        f"SELECT record_key, arg_max_null(os_name, {_NEWEST}), arg_max(os_version, {_NEWEST}) "
        "FROM device_records WHERE os_version IS NOT NULL GROUP BY record_key")}
    found: list[RecordRow] = []
    for row in rows:
        record = _record(row, ())
        if record.record_key in versions:
            name, version = versions[record.record_key]
            record = replace(record, os_name=name or record.os_name, os_version=version)
        found.append(record)
    return found


def _record(row: tuple[Any, ...], facts: tuple[FactRow, ...]) -> RecordRow:
    return RecordRow(
        record_key=row[0], source=row[1], source_label=row[2], location=row[3],
        observed=row[4], name=row[5], serial=row[6],
        aliases=tuple((alias["kind"], alias["value"]) for alias in row[7]), platform=row[8],
        os_name=row[9], os_version=row[10], owner=row[11], model=row[12], manufacturer=row[13],
        facts=facts, import_id=row[14], record_no=row[15], imported=row[16])


@dataclass(frozen=True, slots=True)
class StoredFact:
    """The newest observation of one fact of one record, and which file said it."""

    record_key: str
    source: str
    source_label: str
    location: str
    fact: FactRow
    imported: datetime


def newest_facts(store: Store) -> list[StoredFact]:
    """Per record and fact, the newest observation (ties: the latest import)."""
    rows = store.fetch_all(
        "SELECT f.record_key, r.source, r.source_label, r.location, f.fact, f.value, "
        "f.evidence, f.observed, r.imported FROM device_facts f JOIN device_records r "
        "USING (import_id, record_no) QUALIFY row_number() OVER (PARTITION BY f.record_key, "
        "f.fact ORDER BY f.observed DESC, f.import_id DESC, f.record_no DESC) = 1")
    return [StoredFact(key, source, label, location, FactRow(fact, value, evidence, observed),
                       imported)
            for key, source, label, location, fact, value, evidence, observed, imported in rows]


# merges and splits ---------------------------------------------------------------------

def set_link(store: Store, record_key: str, kind: str, target_key: str | None,
             reason: str | None, created_by: str | None, created: datetime) -> DeviceLink:
    """Say that a record belongs with another record's device (merge) or alone (split)."""
    if kind not in LINK_KINDS:
        raise WatchkeeperError(f"A device link is a merge or a split, not {kind!r}.")
    if kind == "merge" and not target_key:
        raise WatchkeeperError("Say which device the record belongs to.")
    if kind == "merge" and target_key == record_key:
        raise WatchkeeperError("A record cannot be merged into itself.")
    link = DeviceLink(record_key, kind, target_key if kind == "merge" else None,
                      (reason or "").strip() or None, created, created_by)
    with store.transaction() as con:
        con.execute("DELETE FROM device_links WHERE record_key = ?", [record_key])
        con.execute("INSERT INTO device_links VALUES (?, ?, ?, ?, ?, ?)",
                    [link.record_key, link.kind, link.target_key, link.reason,
                     link.created, link.created_by])
    return link


def remove_link(store: Store, record_key: str) -> bool:
    """Forget the user's merge or split of a record; True when there was one."""
    return bool(_write(store, "DELETE FROM device_links WHERE record_key = ? RETURNING 1",
                       [record_key]))


def device_links(store: Store) -> list[DeviceLink]:
    rows = store.fetch_all("SELECT record_key, kind, target_key, reason, created, created_by "
                           "FROM device_links ORDER BY created, record_key")
    return [DeviceLink(*row) for row in rows]


# exceptions ----------------------------------------------------------------------------

_EXCEPTION_COLUMNS = ("id, device_id, device_name, check_name, reason, expires, created_by, "
                      "created")


def add_exception(store: Store, device_id: str, device_name: str | None, check: str,
                  reason: str, expires: datetime | None, created_by: str,
                  created: datetime) -> DeviceException:
    """Let a device off one check until `expires`; a reason and an expiry are required."""
    if not device_id.strip() or not check.strip():
        raise WatchkeeperError("Say which device and which check the exception is for.")
    if not reason.strip():
        raise WatchkeeperError("Say why, so whoever reads the exception later knows.")
    if expires is None:
        raise WatchkeeperError("Give the date the exception ends; none lasts for ever.")
    if expires <= created:
        raise WatchkeeperError(f"The exception would end ({expires:%Y-%m-%d %H:%M} UTC) "
                               "before it starts; give a later date.")
    rows = _write(
        store, f"INSERT INTO device_exceptions SELECT coalesce(max(id), 0) + 1, ?, ?, ?, ?, ?, "
        f"?, ? FROM device_exceptions RETURNING {_EXCEPTION_COLUMNS}",
        [device_id, device_name, check, reason.strip(), expires, created_by, created])
    return DeviceException.from_row(rows[0])


def remove_exception(store: Store, exception_id: int) -> bool:
    return bool(_write(store, "DELETE FROM device_exceptions WHERE id = ? RETURNING id",
                       [exception_id]))


def device_exceptions(store: Store, device_id: str | None = None) -> list[DeviceException]:
    """Exceptions, expired ones included (they say what was once allowed)."""
    where, params = ("TRUE", []) if device_id is None else ("device_id = ?", [device_id])
    rows = store.fetch_all(f"SELECT {_EXCEPTION_COLUMNS} FROM device_exceptions WHERE {where} "
                           "ORDER BY id", params)
    return [DeviceException.from_row(row) for row in rows]


def _write(store: Store, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with store.write_lock:
        con = store.cursor()
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


# what the events say about hosts ----------------------------------------------------------

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
            "GROUP BY key ORDER BY key")
        for key, hosts, events, first, last, newest, sources, processes, android in rows:
            found.append(HostActivity(key, tuple(hosts), family, int(events), first, last,
                                      dict(newest or {}), tuple(sources or ()),
                                      tuple(processes or ())[:200], int(android)))
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


def _host_events(store: Store, where: str, names: Sequence[str],
                 params: list[Any]) -> list[HostEvent]:
    selected = ", ".join(f"{_optional(store, name)}::VARCHAR" for name in names)
    rows = store.fetch_all(
        f'SELECT lower(host), host, id, "time", channel, provider, event_id, message, raw'
        f"{', ' + selected if selected else ''} FROM events "
        f"WHERE host IS NOT NULL AND trim(host) <> '' AND ({where}) ORDER BY \"time\", id",
        params)
    return [HostEvent(host_key=row[0], host=row[1], id=row[2], time=row[3], channel=row[4],
                      provider=row[5], event_id=row[6], message=row[7],
                      fields=dict(zip(names, row[9:], strict=True)), raw=row[8])
            for row in rows]


def sysmon_events(store: Store) -> list[HostEvent]:
    """Sysmon's own state and configuration changes (4, 16) and its service starting or
    stopping (System 7036), oldest first."""
    param1 = _optional(store, "param1")
    return _host_events(
        store,
        "(channel = ? AND event_id IN (4, 16)) OR (channel = 'System' AND event_id = 7036 "
        f"AND ({param1} ILIKE 'sysmon%' OR message ILIKE 'The Sysmon% service entered%'))",
        ("State", "Version", "Configuration", "param1", "param2"), [SYSMON_CHANNEL])


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
        "WHERE channel = ? AND host IS NOT NULL AND trim(host) <> '' GROUP BY key", [channel])
    return {key: ChannelPresence(key, int(n), first, last) for key, n, first, last in rows}


def defender_events(store: Store) -> list[HostEvent]:
    """Defender detections, actions, real-time protection changes and updates, oldest first."""
    return _host_events(
        store, "channel = ? AND list_contains(?, event_id)",
        ("Threat Name", "Severity Name", "Category Name", "Path", "Action Name",
         "Current Signature Version", "Signature Version"),
        [DEFENDER_CHANNEL, list(DEFENDER_EVENTS)])


def windows_version_events(store: Store) -> list[HostEvent]:
    """The System log's 6009 (the Windows version at each start), oldest first."""
    return _host_events(store, "channel = 'System' AND event_id = 6009", (), [])
