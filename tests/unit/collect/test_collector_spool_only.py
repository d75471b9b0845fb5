"""The collector on a disk filled past 95 %: it keeps receiving into its spool, stops loading
it into the store and says so; at 90 % it still loads; freed, it loads everything once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.small_disk import SmallDisk, small_disk
from tests.unit.collect.test_collector_full_disk import message, wait_until

from watchkeeper.collect.listeners import ListenerSettings
from watchkeeper.collect.service import Collector, receiving_sentence
from watchkeeper.collect.spool import Received, Spool, sealed_segments, spool_folder
from watchkeeper.core.settings import Settings
from watchkeeper.storage.store import Store

COLLECT_BRIEFLY = ["--syslog-tcp", "0", "--for", "5", "--no-detect", "--json"]


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    yield from small_disk(tmp_path / "disk")


def _collector(db: Path) -> Collector:
    return Collector(
        db, Settings(heartbeat_minutes=0), ListenerSettings(ports={"syslog-tcp": 0}), detect=False
    )


def _waiting(db: Path, numbers: range) -> None:
    spool = Spool(spool_folder(db))
    spool.append([Received("192.0.2.7", "tcp", "syslog", message(n)) for n in numbers])
    spool.close()


def test_at_95_percent_the_collector_keeps_its_spool_and_says_so(disk: SmallDisk) -> None:
    db = disk.path / "store.duckdb"
    Store(db).close()
    _waiting(db, range(100))
    disk.fill_to(0.96)
    collector = _collector(db)
    collector.start()
    try:
        wait_until(lambda: collector.totals.loads >= 2, 20, "two loads at 96 %")
        sentence = receiving_sentence(collector)
        assert f"The disk holding {disk.path} is 9" in sentence
        assert "the collector keeps what it receives in its spool" in sentence
        assert collector.totals.events == 0
        # still receiving: what is sent now waits in the spool too
        with socket.create_connection(collector.listeners.addresses()["syslog-tcp"]) as sender:
            sender.sendall(b"".join(message(n) + b"\n" for n in range(100, 150)))
            wait_until(lambda: collector.spool.appended == 50, 10, "50 messages in the spool")
        assert [p.suffix for p in spool_folder(db).iterdir()].count(".failed") == 0
        disk.free()
        wait_until(
            lambda: collector.totals.events == 150,
            30,
            f"150 events (have {collector.totals.events})",
        )
        assert "spool" not in receiving_sentence(collector)
    finally:
        collector.stop()
    with Store(db) as store:
        assert store.fetch_one("SELECT count(*), count(DISTINCT message) FROM events") == (150, 150)
        assert store.fetch_all("SELECT DISTINCT status FROM imports") == [("done",)]


def test_at_92_percent_the_collector_still_loads(disk: SmallDisk) -> None:
    db = disk.path / "store.duckdb"
    Store(db).close()
    _waiting(db, range(40))
    disk.fill_to(0.92)
    collector = _collector(db)
    collector.load_once()
    assert collector.totals.events == 40 and collector.totals.disk_full == ""
    collector.load_once()
    with Store(db) as store:  # the collector keeps the disk guard's hourly sample
        assert store.fetch_one("SELECT count(*) FROM disk_samples") == (1,)


def test_collect_says_spool_only_on_stderr(disk: SmallDisk) -> None:
    db = disk.path / "store.duckdb"
    Store(db).close()
    _waiting(db, range(10))
    disk.fill_to(0.96)
    done = subprocess.run(
        [sys.executable, "-m", "watchkeeper", "collect", "--db", str(db), *COLLECT_BRIEFLY],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("watchkeeper collect:")]
    assert said, done.stderr
    assert said[0].startswith(f"watchkeeper collect: The disk holding {disk.path} is 9")
    assert "the collector keeps what it receives in its spool" in json.loads(done.stdout)["disk"]
    assert len(sealed_segments(spool_folder(db))) == 1  # kept, not loaded
