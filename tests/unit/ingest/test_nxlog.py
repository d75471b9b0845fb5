"""NXLog im_msvistalog JSON: the evtx JSON shape, the sender's local time, other inputs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared
from watchkeeper.core.event import Event, Parsed, Rejected, WindowsEvent
from watchkeeper.core.timeparse import YearInference
from watchkeeper.ingest.base import ParseContext, Source
from watchkeeper.ingest.importer import import_paths
from watchkeeper.ingest.jsonlines import JsonLinesParser
from watchkeeper.ingest.nxlog import TIME_INFERRED_FIELD, NxlogParser
from watchkeeper.ingest.winlogbeat import WinlogbeatParser
from watchkeeper.storage.store import Store

PARSER = NxlogParser()
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PARIS = timezone(timedelta(hours=1))  # the sender's zone in November

PROJECTION = """
SELECT j->>'$.Event.System.Channel', j->>'$.Event.System.Computer',
       coalesce(j->>'$.Event.System.EventID."#text"', j->>'$.Event.System.EventID'),
       j->>'$.Event.System.Provider."#attributes".Name', j->>'$.Event.System.EventRecordID',
       j->>'$.Event.System.TimeCreated."#attributes".SystemTime'
FROM (SELECT ?::JSON AS j)
"""
EVENT_DATA = "SELECT key, value->>'$' FROM json_each((?::JSON)->'$.Event.EventData')"


def parse(data: bytes, zone: tzinfo = PARIS) -> tuple[list[Parsed], ParseContext]:
    source = Source.from_bytes("nxlog.json", data)
    context = ParseContext(years=YearInference(datetime(2026, 11, 23, tzinfo=UTC), zone))
    return list(PARSER.parse(source, context)), context


def event_of(item: Parsed) -> dict[str, Any]:
    assert isinstance(item, WindowsEvent), item
    document: dict[str, Any] = json.loads(item.event_json)["Event"]
    return document


def fixture_lines(fixtures: Path) -> list[str]:
    return (fixtures / "nxlog" / "im_msvistalog.json").read_text(encoding="utf-8").splitlines()


def test_each_record_becomes_a_windows_event_in_evtx_shape(fixtures: Path) -> None:
    lines = fixture_lines(fixtures)
    items, _ = parse("\n".join(lines).encode())
    assert [item.record_no for item in items] == [1, 2, 3, 4]
    assert all(isinstance(item, WindowsEvent) and item.source == "nxlog" for item in items)
    assert [item.raw for item in items] == lines
    logon, process, sysmon, cleared = (event_of(item) for item in items)

    system = logon["System"]
    assert system["EventID"] == 4624
    assert system["Provider"]["#attributes"]["Name"] == "Microsoft-Windows-Security-Auditing"
    assert system["Channel"] == "Security"
    assert system["Computer"] == "FS01.oakfield.local"
    assert system["EventRecordID"] == 482913
    assert system["Keywords"] == "0x8020000000000000"  # NXLog wrote the bits signed
    assert system["Level"] == 0  # an audit event is Level 0 (LogAlways), as in the EVTX
    assert system["Task"] == 12544
    assert system["Execution"]["#attributes"] == {"ProcessID": 788, "ThreadID": 6104}
    data = logon["EventData"]
    assert data["IpAddress"] == "192.168.10.57"
    assert data["TargetUserName"] == "jsmith"
    assert data["Message"].startswith("An account was successfully logged on.")
    for own_key in (
        "SourceModuleType",
        "EventReceivedTime",
        "Severity",
        "EventType",
        "Hostname",
        "Category",
        "Opcode",
        "Keywords",
    ):
        assert own_key not in data

    assert process["EventData"]["CommandLine"] == "whoami /priv"
    assert process["EventData"]["ProcessId"] == "0x2a70"  # EventData's, not NXLog's ProcessID
    assert sysmon["EventData"]["Image"].endswith(r"\powershell.exe")
    assert sysmon["EventData"]["ParentImage"].endswith(r"\WINWORD.EXE")
    assert sysmon["System"]["Keywords"] == "0x8000000000000000"
    assert sysmon["System"]["Security"]["#attributes"]["UserID"] == "S-1-5-18"
    assert cleared["System"]["Keywords"] == "0x4020000000000000"
    # NXLog flattens UserData like EventData; the fields survive, under EventData.
    assert cleared["EventData"]["SubjectUserName"] == "jsmith"


def test_local_event_time_is_converted_with_the_senders_zone_and_flagged(fixtures: Path) -> None:
    items, _ = parse(fixture_lines(fixtures)[0].encode())
    event = event_of(items[0])
    # 08:43:12 in Paris is 07:43:12 UTC.
    assert (
        event["System"]["TimeCreated"]["#attributes"]["SystemTime"] == "2026-11-23T07:43:12.000000Z"
    )
    assert event["EventData"][TIME_INFERRED_FIELD] == "true"


def test_an_iso_event_time_with_its_offset_is_exact_and_not_flagged() -> None:
    line = (
        '{"EventTime":"2026-03-31T12:03:33.169332+03:00","Hostname":"dc01","Keywords":'
        '"9232379236109516800","EventType":"AUDIT_SUCCESS","SeverityValue":2,"EventID":4769,'
        '"SourceName":"Microsoft-Windows-Security-Auditing","TaskValue":14337,'
        '"RecordNumber":152410252,"ExecutionProcessID":596,"ExecutionThreadID":1748,'
        '"Channel":"Security","TargetUserName":"user1$@OAKFIELD.LOCAL",'
        '"SourceModuleType":"im_msvistalog"}'
    )
    items, _ = parse(line.encode())
    event = event_of(items[0])
    assert (
        event["System"]["TimeCreated"]["#attributes"]["SystemTime"] == "2026-03-31T09:03:33.169332Z"
    )
    assert TIME_INFERRED_FIELD not in event["EventData"]
    assert event["System"]["Keywords"] == "0x8020000000000000"
    assert event["System"]["Task"] == 14337
    assert event["System"]["Execution"]["#attributes"] == {"ProcessID": 596, "ThreadID": 1748}


def test_the_events_own_process_id_beside_nxlogs_execution_one_is_event_data(
    store: Store, tmp_path: Path
) -> None:
    # 5156 names the application's process in EventData ProcessID, as the EVTX does
    line = (
        '{"EventTime":"2026-11-23T08:00:00Z","Hostname":"FS01","EventType":"AUDIT_SUCCESS",'
        '"EventID":5156,"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security",'
        '"ExecutionProcessID":4,"ExecutionThreadID":7012,"ProcessID":"820",'
        '"Application":"C:\\\\Windows\\\\System32\\\\svchost.exe",'
        '"SourceAddress":"10.0.0.5","SourcePort":"50000","SourceModuleType":"im_msvistalog"}'
    )
    items, _ = parse(line.encode())
    event = event_of(items[0])
    assert event["System"]["Execution"]["#attributes"] == {"ProcessID": 4, "ThreadID": 7012}
    assert event["EventData"]["ProcessID"] == "820"
    log = tmp_path / "nxlog.json"
    log.write_text(line + "\n", encoding="utf-8")
    import_paths(store, [log])
    assert store.fetch_all("SELECT pid, src_ip FROM events") == [(820, "10.0.0.5")]


def test_sysmons_own_event_type_stays_in_event_data() -> None:
    line = (
        '{"EventTime":"2026-11-23 08:50:00","Hostname":"pc1","EventType":"SetValue",'
        '"EventID":13,"SourceName":"Microsoft-Windows-Sysmon","Channel":'
        '"Microsoft-Windows-Sysmon/Operational","TargetObject":"HKLM\\\\SOFTWARE\\\\Run\\\\x",'
        '"SourceModuleType":"im_msvistalog"}'
    )
    items, _ = parse(line.encode())
    data = event_of(items[0])["EventData"]
    assert data["EventType"] == "SetValue"
    assert data["TargetObject"] == r"HKLM\SOFTWARE\Run\x"


def test_sniff_prefers_nxlog_and_leaves_other_nxlog_inputs_to_generic_json(fixtures: Path) -> None:
    head = (fixtures / "nxlog" / "im_msvistalog.json").read_bytes()
    assert PARSER.sniff(head) == 90
    assert JsonLinesParser().sniff(head) < 90
    assert WinlogbeatParser().sniff(head) == 0
    im_file = (
        b'{"EventReceivedTime":"2026-11-23 08:43:12","SourceModuleName":"apache",'
        b'"SourceModuleType":"im_file","Message":"GET / 200"}\n'
    )
    syslog_wrapped = (
        b'<14>Nov 23 08:43:12 FS01 nxWinEvt[1]: {"EventTime":"2026-11-23 08:43:12",'
        b'"EventID":4624,"Channel":"Security"}\n'
    )
    for other in (im_file, syslog_wrapped, b'{"EventID": 4624}\n', b"\x00\xff", b""):
        assert PARSER.sniff(other) == 0


def test_lines_from_other_nxlog_inputs_are_kept_as_generic_json(fixtures: Path) -> None:
    im_file = (
        '{"EventReceivedTime":"2026-11-23 08:43:12","SourceModuleName":"apache",'
        '"SourceModuleType":"im_file","Message":"GET /invoices HTTP/1.1 200",'
        '"Hostname":"web01"}'
    )
    items, context = parse("\n".join([fixture_lines(fixtures)[0], im_file]).encode())
    assert isinstance(items[0], WindowsEvent)
    other = items[1]
    assert isinstance(other, Event)
    assert other.common["message"] == "GET /invoices HTTP/1.1 200"
    assert other.common["host"] == "web01"
    assert other.fields["SourceModuleType"] == "im_file"
    assert any("generic JSON" in note for note in context.notes)


def test_bad_lines_are_rejected_and_nothing_else_is_lost(fixtures: Path) -> None:
    good = fixture_lines(fixtures)[1]
    data = "\n".join([good, "{truncated", '"just a string"', good]).encode() + b"\n\xff\xfe\x00"
    items, _ = parse(data)
    assert [item.record_no for item in items] == [1, 2, 3, 4, 5]
    assert isinstance(items[1], Rejected) and items[1].reason.startswith("line 2: not valid JSON")
    assert isinstance(items[2], Rejected) and "JSON string, not an object" in items[2].reason
    assert isinstance(items[4], Rejected) and items[4].raw == b"\xff\xfe\x00"


def test_hostile_text_is_kept_exactly() -> None:
    line = (
        '{"EventTime":"2026-11-23 08:43:12","EventID":4104,"Channel":'
        '"Microsoft-Windows-PowerShell/Operational","SourceName":"Microsoft-Windows-PowerShell",'
        '"ScriptBlockText":"<script>x</script>\\u0000\'; DROP TABLE events;--",'
        '"SourceModuleType":"im_msvistalog"}'
    )
    items, _ = parse(line.encode())
    text = event_of(items[0])["EventData"]["ScriptBlockText"]
    assert text == "<script>x</script>\x00'; DROP TABLE events;--"


# The same events as evtx reads them from EVTX, and as NXLog would have sent them.


def as_nxlog(evtx_json: str) -> str:
    """An NXLog im_msvistalog record built from an evtx record, as NXLog CE writes it."""
    event = json.loads(evtx_json)["Event"]
    system = event["System"]
    event_id = system["EventID"]
    if isinstance(event_id, dict):
        event_id = event_id["#text"]
    stamp = datetime.fromisoformat(system["TimeCreated"]["#attributes"]["SystemTime"][:-1])
    execution = system["Execution"]["#attributes"]
    record: dict[str, Any] = {
        "EventTime": stamp.strftime("%Y-%m-%d %H:%M:%S"),
        "Hostname": system["Computer"],
        "Keywords": int(system["Keywords"], 16) - (1 << 64)
        if int(system["Keywords"], 16) >= 1 << 63
        else int(system["Keywords"], 16),
        "EventType": "AUDIT_SUCCESS",
        "SeverityValue": 2,
        "Severity": "INFO",
        "EventID": event_id,
        "SourceName": system["Provider"]["#attributes"]["Name"],
        "ProviderGuid": system["Provider"]["#attributes"].get("Guid"),
        "Version": system.get("Version"),
        "Task": system.get("Task"),
        "OpcodeValue": 0,
        "RecordNumber": system["EventRecordID"],
        "ProcessID": execution["ProcessID"],
        "ThreadID": execution["ThreadID"],
        "Channel": system["Channel"],
    }
    for key, value in (event.get("EventData") or {}).items():
        record[key] = "true" if value is True else "" if value is None else str(value)
    record.update(
        EventReceivedTime=record["EventTime"],
        SourceModuleName="eventlog",
        SourceModuleType="im_msvistalog",
    )
    return json.dumps(record)


@pytest.mark.shared
@pytest.mark.parametrize(
    ("sample", "event_id"),
    [
        ("Command and Control/DE_RDP_Tunnel_5156.evtx", 4624),
        ("Command and Control/DE_RDP_Tunnel_5156.evtx", 4688),
        ("AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx", 1),
    ],
)
def test_one_projection_reads_nxlog_and_evtx_alike(sample: str, event_id: int) -> None:
    evtx = pytest.importorskip("evtx")
    path = shared("evtx-attack-samples", *sample.split("/"))
    evtx_json = next(
        record["data"]
        for record in evtx.PyEvtxParser(str(path), indent=False).records_json()
        if json.loads(record["data"])["Event"]["System"]["EventID"] == event_id
    )
    items, _ = parse(as_nxlog(evtx_json).encode(), zone=UTC)  # sender's clock on UTC
    ours = items[0]
    assert isinstance(ours, WindowsEvent)
    query = duckdb.connect()
    ours_row = query.execute(PROJECTION, [ours.event_json]).fetchone()
    evtx_row = query.execute(PROJECTION, [evtx_json]).fetchone()
    assert ours_row is not None and evtx_row is not None
    assert ours_row[:5] == evtx_row[:5]
    assert ours_row[5][:19] == evtx_row[5][:19]  # NXLog's EventTime has whole seconds
    ours_data = dict(query.execute(EVENT_DATA, [ours.event_json]).fetchall())
    evtx_data = dict(query.execute(EVENT_DATA, [evtx_json]).fetchall())
    assert ours_data.pop(TIME_INFERRED_FIELD) == "true"
    assert ours_data == evtx_data


@settings(max_examples=150, deadline=None)
@given(cut=st.integers(min_value=0, max_value=4000), noise=st.binary(max_size=40))
def test_any_cut_or_garbled_file_gives_one_record_per_line(cut: int, noise: bytes) -> None:
    data = (FIXTURES / "nxlog" / "im_msvistalog.json").read_bytes()
    data = data[:cut] + noise + data[cut:]
    items, _ = parse(data)
    numbered = enumerate(data.replace(b"\r", b"").split(b"\n"), 1)
    assert [item.record_no for item in items] == [
        number for number, line in numbered if line.strip()
    ]
