"""The spool and its loader: segments on disk, loaded into a real store exactly once."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchkeeper.collect.loader import load_spool
from watchkeeper.collect.spool import Received, Spool, sealed_segments, spool_folder
from watchkeeper.storage.store import Store

SYSLOG = b"<34>1 2026-11-23T10:00:00.000Z web01 sshd 77 - - Failed password for root"


def received(
    message: bytes,
    peer: str = "192.0.2.7",
    transport: str = "tcp",
    kind: str = "syslog",
    when: datetime | None = None,
) -> Received:
    return Received(peer, transport, kind, message, when)


def test_messages_become_events_with_sender_transport_and_their_own_receive_time(
    tmp_path: Path,
) -> None:
    db = tmp_path / "store.duckdb"
    spool = Spool(spool_folder(db), segment_seconds=0)
    early = datetime(2026, 11, 23, 10, 1, 30, tzinfo=UTC)
    spool.append(
        [
            received(SYSLOG, when=early),
            received(
                b'{"host":"fb01","log":"disk full","level":"error"}',
                "198.51.100.2",
                "http",
                "json",
                early + timedelta(seconds=5),
            ),
        ]
    )
    spool.close()
    assert spool_folder(db).parent == db.parent  # beside the store: --db chooses both
    with Store(db) as store:
        summary = load_spool(store, spool_folder(db))
        assert summary.events == 2
        rows = store.fetch_all(
            "SELECT host, source, message, received, sender, transport "
            "FROM events ORDER BY received"
        )
    assert rows[0][:3] == ("web01", "syslog", "Failed password for root")
    assert rows[0][3] == early.replace(tzinfo=None)  # skew = received - time = 90 s
    assert rows[0][4:] == ("192.0.2.7", "tcp")
    assert rows[1][:3] == ("fb01", "json", "disk full") and rows[1][4:] == ("198.51.100.2", "http")


def test_each_segment_is_loaded_once_even_after_a_crash_between_commit_and_removal(
    tmp_path: Path,
) -> None:
    db = tmp_path / "store.duckdb"
    folder = spool_folder(db)
    spool = Spool(folder, segment_seconds=0)
    spool.append([received(SYSLOG)] * 3)
    spool.close()
    segment = sealed_segments(folder)[0]
    kept = tmp_path / "copy.seg"
    shutil.copy2(segment, kept)
    with Store(db) as store:
        assert load_spool(store, folder).events == 3
        assert not segment.exists()
        shutil.copy2(kept, segment)  # as if the loader died before removing it
        again = load_spool(store, folder)
        assert again.events == 0 and not segment.exists()
        assert store.fetch_one("SELECT count(*) FROM events") == (3,)


def test_a_segment_left_open_by_a_killed_collector_is_sealed_without_its_torn_line(
    tmp_path: Path,
) -> None:
    db = tmp_path / "store.duckdb"
    folder = spool_folder(db)
    spool = Spool(folder, segment_seconds=3600)
    spool.append([received(SYSLOG)] * 2)
    # the collector dies: its segment stays open, and a line was half written
    open_segment = next(folder.glob("*.open"))
    with open_segment.open("ab") as torn:
        torn.write(b'{"r":"2026-11-23T10:00:00+00:00","p":"192.0.2.7","t":"tcp","k":"sys')
    dead = open_segment.with_name(open_segment.name.replace(f"-{os.getpid()}-", "-999999999-"))
    open_segment.rename(dead)
    with Store(db) as store:
        summary = load_spool(store, folder)
        assert summary.events == 2 and summary.quarantined == 0
    assert list(folder.iterdir()) == []


def test_garbage_hostile_text_and_other_encodings_are_kept_not_lost(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    folder = spool_folder(db)
    spool = Spool(folder, segment_seconds=0)
    hostile = (
        b"<13>Nov 23 10:00:00 web01 app[1]: <script>alert(1)</script>'; DROP TABLE "
        b"events; --\x1b[31m\x07"
    )
    spool.append(
        [
            received(b"\x00\xff\xfe garbage, not syslog"),
            received(b"<13>Nov 23 10:00:00 web01 app[1]: caf\xe9 cr\xe8me"),
            received(hostile),
            received(b"[1, 2, 3]", kind="json"),
            received(b"<13>Nov 23 10:00:00 web01 app[1]: " + b"y" * 300_000),
        ]
    )
    spool.close()
    with Store(db) as store:
        summary = load_spool(store, folder)
        messages = dict(store.fetch_all("SELECT encoding, message FROM events ORDER BY record_no"))
        reasons = [r for (r,) in store.fetch_all("SELECT reason FROM quarantine")]
        assert store.fetch_one("SELECT count(*) FROM events WHERE message LIKE '%DROP TABLE%'") == (
            1,
        )
        [(longest,)] = store.fetch_all("SELECT max(length(message)) FROM events")
        assert longest > 299_000
    assert summary.events == 3 and summary.quarantined == 2
    assert messages["cp1252"] == "café crème"
    assert any("from 192.0.2.7 over tcp" in r and "not a syslog line" in r for r in reasons)
    assert any("not an object" in r for r in reasons)


def test_the_budget_says_when_senders_must_be_slowed(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", segment_seconds=0, budget_bytes=2_000)
    assert not spool.full
    spool.append([received(SYSLOG)] * 30)
    spool.tick()
    assert spool.full
    db = tmp_path / "store.duckdb"
    with Store(db) as store:
        load_spool(store, tmp_path / "spool")
    spool.tick()
    assert not spool.full
    assert spool.appended == 30


def test_windows_events_from_nxlog_keep_their_sender_and_receive_time(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    folder = spool_folder(db)
    spool = Spool(folder, segment_seconds=0)
    when = datetime(2026, 11, 23, 10, 0, 5, tzinfo=UTC)
    nxlog = (
        b'{"EventTime":"2026-11-23T10:00:00Z","Hostname":"pc01.office.lan","EventID":4625,'
        b'"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security",'
        b'"TargetUserName":"admin","IpAddress":"203.0.113.9",'
        b'"SourceModuleType":"im_msvistalog"}'
    )
    spool.append([received(nxlog, "10.0.0.21", "tls", "json", when)])
    spool.close()
    with Store(db) as store:
        assert load_spool(store, folder).events == 1
        row = store.fetch_one(
            "SELECT host, event_id, received, sender, transport, TargetUserName FROM events"
        )
    assert row == ("pc01.office.lan", 4625, when.replace(tzinfo=None), "10.0.0.21", "tls", "admin")


def test_two_loads_at_once_store_each_segment_once(tmp_path: Path) -> None:
    # the window's timer and a test event may both load the spool at the same moment
    import threading

    db = tmp_path / "store.duckdb"
    folder = spool_folder(db)
    spool = Spool(folder, segment_seconds=0, segment_bytes=4_000)
    for _ in range(20):
        spool.append([received(SYSLOG)] * 10)
    spool.close()
    assert len(sealed_segments(folder)) > 5
    with Store(db) as store:
        loads = [threading.Thread(target=load_spool, args=(store, folder)) for _ in range(3)]
        for load in loads:
            load.start()
        for load in loads:
            load.join()
        assert store.fetch_one("SELECT count(*) FROM events") == (200,)


HOSTILE_JSON = {
    "nxlog": (
        b'{"EventTime":"2026-11-23T10:00:00Z","Hostname":"pc01","EventID":4625,'
        b'"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security",'
        b'"":"empty","Sender":"spoofed","a\\u0000b":"nul","SourceModuleType":"im_msvistalog"}'
    ),
    "winlogbeat": (
        b'{"@timestamp":"2026-11-23T10:00:00Z","host":{"name":"pc01"},"winlog":'
        b'{"channel":"Security","event_id":4625,"computer_name":"pc01",'
        b'"event_data":{"":"empty","Sender":"spoofed","a\\u0000b":"nul"}}}'
    ),
    "json": b'{"time":"2026-11-23T10:00:00Z","host":"pc01","":"empty","sender":"spoofed"}',
}


@pytest.mark.parametrize("shape", list(HOSTILE_JSON))
def test_a_json_event_with_an_empty_or_clashing_field_name_stops_no_later_load(
    tmp_path: Path, shape: str
) -> None:
    db = tmp_path / "store.duckdb"
    folder = spool_folder(db)
    when = datetime(2026, 11, 23, 10, 0, 5, tzinfo=UTC)
    hostile = HOSTILE_JSON[shape]
    spool = Spool(folder, segment_seconds=0)
    spool.append([received(hostile, "10.0.0.21", "tcp", "json", when)])
    spool.close()
    with Store(db) as store:
        assert load_spool(store, folder).events == 1
    spool = Spool(folder, segment_seconds=0)
    spool.append([received(SYSLOG, when=when)])
    spool.close()
    with Store(db) as store:
        assert load_spool(store, folder).events == 1
        assert not sealed_segments(folder)
        rows = store.fetch_all("SELECT host, sender FROM events ORDER BY host")
    assert rows == [("pc01", "10.0.0.21"), ("web01", "192.0.2.7")]
