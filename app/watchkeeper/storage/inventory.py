"""Device inventories in the store: the files imported, the records each gave and their
facts, and the newest of each value.

Every time here is naive UTC, like the rest of the store. Records and facts arrive as plain
rows: what a record or fact means is the compliance package's business, not the store's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from watchkeeper.storage.store import Store


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


_IMPORT_COLUMNS = "id, name, sha256, source, imported, records, problems, notes"
_RECORD_COLUMNS = (
    "record_key, source, source_label, location, observed, name, serial, "
    "aliases, platform, os_name, os_version, owner, model, manufacturer, "
    "import_id, record_no, imported"
)


def _import(row: tuple[Any, ...]) -> InventoryImport:
    return InventoryImport(
        int(row[0]), row[1], row[2], row[3], row[4], int(row[5]), tuple(row[6]), tuple(row[7])
    )


def inventory_import(store: Store, sha256: str) -> InventoryImport | None:
    """The import of the file with this content, if it was imported before."""
    row = store.fetch_one(
        f"SELECT {_IMPORT_COLUMNS} FROM device_imports WHERE sha256 = ?", [sha256]
    )
    return None if row is None else _import(row)


def inventory_imports(store: Store) -> list[InventoryImport]:
    """Every inventory file imported, the latest first."""
    rows = store.fetch_all(f"SELECT {_IMPORT_COLUMNS} FROM device_imports ORDER BY id DESC")
    return [_import(row) for row in rows]


def save_inventory_import(
    store: Store,
    name: str,
    sha256: str,
    source: str,
    records: Sequence[RecordRow],
    problems: Sequence[str],
    notes: Sequence[str],
    imported: datetime,
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
            con.execute(
                "INSERT INTO device_imports VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    import_id,
                    name,
                    sha256,
                    source,
                    imported,
                    len(records),
                    list(problems),
                    list(notes),
                ],
            )
            _insert(
                con,
                "device_records",
                _RECORD_TYPES,
                [
                    [
                        import_id,
                        number,
                        r.record_key,
                        r.source,
                        r.source_label,
                        r.location,
                        r.observed,
                        imported,
                        r.name,
                        r.serial,
                        [{"kind": kind, "value": value} for kind, value in r.aliases],
                        r.platform,
                        r.os_name,
                        r.os_version,
                        r.owner,
                        r.model,
                        r.manufacturer,
                    ]
                    for number, r in enumerate(records, 1)
                ],
            )
            _insert(
                con,
                "device_facts",
                _FACT_TYPES,
                [
                    [import_id, number, r.record_key, f.fact, f.value, f.evidence, f.observed]
                    for number, r in enumerate(records, 1)
                    for f in r.facts
                ],
            )
    return InventoryImport(
        import_id, name, sha256, source, imported, len(records), tuple(problems), tuple(notes)
    ), True


_RECORD_TYPES = (
    "INTEGER",
    "INTEGER",
    "VARCHAR",
    "VARCHAR",
    "VARCHAR",
    "VARCHAR",
    "TIMESTAMP",
    "TIMESTAMP",
    "VARCHAR",
    "VARCHAR",
    "STRUCT(kind VARCHAR, value VARCHAR)[]",
    "VARCHAR",
    "VARCHAR",
    "VARCHAR",
    "VARCHAR",
    "VARCHAR",
    "VARCHAR",
)
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
    where, params = (
        ("TRUE", [])
        if record_keys is None
        else ("list_contains(?, record_key)", [list(record_keys)])
    )
    rows = store.fetch_all(
        f"SELECT {_RECORD_COLUMNS} FROM device_records WHERE {where} "
        "ORDER BY observed, import_id, record_no",
        params,
    )
    fact_rows = store.fetch_all(
        "SELECT f.import_id, f.record_no, f.fact, f.value, f.evidence, f.observed "
        "FROM device_facts f SEMI JOIN (SELECT import_id, record_no FROM device_records "
        f"WHERE {where}) r USING (import_id, record_no) ORDER BY f.fact",
        params,
    )
    facts: dict[tuple[int, int], list[FactRow]] = {}
    for import_id, record_no, *fact in fact_rows:
        facts.setdefault((import_id, record_no), []).append(FactRow(*fact))
    return [_record(row, tuple(facts.get((row[14], row[15]), ()))) for row in rows]


# The newest of each value: a later export without an owner column leaves the owner known.
_NEWEST = "(observed, import_id, record_no)"
_LATEST_COLUMNS = ", ".join(
    [
        "record_key",
        *(
            f"arg_max_null({c}, {_NEWEST})"
            for c in ("source", "source_label", "location", "observed", "name")
        ),
        f"arg_max(serial, {_NEWEST})",
        f"coalesce(arg_max(aliases, {_NEWEST}) FILTER (len(aliases) > 0), [])",
        f"coalesce(arg_max(platform, {_NEWEST}) FILTER (platform <> 'other'), 'other')",
        *(
            f"arg_max({c}, {_NEWEST})"
            for c in ("os_name", "os_version", "owner", "model", "manufacturer")
        ),
        *(f"arg_max_null({c}, {_NEWEST})" for c in ("import_id", "record_no")),
        "min(imported)",
    ]
)


def latest_records(store: Store) -> list[RecordRow]:
    """Per record, its newest observation, each value the newest any observation gave.

    The OS name and version go together: both come from the newest observation with a
    version. `imported` is when the record was first imported (the oldest names its
    device). Facts are left out: `newest_facts` has the newest of each.
    """
    rows = store.fetch_all(
        f"SELECT {_LATEST_COLUMNS} FROM device_records GROUP BY record_key ORDER BY record_key"
    )
    versions = {
        key: (name, version)
        for key, name, version in store.fetch_all(
            f"SELECT record_key, arg_max_null(os_name, {_NEWEST}), arg_max(os_version, {_NEWEST}) "
            "FROM device_records WHERE os_version IS NOT NULL GROUP BY record_key"
        )
    }
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
        record_key=row[0],
        source=row[1],
        source_label=row[2],
        location=row[3],
        observed=row[4],
        name=row[5],
        serial=row[6],
        aliases=tuple((alias["kind"], alias["value"]) for alias in row[7]),
        platform=row[8],
        os_name=row[9],
        os_version=row[10],
        owner=row[11],
        model=row[12],
        manufacturer=row[13],
        facts=facts,
        import_id=row[14],
        record_no=row[15],
        imported=row[16],
    )


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
        "f.fact ORDER BY f.observed DESC, f.import_id DESC, f.record_no DESC) = 1"
    )
    return [
        StoredFact(key, source, label, location, FactRow(fact, value, evidence, observed), imported)
        for key, source, label, location, fact, value, evidence, observed, imported in rows
    ]
