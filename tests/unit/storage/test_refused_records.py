"""A record the database refuses is quarantined: the rest of its batch, and every other file, is stored."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.core.event import Event, Rejected, WindowsEvent
from watchkeeper.core.timeparse import parse_iso
from watchkeeper.ingest import nxlog
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.batch import Batch, LedgerRow
from watchkeeper.storage.pipeline import BackgroundWriter
from watchkeeper.storage.store import Store

# JSON DuckDB will not read (a lone surrogate), as a broken UTF-16 string can become
REFUSED = (
    '{"Event":{"System":{"Channel":"Security","Computer":"pc-02"},"EventData":{"Name":"\\ud800"}}}'
)
GOOD = (
    '{"Event":{"System":{"Channel":"Security","Computer":"pc-02","EventID":4624,'
    '"TimeCreated":{"#attributes":{"SystemTime":"2026-11-23T10:00:00.000000Z"}}},'
    '"EventData":{"TargetUserName":"amy"}}}'
)


def _event(number: int, host: str) -> Event:
    return Event(
        number,
        f"line {number} of {host}",
        {"time": parse_iso("2026-11-23T10:00:00Z"), "host": host, "source": "syslog"},
    )


def _file(import_id: int, items: list[Event | WindowsEvent | Rejected]) -> Batch:
    batch = Batch()
    batch.opened.append(
        LedgerRow(import_id, f"file{import_id}.log", 10, f"sha{import_id}", "test", "running")
    )
    for item in items:
        batch.add(import_id, item)
    batch.closed.append((import_id, "done", None))
    return batch


def test_a_refused_record_is_quarantined_and_nothing_else_is_lost(store: Store) -> None:
    writer = BackgroundWriter(store)
    writer.submit(_file(1, [_event(1, "pc-01"), _event(2, "pc-01"), _event(3, "pc-01")]))
    writer.submit(
        _file(
            2,
            [
                _event(1, "pc-02"),
                WindowsEvent(2, REFUSED, REFUSED),
                WindowsEvent(3, GOOD, GOOD),
                Rejected(4, b"junk", "line 4: junk"),
            ],
        )
    )
    writer.submit(_file(3, [_event(1, "pc-03")]))
    writer.drain()
    writer.close()
    ledger = store.fetch_all(
        "SELECT id, status, records, events, quarantined FROM imports ORDER BY id"
    )
    assert ledger == [(1, "done", 3, 3, 0), (2, "done", 4, 2, 2), (3, "done", 1, 1, 0)]
    assert store.fetch_all("SELECT host, count(*) FROM events GROUP BY 1 ORDER BY 1") == [
        ("pc-01", 3),
        ("pc-02", 2),
        ("pc-03", 1),
    ]
    refused = store.fetch_one(
        "SELECT record_no, reason, raw FROM quarantine WHERE import_id = 2 AND record_no = 2"
    )
    assert refused is not None
    assert refused[1].startswith("record 2: not stored, the database refused it (")
    assert "\n" not in refused[1]
    assert refused[2] == REFUSED.encode()  # the record as it came


def test_a_refused_record_in_a_folder_import_stops_no_other_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = nxlog.nxlog_json

    def broken_for_one(value: dict[str, Any], zone: tzinfo) -> str:
        return REFUSED if value.get("RecordNumber") == 2 else real(value, zone)

    monkeypatch.setattr(nxlog, "nxlog_json", broken_for_one)
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "a.log").write_text("Nov  3 08:43:12 web01 sshd[1]: before\n")
    (folder / "b.json").write_text(
        "".join(
            '{"EventTime":"2026-11-23T10:00:00Z","Hostname":"pc01","EventID":4624,'
            f'"RecordNumber":{n},"SourceName":"Microsoft-Windows-Security-Auditing",'
            '"Channel":"Security","SourceModuleType":"im_msvistalog"}\n'
            for n in (1, 2, 3)
        )
    )
    (folder / "c.log").write_text("Nov  3 08:43:13 web02 sshd[1]: after\n")
    summary = import_paths(store, [folder])
    assert [(f.status, f.events, f.quarantined) for f in summary.files] == [
        ("imported", 1, 0),
        ("imported", 2, 1),
        ("imported", 1, 0),
    ]
    assert store.event_count() == 4


def test_a_refused_record_after_earlier_batches_of_its_file_keeps_them(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watchkeeper.ingest.importer import Importer

    real = nxlog.nxlog_json

    def broken_for_one(value: dict[str, Any], zone: tzinfo) -> str:
        return REFUSED if value.get("RecordNumber") == 6 else real(value, zone)

    monkeypatch.setattr(nxlog, "nxlog_json", broken_for_one)
    log = tmp_path / "big.json"
    log.write_text(
        "".join(
            '{"EventTime":"2026-11-23T10:00:00Z","Hostname":"pc01","EventID":4624,'
            f'"RecordNumber":{n},"SourceName":"Microsoft-Windows-Security-Auditing",'
            '"Channel":"Security","SourceModuleType":"im_msvistalog"}\n'
            for n in range(1, 10)
        )
    )
    summary = Importer(store, batch_size=2).run([log])  # five batches in one transaction
    assert [(f.status, f.records, f.events, f.quarantined) for f in summary.files] == [
        ("imported", 9, 8, 1)
    ]
    assert store.fetch_all("SELECT record_no FROM quarantine") == [(6,)]
    assert store.event_count() == 8
