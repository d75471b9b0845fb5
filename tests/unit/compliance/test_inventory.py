"""Which tool wrote a file, told from its content, and a clear message for every bad file."""

from __future__ import annotations

import contextlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.compliance.reading import FIXTURES, messages, read, read_bytes

from watchkeeper.compliance.inventory import read_inventory
from watchkeeper.compliance.model import (
    ENCRYPTED,
    SOURCE_GOOGLE,
    SOURCE_INTUNE,
    SOURCE_JAMF,
    SOURCE_OSQUERY,
    InventoryError,
)
from watchkeeper.core.errors import WatchkeeperError


@pytest.mark.parametrize(
    ("name", "source", "how"),
    [
        ("intune-all-devices-en.csv", SOURCE_INTUNE, "Read as an Intune export"),
        ("intune-geraete-de.csv", SOURCE_INTUNE, "Read as an Intune export"),
        ("intune-appareils-fr.txt", SOURCE_INTUNE, "Read as an Intune export"),
        ("intune-compliance-uk.csv", SOURCE_INTUNE, "Read as an Intune export"),
        ("intune-graph-export.csv", SOURCE_INTUNE, "Read as an Intune export"),
        ("google-devices.csv", SOURCE_GOOGLE, "Read as a Google Workspace export"),
        ("jamf-computers.csv", SOURCE_JAMF, "Read as a Jamf Pro computer export"),
        ("jamf-computers-filevault-status.csv", SOURCE_JAMF, "Read as a Jamf Pro computer export"),
        ("jamf-mobile-devices.csv", SOURCE_JAMF, "Read as a Jamf Pro mobile device export"),
        ("osquery-snapshot.log", SOURCE_OSQUERY, "Read as an osquery results log"),
        ("osquery-differential.log", SOURCE_OSQUERY, "Read as an osquery results log"),
    ],
)
def test_each_export_is_recognised_by_its_content_whatever_its_name(
    name: str, source: str, how: str
) -> None:
    result = read_bytes("export.dat", (FIXTURES / name).read_bytes())
    assert result.source == source
    assert result.notes[0].startswith(how)
    assert result.records


def error(name: str, data: bytes) -> str:
    with pytest.raises(InventoryError) as raised:
        read_bytes(name, data)
    assert raised.value.title == "Device list not imported"
    return raised.value.message


NAMES = "Device name, Gerätename, Nom de l'appareil, Name, Computer Name, Display Name"


@pytest.mark.parametrize("data", [b"", b"  \r\n\r\n", b"\xef\xbb\xbf", b"\xff\xfe"])
def test_an_empty_file(data: bytes) -> None:
    assert error("devices.csv", data) == "devices.csv: the file is empty"


def test_a_binary_file() -> None:
    data = bytes(range(256)) * 20
    assert (
        error("devices.csv", data) == "devices.csv: not a text export (it looks like binary data)"
    )


def test_a_csv_of_garbage() -> None:
    data = b"lorem ipsum dolor,sit amet\nconsectetur,adipiscing\n42,17\n"
    assert error("devices.csv", data) == (
        f"devices.csv: not an export Watchkeeper knows: no column for the device name "
        f"(looked for {NAMES})"
    )


def test_an_intune_export_missing_its_device_name_column() -> None:
    data = b"Serial number,OS,Encrypted,Jailbroken,Managed by\nABC1,Windows,True,False,Intune\n"
    assert error("devices.csv", data) == (
        f"devices.csv: not an export Watchkeeper knows: no column for the device name "
        f"(looked for {NAMES})"
    )


def test_an_export_from_an_unknown_tool() -> None:
    data = (
        b"Device Name,Serial Number,OS Version,Last Check In,Blueprint\n"
        b"PC-1,ABC1,14.6,2026-11-23,Standard\n"
    )
    assert error("kandji.csv", data) == (
        "kandji.csv: not an export Watchkeeper knows: no column that only an MDM export has "
        "(looked for Managed by or Azure AD Device ID or Compliance (Intune); "
        "Compromised status or Encryption status or First Sync (Google Workspace); "
        "FileVault 2 Status or Computer Name or Secure Boot Level (Jamf Pro computers); "
        "Data Protection or Passcode Status or Jailbreak Detected (Jamf Pro mobile devices))"
    )


def test_a_header_without_devices() -> None:
    result = read_bytes("devices.csv", b"Device name,Serial number,Encrypted,Managed by\r\n")
    assert result.records == []
    assert messages(result) == ["devices.csv: the file has a header row but no devices under it"]


def test_a_row_with_more_values_than_columns_is_read_in_part() -> None:
    data = b"Device name,Encrypted,Managed by\nPC-1,True,Intune,surplus\nPC-2,False,Intune\n"
    result = read_bytes("devices.csv", data)
    assert [r.value(ENCRYPTED) for r in result.records] == [True, False]
    assert messages(result) == [
        "devices.csv: row 2 has 4 values for 3 columns; the values past "
        "the last column were left out"
    ]


def test_json_that_is_not_an_osquery_results_log() -> None:
    assert error("export.json", b'[{"deviceName": "PC-1"}]') == (
        "export.json: not an inventory Watchkeeper knows: a JSON array, where an osquery "
        "results log has one JSON object per line"
    )
    assert error("events.log", b'{"time": "2026-11-23", "message": "hello"}\n') == (
        "events.log: not an osquery results log: no line has hostIdentifier, name and columns "
        "or snapshot"
    )


def test_an_osquery_log_of_other_queries_only() -> None:
    line = {
        "name": "pack_it-compliance_kernel_info",
        "hostIdentifier": "pc",
        "unixTime": 1,
        "columns": {"version": "6.8"},
        "action": "added",
    }
    assert error("osqueryd.results.log", json.dumps(line).encode()) == (
        "osqueryd.results.log: holds results of other queries only "
        "(pack_it-compliance_kernel_info), none of the Watchkeeper pack "
        "(resources/osquery/watchkeeper-pack.conf)"
    )


def test_an_osquery_log_cut_off_in_its_only_line() -> None:
    data = (FIXTURES / "osquery-snapshot.log").read_bytes().splitlines()[0][:80]
    assert error("results.log", data) == (
        "results.log: not an osquery results log: no line has hostIdentifier, name and columns "
        "or snapshot (line 1 is cut short)"
    )


def test_reading_from_disk_uses_the_file_name_and_time(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"Device name,Encrypted,Managed by\nPC-1,True,Intune\n")
    stamp = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    record = read_inventory(path).records[0]
    assert record.source_label == "export.csv"
    assert record.observed == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # no check-in column
    with pytest.raises(InventoryError, match=r"^missing\.csv: could not be read"):
        read_inventory(tmp_path / "missing.csv")


def test_every_fixture_cut_anywhere_reads_or_says_why() -> None:
    for path in sorted(FIXTURES.iterdir()):
        data = path.read_bytes()
        for end in range(0, len(data), max(1, len(data) // 40)):
            try:
                read_bytes(path.name, data[:end])
            except InventoryError as problem:
                assert problem.message.startswith(path.name + ": ")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_give_records_or_an_inventory_error(data: bytes) -> None:
    with contextlib.suppress(InventoryError):
        read_bytes("devices.csv", data)


CELLS = st.text(alphabet=st.sampled_from(list("ab1;,\t\"\r\n {}[]:<>'\x00\x1bé")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(CELLS, max_size=6),
    st.sampled_from(
        [
            "Device name,Serial number,Encrypted,Jailbroken,Managed by,Last check-in\n",
            "Computer Name;Serial Number;FileVault 2 Status;Firewall Enabled;Last Check-in\n",
            "Name\tEmail\tCompromised status\tEncryption status\tLast Sync\n",
        ]
    ),
)
def test_hostile_rows_under_a_real_header_never_raise_anything_else(
    rows: list[str], header: str
) -> None:
    try:
        result = read_bytes("devices.csv", (header + "\n".join(rows)).encode())
    except WatchkeeperError as problem:
        assert isinstance(problem, InventoryError)
        return
    for record in result.records:
        for fact in record.facts.values():
            assert "\n" not in fact.evidence and "\x1b" not in fact.evidence


def test_reading_the_fixtures_twice_gives_the_same_records() -> None:
    assert read("intune-all-devices-en.csv") == read("intune-all-devices-en.csv")
