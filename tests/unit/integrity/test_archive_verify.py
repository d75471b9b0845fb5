"""Verify with the archive: archived events hash as they did in the store, and a Parquet file
changed, removed or added, or the manifest edited, is named; retention's deletions are not."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from tests.unit.storage.archive_samples import write_logs

from watchkeeper.ingest.importer import import_paths
from watchkeeper.integrity.sealing import seal_due
from watchkeeper.integrity.signing import load_key
from watchkeeper.integrity.verify import DELETED, FAIL, PASS, Report, verify
from watchkeeper.storage import archive, archive_deletions, seals
from watchkeeper.storage.store import Store

HOT_DAYS = 30


@pytest.fixture
def archived(tmp_path: Path) -> tuple[Path, datetime]:
    """A store whose three sources' two old days were rolled over, sealed the next day."""
    now = datetime.now(UTC)
    days = [
        (now - timedelta(days=ago)).replace(hour=0, minute=0, second=0, microsecond=0)
        for ago in (101, 100)
    ]
    path = tmp_path / "w.duckdb"
    with Store(path) as store:
        summary = import_paths(store, write_logs(tmp_path / "logs", days))
        assert summary.count("imported") == 3
        written = archive.run(store, HOT_DAYS, now)
        assert len(written) == 6  # two days of three sources
        assert store.fetch_one("SELECT count(*) FROM events_unix") == (0,)
        seal_due(store, now + timedelta(days=1))
    return path, now + timedelta(days=1)


def _verify(path: Path, now: datetime) -> Report:
    with Store(path) as store:
        return verify(store, now, load_key(create=False).public_text)


def _files(path: Path) -> list[Path]:
    return sorted(archive.folder(path).glob(archive.GLOB))


def test_archived_events_verify_pass(archived: tuple[Path, datetime]) -> None:
    path, now = archived
    report = _verify(path, now)
    assert report.problems == []
    assert {r.status for r in report.results} == {PASS}
    assert len(report.results) == 6 and sum(r.events for r in report.results) == 36


def test_a_parquet_file_changed_is_named(archived: tuple[Path, datetime]) -> None:
    path, now = archived
    target = next(f for f in _files(path) if "source=syslog" in f.as_posix())
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE ('all quiet' AS message) FROM read_parquet('{target}')) "
        f"TO '{target}.new' (FORMAT parquet)"
    )
    con.close()
    Path(f"{target}.new").replace(target)
    report = _verify(path, now)
    hows = {(p.how, p.source) for p in report.problems}
    assert ("changed", "syslog") in hows
    assert any("was changed after it was written" in p.text for p in report.problems)
    assert report.exit_code == 1


def test_a_parquet_file_removed_is_named(archived: tuple[Path, datetime]) -> None:
    path, now = archived
    target = next(f for f in _files(path) if "source=syslog" in f.as_posix())
    target.unlink()
    report = _verify(path, now)
    [missing_file] = [p for p in report.problems if "archive file" in p.text]
    assert missing_file.how == "missing" and target.name in missing_file.text
    assert any(p.how == "missing" and p.batch is not None for p in report.problems)


def test_a_parquet_file_added_is_named(archived: tuple[Path, datetime]) -> None:
    path, now = archived
    target = _files(path)[0]
    shutil.copy(target, target.with_name("planted.parquet"))
    report = _verify(path, now)
    [added] = [p for p in report.problems if "never wrote" in p.text]
    assert added.how == "added" and "planted.parquet" in added.text
    assert report.exit_code == 1


def test_the_manifest_edited_is_named(archived: tuple[Path, datetime]) -> None:
    path, now = archived
    con = duckdb.connect(str(path))
    con.execute("UPDATE archive_files SET events = events - 1 WHERE id = 2")
    con.close()
    report = _verify(path, now)
    [problem] = report.problems
    assert problem.how == "manifest" and "archive_files" in problem.text


def test_the_manifest_hash_edited_to_match_a_changed_file_is_named(
    archived: tuple[Path, datetime],
) -> None:
    path, now = archived
    target = _files(path)[0]
    target.write_bytes(target.read_bytes())  # the same bytes: the file is unchanged
    con = duckdb.connect(str(path))
    con.execute("UPDATE archive_files SET sha256 = sha256 || '0' WHERE id = 1")
    con.close()
    hows = {p.how for p in _verify(path, now).problems}
    assert hows == {"changed", "manifest"}


def test_days_deleted_after_retention_are_accounted_for(archived: tuple[Path, datetime]) -> None:
    path, sealed = archived
    later = sealed + timedelta(days=200)
    with Store(path) as store:
        assert archive_deletions.mark_expired(store, 3, later) == 6
        assert len(archive_deletions.delete_due(store, 3, later + timedelta(days=2))) == 6
        assert store.event_count() == 0
        seal_due(store, later + timedelta(days=3))
    report = _verify(path, later + timedelta(days=3))
    assert report.problems == []
    assert [(r.status, r.deleted) for r in report.results] == [(DELETED, 6)] * 6


def test_a_deleted_day_without_its_deletion_record_is_missing(
    archived: tuple[Path, datetime],
) -> None:
    path, sealed = archived
    later = sealed + timedelta(days=200)
    with Store(path) as store:
        archive_deletions.mark_expired(store, 3, later)
        archive_deletions.delete_due(store, 3, later + timedelta(days=2))
        store.cursor().execute("DELETE FROM archive_deletions WHERE id = 1")
    report = _verify(path, later + timedelta(days=3))
    assert [r.status for r in report.results].count(FAIL) == 1
    assert any(p.how == "missing" for p in report.problems)


def test_a_batch_rolled_over_before_it_was_hashed_is_hashed_from_the_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window may roll days over while an import of old logs is still running."""
    now = datetime.now(UTC)
    day = (now - timedelta(days=100)).replace(hour=0, minute=0, second=0, microsecond=0)
    path = tmp_path / "w.duckdb"
    with Store(path) as store:
        monkeypatch.setattr(seals, "record_batches", lambda store, now: 0)
        import_paths(store, write_logs(tmp_path / "logs", [day]))
        monkeypatch.undo()
        assert len(archive.run(store, HOT_DAYS, now + timedelta(seconds=1))) == 3
        assert seals.record_batches(store, now) == 3
        assert store.fetch_one("SELECT sum(events) FROM batch_seals") == (18,)
        seal_due(store, now + timedelta(days=1))
    report = _verify(path, now + timedelta(days=1))
    assert report.problems == [] and {r.status for r in report.results} == {PASS}
