"""The archive's layout and how the store reads it: hive partitions beside the store, the view
`events` over the hot tables and the archive, recovery after a crash, and what it holds.

`<store>.archive/source=<source>/year=YYYY/month=MM/day=DD/<family>-<stamp>-<n>.parquet`, zstd.
The view reads the archive's files by a pattern relative to the store's folder (DuckDB's
`file_search_path`), so a store moved with its archive keeps reading it. The roll-over itself
is storage/archive.py.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from watchkeeper.core.disk import fsync_folder
from watchkeeper.core.errors import StoreError
from watchkeeper.core.fields import quote_ident, quote_text
from watchkeeper.storage import schema
from watchkeeper.storage.row_hash import content_sql as content_sql
from watchkeeper.storage.store import Store

SUFFIX = ".archive"
STAGING = ".archive-staging"
GLOB = "**/*.parquet"
_GLOB_CHARS = set("*?[]{}")
# the day an event belongs to: its own time, or when it was received when it has none
DAY = "CAST(coalesce(time, received) AS DATE)"


# The archive's files leave `source` to the path and hold dedup_key as text (Parquet has no
# 128-bit integer).
_PARTITION_TYPES = "{'source': 'VARCHAR', 'year': 'INTEGER', 'month': 'INTEGER', 'day': 'INTEGER'}"


def archived_view(table: str) -> str:
    """The view of one event table's archived rows ."""
    return f"{table}_archived"


def archive_read(archive_glob: str | list[str]) -> str:
    """SELECT the archive's events from its Parquet files matching `archive_glob` (a pattern
    relative to the store's folder, or a list of them, which may match nothing), with the
    columns the event tables have."""
    if isinstance(archive_glob, list):
        files = "[" + ", ".join(quote_text(g) for g in archive_glob) + "], allow_empty = true"
    else:
        files = quote_text(archive_glob)
    return (
        f"SELECT * EXCLUDE (year, month, day) REPLACE (NULLIF(source, '{schema.NO_SOURCE}') AS source, "
        f"TRY_CAST(dedup_key AS UHUGEINT) AS dedup_key) FROM read_parquet({files}, "
        f"hive_partitioning = true, union_by_name = true, hive_types = {_PARTITION_TYPES})"
    )


def events_view(archive_glob: str | None) -> str:
    """The statement that (re)defines the view `events`: the hot tables, and the archive's
    files when there are any."""
    if archive_glob is None:
        return "CREATE OR REPLACE VIEW events AS " + schema.HOT
    return f"CREATE OR REPLACE VIEW events AS {schema.HOT} UNION ALL BY NAME {archive_read(archive_glob)}"


def folder(store_path: Path) -> Path:
    """The archive's folder, beside the store's file."""
    return store_path.with_name(store_path.name + SUFFIX)


def staging_folder(store_path: Path) -> Path:
    """Where a roll-over writes its files before they are recorded (beside the archive, so a
    file written there is never read as archived)."""
    return store_path.with_name(store_path.name + STAGING)


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
    first_id: int = 0
    last_id: int = 0
    last_received: datetime | None = None


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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


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
    wanted = {archived_view(schema.event_table(f)) for f in families}
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
        con.execute(events_view(prefix + GLOB if families else None))
        for view in stale:
            con.execute(f"DROP VIEW {quote_ident(view)}")
        for family in families:
            con.execute(
                f"CREATE OR REPLACE VIEW {archived_view(schema.event_table(family))} AS "
                + archive_read(f"{prefix}**/{family}-*.parquet")
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
    return f"(SELECT * FROM {table} UNION ALL BY NAME SELECT * FROM {archived_view(table)})"


def newest_day(store: Store) -> date | None:
    """The newest day the archive holds (events after it are all in the store)."""
    row = store.fetch_one("SELECT max(day) FROM archive_files WHERE state = 'archived'")
    return row[0] if row else None


# beyond this many archived days in a range, the whole archive is read (one pattern)
MOST_DAYS_NAMED = 92


def _naive(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def reading(
    store: Store,
    since: datetime | None = None,
    event_id: int | None = None,
    until: datetime | None = None,
) -> str:
    """What to read the events asked for from, at least cost: `events_hot` (the store alone)
    for a time range after the archive's newest day or an event no archived file holds; the
    store and the archive's files of the range's days (or of the event) when there are few;
    else `events`, the store and the whole archive (slower: a moment a file)."""
    prefix = f"{store.path.name}{SUFFIX}/"
    if event_id is not None:
        rows = store.fetch_all(
            "SELECT path FROM archive_files WHERE state = 'archived' "
            "AND ? BETWEEN first_id AND last_id",
            [event_id],
        )
        return _with_archive([prefix + str(path) for (path,) in rows]) if rows else "events_hot"
    row = store.fetch_one("SELECT min(day), max(day) FROM archive_files WHERE state = 'archived'")
    oldest, newest = row if row else (None, None)
    if newest is None:
        return "events_hot"
    since, until = _naive(since), _naive(until)
    first = max(oldest, since.date()) if since is not None else oldest
    last = min(newest, (until - timedelta(microseconds=1)).date()) if until is not None else newest
    if last < first:
        return "events_hot"
    days = (last - first).days + 1
    if days > MOST_DAYS_NAMED or (since is None and until is None):
        return "events"
    return _with_archive(
        [
            f"{prefix}source=*/year={d.year:04d}/month={d.month:02d}/day={d.day:02d}/*.parquet"
            for d in (first + timedelta(days=n) for n in range(days))
        ]
    )


def _with_archive(patterns: list[str]) -> str:
    """The store and the archive's files matching `patterns`, as one relation."""
    return f"(SELECT * FROM events_hot UNION ALL BY NAME {archive_read(patterns)})"


def recover(store: Store) -> list[str]:
    """After a crash: move into the archive the staged files the manifest holds (their rows
    left the store), remove the ones it does not (their rows are still in the store), and make
    the view match. Returns what it did."""
    base, staging = folder(store.path), staging_folder(store.path)
    done: list[str] = []
    if staging.is_dir():
        recorded = {
            path
            for (path,) in store.fetch_all(
                "SELECT path FROM archive_files WHERE state = 'archived'"
            )
        }
        for chunk in sorted(p for p in staging.iterdir() if p.is_dir()):
            for staged in sorted(chunk.rglob("*.parquet")):
                relative = staged.relative_to(chunk).as_posix()
                if relative in recorded and not (base / relative).exists():
                    publish(staged, base / relative)
                    done.append(f"finished archiving {relative}")
                else:
                    done.append(f"removed the unfinished {relative}")
        shutil.rmtree(staging, ignore_errors=True)
    show_archive(store)
    return done


def publish(staged: Path, target: Path) -> None:
    """Move a staged file to its place in the archive, durably."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged.replace(target)
    fsync_folder(target.parent)


def configure(con: duckdb.DuckDBPyConnection, store_path: Path) -> None:
    """Relative paths in queries (the view's archive pattern) are read beside the store.
    (DuckDB's cache of Parquet footers took 110 MB for 720 files and saved no time.)"""
    con.execute(f"SET GLOBAL file_search_path = {quote_text(str(store_path.parent.resolve()))}")


def files(store: Store) -> list[ArchivedFile]:
    rows = store.fetch_all(
        "SELECT id, path, NULLIF(source, ?), day, events, bytes, sha256, content_sha256 "
        "FROM archive_files WHERE state = 'archived' ORDER BY day, source, id",
        [schema.NO_SOURCE],
    )
    return [ArchivedFile(*row) for row in rows]


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
