"""The EVTX writer: files the `evtx` parser reads back exactly, in order, without a complaint."""

from __future__ import annotations

import io
import json
import struct
import warnings
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

import evtx
import pytest
from tests.evtx_damage import corrupt_chunk, truncate

from conftest import shared
from watchkeeper.scenarios.evtx_samples import write_large_set
from watchkeeper.scenarios.evtx_writer import (
    CHUNK_SIZE,
    FILE_HEADER_SIZE,
    EvtxRecord,
    write_evtx,
)

WHEN = datetime(2024, 3, 4, 9, 15, 30, 123456, tzinfo=UTC)
AUDITING = {
    "Name": "Microsoft-Windows-Security-Auditing",
    "Guid": UUID("54849625-5478-4994-a5ba-3e3b0328c30d"),
}
LOG_NS = "http://manifests.microsoft.com/win/2004/08/windows/eventlog"


def logon_4624() -> EvtxRecord:
    """The fields of a real 4624 (version 0), with a network logon from outside."""
    system = {
        "Provider": AUDITING,
        "EventID": 4624,
        "Version": 0,
        "Level": 0,
        "Task": 12544,
        "Opcode": 0,
        "Keywords": "0x8020000000000000",
        "TimeCreated": WHEN,
        "Execution": {"ProcessID": 480, "ThreadID": 1716},
        "Channel": "Security",
        "Computer": "DC01.contoso.local",
    }
    return EvtxRecord(
        system,
        {
            "SubjectUserSid": "S-1-5-18",
            "SubjectUserName": "DC01$",
            "SubjectDomainName": "CONTOSO",
            "SubjectLogonId": "0x3e7",
            "TargetUserSid": "S-1-5-21-3623811015-3361044348-1104",
            "TargetUserName": "alice",
            "TargetDomainName": "CONTOSO",
            "TargetLogonId": "0x1136e95",
            "LogonType": 3,
            "LogonProcessName": "NtLmSsp ",
            "AuthenticationPackageName": "NTLM",
            "WorkstationName": "",
            "LogonGuid": UUID(int=0),
            "TransmittedServices": "-",
            "LmPackageName": "NTLM V2",
            "KeyLength": 128,
            "ProcessId": "0x0",
            "ProcessName": "-",
            "IpAddress": "203.0.113.77",
            "IpPort": "50106",
        },
    )


def sysmon_process_1(command_line: str = "cmd.exe /c whoami /all") -> EvtxRecord:
    system = {
        "Provider": {
            "Name": "Microsoft-Windows-Sysmon",
            "Guid": UUID("5770385f-c22a-43e0-bf4c-06f5698ffbd9"),
        },
        "EventID": 1,
        "Version": 5,
        "Level": 4,
        "Task": 1,
        "Opcode": 0,
        "Keywords": "0x8000000000000000",
        "TimeCreated": WHEN,
        "Execution": {"ProcessID": 5424, "ThreadID": 6708},
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Computer": "PC07.contoso.local",
        "Security": {"UserID": "S-1-5-18"},
    }
    return EvtxRecord(
        system,
        {
            "RuleName": "",
            "UtcTime": "2024-03-04 09:15:30.122",
            "ProcessGuid": UUID("00247c92-858e-5f7b-0000-00105241202b"),
            "ProcessId": 18404,
            "Image": "C:\\Windows\\System32\\cmd.exe",
            "FileVersion": "10.0.19041.746",
            "Description": "Windows Command Processor",
            "Product": "Microsoft® Windows® Operating System",
            "Company": "Microsoft Corporation",
            "OriginalFileName": "Cmd.Exe",
            "CommandLine": command_line,
            "CurrentDirectory": "C:\\Users\\alice\\",
            "User": "CONTOSO\\alice",
            "LogonGuid": UUID("00247c92-8c36-5f75-0000-002034e39103"),
            "LogonId": "0x391e334",
            "TerminalSessionId": 2,
            "IntegrityLevel": "High",
            "Hashes": "SHA256=0AF6B3F8628E38B1551EC76277E482F8A2605B661F57C164C47ACEBB14B1A81B",
            "ParentProcessGuid": UUID("00247c92-858e-5f7b-0000-00106b29202b"),
            "ParentProcessId": 27356,
            "ParentImage": "C:\\Windows\\explorer.exe",
            "ParentCommandLine": "C:\\Windows\\Explorer.EXE",
        },
    )


def log_cleared_1102() -> EvtxRecord:
    system = {
        "Provider": {
            "Name": "Microsoft-Windows-Eventlog",
            "Guid": "{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}",
        },
        "EventID": 1102,
        "Version": 0,
        "Level": 4,
        "Task": 104,
        "Opcode": 0,
        "Keywords": "0x4020000000000000",
        "TimeCreated": WHEN,
        "Execution": {"ProcessID": 812, "ThreadID": 3916},
        "Channel": "Security",
        "Computer": "PC01.contoso.local",
    }
    return EvtxRecord(
        system,
        user_data=(
            f"{{{LOG_NS}}}LogFileCleared",
            {
                "SubjectUserSid": "S-1-5-21-1587066498-1489273250-1035260531-1106",
                "SubjectUserName": "mallory",
                "SubjectDomainName": "CONTOSO",
                "SubjectLogonId": "0x17dad",
            },
        ),
    )


def service_7045() -> EvtxRecord:
    """A service install, stamped in a zone two hours east of UTC."""
    system = {
        "Provider": {
            "Name": "Service Control Manager",
            "Guid": "{555908d1-a6d7-4695-8e1e-26931d2012f4}",
            "EventSourceName": "Service Control Manager",
        },
        "EventID": 7045,
        "Qualifiers": 16384,
        "Version": 0,
        "Level": 4,
        "Task": 0,
        "Opcode": 0,
        "Keywords": "0x8080000000000000",
        "TimeCreated": datetime(2024, 3, 4, 11, 15, 30, tzinfo=timezone(timedelta(hours=2))),
        "Execution": {"ProcessID": 468, "ThreadID": 3256},
        "Channel": "System",
        "Computer": "PC07.contoso.local",
        "Security": {"UserID": "S-1-5-21-3583694148-1414552638-2922671848-1000"},
    }
    return EvtxRecord(
        system,
        {
            "ServiceName": "WinPwnage",
            "ImagePath": "%COMSPEC% /c ping -n 1 127.0.0.1 >nul && echo 'x' > \\\\.\\pipe\\WinPwnage",
            "ServiceType": "user mode service",
            "StartType": "demand start",
            "AccountName": "LocalSystem",
        },
    )


def hostile_text() -> EvtxRecord:
    """Text a reader must not mangle: markup, quotes, SQL, control characters, other scripts."""
    system = {
        "Provider": {"Name": "Hostile-Provider <&>"},
        "EventID": 4688,
        "TimeCreated": WHEN,
        "Correlation": {"ActivityID": UUID(int=0xABCDEF), "RelatedActivityID": "{not-a-guid}"},
        "Channel": "Application",
        "Computer": 'Zoë\'s PC "quoted"',
    }
    return EvtxRecord(
        system,
        {
            "Markup": "<script>alert('x')</script> & <b>bold</b>",
            "Quotes": "\"double\" and 'single'",
            "Sql": "'; DROP TABLE events; --",
            "Controls": "a\x01b\x1bc\td\ne\rf\x7f",
            "Scripts": "Zoë, 日本語, Ελληνικά, עברית",
            "Astral": "emoji 😀 and 𝄞 beyond the BMP",
            "Empty": "",
            "Big": 2**40,
            "Negative": -5,
        },
    )


def long_command_line() -> EvtxRecord:
    return sysmon_process_1("powershell.exe -enc " + "QUJD" * 2048)  # 8 KB


KINDS = {
    "4624 logon": logon_4624,
    "sysmon 1": sysmon_process_1,
    "1102 cleared": log_cleared_1102,
    "7045 service": service_7045,
    "hostile text": hostile_text,
    "8 KB command line": long_command_line,
}
REAL = {
    "4624 logon": (("Command and Control", "DE_RDP_Tunneling_4624.evtx"), 4624),
    "sysmon 1": (("UACME_59_Sysmon.evtx",), 1),
    "1102 cleared": (("Defense Evasion", "DE_1102_security_log_cleared.evtx"), 1102),
    "7045 service": (("Privilege Escalation", "System_7045_namedpipe_privesc.evtx"), 7045),
}


def parsed(path: Path, xml: bool = False, **options: Any) -> Iterator[dict[str, Any]]:
    parser = evtx.PyEvtxParser(str(path), **options)
    yield from parser.records() if xml else parser.records_json()


def read_json(
    path: Path, **options: Any
) -> tuple[list[tuple[int, str, dict[str, Any]]], list[str]]:
    """(record id, written time, event) for each record, and the parser's warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records = [
            (r["event_record_id"], r["timestamp"], json.loads(r["data"])["Event"])
            for r in parsed(path, skip_errors=True, **options)
        ]
    return records, [str(warning.message) for warning in caught]


def read_checked(path: Path) -> list[tuple[int, str, dict[str, Any]]]:
    records, complaints = read_json(path, validate_checksums=True)
    assert complaints == []
    return records


def shown(value: object) -> object:
    """A value as the parser shows it: GUIDs in capitals without braces, the rest as written."""
    return str(value).upper() if isinstance(value, UUID) else value


def attributes(mapping: dict[str, object] | None) -> dict[str, object] | None:
    return {"#attributes": {k: shown(v) for k, v in mapping.items()}} if mapping else None


def expected_system(system: dict[str, Any], record_id: int) -> dict[str, Any]:
    """The System element a reader should find: what was written, in Windows' order."""
    out: dict[str, Any] = {"Provider": attributes(system["Provider"]), "EventID": system["EventID"]}
    if "Qualifiers" in system:
        out["EventID"] = {
            "#attributes": {"Qualifiers": system["Qualifiers"]},
            "#text": system["EventID"],
        }
    out |= {
        tag: system[tag]
        for tag in ("Version", "Level", "Task", "Opcode", "Keywords")
        if tag in system
    }
    stamp = system["TimeCreated"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    out |= {
        "TimeCreated": {"#attributes": {"SystemTime": stamp}},
        "EventRecordID": record_id,
        "Correlation": attributes(system.get("Correlation")),
    }
    if "Execution" in system:
        out["Execution"] = attributes(system["Execution"])
    return out | {
        "Channel": system["Channel"],
        "Computer": system["Computer"],
        "Security": attributes(system.get("Security")),
    }


def expected_data(record: EvtxRecord) -> dict[str, Any]:
    if record.event_data is not None:
        return {"EventData": {name: shown(value) for name, value in record.event_data.items()}}
    assert record.user_data is not None
    name, children = record.user_data
    namespace, tag = name[1:].split("}")
    return {"UserData": {tag: {"#attributes": {"xmlns": namespace}, **children}}}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_reads_back_exactly_as_written(tmp_path: Path, kind: str) -> None:
    record = KINDS[kind]()
    path = tmp_path / "one.evtx"
    assert write_evtx(path, [record]) == 1

    [(record_id, written, event)] = read_checked(path)

    assert record_id == 1
    assert datetime.fromisoformat(written.removesuffix(" UTC")) == record.system["TimeCreated"]
    expected = {
        "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": expected_system(record.system, 1),
        **expected_data(record),
    }
    assert event == expected
    assert list(event["System"]) == list(expected["System"])  # Windows' order, too
    if record.user_data is None:
        assert list(event["EventData"]) == list(record.event_data or ())
    else:
        assert list(event["UserData"]["LogFileCleared"])[1:] == list(record.user_data[1])


def test_markup_in_values_is_escaped_in_xml(tmp_path: Path) -> None:
    path = tmp_path / "hostile.evtx"
    write_evtx(path, [hostile_text()])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        [xml] = [r["data"] for r in parsed(path, True, validate_checksums=True, skip_errors=True)]
    assert caught == []
    assert "&lt;script&gt;alert(" in xml and "<script>" not in xml
    assert 'Name="Hostile-Provider &lt;&amp;&gt;"' in xml


def skeleton(value: object) -> object:
    """The keys of nested objects, and the JSON type of each leaf."""
    if isinstance(value, dict):
        return {key: skeleton(child) for key, child in value.items()}
    return type(value).__name__


@pytest.mark.shared
@pytest.mark.parametrize("kind", REAL)
def test_kinds_have_the_shape_of_a_real_record(tmp_path: Path, kind: str) -> None:
    parts, event_id = REAL[kind]
    real = None
    for raw in parsed(shared("evtx-attack-samples", *parts)):
        event = json.loads(raw["data"])["Event"]
        found = event["System"]["EventID"]
        if (found["#text"] if isinstance(found, dict) else found) == event_id:
            real = event
            break
    assert real is not None
    if "UserData" in real:  # an extra namespace declaration Windows adds; nothing reads it
        del real["UserData"]["LogFileCleared"]["#attributes"]["xmlns:auto-ns3"]
    write_evtx(tmp_path / "ours.evtx", [KINDS[kind]()])

    [(_, _, ours)] = read_checked(tmp_path / "ours.evtx")

    assert skeleton(ours) == skeleton(real)


def test_many_records_span_chunks_and_come_back_in_order(tmp_path: Path) -> None:
    kinds = list(KINDS.values())
    records = []
    for number in range(5000):
        record = kinds[number % len(kinds)]()
        record.system["TimeCreated"] = WHEN + timedelta(seconds=number)
        records.append(record)
    path = tmp_path / "many.evtx"

    assert write_evtx(path, records) == 5000

    read = read_checked(path)
    assert [record_id for record_id, _, _ in read] == list(range(1, 5001))
    assert [event["System"]["EventRecordID"] for _, _, event in read] == list(range(1, 5001))
    assert read[4321][2]["System"]["TimeCreated"]["#attributes"]["SystemTime"] == (
        "2024-03-04T10:27:31.123456Z"
    )
    assert (path.stat().st_size - FILE_HEADER_SIZE) // CHUNK_SIZE > 20
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert sum(1 for _ in parsed(path, True, validate_checksums=True, skip_errors=True)) == 5000
    assert caught == []


def test_headers_carry_the_counts_and_checksums(tmp_path: Path) -> None:
    path = tmp_path / "headers.evtx"
    write_evtx(path, [logon_4624() for _ in range(25)], chunk_records=10)
    data = path.read_bytes()

    assert len(data) == FILE_HEADER_SIZE + 3 * CHUNK_SIZE
    magic, first_chunk, last_chunk, next_id, size, minor, major, block, chunks = struct.unpack_from(
        "<8sQQQIHHHH", data
    )
    assert (magic, first_chunk, last_chunk, next_id, chunks) == (b"ElfFile\x00", 0, 2, 26, 3)
    assert (size, minor, major, block) == (128, 1, 3, FILE_HEADER_SIZE)
    assert struct.unpack_from("<I", data, 124)[0] == zlib.crc32(data[:120])
    for index, (first, last) in enumerate([(1, 10), (11, 20), (21, 25)]):
        chunk = data[FILE_HEADER_SIZE + index * CHUNK_SIZE :][:CHUNK_SIZE]
        header = struct.unpack_from("<8sQQQQIIII", chunk)
        assert header[:6] == (b"ElfChnk\x00", first, last, first, last, 128)
        free, records_crc = header[7], header[8]
        assert records_crc == zlib.crc32(chunk[512:free])
        assert struct.unpack_from("<I", chunk, 124)[0] == zlib.crc32(chunk[:120] + chunk[128:512])


def test_given_record_ids_are_kept_and_must_increase(tmp_path: Path) -> None:
    records = [logon_4624() for _ in range(3)]
    for record, record_id in zip(records, (100, 105, 2000), strict=True):
        record.system["EventRecordID"] = record_id
    write_evtx(tmp_path / "ids.evtx", records)

    assert [r for r, _, _ in read_checked(tmp_path / "ids.evtx")] == [100, 105, 2000]
    records[2].system["EventRecordID"] = 50
    with pytest.raises(ValueError, match="EventRecordID 50 does not follow 105"):
        write_evtx(tmp_path / "bad.evtx", records)


def test_a_corrupt_chunk_is_skipped_and_the_others_read(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.evtx"
    write_evtx(path, [logon_4624() for _ in range(30)], chunk_records=10)
    corrupt_chunk(path, 1)

    for validate in (True, False):
        records, complaints = read_json(path, validate_checksums=validate)
        assert [r for r, _, _ in records] == [*range(1, 11), *range(21, 31)]
        assert len(complaints) == 1 and "chunk" in complaints[0]
    with pytest.raises(ValueError, match="no chunk 3"):
        corrupt_chunk(path, 3)


def test_a_truncated_file_keeps_its_whole_chunks(tmp_path: Path) -> None:
    path = tmp_path / "cut.evtx"
    write_evtx(path, [logon_4624() for _ in range(30)], chunk_records=10)
    truncate(path, FILE_HEADER_SIZE + CHUNK_SIZE + 3000)

    assert path.stat().st_size == FILE_HEADER_SIZE + CHUNK_SIZE + 3000
    assert [r for r, _, _ in read_json(path)[0]] == list(range(1, 11))
    truncate(path, 2000)
    with pytest.raises(OSError, match="header"):
        evtx.PyEvtxParser(str(path))


def test_a_stream_gets_the_same_bytes_as_a_file(tmp_path: Path) -> None:
    records = [logon_4624(), log_cleared_1102(), service_7045()]
    write_evtx(tmp_path / "file.evtx", records)
    stream = io.BytesIO(b"prefix")
    stream.seek(6)

    assert write_evtx(stream, records) == 3
    assert stream.getvalue() == b"prefix" + (tmp_path / "file.evtx").read_bytes()


def test_the_same_records_give_the_same_bytes(tmp_path: Path) -> None:
    write_evtx(tmp_path / "a.evtx", [kind() for kind in KINDS.values()])
    write_evtx(tmp_path / "b.evtx", [kind() for kind in KINDS.values()])

    assert (tmp_path / "a.evtx").read_bytes() == (tmp_path / "b.evtx").read_bytes()


def test_no_records_make_an_empty_log(tmp_path: Path) -> None:
    assert write_evtx(tmp_path / "empty.evtx", []) == 0
    assert read_checked(tmp_path / "empty.evtx") == []


def with_system(**changes: object) -> EvtxRecord:
    record = logon_4624()
    record.system.update(changes)
    return record


@pytest.mark.parametrize(
    ("record", "error", "message"),
    [
        (EvtxRecord({"EventID": 1}), ValueError, "missing \\['Channel', 'Computer'"),
        (with_system(Colour="red"), ValueError, "unknown System fields \\['Colour'\\]"),
        (with_system(TimeCreated=datetime(2024, 3, 4)), ValueError, "aware datetime"),
        (with_system(Security={"UserID": "alice"}), ValueError, "not a SID"),
        (with_system(Execution=[1, 2]), TypeError, "Execution must be a mapping"),
        (with_system(EventID=70000), ValueError, "out of range"),
        (EvtxRecord(logon_4624().system, {"Ratio": 0.5}), TypeError, "float"),  # type: ignore[dict-item]
        (EvtxRecord(logon_4624().system, {"Huge": "x" * 40_000}), ValueError, "too long"),
        (
            EvtxRecord(logon_4624().system, {f"Part{n}": "x" * 15_000 for n in range(3)}),
            ValueError,
            "a chunk holds",
        ),
        (
            EvtxRecord(logon_4624().system, {}, ("Other", {})),
            ValueError,
            "both EventData and UserData",
        ),
    ],
    ids=[
        "missing fields",
        "unknown field",
        "naive time",
        "bad SID",
        "bad Execution",
        "EventID too big",
        "float",
        "value too long",
        "record too big",
        "both data kinds",
    ],
)
def test_records_a_log_cannot_hold_are_refused(
    tmp_path: Path, record: EvtxRecord, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        write_evtx(tmp_path / "refused.evtx", [record])


def test_an_unseekable_stream_is_refused() -> None:
    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    with pytest.raises(ValueError, match="seekable"):
        write_evtx(Pipe(), [logon_4624()])


def test_the_large_set_reads_back_whole(tmp_path: Path) -> None:
    paths = write_large_set(tmp_path / "large", 2000)

    counts = {path.name: len(read_checked(path)) for path in paths}
    assert sum(counts.values()) == 2000
    assert counts["Security.evtx"] == 900 and counts["System.evtx"] == 100
    [(_, _, last)] = read_checked(paths[0])[-1:]
    assert last["EventData"]["TargetUserName"] == "user26"
    assert last["EventData"]["IpAddress"] == "10.0.3.109"
