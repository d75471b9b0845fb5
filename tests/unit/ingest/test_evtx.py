"""EVTX import on the real attack samples: counts, exact copies, fields, corrupt chunks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import shared
from watchkeeper.ingest.importer import import_paths
from watchkeeper.ingest.summary import ImportSummary
from watchkeeper.storage.store import Store

pytestmark = pytest.mark.shared

Samples = tuple[Store, ImportSummary]  # the store the samples went into, and how


@pytest.fixture(scope="module")
def samples_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Samples]:
    folder = shared("evtx-attack-samples")
    path = tmp_path_factory.mktemp("evtx") / "samples.duckdb"
    with Store(path) as store:
        summary = import_paths(store, [folder])
        yield store, summary


def test_every_sample_record_is_read_and_exact_copies_stored_once(samples_store: Samples) -> None:
    store, summary = samples_store
    evtx_files = [f for f in summary.files if f.name.endswith(".evtx")]
    assert len(evtx_files) == 277
    # One sample is a byte-for-byte copy of another: the ledger skips it (its 7 records are
    # the same 7 events); 6 more records elsewhere are exact copies: 8,255 - 13 = 8,242.
    skipped = [f for f in evtx_files if f.status == "skipped"]
    assert [Path(f.name).name for f in skipped] == ["UACME_59_Sysmon.evtx"]
    assert summary.records + 7 == 8255
    assert summary.duplicates == 6
    assert store.event_count() == 8242


def test_windows_fields_fill_the_common_columns(samples_store: Samples) -> None:
    store, _ = samples_store
    con = store.cursor()
    [sysmon1] = con.execute(
        "SELECT count(*), count(process), count(command_line), "
        "count(parent_process) + count(*) FILTER (WHERE \"ParentImage\" = '-') FROM events "
        "WHERE channel = 'Microsoft-Windows-Sysmon/Operational' AND event_id = 1"
    ).fetchall()
    # every process creation has its image, command line and parent (or '-' for none)
    assert sysmon1[0] > 100 and sysmon1[0] == sysmon1[1] == sysmon1[2] == sysmon1[3]
    [logons] = con.execute(
        "SELECT count(*), count(username), count(src_ip) FROM events "
        "WHERE channel = 'Security' AND event_id = 4624"
    ).fetchall()
    assert logons[0] > 10 and logons[1] == logons[0] and logons[2] > 0
    cleared = con.execute(
        "SELECT \"SubjectUserName\" FROM events WHERE event_id = 1102 AND channel = 'Security' "
        "LIMIT 1"
    ).fetchone()
    assert cleared is not None and cleared[0]
    # original Sigma field names resolve to columns
    for name in (
        "Image",
        "CommandLine",
        "ParentImage",
        "TargetObject",
        "EventID",
        "Channel",
        "Provider_Name",
        "Computer",
    ):
        assert store.resolve(name), name


def test_store_is_smaller_than_the_source_files(samples_store: Samples) -> None:
    store, _ = samples_store
    folder = shared("evtx-attack-samples")
    source = sum(p.stat().st_size for p in folder.rglob("*.evtx"))
    store.cursor().execute("CHECKPOINT")
    assert store.size_bytes() < source


def test_a_corrupt_chunk_is_quarantined_and_the_rest_imported(store: Store, tmp_path: Path) -> None:
    original = shared(
        "evtx-attack-samples", "AutomatedTestingTools", "PanacheSysmon_vs_AtomicRedTeam01.evtx"
    )
    data = bytearray(original.read_bytes())
    start = 4096 + 65536 + 600  # inside the second chunk's records
    data[start : start + 4400] = os.urandom(4400)
    bad = tmp_path / "bad.evtx"
    bad.write_bytes(bytes(data))
    summary = import_paths(store, [bad])
    result = summary.files[0]
    assert result.status == "imported"
    assert result.quarantined == 43  # the chunk's records, in one quarantine row
    assert result.records == 565 and result.events == 522
    [(reason, size)] = store.fetch_all("SELECT reason, octet_length(raw) FROM quarantine")
    assert reason.startswith("corrupt chunk 1 skipped (records 45 to 87, 43 records)")
    assert size == 65536  # the chunk's bytes are kept


def test_a_truncated_file_imports_its_complete_part(store: Store, tmp_path: Path) -> None:
    original = shared(
        "evtx-attack-samples", "AutomatedTestingTools", "PanacheSysmon_vs_AtomicRedTeam01.evtx"
    )
    data = original.read_bytes()
    cut = tmp_path / "cut.evtx"
    cut.write_bytes(data[: len(data) // 2 + 1234])
    summary = import_paths(store, [cut])
    result = summary.files[0]
    assert result.status == "imported" and 0 < result.events < 565
    assert "truncated" in result.message


def test_random_bytes_named_evtx_are_refused(store: Store, tmp_path: Path) -> None:
    fake = tmp_path / "fake.evtx"
    fake.write_bytes(os.urandom(100_000))
    summary = import_paths(store, [fake])
    assert summary.files[0].status == "failed"
    assert "binary content" in summary.files[0].message
    assert store.event_count() == 0


def test_a_header_only_evtx_is_refused_or_empty(store: Store, tmp_path: Path) -> None:
    original = shared(
        "evtx-attack-samples", "AutomatedTestingTools", "PanacheSysmon_vs_AtomicRedTeam01.evtx"
    )
    head = tmp_path / "head.evtx"
    head.write_bytes(original.read_bytes()[:4096])
    summary = import_paths(store, [head])
    assert summary.events == 0
    assert summary.files[0].message  # says why nothing came out
