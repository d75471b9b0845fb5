"""The archive: closed days past the hot window move to Parquet, queries still see them, a
crash at any step loses and doubles nothing, and days past retention are deleted a day
after marking unless the user cancels."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from tests.unit.storage.archive_samples import (
    NOW,
    OLD_DAYS,
    fill,
    received_when_they_happened,
    snapshot,
    write_logs,
)

from watchkeeper.cli import run
from watchkeeper.core import settings as settings_file
from watchkeeper.core.errors import StoreError
from watchkeeper.core.settings import Settings
from watchkeeper.detection.engine import detect
from watchkeeper.detection.rules import RuleCache, load_rules
from watchkeeper.ingest.importer import import_paths
from watchkeeper.retention import policy
from watchkeeper.storage import archive, archive_deletions, incident_links, incidents
from watchkeeper.storage.archive_layout import reading
from watchkeeper.storage.eventset import EventQuery, build_index, fetch_event, fetch_page
from watchkeeper.storage.filters import compile_filter
from watchkeeper.storage.queries import search
from watchkeeper.storage.store import Store
from watchkeeper.storage.timeline import data_range

APP = Path(__file__).resolve().parents[3] / "app"
HOT_DAYS = 30
MONTHS = 13
OLD_PER_SOURCE = 3  # days before the hot window, for each of the three sources


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(tmp_path / "w.duckdb")
    fill(opened, tmp_path / "logs")
    received_when_they_happened(opened)
    return opened


def hot_rows(store: Store) -> int:
    return sum(
        int((store.fetch_one(f"SELECT count(*) FROM {table}") or (0,))[0])
        for table in ("events_windows", "events_unix", "events_other")
    )


def test_closed_days_past_the_hot_window_move_to_parquet_and_queries_still_see_them(
    store: Store,
) -> None:
    before = snapshot(store)
    keys = store.fetch_all("SELECT id, dedup_key FROM events ORDER BY id")
    written = archive.run(store, HOT_DAYS, NOW)
    assert len(written) == 3 * OLD_PER_SOURCE  # one file a day and source
    assert hot_rows(store) == 36  # the two recent days stay in the store
    assert snapshot(store) == before  # the same events, ids and text, hostile text included
    assert store.fetch_all("SELECT id, dedup_key FROM events ORDER BY id") == keys
    base = archive.folder(store.path)
    first = written[0]
    assert first.path.startswith("source=json/year=2026/month=01/day=03/other-20260601T120000-")
    assert (base / first.path).is_file() and first.sha256 == archive.file_sha256(base / first.path)
    assert archive.due(store, HOT_DAYS, NOW) == []  # nothing left to do
    # a filter, a search and the timeline read both, as the window does
    where = compile_filter("host:pc-02* event_id:4625", store)
    found = search(store, where.where, where.params, limit=100)
    assert found.total == 5 and {r[1].year for r in found.rows} == {2026}
    first_time, _ = data_range(store, EventQuery("TRUE", ())) or (None, None)
    assert first_time is not None and first_time.date() == OLD_DAYS[0].date()
    store.close()
    with Store(store.path) as reopened:
        assert snapshot(reopened) == before


def test_a_rehunt_over_archived_days_finds_the_same_hits(store: Store, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "failed.yml").write_text(
        "title: Failed logon\nid: 11111111-0000-4000-8000-000000000001\nstatus: test\n"
        "level: high\nlogsource: {product: windows, service: security}\n"
        "detection:\n    selection: {EventID: 4625}\n    condition: selection\n"
    )
    (rules / "ssh.yml").write_text(
        "title: SSH failure\nid: 11111111-0000-4000-8000-000000000002\nstatus: test\n"
        "level: medium\nlogsource: {product: linux, service: sshd}\n"
        "detection:\n    keywords: ['Failed password']\n    condition: keywords\n"
    )
    ruleset = load_rules([rules], cache=RuleCache(None))
    detect(store, ruleset, full=True)
    before = store.fetch_all("SELECT rule_id, event FROM hits ORDER BY ALL")
    assert len(before) == 10 + 30
    archive.run(store, HOT_DAYS, NOW)
    report = detect(store, ruleset, full=True)
    assert not report.failures
    assert store.fetch_all("SELECT rule_id, event FROM hits ORDER BY ALL") == before


def test_an_export_overlapping_archived_days_adds_no_copies(store: Store, tmp_path: Path) -> None:
    archive.run(store, HOT_DAYS, NOW)
    count = store.event_count()
    # the same Windows events again, in a longer export with one event of another day
    same = write_logs(tmp_path / "same", OLD_DAYS)[0].read_text(encoding="utf-8")
    other = write_logs(tmp_path / "other", [NOW - timedelta(days=100)], per_day=1)[0]
    longer = tmp_path / "longer.xml"
    longer.write_text(
        same.replace("</Events>\n", "")
        + other.read_text(encoding="utf-8").removeprefix("<Events>"),
        encoding="utf-8",
    )
    summary = import_paths(store, [longer])
    assert (summary.events, summary.duplicates) == (1, 18)
    assert store.event_count() == count + 1


# Each step of a roll-over, and where a kill after it leaves the events
STEPS = ["_write", "_check", "_record", "_publish", "show_archive"]
_CHILD = """
import os, signal, sys
from datetime import datetime, timezone
from pathlib import Path
from watchkeeper.storage import archive
from watchkeeper.storage.store import Store

step = sys.argv[2]
original = getattr(archive, step)

def killed(*args, **kwargs):
    result = original(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
    return result

setattr(archive, step, killed)
with Store(Path(sys.argv[1])) as store:
    archive.run(store, int(sys.argv[3]), datetime.fromisoformat(sys.argv[4]))
"""


@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_any_step_of_a_roll_over_leaves_each_event_once(
    store: Store, tmp_path: Path, step: str
) -> None:
    before = snapshot(store)
    path = store.path
    store.close()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), step, str(HOT_DAYS), NOW.isoformat()],
        env={**os.environ, "PYTHONPATH": str(APP)},
        capture_output=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr.decode()
    with Store(path) as reopened:
        assert snapshot(reopened) == before  # each event once: in the store or the archive
        base = archive.folder(path)
        assert not archive.staging_folder(path).exists()
        recorded = {f.path for f in archive.files(reopened)}
        assert recorded == {p.relative_to(base).as_posix() for p in base.rglob("*.parquet")}
        archive.run(reopened, HOT_DAYS, NOW)  # and the roll-over finishes
        assert snapshot(reopened) == before
        assert hot_rows(reopened) == 36


def test_a_file_that_does_not_read_back_as_written_moves_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(store)
    original = archive._write

    def damaged(*args: object) -> None:
        original(*args)  # type: ignore[arg-type]
        staged = sorted(Path(str(args[3])).rglob("*.parquet"))[0]
        con = duckdb.connect()
        con.execute(
            f"CREATE TABLE changed_rows AS SELECT * REPLACE ('changed' AS host) "
            f"FROM read_parquet('{staged}')"
        )
        con.execute(f"COPY changed_rows TO '{staged}' (FORMAT parquet)")

    monkeypatch.setattr(archive, "_write", damaged)
    with pytest.raises(StoreError, match="did not read back as written; nothing was moved"):
        archive.run(store, HOT_DAYS, NOW)
    assert snapshot(store) == before and hot_rows(store) == len(before)
    assert not list(archive.folder(store.path).rglob("*.parquet"))
    assert not archive.staging_folder(store.path).exists()


def test_days_past_retention_are_deleted_a_day_after_marking(store: Store) -> None:
    archive.run(store, HOT_DAYS, NOW)
    later = NOW + timedelta(days=300)  # January 2026 is past 13 months
    first = policy.run(store, MONTHS, HOT_DAYS, later)
    assert len(first.marked) == 9 and not first.deleted
    assert all(
        p.delete_after == (later + timedelta(hours=24)).replace(tzinfo=None) for p in first.pending
    )
    assert len(store.fetch_all("SELECT id FROM events WHERE time < '2026-02-01'")) == 54
    assert not policy.run(store, MONTHS, HOT_DAYS, later + timedelta(hours=23)).deleted
    done = policy.run(store, MONTHS, HOT_DAYS, later + timedelta(hours=25))
    assert len(done.deleted) == 9 and sum(p.events for p in done.deleted) == 54
    assert store.fetch_all("SELECT id FROM events WHERE time < '2026-02-01'") == []
    recorded = store.fetch_all(
        "SELECT path, events, sha256, reason FROM archive_deletions ORDER BY path"
    )
    assert len(recorded) == 9 and all(
        len(sha) == 64 and events == 6 and "13 months" in reason
        for _path, events, sha, reason in recorded
    )
    base = archive.folder(store.path)
    assert not any((base / p.path).exists() for p in done.deleted)
    assert not (base / "source=json" / "year=2026" / "month=01").exists()  # no empty folders
    assert store.event_count() == 36  # the recent days, archived by now too


def test_a_cancelled_deletion_keeps_the_days_until_released(store: Store) -> None:
    archive.run(store, HOT_DAYS, NOW)
    later = NOW + timedelta(days=300)
    policy.run(store, MONTHS, HOT_DAYS, later)
    assert archive_deletions.cancel(store) == 9
    kept = policy.run(store, MONTHS, HOT_DAYS, later + timedelta(days=3))
    assert not kept.deleted and not kept.marked and all(p.held for p in kept.pending)
    assert store.event_count() == 90
    assert archive_deletions.release(store) == 9
    again = policy.run(store, MONTHS, HOT_DAYS, later + timedelta(days=4))
    assert len(again.marked) == 9 and not again.deleted


def test_events_an_incident_holds_are_kept_past_retention(store: Store) -> None:
    archive.run(store, HOT_DAYS, NOW)
    evidence = store.fetch_all(
        "SELECT id FROM events WHERE source = 'syslog' AND time::DATE = '2026-01-04'"
    )
    number = incidents.create(store, "Brute force on web01", "alice", NOW)
    incident_links.link(store, number, "event", [evidence[0][0]], "alice", NOW)
    marked = policy.run(store, MONTHS, HOT_DAYS, NOW + timedelta(days=300)).marked
    assert len(marked) == 8 and all(
        not (p.source == "syslog" and p.day == OLD_DAYS[1].date()) for p in marked
    )


def test_events_received_lately_with_an_old_time_wait_for_retention(store: Store) -> None:
    later = NOW + timedelta(days=300)
    received_when_they_happened(store, late=later - NOW - timedelta(days=1))
    archive.run(store, HOT_DAYS, NOW)
    # their times are past 13 months, but they arrived yesterday: kept
    assert policy.run(store, MONTHS, HOT_DAYS, later).marked == []


def test_a_store_whose_name_is_a_file_pattern_says_so(tmp_path: Path) -> None:
    with Store(tmp_path / "logs[1].duckdb") as store:
        fill(store, tmp_path / "logs")
        with pytest.raises(StoreError, match=r"rename the store to archive it"):
            archive.run(store, HOT_DAYS, NOW)
        assert store.event_count() == 90


_DELETING_CHILD = """
import os, signal, sys
from datetime import datetime
from pathlib import Path
from watchkeeper.storage import archive_deletions
from watchkeeper.storage.store import Store

def killed(store):
    os.kill(os.getpid(), signal.SIGKILL)

with Store(Path(sys.argv[1])) as store:
    archive_deletions.remove_deleted_files = killed
    archive_deletions.delete_due(store, 13, datetime.fromisoformat(sys.argv[2]))
"""


def test_a_kill_between_recording_a_deletion_and_removing_its_files_is_finished_later(
    store: Store,
) -> None:
    archive.run(store, HOT_DAYS, NOW)
    later = NOW + timedelta(days=300)
    archive_deletions.mark_expired(store, MONTHS, later)
    path = store.path
    store.close()
    child = subprocess.run(
        [sys.executable, "-c", _DELETING_CHILD, str(path), (later + timedelta(days=2)).isoformat()],
        env={**os.environ, "PYTHONPATH": str(APP)},
        capture_output=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr.decode()
    assert any(archive.folder(path).rglob("*.parquet"))  # recorded as deleted, still on disk
    with Store(path) as reopened:
        assert not any(archive.folder(path).rglob("*.parquet"))
        assert reopened.event_count() == 36
        assert len(reopened.fetch_all("SELECT id FROM archive_deletions")) == 9


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err, clock=lambda: NOW)
    return code, out.getvalue(), err.getvalue()


def test_the_archive_command_says_what_it_would_do_then_does_it(store: Store) -> None:
    settings_file.save(Settings(hot_days=HOT_DAYS))
    path = str(store.path)
    store.close()
    code, out, _ = cli("archive", "--dry-run", "--db", path)
    assert code == 0
    assert "Would archive 54 events of 9 days and sources." in out
    with Store(Path(path)) as reopened:
        assert hot_rows(reopened) == 90  # nothing changed
    code, out, err = cli("archive", "--db", path, "--json")
    assert code == 0, err
    document = json.loads(out)
    assert len(document["archived"]) == 9 and document["hot_days"] == HOT_DAYS
    assert sum(f["events"] for f in document["archived"]) == 54
    code, out, _ = cli("archive", "--db", path)
    assert code == 0 and "Archived 0 events" in out
    code, out, _ = cli("archive", "--cancel", "--db", path)
    assert code == 0 and "Kept 0 archive files" in out


def test_queries_over_days_the_archive_lacks_read_the_store_alone(store: Store) -> None:
    recent = EventQuery("TRUE", (), NOW - timedelta(days=3), None)
    everything = EventQuery("TRUE", ())
    before = [build_index(store, q).total for q in (recent, everything)]
    archived_id = int((store.fetch_one("SELECT min(id) FROM events") or (0,))[0])
    archive.run(store, HOT_DAYS, NOW)
    assert reading(store, since=recent.since) == "events_hot"
    assert reading(store) == "events"  # no range: the whole archive
    # a range, or one event: only the files of its days (or the event's file)
    one_day = reading(store, since=OLD_DAYS[1], until=OLD_DAYS[1] + timedelta(days=1))
    assert one_day.count("/day=") == 1 and "day=04/" in one_day
    assert reading(store, since=OLD_DAYS[1]).count("/day=") == 2  # the 4th and the 5th
    by_id = reading(store, event_id=archived_id)
    assert by_id.count(".parquet") == 1 and by_id.startswith("(SELECT * FROM events_hot")
    assert reading(store, event_id=store.last_event_id) == "events_hot"
    day = EventQuery("TRUE", (), OLD_DAYS[1], OLD_DAYS[1] + timedelta(days=1))
    assert build_index(store, day).total == 18
    assert [build_index(store, q).total for q in (recent, everything)] == before == [36, 90]
    index = build_index(store, everything)
    page = fetch_page(store, index, 0, 100, ["id", "time"])
    assert [row[0] for row in page][:3] == [
        row[0] for row in store.fetch_all('SELECT id FROM events ORDER BY "time", id LIMIT 3')
    ]
    shown = fetch_event(store, archived_id)
    assert shown is not None and shown[1][0] == archived_id


def test_files_are_read_back_a_slice_of_ids_at_a_time(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # slices of 4 ids, in chunks of 2: each day and source spans several, as a busy day
    # of hundreds of thousands of events spans them at the real sizes
    monkeypatch.setattr(archive, "CHECK_IDS", 2)
    monkeypatch.setattr(archive, "CHECK_SLICE", 4)
    before = snapshot(store)
    written = archive.run(store, HOT_DAYS, NOW)
    assert len(written) == 9 and sum(f.events for f in written) == 54
    assert all(f.last_id - f.first_id >= 5 for f in written)
    assert snapshot(store) == before
