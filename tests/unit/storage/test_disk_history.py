"""The disk guard's samples: kept once an hour at most, in the store, and migrated into an
older store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from watchkeeper.core.disk import DiskUse
from watchkeeper.storage import archive_layout, schema
from watchkeeper.storage.disk_history import (
    disk_report,
    folder_bytes,
    record_sample,
    samples,
)
from watchkeeper.storage.store import Store

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
GB = 1_000_000_000


def _use(used: int) -> DiskUse:
    return DiskUse(Path("disk"), total=100 * GB, used=used, free=100 * GB - used)


def test_a_sample_is_kept_once_an_hour_at_most(store: Store) -> None:
    assert record_sample(store, _use(10 * GB), 1000, NOW)
    assert not record_sample(store, _use(11 * GB), 1000, NOW + timedelta(minutes=59))
    assert record_sample(store, _use(12 * GB), 1000, NOW + timedelta(hours=1))
    kept = samples(store, NOW + timedelta(hours=1))
    assert [used for _, used in kept] == [10 * GB, 12 * GB]


def test_the_report_says_not_known_yet_then_days_until_full(store: Store) -> None:
    first = disk_report(store, NOW)
    assert first.days_until_full is None  # one sample
    assert first.stored > 0 and first.archived == 0
    assert first.level in ("ok", "warn", "pause", "spool-only")
    # a day earlier the disk held 1 GB less: it fills at 1 GB a day
    store.cursor().execute(
        "UPDATE disk_samples SET taken = taken - INTERVAL 1 DAY, disk_used = disk_used - ?",
        [GB],
    )
    second = disk_report(store, NOW)
    assert second.days_until_full is not None
    assert abs(second.days_until_full - second.use.free / GB) < 1


def test_samples_older_than_five_weeks_are_dropped(store: Store) -> None:
    record_sample(store, _use(GB), 0, NOW - timedelta(days=40))
    record_sample(store, _use(GB), 0, NOW)
    assert store.fetch_one("SELECT count(*) FROM disk_samples") == (1,)


def test_a_read_only_store_keeps_no_sample_and_still_reports(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    Store(path).close()
    with Store(path, read_only=True) as reader:
        report = disk_report(reader, NOW)
        assert report.days_until_full is None
        assert reader.fetch_one("SELECT count(*) FROM disk_samples") == (0,)


def test_the_archive_beside_the_store_is_counted(store: Store) -> None:
    folder = archive_layout.folder(store.path)
    day = folder / "source=syslog" / "year=2026" / "month=03" / "day=01"
    day.mkdir(parents=True)
    (day / "a.parquet").write_bytes(b"x" * 1234)
    assert folder.name == store.path.name + ".archive"
    assert folder_bytes(folder) == 1234
    assert disk_report(store, NOW).archived == 1234


def test_a_version_5_store_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))
    for statement in schema._V6:
        con.execute(f"DROP TABLE {statement.split()[2]}")
    con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    con.close()
    with Store(path) as reopened:
        assert schema.current_version(reopened.cursor()) == schema.SCHEMA_VERSION
        assert record_sample(reopened, _use(GB), 0, NOW)
        assert samples(reopened, NOW) == [(NOW.replace(tzinfo=None), GB)]
