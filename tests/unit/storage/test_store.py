"""The store: schema, versions, one writer, recovery after a killed import."""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson
import pytest

from watchkeeper.core.errors import StoreError
from watchkeeper.core.event import Event, Rejected, WindowsEvent
from watchkeeper.core.fields import COMMON_COLUMNS
from watchkeeper.core.timeparse import parse_iso
from watchkeeper.storage import schema
from watchkeeper.storage.batch import Batch, LedgerRow
from watchkeeper.storage.store import Store
from watchkeeper.storage.writer import write_batch


def _event(n: int, **fields: object) -> Event:
    return Event(
        n,
        f"raw {n}",
        {
            "time": parse_iso("2026-11-01T10:00:00+02:00"),
            "host": "pc-01",
            "message": f"message {n}",
        },
        dict(fields),
    )


def _write(
    store: Store, import_id: int, items: list[Event | WindowsEvent | Rejected], status: str = "done"
) -> None:
    batch = Batch()
    batch.opened.append(
        LedgerRow(import_id, f"file{import_id}.log", 10, f"sha{import_id}", "syslog", "running")
    )
    for item in items:
        batch.add(import_id, item)
    if status:
        batch.closed.append((import_id, status, None))
    with store.cursor() as con:
        write_batch(store, con, batch, store.path.parent)


def test_new_store_has_schema_version_and_common_columns(tmp_path: Path) -> None:
    with Store(tmp_path / "a.duckdb") as store:
        version = (
            store.cursor().execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        )
        assert version == (str(schema.SCHEMA_VERSION),)
        assert list(store.columns) == list(COMMON_COLUMNS)


def test_time_is_stored_in_utc_with_the_original_offset(store: Store) -> None:
    _write(store, 1, [_event(1)])
    row = store.cursor().execute('SELECT "time", time_offset FROM events').fetchone()
    assert row is not None
    assert row[0].isoformat() == "2026-11-01T08:00:00"
    assert row[1] == 120


def test_original_fields_become_columns_merged_case_insensitively(store: Store) -> None:
    _write(store, 1, [_event(1, Image="a.exe"), _event(2, image="b.exe", Level="4")])
    assert store.resolve("IMAGE") == "Image"
    # "Level" collides with the common column "level" and keeps its value beside it.
    assert store.resolve("orig.level") == "orig.Level"
    rows = store.cursor().execute('SELECT "Image", "orig.Level" FROM events ORDER BY id').fetchall()
    assert rows == [("a.exe", None), ("b.exe", "4")]


def test_hostile_field_names_and_values_are_stored_verbatim(store: Store) -> None:
    name = 'x"; DROP TABLE events; --'
    value = "<script>alert(1)</script>'; DELETE FROM imports; --\x00\x1b[31m"
    _write(store, 1, [_event(1, **{name: value})])
    assert store.event_count() == 1
    column = store.resolve(name)
    assert column is not None
    got = (
        store.cursor()
        .execute(f'SELECT "{column.replace(chr(34), chr(34) * 2)}" FROM events')
        .fetchone()
    )
    assert got == (value,)


def test_rejected_records_are_kept_with_bytes_and_reason(store: Store) -> None:
    _write(store, 1, [_event(1), Rejected(2, b"\xff\xfe garbage", "line 2: not a syslog line")])
    row = store.cursor().execute("SELECT record_no, reason, raw FROM quarantine").fetchone()
    assert row == (2, "line 2: not a syslog line", b"\xff\xfe garbage")
    counts = (
        store.cursor()
        .execute("SELECT records, events, quarantined FROM imports WHERE id = 1")
        .fetchone()
    )
    assert counts == (2, 1, 1)


def _windows(record: int, user: str) -> WindowsEvent:
    document = orjson.dumps(
        {
            "Event": {
                "System": {
                    "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
                    "EventID": 4624,
                    "Level": 0,
                    "TimeCreated": {"#attributes": {"SystemTime": "2026-11-01T08:00:00.000000Z"}},
                    "EventRecordID": record,
                    "Channel": "Security",
                    "Computer": "DC01",
                },
                "EventData": {"TargetUserName": user},
            }
        }
    ).decode()
    return WindowsEvent(record, document, document)


def test_exact_copies_are_stored_once(store: Store) -> None:
    _write(store, 1, [_windows(1, "alice"), _windows(1, "alice")])
    _write(store, 2, [_windows(1, "alice"), _windows(2, "bob")])
    assert store.event_count() == 2
    rows = store.fetch_all("SELECT id, events, duplicates FROM imports ORDER BY id")
    assert rows == [(1, 1, 1), (2, 1, 1)]
    users = store.fetch_all('SELECT username, "TargetUserName" FROM events ORDER BY id')
    assert users == [("alice", "alice"), ("bob", "bob")]


def test_an_import_left_running_is_rolled_back_on_open(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        _write(store, 1, [_event(1)])
        _write(store, 2, [_event(2), _event(3)], status="")  # as if killed mid-file
        assert store.event_count() == 3
    with Store(path) as store:
        assert store.event_count() == 1
        status = store.cursor().execute("SELECT status FROM imports WHERE id = 2").fetchone()
        assert status == ("interrupted",)


def test_a_second_process_gets_a_clear_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "locked.duckdb"
    with Store(path):
        code = (
            "import sys\nfrom watchkeeper.storage.store import Store\n"
            "from watchkeeper.core.errors import StoreError\n"
            f"try:\n    Store({str(path)!r})\nexcept StoreError as e:\n    print(e.message)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    assert "open in another Watchkeeper process" in result.stdout


def test_a_foreign_duckdb_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE accounts (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a Watchkeeper store"):
        Store(path)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError, match="newer Watchkeeper"):
        Store(path)


def test_garbage_file_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "garbage.duckdb"
    path.write_bytes(b"this is not a database" * 1000)
    with pytest.raises(StoreError, match=r"garbage\.duckdb"):
        Store(path)
