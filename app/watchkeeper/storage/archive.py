"""The archive: closed days rolled over from the store into hive-partitioned Parquet files.

`<store>.archive/source=<source>/year=YYYY/month=MM/day=DD/<family>-<stamp>-<first id>.parquet`,
zstd, rows sorted by host, channel, event id and time so that neighbours look alike. One
roll-over moves one day of one source out of one event table, in steps that a crash at any
point leaves either wholly in the store or wholly in the archive:

1. write the file under a `.pending` name and sync it;
2. read it back and compare its rows (count, ids, a hash of their content) with the store's;
3. in one transaction: record it in the manifest (`archive_files`) and delete its rows;
4. give it its final name, which the view `events` reads (`*.parquet`);
5. make the view read the archive, the first time.

`recover()`, run when the store opens for writing, finishes step 4 for a file the manifest
holds and removes a `.pending` file it does not. The view reads the archive's files by glob
relative to the store's folder (DuckDB's `file_search_path`), so a store moved with its archive
keeps reading it.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from watchkeeper.core.disk import fsync_folder
from watchkeeper.core.errors import StoreError
from watchkeeper.core.fields import COMMON_COLUMNS, quote_ident, quote_text
from watchkeeper.core.progress import Progress
from watchkeeper.storage import schema
from watchkeeper.storage.store import Store

SUFFIX = ".archive"
PENDING = ".pending"
GLOB = "**/*.parquet"
# the order rows are written in: events alike sit together and compress well
_SORT = "host, channel, event_id, time, id"
_SAFE_SOURCE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_GLOB_CHARS = set("*?[]{}")
# the day an event belongs to: its own time, or when it was received when it has none
DAY = "CAST(coalesce(time, received) AS DATE)"


def folder(store_path: Path) -> Path:
    """The archive's folder, beside the store's file."""
    return store_path.with_name(store_path.name + SUFFIX)


def view_glob(store_path: Path) -> str:
    """The archive's files as the view names them: relative to the store's folder."""
    name = store_path.name + SUFFIX
    if _GLOB_CHARS & set(name):
        raise StoreError(
            f"The store's file name {store_path.name!r} holds a character ({''.join(sorted(_GLOB_CHARS))}) "
            "that file patterns use; rename the store to archive it."
        )
    return f"{name}/{GLOB}"


@dataclass(frozen=True)
class Partition:
    """One day of one source in one event table: what one roll-over moves."""

    table: str
    source: str | None
    day: date
    events: int


@dataclass(frozen=True)
class ArchivedFile:
    id: int
    path: str
    source: str | None
    day: date
    events: int
    bytes: int
    sha256: str
    content_sha256: str


def due(store: Store, hot_days: int, now: datetime) -> list[Partition]:
    """The closed days older than the hot window still in the store, oldest first."""
    cutoff = now.date() - timedelta(days=hot_days)
    found: list[Partition] = []
    for table in schema.EVENT_TABLES:
        rows = store.fetch_all(
            f"SELECT source, {DAY} AS day, count(*) FROM {table} WHERE {DAY} < ? GROUP BY ALL",
            [cutoff],
        )
        found += [Partition(table, source, day, int(n)) for source, day, n in rows]
    return sorted(found, key=lambda p: (p.day, p.source or "", p.table))


def _partition_value(source: str | None) -> str:
    if source is None:
        return schema.NO_SOURCE
    if not _SAFE_SOURCE.fullmatch(source) or source == schema.NO_SOURCE:
        raise StoreError(f"The source name {source!r} cannot name an archive folder.")
    return source


def relative_path(partition: Partition, name: str) -> str:
    day = partition.day
    return (
        f"source={_partition_value(partition.source)}/year={day.year:04d}/"
        f"month={day.month:02d}/day={day.day:02d}/{name}"
    )


def _where(partition: Partition) -> str:
    """The partition's rows; its values are the store's own (a date, a checked source name)."""
    start = partition.day.isoformat()
    end = (partition.day + timedelta(days=1)).isoformat()
    source = (
        "source IS NULL" if partition.source is None else f"source = {quote_text(partition.source)}"
    )
    return (
        f"{source} AND coalesce(time, received) >= DATE '{start}' "
        f"AND coalesce(time, received) < DATE '{end}'"
    )


def _columns(store: Store, partition: Partition) -> list[str]:
    """The columns the file keeps: every common one but `source` (the path holds it), and the
    field columns that have a value in this partition."""
    columns = list(store.table_columns(partition.table).values())
    fields = [c for c in columns if c.lower() not in COMMON_COLUMNS]
    filled: list[str] = []
    for start in range(0, len(fields), 500):
        chunk = fields[start : start + 500]
        counts = store.fetch_one(
            "SELECT "
            + ", ".join(f"count({quote_ident(c)})" for c in chunk)
            + f" FROM {partition.table} WHERE {_where(partition)}"
        )
        filled += [c for c, n in zip(chunk, counts or (), strict=False) if n]
    common = [c for c in columns if c.lower() in COMMON_COLUMNS and c.lower() != "source"]
    return common + filled


def _select(columns: list[str]) -> str:
    return ", ".join(
        f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}"
        if c.lower() == "dedup_key"
        else quote_ident(c)
        for c in columns
    )


def content_sql(columns: list[str]) -> str:
    """An aggregate over rows: the SHA-256 of their content in id order, each row the names and
    values of its non-NULL columns, the same whether read from the store or from Parquet."""
    parts = ", ".join(
        f"CASE WHEN {quote_ident(c)} IS NOT NULL THEN {quote_text(c)} || chr(31) || "
        f"CAST({quote_ident(c)} AS VARCHAR) END"
        for c in columns
    )
    return f"sha256(string_agg(md5(concat_ws(chr(30), {parts})), '' ORDER BY id))"


def _check_sql(columns: list[str], source: str) -> str:
    return f"SELECT count(*), min(id), max(id), {content_sql(columns)} FROM {source}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def roll_over(store: Store, partition: Partition, now: datetime) -> ArchivedFile | None:
    """Move one partition out of the store into one Parquet file (see the module's steps);
    None when another run moved it meanwhile."""
    base = folder(store.path)
    with store.write_lock:
        left = store.fetch_one(f"SELECT count(*) FROM {partition.table} WHERE {_where(partition)}")
        if not left or not left[0]:
            return None
        columns = _columns(store, partition)
        first = store.fetch_one(
            f"SELECT min(id), max(received) FROM {partition.table} WHERE {_where(partition)}"
        ) or (0, None)
        family = partition.table.removeprefix("events_")
        name = f"{family}-{now:%Y%m%dT%H%M%S}-{first[0]}.parquet"
        relative = relative_path(partition, name)
        target = base / relative
        pending = target.with_name(name + PENDING)
        _write(store, partition, columns, pending)
        expected = _check(store, partition, columns, pending)
        archived = ArchivedFile(
            id=0,
            path=relative,
            source=partition.source,
            day=partition.day,
            events=int(expected[0]),
            bytes=pending.stat().st_size,
            sha256=file_sha256(pending),
            content_sha256=str(expected[3]),
        )
        archived = _record(store, partition, archived, (expected[1], expected[2]), first[1], now)
        _publish(pending, target)
        show_archive(store)
    return archived


def _write(store: Store, partition: Partition, columns: list[str], pending: Path) -> None:
    pending.parent.mkdir(parents=True, exist_ok=True)
    with store.reading() as cursor:
        cursor.execute(
            f"COPY (SELECT {_select(columns)} FROM {partition.table} WHERE {_where(partition)} "
            f"ORDER BY {_SORT}) TO {quote_text(str(pending))} "
            "(FORMAT parquet, COMPRESSION zstd)"
        )
    _sync(pending)
    fsync_folder(pending.parent)


def _check(
    store: Store, partition: Partition, columns: list[str], pending: Path
) -> tuple[int, int, int, str]:
    """Read the file back: the same rows as the store holds, or the roll-over stops here."""
    kept = list(columns)
    held = store.fetch_one(
        _check_sql(
            kept, f"(SELECT {_select(kept)} FROM {partition.table} WHERE {_where(partition)})"
        )
    )
    written = store.fetch_one(_check_sql(kept, f"read_parquet({quote_text(str(pending))})"))
    if held is None or held != written:
        pending.unlink(missing_ok=True)
        raise StoreError(
            f"The archive file for {partition.source} on {partition.day} did not read back "
            "as written; nothing was moved, and the day stays in the store."
        )
    return (int(held[0]), int(held[1]), int(held[2]), str(held[3]))


def _record(
    store: Store,
    partition: Partition,
    archived: ArchivedFile,
    ids: tuple[int, int],
    last_received: datetime | None,
    now: datetime,
) -> ArchivedFile:
    with store.transaction() as con:
        row = con.execute(
            "INSERT INTO archive_files (id, path, event_table, source, day, events, bytes, "
            "sha256, content_sha256, first_id, last_id, last_received, written, state) SELECT "
            "coalesce(max(id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'archived' "
            "FROM archive_files RETURNING id",
            [
                archived.path,
                partition.table,
                partition.source or schema.NO_SOURCE,
                partition.day,
                archived.events,
                archived.bytes,
                archived.sha256,
                archived.content_sha256,
                ids[0],
                ids[1],
                last_received,
                now.replace(tzinfo=None),
            ],
        ).fetchone()
        deleted = con.execute(
            f"DELETE FROM {partition.table} WHERE {_where(partition)} AND id BETWEEN ? AND ?",
            [ids[0], ids[1]],
        ).fetchone()
        if deleted is None or int(deleted[0]) != archived.events:
            raise StoreError(
                f"The store's rows for {partition.source} on {partition.day} changed while "
                "they were archived; nothing was moved, and the day stays in the store."
            )
    return ArchivedFile(**{**archived.__dict__, "id": int(row[0]) if row else 0})


def _publish(pending: Path, target: Path) -> None:
    os.replace(pending, target)
    fsync_folder(target.parent)


def _families_with_files(base: Path) -> list[str]:
    """The event tables (by family) whose rows the archive holds files of."""
    if not base.is_dir():
        return []
    found = {
        path.name.split("-", 1)[0] for path in base.glob("source=*/year=*/month=*/day=*/*.parquet")
    }
    return [family for family in schema.FAMILIES if family in found]


def show_archive(store: Store) -> None:
    """Make the view `events` read the archive when it has files, and only the store when not
    (a pattern that matches no file is an error in DuckDB); and give each event table with
    archived rows a view of them (`events_windows_archived`...) for detection's re-hunts."""
    families = _families_with_files(folder(store.path))
    views = {
        name
        for (name,) in store.fetch_all(
            "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND internal = false"
        )
    }
    wanted = {schema.archived_view(schema.event_table(f)) for f in families}
    stale = {v for v in views if v.endswith("_archived")} - wanted
    definition = store.fetch_one(
        "SELECT sql FROM duckdb_views() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND view_name = 'events'"
    )
    reads_archive = bool(definition and "read_parquet" in str(definition[0]))
    if reads_archive == bool(families) and wanted <= views and not stale:
        return
    prefix = view_glob(store.path).removesuffix(GLOB)
    with store.transaction() as con:
        con.execute(schema.events_view(prefix + GLOB if families else None))
        for view in stale:
            con.execute(f"DROP VIEW {quote_ident(view)}")
        for family in families:
            con.execute(
                f"CREATE OR REPLACE VIEW {schema.archived_view(schema.event_table(family))} AS "
                + schema.archive_read(f"{prefix}**/{family}-*.parquet")
            )
    store.refresh_columns()


def relation(store: Store, table: str, low: int = -1, high: int | None = None) -> str:
    """What to read one event table's rows (with ids in (low, high]) from: the table, or the
    table and its archived rows when the archive holds some of them."""
    row = store.fetch_one(
        "SELECT count(*) FROM archive_files WHERE state = 'archived' AND event_table = ? "
        "AND last_id > ? AND (? OR first_id <= ?)",
        [table, low, high is None, high or 0],
    )
    if not row or not row[0]:
        return table
    return f"(SELECT * FROM {table} UNION ALL BY NAME SELECT * FROM {schema.archived_view(table)})"


def recover(store: Store) -> list[str]:
    """After a crash: finish publishing files the manifest holds, remove pending files it does
    not (their rows are still in the store), and make the view match. Returns what it did."""
    base = folder(store.path)
    done: list[str] = []
    if base.is_dir():
        recorded = {
            path
            for (path,) in store.fetch_all(
                "SELECT path FROM archive_files WHERE state = 'archived'"
            )
        }
        for pending in base.glob(f"source=*/year=*/month=*/day=*/*.parquet{PENDING}"):
            relative = pending.relative_to(base).as_posix().removesuffix(PENDING)
            if relative in recorded and not (base / relative).exists():
                _publish(pending, base / relative)
                done.append(f"finished archiving {relative}")
            else:
                pending.unlink()
                done.append(f"removed the unfinished {relative}")
    show_archive(store)
    return done


def configure(con: duckdb.DuckDBPyConnection, store_path: Path) -> None:
    """Relative paths in queries (the view's archive pattern) are read beside the store, and
    the archive's Parquet footers are read once, not at every query."""
    con.execute(f"SET GLOBAL file_search_path = {quote_text(str(store_path.parent.resolve()))}")
    con.execute("SET GLOBAL parquet_metadata_cache = true")


def files(store: Store) -> list[ArchivedFile]:
    rows = store.fetch_all(
        "SELECT id, path, NULLIF(source, ?), day, events, bytes, sha256, content_sha256 "
        "FROM archive_files WHERE state = 'archived' ORDER BY day, source, id",
        [schema.NO_SOURCE],
    )
    return [ArchivedFile(*row) for row in rows]


def run(
    store: Store, hot_days: int, now: datetime, progress: Progress | None = None
) -> list[ArchivedFile]:
    """Roll over every partition due, oldest first; Cancel stops between partitions."""
    view_glob(store.path)  # a name the view cannot read the archive by is refused first
    waiting = due(store, hot_days, now)
    written: list[ArchivedFile] = []
    total = sum(p.events for p in waiting)
    done = 0
    for partition in waiting:
        if progress is not None:
            progress.update(
                stage="Archiving",
                item=f"{partition.source or 'no source'}, {partition.day:%d %b %Y}",
                done=done,
                total=total,
            )
        moved = roll_over(store, partition, now)
        if moved is not None:
            written.append(moved)
        done += partition.events
    if progress is not None:
        progress.update(done=done, total=total)
    return written


@dataclass(frozen=True)
class ArchiveSummary:
    """What the archive holds, from its manifest."""

    files: int
    events: int
    bytes: int
    days: int
    oldest: date | None
    newest: date | None


def summary(store: Store) -> ArchiveSummary:
    row = store.fetch_one(
        "SELECT count(*), coalesce(sum(events), 0), coalesce(sum(bytes), 0), "
        "count(DISTINCT day), min(day), max(day) FROM archive_files WHERE state = 'archived'"
    )
    files, events, size, days, oldest, newest = row or (0, 0, 0, 0, None, None)
    return ArchiveSummary(int(files), int(events), int(size), int(days), oldest, newest)


def hot_events(store: Store) -> int:
    """The events in the store itself, not archived."""
    row = store.fetch_one(
        "SELECT " + " + ".join(f"(SELECT count(*) FROM {t})" for t in schema.EVENT_TABLES)
    )
    return int(row[0]) if row else 0
