"""EVTX import on files this test writes itself, so a fresh clone tests the EVTX path too."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.evtx_damage import corrupt_chunk, truncate

from watchkeeper.ingest.importer import import_paths
from watchkeeper.scenarios.evtx_samples import write_large_set
from watchkeeper.scenarios.evtx_writer import EvtxRecord, write_evtx
from watchkeeper.storage.store import Store

WHEN = datetime(2026, 11, 3, 9, 15, 30, tzinfo=UTC)
SECURITY = {
    "Name": "Microsoft-Windows-Security-Auditing",
    "Guid": "{54849625-5478-4994-A5BA-3E3B0328C30D}",
}


def _failed_logon(i: int) -> EvtxRecord:
    return EvtxRecord(
        system={
            "Provider": SECURITY,
            "EventID": 4625,
            "Version": 0,
            "Level": 0,
            "Task": 12544,
            "Opcode": 0,
            "Keywords": "0x8010000000000000",
            "TimeCreated": WHEN + timedelta(seconds=i),
            "Channel": "Security",
            "Computer": "DC01.contoso.local",
        },
        event_data={
            "TargetUserName": f"user{i}",
            "TargetDomainName": "CONTOSO",
            "Status": "0xc000006d",
            "LogonType": 3,
            "IpAddress": "10.10.10.17",
            "IpPort": 50000 + i,
            "WorkstationName": "<b>PC-SALES-02</b>'; DROP TABLE x",
        },
    )


def _cleared() -> EvtxRecord:
    return EvtxRecord(
        system={
            "Provider": {
                "Name": "Microsoft-Windows-Eventlog",
                "Guid": "{FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148}",
            },
            "EventID": 1102,
            "Version": 0,
            "Level": 4,
            "Task": 104,
            "Opcode": 0,
            "Keywords": "0x4020000000000000",
            "TimeCreated": WHEN + timedelta(hours=1),
            "Channel": "Security",
            "Computer": "PC-ACCT-01.contoso.local",
        },
        user_data=(
            "{http://manifests.microsoft.com/win/2004/08/windows/eventlog}LogFileCleared",
            {
                "SubjectUserSid": "S-1-5-21-1-2-3-1104",
                "SubjectUserName": "svc_update",
                "SubjectDomainName": "CONTOSO",
                "SubjectLogonId": "0x3e7",
            },
        ),
    )


def test_generated_evtx_fills_columns_and_fields(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "Security.evtx"
    write_evtx(log, [*(_failed_logon(i) for i in range(50)), _cleared()])
    summary = import_paths(store, [log])
    assert (summary.records, summary.events, summary.quarantined) == (51, 51, 0)
    con = store.cursor()
    row = con.execute(
        'SELECT host, channel, event_id, username, src_ip, src_port, level, "WorkstationName", '
        '"LogonType", "time" FROM events WHERE event_id = 4625 ORDER BY record_no LIMIT 1'
    ).fetchone()
    assert row == (
        "DC01.contoso.local",
        "Security",
        4625,
        "user0",
        "10.10.10.17",
        50000,
        "information",
        "<b>PC-SALES-02</b>'; DROP TABLE x",
        "3",
        datetime(2026, 11, 3, 9, 15, 30),
    )
    cleared = con.execute(
        'SELECT username, "SubjectUserName", provider FROM events WHERE event_id = 1102'
    ).fetchone()
    assert cleared == ("svc_update", "svc_update", "Microsoft-Windows-Eventlog")


def test_exact_copies_across_files_are_stored_once(store: Store, tmp_path: Path) -> None:
    first = tmp_path / "a" / "Security.evtx"
    first.parent.mkdir()
    write_evtx(first, [_failed_logon(i) for i in range(30)])
    overlap = tmp_path / "b" / "Security.evtx"
    overlap.parent.mkdir()
    # the same 30 events (same ids and content) plus 20 more: a later export of the same log
    write_evtx(overlap, [_failed_logon(i) for i in range(50)])
    summary = import_paths(store, [tmp_path / "a", tmp_path / "b"])
    assert (summary.records, summary.duplicates, summary.events) == (80, 30, 50)
    assert store.event_count() == 50


def test_corrupt_chunk_in_generated_file(store: Store, tmp_path: Path) -> None:
    paths = write_large_set(tmp_path / "set", 3000)
    security = next(p for p in paths if p.name == "Security.evtx")
    clean_count = sum(1 for _ in __import__("evtx").PyEvtxParser(str(security)).records_json())
    damaged = tmp_path / "damaged.evtx"
    shutil.copy(security, damaged)
    corrupt_chunk(damaged, 1)
    summary = import_paths(store, [damaged])
    result = summary.files[0]
    # the chunk's records are counted as quarantined, in one quarantine row
    assert result.status == "imported" and result.records == clean_count
    assert result.quarantined == clean_count - result.events
    assert clean_count - 200 < result.events < clean_count
    [(reason, size)] = store.fetch_all("SELECT reason, octet_length(raw) FROM quarantine")
    assert reason.startswith("corrupt chunk 1 skipped") and size == 65536


def test_truncated_generated_file(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "Security.evtx"
    write_evtx(log, [_failed_logon(i) for i in range(2000)])
    truncate(log, 4096 + 65536 * 2 + 1000)
    summary = import_paths(store, [log])
    result = summary.files[0]
    assert result.status == "imported" and 0 < result.events < 2000
    assert "truncated" in result.message


def _thirty_in_three_chunks(path: Path) -> bytearray:
    write_evtx(path, [_failed_logon(i) for i in range(30)], chunk_records=10)
    return bytearray(path.read_bytes())


SECOND_CHUNK = 4096 + 65536


def _quarantined(store: Store) -> list[tuple[int, str, bytes]]:
    return (
        store.cursor()
        .execute("SELECT record_no, reason, raw FROM quarantine ORDER BY record_no")
        .fetchall()
    )


def test_a_chunk_with_garbled_records_is_kept_whole_and_counted_as_its_records(
    store: Store, tmp_path: Path
) -> None:
    log = tmp_path / "Security.evtx"
    clean = _thirty_in_three_chunks(log)
    corrupt_chunk(log, 1)
    result = import_paths(store, [log]).files[0]
    assert (result.records, result.events, result.quarantined) == (30, 20, 10)
    assert "1 corrupt chunk(s) holding 10 record(s) skipped and quarantined" in result.message
    [(record_no, reason, raw)] = _quarantined(store)
    assert record_no == 11
    assert reason.startswith("corrupt chunk 1 skipped (records 11 to 20, 10 records): ")
    assert raw[:512] == clean[SECOND_CHUNK : SECOND_CHUNK + 512] and len(raw) == 65536


def test_a_chunk_with_a_broken_header_is_kept_with_its_bytes_and_records(
    store: Store, tmp_path: Path
) -> None:
    log = tmp_path / "Security.evtx"
    data = _thirty_in_three_chunks(log)
    data[SECOND_CHUNK : SECOND_CHUNK + 8] = b"XXXXXXXX"
    log.write_bytes(data)
    result = import_paths(store, [log]).files[0]
    assert (result.records, result.events, result.quarantined) == (30, 20, 10)
    [(record_no, reason, raw)] = _quarantined(store)
    assert record_no == 11
    assert reason.startswith("corrupt chunk 1 skipped (records 11 to 20, 10 records): ")
    assert "chunk header magic" in reason
    assert bytes(raw) == bytes(data[SECOND_CHUNK : SECOND_CHUNK + 65536])


def test_one_unreadable_record_is_a_record_not_a_chunk(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "Security.evtx"
    data = _thirty_in_three_chunks(log)
    first = SECOND_CHUNK + 512
    second = first + int.from_bytes(data[first + 4 : first + 8], "little")  # record 12
    size = int.from_bytes(data[second + 4 : second + 8], "little")
    data[second + 64 : second + 104] = b"\xff" * 40
    log.write_bytes(data)
    result = import_paths(store, [log]).files[0]
    assert (result.records, result.events, result.quarantined) == (30, 29, 1)
    assert "1 unreadable record(s) skipped and quarantined" in result.message
    assert "chunk" not in result.message
    [(record_no, reason, raw)] = _quarantined(store)
    assert record_no == 12
    assert reason.startswith("record 12 could not be read and was skipped: ")
    assert bytes(raw) == bytes(data[second : second + size])


def test_every_event_gets_a_short_readable_message(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "Mixed.evtx"
    unknown = EvtxRecord(
        system={
            "Provider": {"Name": "Contoso-Backup"},
            "EventID": 210,
            "Level": 4,
            "TimeCreated": WHEN + timedelta(hours=2),
            "Channel": "Application",
            "Computer": "PC-ACCT-01",
        },
        event_data={
            "Job": "Nightly",
            "Target": "\\\\nas01\\backup",
            "Skipped": "-",
            "Note": "line one\r\nline two",
            "Size": 123456,
            "Blob": "x" * 400,
        },
    )
    bare = EvtxRecord(
        system={
            "Provider": {"Name": "EventLog"},
            "EventID": 6005,
            "Level": 4,
            "TimeCreated": WHEN + timedelta(hours=3),
            "Channel": "System",
            "Computer": "PC-ACCT-01",
        },
        event_data={},
    )
    write_evtx(log, [_failed_logon(0), _cleared(), unknown, bare])
    import_paths(store, [log])
    messages = [
        row[0]
        for row in store.cursor().execute("SELECT message FROM events ORDER BY time").fetchall()
    ]
    assert messages[0] == (
        "An account failed to log on: user CONTOSO\\user0 from 10.10.10.17, logon type 3"
    )
    assert messages[1] == "The audit log was cleared by CONTOSO\\svc_update"
    assert messages[2].startswith(
        "Job=Nightly Target=\\\\nas01\\backup Note=line one line two Size=123456 Blob=xxx"
    )
    assert len(messages[2]) == 300 and messages[2].endswith("x…")
    assert messages[3] == "EventLog event 6005"


def test_a_chunk_whose_header_is_garbage_is_placed_between_its_neighbours(
    store: Store, tmp_path: Path
) -> None:
    log = tmp_path / "Security.evtx"
    data = _thirty_in_three_chunks(log)
    data[SECOND_CHUNK : SECOND_CHUNK + 48] = b"\xee" * 48  # magic and record numbers
    log.write_bytes(data)
    result = import_paths(store, [log]).files[0]
    assert (result.records, result.events, result.quarantined) == (30, 20, 10)
    [(record_no, reason, raw)] = _quarantined(store)
    assert record_no == 11 and len(raw) == 65536
    assert reason.startswith("corrupt chunk 1 skipped (records 11 to 20, 10 records): ")


@settings(max_examples=25, deadline=None)
@given(at=st.integers(min_value=0, max_value=65535), garbage=st.binary(min_size=1, max_size=64))
def test_any_damage_to_a_chunk_is_imported_or_quarantined_never_a_crash(
    tmp_path_factory: pytest.TempPathFactory, at: int, garbage: bytes
) -> None:
    folder = tmp_path_factory.mktemp("damaged")
    log = folder / "Security.evtx"
    data = _thirty_in_three_chunks(log)
    data[SECOND_CHUNK + at : SECOND_CHUNK + at + len(garbage)] = garbage
    log.write_bytes(bytes(data))
    with Store(folder / "store.duckdb") as store:
        result = import_paths(store, [log]).files[0]
        assert result.status == "imported", result.message
        assert result.records == result.events + result.quarantined
        assert result.events >= 20  # the other two chunks are whole
        reasons = [
            row[0] for row in store.cursor().execute("SELECT reason FROM quarantine").fetchall()
        ]
        assert all(reasons)
