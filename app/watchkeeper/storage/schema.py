"""The store's tables, its schema version and the migrations between versions."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from watchkeeper.core.errors import StoreError
from watchkeeper.core.fields import COMMON_COLUMNS, quote_ident

SCHEMA_VERSION = 1

# The raw record is the bulk of an event and rarely read: zstd keeps it a tenth of the size
# DuckDB's default string compression gives, and writes it faster.
_COMPRESSION = {"raw": " USING COMPRESSION zstd"}
_EVENTS = "CREATE TABLE events (\n" + ",\n".join(
    f"    {quote_ident(name)} {kind}{_COMPRESSION.get(name, '')}"
    for name, kind in COMMON_COLUMNS.items()) + "\n)"

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
    _EVENTS,
]

# version -> statements that bring a store at version-1 to it
MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {}


def _create(con: duckdb.DuckDBPyConnection) -> None:
    for statement in _V1:
        con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def current_version(con: duckdb.DuckDBPyConnection) -> int | None:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = 'meta'").fetchall()
    if not found or not found[0][0]:
        return None
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else None


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Create the schema in a new store, or bring an older one up to SCHEMA_VERSION."""
    version = current_version(con)
    if version is None:
        tables = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
        if tables and tables[0][0]:
            raise StoreError("This DuckDB file has tables of its own and is not a Watchkeeper "
                             "store; choose another file.")
        con.execute("BEGIN")
        _create(con)
        con.execute("COMMIT")
        return SCHEMA_VERSION
    if version > SCHEMA_VERSION:
        raise StoreError(f"This store was written by a newer Watchkeeper (schema {version}, "
                         f"this one reads up to {SCHEMA_VERSION}); update Watchkeeper.")
    while version < SCHEMA_VERSION:
        version += 1
        con.execute("BEGIN")
        MIGRATIONS[version](con)
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
        con.execute("COMMIT")
    return version
