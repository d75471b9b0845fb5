"""The store's tables, its schema version and the migrations between versions."""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import chain

import duckdb

from watchkeeper.core.errors import StoreError
from watchkeeper.core.fields import COMMON_COLUMNS, quote_ident
from watchkeeper.storage.lifetime_tables import LIFETIME_TABLES
from watchkeeper.storage.seal_tables import SEAL_TABLES
from watchkeeper.storage.transactions import Transaction

SCHEMA_VERSION = 6

# Events live in one table per family of sources, behind the view `events`: appending a row
# costs DuckDB something for every column of its table, and Windows events bring hundreds of
# field names that syslog never fills (300,000 syslog lines took 3.8 s into a table of their
# own fields and 10.1 s into one that also held the EVTX samples' 418).
FAMILIES = ("windows", "unix", "other")
_UNIX_SOURCES = frozenset(("syslog", "journald", "auditd", "macos"))


def event_table(family: str) -> str:
    return f"events_{family}"


EVENT_TABLES = tuple(event_table(family) for family in FAMILIES)


def family_of(source: str | None) -> str:
    """The table family of a parsed (non-Windows) event's source type."""
    return "unix" if source in _UNIX_SOURCES else "other"


# The raw record is the bulk of an event and rarely read: zstd keeps it a tenth of the size
# DuckDB's default string compression gives, and writes it faster.
_COMPRESSION = {"raw": " USING COMPRESSION zstd"}
_COLUMNS = ",\n".join(
    f"    {quote_ident(name)} {kind}{_COMPRESSION.get(name, '')}"
    for name, kind in COMMON_COLUMNS.items()
)
_EVENTS = [f"CREATE TABLE {table} (\n{_COLUMNS}\n)" for table in EVENT_TABLES]
# UNION ALL BY NAME: a field column only some tables have is NULL in the others, and a filter
# on it skips those tables outright.
HOT = " UNION ALL BY NAME ".join(f"SELECT * FROM {table}" for table in EVENT_TABLES)
_VIEW = "CREATE VIEW events AS " + HOT
# The archive (storage/archive_layout.py) names a day without a source so.
NO_SOURCE = "_none"

# The newest event's id without reading the archive's files: its manifest knows their ids.
TOP_ID = (
    "SELECT greatest("
    + ", ".join(f"(SELECT coalesce(max(id), 0) FROM {table})" for table in EVENT_TABLES)
    + ", (SELECT coalesce(max(last_id), 0) FROM archive_files))"
)


_V1 = [
    "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        path VARCHAR NOT NULL,
        size BIGINT,
        sha256 VARCHAR,
        format VARCHAR,
        status VARCHAR NOT NULL,
        started TIMESTAMP,
        finished TIMESTAMP,
        records BIGINT NOT NULL DEFAULT 0,
        events BIGINT NOT NULL DEFAULT 0,
        duplicates BIGINT NOT NULL DEFAULT 0,
        quarantined BIGINT NOT NULL DEFAULT 0,
        message VARCHAR
    )""",
    """CREATE TABLE quarantine (
        import_id INTEGER NOT NULL,
        record_no BIGINT,
        reason VARCHAR NOT NULL,
        raw BLOB,
        received TIMESTAMP NOT NULL
    )""",
    *_EVENTS,
    _VIEW,
]

# Detection: the rules that hit (so the store explains its hits without the rule files),
# one row per rule and matched event, and the user's suppressions.
_V2 = [
    """CREATE TABLE detection_rules (
        rule_id VARCHAR PRIMARY KEY,
        title VARCHAR NOT NULL,
        level VARCHAR,
        status VARCHAR,
        tags VARCHAR[],
        description VARCHAR,
        "references" VARCHAR[],
        falsepositives VARCHAR[],
        author VARCHAR,
        path VARCHAR,
        kind VARCHAR,
        yaml VARCHAR
    )""",
    """CREATE TABLE hits (
        rule_id VARCHAR NOT NULL,
        event BIGINT NOT NULL,
        time TIMESTAMP,
        host VARCHAR,
        username VARCHAR,
        group_key VARCHAR,
        found TIMESTAMP NOT NULL,
        PRIMARY KEY (rule_id, event)
    )""",
    """CREATE TABLE suppressions (
        id INTEGER PRIMARY KEY,
        rule_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        field VARCHAR,
        value VARCHAR,
        reason VARCHAR NOT NULL,
        created TIMESTAMP NOT NULL
    )""",
]


def _v2(con: duckdb.DuckDBPyConnection) -> None:
    for statement in _V2:
        con.execute(statement)


# Devices: inventory files imported (once each, by content), every record they gave with the
# time it was imported (the history), one row per record and fact, the user's merges and
# splits of records, and exceptions to the compliance policy.
_V3 = [
    """CREATE TABLE device_imports (
        id INTEGER PRIMARY KEY,
        name VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL UNIQUE,
        source VARCHAR NOT NULL,
        imported TIMESTAMP NOT NULL,
        records INTEGER NOT NULL,
        problems VARCHAR[] NOT NULL,
        notes VARCHAR[] NOT NULL
    )""",
    """CREATE TABLE device_records (
        import_id INTEGER NOT NULL,
        record_no INTEGER NOT NULL,
        record_key VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        source_label VARCHAR NOT NULL,
        location VARCHAR NOT NULL,
        observed TIMESTAMP NOT NULL,
        imported TIMESTAMP NOT NULL,
        name VARCHAR NOT NULL,
        serial VARCHAR,
        aliases STRUCT(kind VARCHAR, value VARCHAR)[] NOT NULL,
        platform VARCHAR NOT NULL,
        os_name VARCHAR,
        os_version VARCHAR,
        owner VARCHAR,
        model VARCHAR,
        manufacturer VARCHAR,
        PRIMARY KEY (import_id, record_no)
    )""",
    """CREATE TABLE device_facts (
        import_id INTEGER NOT NULL,
        record_no INTEGER NOT NULL,
        record_key VARCHAR NOT NULL,
        fact VARCHAR NOT NULL,
        value VARCHAR NOT NULL,
        evidence VARCHAR NOT NULL,
        observed TIMESTAMP NOT NULL,
        PRIMARY KEY (import_id, record_no, fact)
    )""",
    """CREATE TABLE device_links (
        record_key VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        target_key VARCHAR,
        reason VARCHAR,
        created TIMESTAMP NOT NULL,
        created_by VARCHAR
    )""",
    """CREATE TABLE device_exceptions (
        id INTEGER PRIMARY KEY,
        device_id VARCHAR NOT NULL,
        device_name VARCHAR,
        check_name VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        expires TIMESTAMP NOT NULL,
        created_by VARCHAR NOT NULL,
        created TIMESTAMP NOT NULL
    )""",
]


def _v3(con: duckdb.DuckDBPyConnection) -> None:
    for statement in _V3:
        con.execute(statement)


# Detections: hits grouped by rule, host (and user) and burst, each with its triage state
# and the history of that state. A hit names its detection; a rule says whether it is about
# a user (its detections are then one per user too).
_V4 = [
    """CREATE TABLE detections (
        id INTEGER PRIMARY KEY,
        rule_id VARCHAR NOT NULL,
        group_key VARCHAR NOT NULL,
        host VARCHAR,
        username VARCHAR,
        first TIMESTAMP,
        last TIMESTAMP,
        events BIGINT NOT NULL,
        hosts VARCHAR[],
        users VARCHAR[],
        state VARCHAR NOT NULL,
        state_by VARCHAR,
        state_at TIMESTAMP,
        reason VARCHAR,
        incident VARCHAR,
        created TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE detection_history (
        detection INTEGER NOT NULL,
        changed_at TIMESTAMP NOT NULL,
        changed_by VARCHAR,
        old_state VARCHAR,
        new_state VARCHAR NOT NULL,
        reason VARCHAR
    )""",
]


def _v4(con: duckdb.DuckDBPyConnection) -> None:
    for statement in _V4:
        con.execute(statement)
    con.execute("ALTER TABLE hits ADD COLUMN detection INTEGER")
    con.execute("ALTER TABLE detection_rules ADD COLUMN per_user BOOLEAN DEFAULT false")
    # the hits of an older store become detections (by rule and host: its rules were not
    # told apart by user)
    from watchkeeper.storage.detections import group_hits

    group_hits(con)


# Incidents: the record, what is linked to it (detections, events, and hosts, users and
# devices by name), the entries written by hand (notes, actions, notifications) and the
# history of every change.
_V5 = [
    """CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        title VARCHAR NOT NULL,
        severity INTEGER NOT NULL,
        status VARCHAR NOT NULL,
        resolution VARCHAR,
        owner VARCHAR,
        opened TIMESTAMP NOT NULL,
        closed TIMESTAMP,
        summary VARCHAR,
        impact VARCHAR,
        lessons VARCHAR,
        personal_data BOOLEAN NOT NULL DEFAULT false,
        created_by VARCHAR
    )""",
    """CREATE TABLE incident_detections (
        incident INTEGER NOT NULL,
        detection INTEGER NOT NULL,
        added TIMESTAMP NOT NULL,
        added_by VARCHAR,
        PRIMARY KEY (incident, detection)
    )""",
    """CREATE TABLE incident_events (
        incident INTEGER NOT NULL,
        event BIGINT NOT NULL,
        added TIMESTAMP NOT NULL,
        added_by VARCHAR,
        PRIMARY KEY (incident, event)
    )""",
    """CREATE TABLE incident_subjects (
        incident INTEGER NOT NULL,
        kind VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        added TIMESTAMP NOT NULL,
        added_by VARCHAR,
        PRIMARY KEY (incident, kind, name)
    )""",
    """CREATE TABLE incident_entries (
        incident INTEGER NOT NULL,
        kind VARCHAR NOT NULL,
        happened TIMESTAMP NOT NULL,
        written_by VARCHAR,
        recipient VARCHAR,
        text VARCHAR NOT NULL,
        written TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE incident_history (
        incident INTEGER NOT NULL,
        changed_at TIMESTAMP NOT NULL,
        changed_by VARCHAR,
        field VARCHAR NOT NULL,
        old_value VARCHAR,
        new_value VARCHAR,
        reason VARCHAR
    )""",
]


def _v5(con: duckdb.DuckDBPyConnection) -> None:
    for statement in _V5:
        con.execute(statement)


# storage lifetime (storage/lifetime_tables.py) and tamper evidence (storage/seal_tables.py)
_V6 = [*LIFETIME_TABLES, *SEAL_TABLES]


def _v6(con: duckdb.DuckDBPyConnection) -> None:
    for statement in _V6:
        con.execute(statement)
    # the store's own events only: what a query over days the archive does not hold reads
    con.execute("CREATE OR REPLACE VIEW events_hot AS " + HOT)


# version -> statements that bring a store at version-1 to it
MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = dict(
    enumerate([_v2, _v3, _v4, _v5, _v6], start=2)
)


def _create(con: duckdb.DuckDBPyConnection) -> None:
    for statement in _V1:
        con.execute(statement)
    for version in sorted(MIGRATIONS):  # a new store is an empty one brought up to date
        MIGRATIONS[version](con)
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def _table_names(statements: list[str]) -> set[str]:
    return {m.group(1) for m in (re.match(r"\s*CREATE TABLE (\w+)", s) for s in statements) if m}


# version -> the tables a store at that version has (besides the view `events`)
_STATEMENTS = [_V1, _V2, _V3, _V4, _V5, _V6]
TABLES = {n: _table_names(list(chain(*_STATEMENTS[:n]))) for n in range(1, len(_STATEMENTS) + 1)}


def current_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The store's schema version; None in a file without the meta table."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = 'meta'"
    ).fetchall()
    if not found or not found[0][0]:
        return None
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    if not rows:
        return None
    text = str(rows[0][0]).strip()
    if not text.isdigit():
        raise StoreError(
            f"the store is damaged: its schema version is {rows[0][0]!r}, not a "
            "number; Watchkeeper leaves it untouched.",
            title="Store damaged",
        )
    return int(text)


def check(con: duckdb.DuckDBPyConnection, version: int) -> None:
    """Refuse a store whose tables are not the ones its version says, before anything is
    written to it: a migration on top of the wrong tables would damage it further."""
    rows = con.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = 'main'"
    ).fetchall()
    tables = {name for name, kind in rows if kind == "BASE TABLE"}
    views = {name for name, kind in rows if kind == "VIEW"}
    expected = TABLES.get(version, TABLES[SCHEMA_VERSION])
    missing = sorted(expected - tables) + ([] if "events" in views else ["events (view)"])
    later = sorted((set().union(*TABLES.values()) - expected) & tables)
    if missing or later:
        problem = (
            f"it lacks {_some(missing)}"
            if missing
            else f"it already has {_some(later)} of a later version"
        )
        raise StoreError(
            f"the store is damaged: its schema version is {version} but {problem}; "
            "Watchkeeper leaves it untouched.",
            title="Store damaged",
        )


def _some(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Create the schema in a new store, or bring an older one up to SCHEMA_VERSION."""
    version = current_version(con)
    if version is None:
        tables = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
        if tables and tables[0][0]:
            raise StoreError(
                "This DuckDB file has tables of its own and is not a Watchkeeper "
                "store; choose another file."
            )
        with Transaction(con):
            _create(con)
        return SCHEMA_VERSION
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"This store was written by a newer Watchkeeper (schema {version}, "
            f"this one reads up to {SCHEMA_VERSION}); update Watchkeeper."
        )
    check(con, version)
    while version < SCHEMA_VERSION:
        version += 1
        with Transaction(con):
            _step(con, version)
    return version


def _step(con: duckdb.DuckDBPyConnection, version: int) -> None:
    MIGRATIONS[version](con)
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])


def check_readable(con: duckdb.DuckDBPyConnection) -> None:
    """What `migrate` refuses, for a store opened only to read (nothing is changed)."""
    version = current_version(con)
    if version is None:
        raise StoreError("This file is not a Watchkeeper store; choose another file.")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"This store was written by a newer Watchkeeper (schema {version}, "
            f"this one reads up to {SCHEMA_VERSION}); update Watchkeeper."
        )
    check(con, version)
    if version < SCHEMA_VERSION:
        raise StoreError(
            "This store was written by an older Watchkeeper and needs upgrading, "
            "which needs write access to it; open it once where it can be written."
        )
