"""The roll-over: closed days past the hot window moved from the store into the archive.

Days go a chunk at a time (consecutive days of one event table, up to a million events or a
month), each day and source of it one hive partition (storage/archive_layout.py), rows sorted
by host, channel, event id and time so that neighbours look alike. The steps, which a crash at
any point leaves with every event either in the store or in the archive:

1. `_write`: the chunk's rows copied into Parquet files under the staging folder, synced;
2. `_check`: the files read back: for each day and source the same number of rows, the same
   ids and the same content hash as the store holds, or nothing moves;
3. `_record`: in one transaction, the manifest (`archive_files`) gets a row for each file and
   the chunk's rows leave the store;
4. `_publish`: each file moved from staging to its place in the archive;
5. `show_archive`: the view reads the archive, the first time.

`archive_layout.recover()`, when the store opens for writing, finishes step 4 for files the
manifest holds and removes staged files it does not.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from watchkeeper.core.disk import fsync_folder
from watchkeeper.core.errors import StoreError
from watchkeeper.core.fields import COMMON_COLUMNS, quote_ident, quote_text
from watchkeeper.core.progress import Progress
from watchkeeper.storage import schema
from watchkeeper.storage.archive_layout import DAY as DAY
from watchkeeper.storage.archive_layout import GLOB as GLOB
from watchkeeper.storage.archive_layout import ArchivedFile as ArchivedFile
from watchkeeper.storage.archive_layout import ArchiveSummary as ArchiveSummary
from watchkeeper.storage.archive_layout import Partition as Partition
from watchkeeper.storage.archive_layout import configure as configure
from watchkeeper.storage.archive_layout import content_sql as content_sql
from watchkeeper.storage.archive_layout import due as due
from watchkeeper.storage.archive_layout import file_sha256 as file_sha256
from watchkeeper.storage.archive_layout import files as files
from watchkeeper.storage.archive_layout import folder as folder
from watchkeeper.storage.archive_layout import hot_events as hot_events
from watchkeeper.storage.archive_layout import publish as publish
from watchkeeper.storage.archive_layout import recover as recover
from watchkeeper.storage.archive_layout import relation as relation
from watchkeeper.storage.archive_layout import show_archive as show_archive
from watchkeeper.storage.archive_layout import staging_folder as staging_folder
from watchkeeper.storage.archive_layout import summary as summary
from watchkeeper.storage.archive_layout import view_glob as view_glob
from watchkeeper.storage.store import Store

CHUNK_EVENTS = 1_000_000
CHUNK_DAYS = 31
_SAFE_SOURCE = re.compile(r"[A-Za-z0-9._-]{1,64}")
# the order rows are written in: events alike sit together and compress well
_SORT = "host, channel, event_id, time, id"
# the partition columns (in the path): a field of the same name could not be told apart
_PARTITIONS = ("source", "year", "month", "day")
_HIVE = (
    "hive_partitioning = true, union_by_name = true, hive_types = "
    "{'source': 'VARCHAR', 'year': 'INTEGER', 'month': 'INTEGER', 'day': 'INTEGER'}"
)


@dataclass(frozen=True)
class Chunk:
    """Consecutive closed days of one event table, moved in one step."""

    table: str
    first: date
    last: date  # included
    events: int

    @property
    def where(self) -> str:
        """Its rows; the values are the store's own dates."""
        end = self.last + timedelta(days=1)
        return (
            f"coalesce(time, received) >= DATE '{self.first.isoformat()}' "
            f"AND coalesce(time, received) < DATE '{end.isoformat()}'"
        )


def chunks(partitions: list[Partition], limit: int = CHUNK_EVENTS) -> list[Chunk]:
    """The partitions due, as chunks of whole days of one table, oldest first."""
    by_day: dict[tuple[str, date], int] = {}
    for p in partitions:
        by_day[(p.table, p.day)] = by_day.get((p.table, p.day), 0) + p.events
    found: list[Chunk] = []
    for (table, day), events in sorted(by_day.items()):
        last = found[-1] if found and found[-1].table == table else None
        if (
            last is not None
            and last.events + events <= limit
            and (day - last.first).days < CHUNK_DAYS
        ):
            found[-1] = replace(last, last=day, events=last.events + events)
        else:
            found.append(Chunk(table, day, day, events))
    return sorted(found, key=lambda c: (c.first, c.table))


def _columns(store: Store, chunk: Chunk) -> dict[tuple[str, date], list[str]]:
    """For each day and source of the chunk, the columns its file keeps: every common one but
    `source` (the path holds it), and the field columns with a value that day (a file's width
    is what reading it costs: a syslog day has 25 columns, not the Windows table's hundreds)."""
    columns = list(store.table_columns(chunk.table).values())
    fields = [c for c in columns if c.lower() not in COMMON_COLUMNS]
    common = [c for c in columns if c.lower() in COMMON_COLUMNS and c.lower() != "source"]
    kept: dict[tuple[str, date], list[str]] = {}
    key = f"coalesce(source, '{schema.NO_SOURCE}'), {DAY}"
    for start in range(0, max(len(fields), 1), 500):
        part = fields[start : start + 500]
        counts = ", ".join(["count(*)", *(f"count({quote_ident(c)})" for c in part)])
        for source, day, *filled in store.fetch_all(
            f"SELECT {key}, {counts} FROM {chunk.table} WHERE {chunk.where} GROUP BY 1, 2"
        ):
            names = kept.setdefault((source, day), list(common))
            names += [c for c, n in zip(part, filled[1:], strict=True) if n]
    for (_source, day), names in kept.items():
        clashing = [c for c in names if c.lower() in _PARTITIONS]
        if clashing:
            raise StoreError(
                f"Events of {day:%d %b %Y} have a field named {clashing[0]!r}, as the archive "
                "names its folders; they stay in the store."
            )
    return kept


def _select(columns: list[str]) -> str:
    return ", ".join(
        f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}"
        if c.lower() == "dedup_key"
        else quote_ident(c)
        for c in columns
    )


def roll_over(store: Store, chunk: Chunk, now: datetime, number: int = 0) -> list[ArchivedFile]:
    """Move one chunk out of the store into the archive (see the module's steps); nothing
    when another run moved it meanwhile."""
    family = chunk.table.removeprefix("events_")
    stamp = f"{family}-{now:%Y%m%dT%H%M%S}-{number}"
    staged = staging_folder(store.path) / stamp
    with store.write_lock:
        left = store.fetch_one(f"SELECT count(*) FROM {chunk.table} WHERE {chunk.where}")
        if not left or not left[0]:
            return []
        columns = _columns(store, chunk)
        _write(store, chunk, columns, staged, stamp)
        written = _check(store, chunk, columns, staged)
        archived = _record(store, chunk, written, now)
        for item in archived:
            _publish(staged / item.path, folder(store.path) / item.path)
        _tidy(staged)
        show_archive(store)
    return archived


def _write(
    store: Store,
    chunk: Chunk,
    columns: dict[tuple[str, date], list[str]],
    staged: Path,
    stamp: str,
) -> None:
    """One file for each day and source, with its own columns, under `staged`."""
    with store.reading() as cursor:
        for (source, day), names in sorted(columns.items()):
            target = staged / relative_path(source, day, f"{stamp}.parquet")
            target.parent.mkdir(parents=True, exist_ok=True)
            cursor.execute(
                f"COPY (SELECT {_select(names)} FROM {chunk.table} WHERE {_day_where(source, day)} "
                f"ORDER BY {_SORT}) TO {quote_text(str(target))} (FORMAT parquet, COMPRESSION zstd)"
            )
            _sync(target)
            fsync_folder(target.parent)


def relative_path(source: str, day: date, name: str) -> str:
    """A file's place in the archive: its day and source as hive partitions."""
    if not _SAFE_SOURCE.fullmatch(source):
        raise StoreError(f"The source name {source!r} cannot name an archive folder.")
    return f"source={source}/year={day.year:04d}/month={day.month:02d}/day={day.day:02d}/{name}"


def _day_where(source: str, day: date) -> str:
    """One day of one source; written so the table's zone maps on time skip other days."""
    start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
    which = "source IS NULL" if source == schema.NO_SOURCE else f"source = {quote_text(source)}"
    return (
        f"{which} AND ((time >= DATE '{start}' AND time < DATE '{end}') OR (time IS NULL "
        f"AND received >= DATE '{start}' AND received < DATE '{end}'))"
    )


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# ids hashed together when files are read back, and read per query (whole chunks): hashing a
# million events in one aggregate took more memory than DuckDB is given
CHECK_IDS = 65_536
CHECK_SLICE = 8 * CHECK_IDS


def _check(
    store: Store, chunk: Chunk, columns: dict[tuple[str, date], list[str]], staged: Path
) -> list[ArchivedFile]:
    """Read the files back: per day, source and slice of ids the rows the store holds, or
    nothing moves. Returns the files with their figures (paths relative to the staging
    folder); a file's content hash is that of its slices' hashes, in order."""
    content = content_sql(list(dict.fromkeys(c for names in columns.values() for c in names)))
    pattern = quote_text(f"{staged}/{GLOB}")
    bounds = store.fetch_one(f"SELECT min(id), max(id) FROM {chunk.table} WHERE {chunk.where}")
    low, high = (int(bounds[0]), int(bounds[1])) if bounds and bounds[0] is not None else (0, -1)
    held: list[tuple[object, ...]] = []
    read: list[tuple[object, ...]] = []
    files: dict[str, list[tuple[object, ...]]] = {}
    for start in range(low // CHECK_IDS * CHECK_IDS, high + 1, CHECK_SLICE):
        ids = f"id BETWEEN {start} AND {start + CHECK_SLICE - 1}"
        held += store.fetch_all(
            f"SELECT coalesce(source, '{schema.NO_SOURCE}'), {DAY}, id // {CHECK_IDS}, count(*), "
            f"{content} FROM (SELECT * REPLACE (CAST(dedup_key AS VARCHAR) AS dedup_key) "
            f"FROM {chunk.table} WHERE {chunk.where} AND {ids}) GROUP BY ALL"
        )
        for name, *row in store.fetch_all(
            f"SELECT filename, source, make_date(year, month, day), id // {CHECK_IDS}, count(*), "
            f"{content}, min(id), max(id), max(received) FROM read_parquet({pattern}, "
            f"filename = true, {_HIVE}) WHERE {ids} GROUP BY ALL"
        ):
            read.append(tuple(row[:5]))
            files.setdefault(str(name), []).append(tuple(row))
    if sorted(held, key=repr) != sorted(read, key=repr):
        raise _not_read_back(chunk, staged)
    return [_figures(staged, Path(name), rows) for name, rows in sorted(files.items())]


def _figures(staged: Path, path: Path, rows: list[tuple[object, ...]]) -> ArchivedFile:
    """A staged file's manifest figures from its slices' (source, day, slice, count, hash,
    first id, last id, last received)."""
    rows.sort(key=lambda row: int(str(row[2])))
    source, day = str(rows[0][0]), rows[0][1]
    assert isinstance(day, date)
    received = [r[7] for r in rows if isinstance(r[7], datetime)]
    return ArchivedFile(
        id=0,
        path=path.relative_to(staged).as_posix(),
        source=None if source == schema.NO_SOURCE else source,
        day=day,
        events=sum(int(str(r[3])) for r in rows),
        bytes=path.stat().st_size,
        sha256=file_sha256(path),
        content_sha256=hashlib.sha256(",".join(str(r[4]) for r in rows).encode()).hexdigest(),
        first_id=min(int(str(r[5])) for r in rows),
        last_id=max(int(str(r[6])) for r in rows),
        last_received=max(received) if received else None,
    )


def _not_read_back(chunk: Chunk, staged: Path) -> StoreError:
    _tidy(staged, everything=True)
    return StoreError(
        f"The archive files for {chunk.first:%d %b %Y} to {chunk.last:%d %b %Y} did not read "
        "back as written; nothing was moved, and those days stay in the store."
    )


def _record(
    store: Store, chunk: Chunk, written: list[ArchivedFile], now: datetime
) -> list[ArchivedFile]:
    moment = now.replace(tzinfo=None)
    with store.transaction() as con:
        top = con.execute("SELECT coalesce(max(id), 0) FROM archive_files").fetchone()
        first_id = int(top[0]) + 1 if top else 1
        rows = [
            (
                first_id + n,
                f.path,
                chunk.table,
                f.source or schema.NO_SOURCE,
                f.day,
                f.events,
                f.bytes,
                f.sha256,
                f.content_sha256,
                f.first_id,
                f.last_id,
                f.last_received,
                moment,
                "archived",
            )
            for n, f in enumerate(written)
        ]
        con.executemany(
            "INSERT INTO archive_files (id, path, event_table, source, day, events, bytes, "
            "sha256, content_sha256, first_id, last_id, last_received, written, state) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        deleted = con.execute(f"DELETE FROM {chunk.table} WHERE {chunk.where}").fetchone()
        if deleted is None or int(deleted[0]) != sum(f.events for f in written):
            raise StoreError(
                f"The store's events of {chunk.first:%d %b %Y} to {chunk.last:%d %b %Y} changed "
                "while they were archived; nothing was moved, and they stay in the store."
            )
    return [replace(f, id=first_id + n) for n, f in enumerate(written)]


def _publish(staged: Path, target: Path) -> None:
    publish(staged, target)


def _tidy(staged: Path, everything: bool = False) -> None:
    """Remove the chunk's staging folder once its files are in place (or all of it, after a
    failed check)."""
    import shutil

    if everything or not any(staged.rglob("*.parquet")):
        shutil.rmtree(staged, ignore_errors=True)
    parent = staged.parent
    if parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()


def run(
    store: Store, hot_days: int, now: datetime, progress: Progress | None = None
) -> list[ArchivedFile]:
    """Roll over every closed day past the hot window, oldest first; Cancel stops between
    chunks."""
    view_glob(store.path)  # a name the view cannot read the archive by is refused first
    waiting = chunks(due(store, hot_days, now))
    written: list[ArchivedFile] = []
    total = sum(c.events for c in waiting)
    done = 0
    for number, chunk in enumerate(waiting):
        if progress is not None:
            progress.update(
                stage="Archiving",
                item=f"{chunk.first:%d %b %Y} to {chunk.last:%d %b %Y}",
                done=done,
                total=total,
            )
        written += roll_over(store, chunk, now, number)
        done += chunk.events
    if progress is not None:
        progress.update(done=done, total=total)
    return written
