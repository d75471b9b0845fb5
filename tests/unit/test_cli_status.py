"""`watchkeeper status`: the store, archive, retention, disk, collector and integrity in one
block (or one JSON document), exit 0, and a clear line where the store cannot be read."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests import unprivileged
from tests.unit.storage.archive_samples import NOW as SAMPLES_NOW
from tests.unit.storage.archive_samples import fill, received_when_they_happened

from watchkeeper.cli import run
from watchkeeper.cli.status import integrity_summary
from watchkeeper.collect.presence import Presence, announce, withdraw
from watchkeeper.collect.spool import Received, Spool, spool_folder
from watchkeeper.core import paths
from watchkeeper.core import settings as settings_file
from watchkeeper.storage import archive, archive_deletions
from watchkeeper.storage.store import Store

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LABELS = ["Store:", "Archive:", "Retention:", "Disk:", "Collector:", "Integrity:"]


def cli_at(now: datetime, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err, clock=lambda: now)
    return code, out.getvalue(), err.getvalue()


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err, clock=lambda: NOW)
    return code, out.getvalue(), err.getvalue()


def syslog_store(tmp_path: Path, days_ago: list[int]) -> Path:
    """A store with one event on each of the days `days_ago` before NOW."""
    log = tmp_path / "app.log"
    lines = []
    for n, ago in enumerate(days_ago):
        stamp = (NOW - timedelta(days=ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"<13>1 {stamp} web01 app 42 - - event {n}\n")
    log.write_text("".join(lines))
    db = tmp_path / "store.duckdb"
    code, _, err = cli("import", "--db", str(db), "--no-detect", str(log))
    assert code == 0, err
    return db


def test_the_block_has_every_part_and_the_right_figures(tmp_path: Path) -> None:
    db = syslog_store(tmp_path, [1, 2, 100, 101, 500])
    code, out, err = cli("status", "--db", str(db))
    assert code == 0 and "Traceback" not in out + err, err
    assert [line.split()[0] for line in out.splitlines() if not line.startswith(" ")] == LABELS
    assert "5 events" in out and "to 2026-03-09 12:00 UTC" in out
    # 100, 101 and 500 days old: past the 90 hot days; 500 days: past 13 months
    assert "13 months, 90 days of them in the store; 3 day(s) due to the archive, 1 past" in out
    assert "full in: not known yet" in out
    assert "Collector: not running; spool: 0 segment(s)" in out


def test_json_is_one_document(tmp_path: Path) -> None:
    db = syslog_store(tmp_path, [1, 2])
    code, out, err = cli("status", "--db", str(db), "--json")
    assert code == 0, err
    document = json.loads(out)
    assert sorted(document) == sorted(
        ["store", "archive", "retention", "disk", "collector", "integrity"]
    )
    assert document["store"]["events"] == 2 and document["store"]["problem"] is None
    assert document["retention"]["days_due_to_archive"] == 0
    assert document["disk"]["level"] in ("ok", "warn", "pause", "spool-only")
    assert 0 <= document["disk"]["used_percent"] <= 100
    assert document["collector"]["running"] is False


def test_days_until_full_once_there_are_two_samples(tmp_path: Path) -> None:
    db = syslog_store(tmp_path, [1])
    cli("status", "--db", str(db))
    with Store(db) as store:  # an hour earlier, the disk held a GB less
        store.cursor().execute(
            "UPDATE disk_samples SET taken = taken - INTERVAL 1 HOUR, disk_used = disk_used - 1e9"
        )
    document = json.loads(cli("status", "--db", str(db), "--json")[1])
    assert document["disk"]["days_until_full"] is not None
    assert document["disk"]["days_until_full_text"].startswith(("about", "less than"))


def test_the_retention_set_in_the_settings_and_its_reason(tmp_path: Path) -> None:
    settings_file.save(
        settings_file.Settings(
            retention_months=3, hot_days=7, retention_reason="trial\x1b[31m <b>only</b>"
        )
    )
    db = syslog_store(tmp_path, [1, 10, 200])
    _, out, _ = cli("status", "--db", str(db))
    line = next(line for line in out.splitlines() if line.startswith("Retention:"))
    assert "3 months, 7 days of them in the store (less than 6 months because: trial" in line
    assert "\x1b" not in out and "2 day(s) due to the archive, 1 past retention" in line


def test_the_manifest_gives_the_archive_and_the_pending_deletions(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with Store(db) as store:
        fill(store, tmp_path / "logs")
        received_when_they_happened(store)
        archive.run(store, 30, SAMPLES_NOW)
        archive_deletions.mark_expired(store, 13, SAMPLES_NOW + timedelta(days=300))
        archive_deletions.cancel(store, [1])  # kept: not pending
    later = SAMPLES_NOW + timedelta(days=300)
    code, out, err = cli_at(later, "status", "--db", str(db))
    assert code == 0, err
    assert "9 file(s), " in out and " MB, 3 day(s), oldest 2026-01-03" in out
    pending = [line.strip() for line in out.splitlines() if "deletion pending" in line]
    assert len(pending) == 8
    assert pending[0] == "deletion pending: 2026-01-03 syslog (6 events) after 2027-03-29 12:00 UTC"


def test_a_running_collector_and_its_spool_backlog(tmp_path: Path) -> None:
    db = syslog_store(tmp_path, [1])
    spool = Spool(spool_folder(db))
    spool.append([Received("192.0.2.7", "tcp", "syslog", b"<13>hello")])
    spool.close()
    paused = "The disk holding data is 96 % full (1.0 GB free); the collector keeps its spool."
    listening = "syslog-tcp 127.0.0.1:5514"
    announce(db, Presence(os.getpid(), "2026-03-10T11:00:00+00:00", listening, paused))
    try:
        document = json.loads(cli("status", "--db", str(db), "--json")[1])
        line = next(
            line for line in cli("status", "--db", str(db))[1].splitlines() if "Coll" in line
        )
    finally:
        withdraw(db)
    assert line.startswith("Collector: running since 2026-03-10T11:00:00+00:00 (process ")
    assert line.endswith(f"1 segment(s), 0.0 MB waiting; {paused}")
    assert document["collector"]["paused"] == paused
    collector = document["collector"]
    assert collector["running"] and collector["pid"] == os.getpid()
    assert collector["spool_segments"] == 1 and collector["spool_bytes"] > 0
    # status reads the backlog; it does not load it
    assert document["store"]["events"] == 1


def test_a_collector_that_was_killed_is_not_running(tmp_path: Path) -> None:
    db = syslog_store(tmp_path, [1])
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    announce(db, Presence(int(finished.stdout), "2026-03-10T11:00:00+00:00", ""))
    assert json.loads(cli("status", "--db", str(db), "--json")[1])["collector"]["running"] is False
    db.with_name(db.name + ".collector").write_text("{not json")
    assert cli("status", "--db", str(db))[0] == 0


def test_a_store_open_in_another_process_is_one_clear_line(tmp_path: Path) -> None:
    db = syslog_store(tmp_path, [1])
    with Store(db):
        done = subprocess.run(
            [sys.executable, "-m", "watchkeeper", "status", "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "WATCHKEEPER_HOME": str(paths.config_dir().parent)},
        )
    assert done.returncode == 0 and "Traceback" not in done.stdout + done.stderr, done.stderr
    store_line = done.stdout.splitlines()[0]
    assert store_line.startswith("Store:") and "open in another Watchkeeper process" in store_line
    assert "Its figures are not shown." in store_line
    assert [line.split()[0] for line in done.stdout.splitlines() if line[0] != " "] == LABELS


def test_a_store_the_user_can_only_read(tmp_path: Path) -> None:
    db = syslog_store(tmp_path, [1, 2])
    db.chmod(0o444)
    before = db.read_bytes()
    done = unprivileged.watchkeeper(
        "status", "--db", str(db), "--json", home=paths.config_dir().parent
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    document = json.loads(done.stdout)
    assert document["store"]["read_only"] is True and document["store"]["events"] == 2
    assert db.read_bytes() == before  # no sample was written into it


def test_no_store_yet_is_said_and_nothing_is_made(tmp_path: Path) -> None:
    db = tmp_path / "nowhere" / "store.duckdb"
    code, out, _ = cli("status", "--db", str(db))
    assert code == 0 and out.startswith(f"Store:     There is no store at {db} yet.")
    assert not db.exists()


def test_the_integrity_hook_answers_none_until_there_is_a_summary(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import types

    monkeypatch.setitem(sys.modules, "watchkeeper.integrity", None)  # not installed
    assert integrity_summary(store, NOW) is None
    fake = types.ModuleType("watchkeeper.integrity")
    monkeypatch.setitem(sys.modules, "watchkeeper.integrity", fake)
    assert integrity_summary(store, NOW) is None  # a package without a summary yet
    fake.summary = lambda store, now: {"summary": f"PASS for every day up to {now:%Y-%m-%d}"}  # type: ignore[attr-defined]
    assert integrity_summary(store, NOW) == {"summary": "PASS for every day up to 2026-03-10"}

    def broken(store: Store, now: datetime) -> object:
        raise RuntimeError("keyring locked")

    fake.summary = broken  # type: ignore[attr-defined]
    assert integrity_summary(store, NOW) == "Integrity could not be checked: keyring locked"
