"""Canonical content hashes of the stored events, and the tables that keep them.

A batch (an `imports` row) is hashed in parts, one per event day and source: the SHA-256 of
its rows in id order, each row the names and text values of its non-NULL columns as the
members of a JSON object, by name (all but `id`, which the ordering carries). The text of a value is the same whether
the row is hot or archived in Parquet, and a column added later is NULL in older rows, so a
part's hash does not change when rows move or the tables grow. Each part is hashed as a set
too, which tells rows reordered from rows changed.

Rows are hashed in chunks of CHUNK_IDS ids (a part's hash is the SHA-256 of its chunks'
hashes, in order), read a slice of ids at a time: hashing a million events in one aggregate
took more memory than DuckDB is given.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from datetime import date, datetime

import duckdb

from watchkeeper.core.fields import quote_ident
from watchkeeper.core.progress import Progress
from watchkeeper.storage import archive, schema
from watchkeeper.storage.row_hash import row_hash_sql
from watchkeeper.storage.store import Store

# the day an event belongs to, as the archive partitions it
EVENT_DAY = "CAST(coalesce(time, received) AS DATE)"
# ids hashed together (a chunk), and read per query (a slice of whole chunks)
CHUNK_IDS = 65_536
SLICE_IDS = 4 * CHUNK_IDS


@dataclass(frozen=True)
class Part:
    """One batch's events of one event day and source."""

    import_id: int
    day: date
    source: str
    events: int
    first_id: int
    last_id: int
    sha256: str
    set_sha256: str


@dataclass(frozen=True)
class BatchSeal:
    import_id: int
    hashed: datetime
    events: int
    sha256: str


@dataclass(frozen=True)
class DaySeal:
    day: date
    sealed: datetime
    leaves: int
    root: str
    chain: str
    signature: str | None
    public_key: str | None


@dataclass(frozen=True)
class LedgerRow:
    id: int
    path: str
    status: str


def batch_sha256(parts: Iterable[Part]) -> str:
    """A batch's hash: its parts, by day and source (a batch with no events hashes nothing)."""
    lines = sorted(
        f"{p.day.isoformat()} {len(p.source.encode())}:{p.source} {p.events} {p.sha256}\n"
        for p in parts
    )
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def _filled_columns(
    con: duckdb.DuckDBPyConnection, relation: str, where: str, params: Sequence[object]
) -> list[tuple[str, str]]:
    """The columns of `relation` (but `id`) with a value in the rows `where` picks, by name.

    Only those can add to a row's hash; counting them is cheap, and most of the hundreds of
    field columns are empty in any one batch.
    """
    # bound now: information_schema keeps a view's columns from when it was created
    described = con.execute(
        f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {relation})"
    ).fetchall()
    columns = [(str(name), str(kind)) for name, kind in described if str(name).lower() != "id"]
    counts = con.execute(
        f"SELECT {', '.join(f'count({quote_ident(name)})' for name, _ in columns)} "
        f"FROM {relation} WHERE {where}",
        params,
    ).fetchone()
    filled = [column for column, count in zip(columns, counts or (), strict=False) if count]
    return sorted(filled, key=lambda column: column[0].lower())


def _aggregate(rows: str) -> str:
    """Per part and chunk: the rows' hashes in id order, and a sum that does not depend on
    their order."""
    return (
        f"SELECT coalesce(import_id, -1), day, source, id // {CHUNK_IDS}, count(*), min(id), "
        "max(id), sha256(string_agg(CAST(id AS VARCHAR) || ' ' || h, ',' ORDER BY id)), "
        f"sum(CAST(('0x' || left(h, 15)) AS BIGINT)::HUGEINT) FROM ({rows}) GROUP BY ALL"
    )


def _rows_sql(
    con: duckdb.DuckDBPyConnection, relation: str, where: str, params: Sequence[object]
) -> str:
    columns = _filled_columns(con, relation, where, params)
    return (
        f"SELECT import_id, {EVENT_DAY} AS day, coalesce(source, '') AS source, id, "
        f"{row_hash_sql(columns)} AS h FROM {relation} WHERE {where}"
    )


Chunk = tuple[int, date, str, int, int, int, int, str, int]


def _combine(chunks: Iterable[Chunk]) -> list[Part]:
    """Parts from their chunks: the hash of the chunks' hashes in order, and of their sums."""
    by_part: dict[tuple[int, date, str], list[Chunk]] = {}
    for chunk in chunks:
        by_part.setdefault((chunk[0], chunk[1], chunk[2]), []).append(chunk)
    parts = []
    for (import_id, day, source), found in sorted(by_part.items()):
        found.sort(key=lambda c: c[3])
        ordered = hashlib.sha256(",".join(c[7] for c in found).encode()).hexdigest()
        total = sum(int(c[8]) for c in found)
        unordered = hashlib.sha256(str(total).encode()).hexdigest()
        first, last = min(c[5] for c in found), max(c[6] for c in found)
        events = sum(c[4] for c in found)
        parts.append(Part(import_id, day, source, events, first, last, ordered, unordered))
    return parts


def _slices(low: int, high: int) -> list[tuple[int, int]]:
    """Id ranges [start, end] of whole chunks covering [low, high]."""
    start = low // CHUNK_IDS * CHUNK_IDS
    width = SLICE_IDS // CHUNK_IDS * CHUNK_IDS
    return [(a, a + width - 1) for a in range(start, high + 1, width)]


def _chunks(
    con: duckdb.DuckDBPyConnection,
    relations: Sequence[str],
    where: str,
    params: list[object],
    low: int,
    high: int,
    progress: Progress | None = None,
) -> list[Chunk]:
    found: list[Chunk] = []
    for start, end in _slices(low, high):
        sliced = f"({where}) AND id BETWEEN ? AND ?"
        values = [*params, start, end]
        rows = " UNION ALL ".join(_rows_sql(con, r, sliced, values) for r in relations)
        found += con.execute(_aggregate(rows), values * len(relations)).fetchall()
        if progress is not None:
            progress.update(done=min(end, high) - low + 1)
    return found


def hash_parts(store: Store, import_ids: list[int]) -> list[Part]:
    """The parts of these batches, just written (so in the hot tables, unless a roll-over
    ran meanwhile)."""
    if not import_ids:
        return []
    # from each event table with its own columns: what a batch just wrote is all in them,
    # and a column another table has is NULL here, which the hash skips anyway; with its
    # archived rows too if a roll-over ran while the batch was written
    where = "list_contains(?, import_id)"
    params: list[object] = [import_ids]
    rolled = store.fetch_one(
        "SELECT count(*) FROM archive_files WHERE written >= "
        "(SELECT min(started) FROM imports WHERE list_contains(?, id))",
        [import_ids],
    )
    tables = [
        archive.relation(store, table) if rolled and rolled[0] else table
        for table in schema.EVENT_TABLES
    ]
    bounds = store.fetch_one(
        "SELECT min(id), max(id) FROM ("
        + " UNION ALL ".join(f"SELECT id FROM {t} WHERE {where}" for t in tables)
        + ")",
        params * len(tables),
    )
    if not bounds or bounds[0] is None:
        return []
    with store.reading() as con:
        return _combine(_chunks(con, tables, where, params, int(bounds[0]), int(bounds[1])))


def current_parts(store: Store, progress: Progress | None = None) -> list[Part]:
    """Every event's part as stored now, hot and archived alike (events of no batch as -1)."""
    progress = progress or Progress()
    bounds = store.fetch_one(f"SELECT 1, ({schema.TOP_ID})")
    low = 0
    high = int(bounds[1]) if bounds else 0
    progress.update(stage="Hashing the stored events", total=max(high - low + 1, 0), done=0)
    with store.reading(progress) as con:
        chunks = _chunks(con, ["events"], "true", [], low, high, progress)
    parts = _combine(chunks)
    progress.add(sum(part.events for part in parts))
    return parts


def unhashed_batches(store: Store) -> list[int]:
    """Done batches (any that is not being written) without a seal yet."""
    rows = store.fetch_all(
        "SELECT id FROM imports WHERE status <> 'running' AND id NOT IN "
        "(SELECT import_id FROM batch_seals) ORDER BY id"
    )
    return [int(row[0]) for row in rows]


def record_batches(store: Store, now: datetime) -> int:
    """Hash the batches that are done and not hashed yet; returns how many.

    Two callers at once (the window's import and the collector's load) hash a batch alike,
    and the second's rows are left out.
    """
    ids = unhashed_batches(store)
    if not ids:
        return 0
    parts = hash_parts(store, ids)
    by_batch: dict[int, list[Part]] = {import_id: [] for import_id in ids}
    for part in parts:
        by_batch[part.import_id].append(part)
    sealed = [
        (import_id, now, sum(p.events for p in own), batch_sha256(own))
        for import_id, own in by_batch.items()
    ]
    # one statement each, with the rows as lists: a statement per row costs a millisecond
    with store.transaction() as con:
        if parts:
            con.execute(
                "INSERT INTO batch_parts SELECT * FROM (SELECT unnest(?::INTEGER[]), "
                "unnest(?::DATE[]), unnest(?::VARCHAR[]), unnest(?::BIGINT[]), "
                "unnest(?::BIGINT[]), unnest(?::BIGINT[]), unnest(?::VARCHAR[]), "
                "unnest(?::VARCHAR[])) ON CONFLICT DO NOTHING",
                [list(column) for column in zip(*(astuple(part) for part in parts), strict=True)],
            )
        con.execute(
            "INSERT INTO batch_seals SELECT * FROM (SELECT unnest(?::INTEGER[]), "
            "unnest(?::TIMESTAMP[]), unnest(?::BIGINT[]), unnest(?::VARCHAR[])) "
            "ON CONFLICT DO NOTHING",
            [list(column) for column in zip(*sealed, strict=True)],
        )
    return len(ids)


def recorded_parts(store: Store) -> list[Part]:
    rows = store.fetch_all(
        "SELECT import_id, day, source, events, first_id, last_id, sha256, set_sha256 "
        "FROM batch_parts ORDER BY import_id, day, source"
    )
    return [Part(*row) for row in rows]


def batch_seals(store: Store) -> list[BatchSeal]:
    rows = store.fetch_all(
        "SELECT import_id, hashed, events, sha256 FROM batch_seals ORDER BY import_id"
    )
    return [BatchSeal(*row) for row in rows]


def day_seals(store: Store) -> list[DaySeal]:
    rows = store.fetch_all(
        "SELECT day, sealed, leaves, root, chain, signature, public_key FROM day_seals ORDER BY day"
    )
    return [DaySeal(*row) for row in rows]


def add_day_seal(store: Store, seal: DaySeal) -> None:
    with store.transaction() as con:
        con.execute(
            "INSERT INTO day_seals VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            list(vars(seal).values()),
        )


def ledger_rows(store: Store) -> list[LedgerRow]:
    rows = store.fetch_all("SELECT id, path, status FROM imports ORDER BY id")
    return [LedgerRow(*row) for row in rows]


@dataclass(frozen=True)
class ArchiveRecord:
    """A row of the archive's manifest, as the seal of the day it was written covers it."""

    id: int
    path: str
    source: str
    day: date
    events: int
    first_id: int | None
    last_id: int | None
    sha256: str
    content_sha256: str
    written: datetime
    state: str


@dataclass(frozen=True)
class DeletionRecord:
    """A file deleted after retention, as the seal of the day it was deleted covers it."""

    id: int
    deleted: datetime
    path: str
    source: str
    day: date
    events: int
    sha256: str
    content_sha256: str
    reason: str


def archive_records(store: Store) -> list[ArchiveRecord]:
    """Every file the archive's manifest holds (the source as events have it: '' for none)."""
    rows = store.fetch_all(
        "SELECT id, path, coalesce(NULLIF(source, ?), ''), day, events, first_id, last_id, "
        "sha256, content_sha256, written, state FROM archive_files ORDER BY id",
        [schema.NO_SOURCE],
    )
    return [ArchiveRecord(*row) for row in rows]


def deletion_records(store: Store) -> list[DeletionRecord]:
    rows = store.fetch_all(
        "SELECT id, deleted, path, coalesce(NULLIF(source, ?), ''), day, events, sha256, "
        "content_sha256, reason FROM archive_deletions ORDER BY id",
        [schema.NO_SOURCE],
    )
    return [DeletionRecord(*row) for row in rows]
