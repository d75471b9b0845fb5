"""Winlogbeat JSON lines: the evtx JSON shape, other Beats' lines, bad lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared
from watchkeeper.core.event import Event, Parsed, Rejected, WindowsEvent
from watchkeeper.ingest.base import MAX_LINE, ParseContext, Source
from watchkeeper.ingest.jsonlines import JsonLinesParser
from watchkeeper.ingest.winlogbeat import WinlogbeatParser

PARSER = WinlogbeatParser()
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

PROJECTION = """
SELECT j->>'$.Event.System.Channel', j->>'$.Event.System.Computer',
       coalesce(j->>'$.Event.System.EventID."#text"', j->>'$.Event.System.EventID'),
       j->>'$.Event.System.Provider."#attributes".Name', j->>'$.Event.System.EventRecordID',
       j->>'$.Event.System.TimeCreated."#attributes".SystemTime'
FROM (SELECT ?::JSON AS j)
"""
EVENT_DATA = "SELECT key, value->>'$' FROM json_each((?::JSON)->'$.Event.EventData')"


def parse(data: bytes) -> tuple[list[Parsed], ParseContext]:
    source = Source.from_bytes("winlogbeat.ndjson", data)
    context = ParseContext.for_source(source)
    return list(PARSER.parse(source, context)), context


def event_of(item: Parsed) -> dict[str, Any]:
    assert isinstance(item, WindowsEvent), item
    document: dict[str, Any] = json.loads(item.event_json)["Event"]
    return document


def fixture_lines(fixtures: Path) -> list[str]:
    return (
        (fixtures / "winlogbeat" / "winlogbeat-8.ndjson").read_text(encoding="utf-8").splitlines()
    )


def test_each_line_becomes_a_windows_event_in_evtx_shape(fixtures: Path) -> None:
    lines = fixture_lines(fixtures)
    items, _ = parse("\n".join(lines).encode())
    assert [item.record_no for item in items] == [1, 2, 3, 4]
    assert all(isinstance(item, WindowsEvent) and item.source == "winlogbeat" for item in items)
    assert [item.raw for item in items] == lines
    logon, process, sysmon, cleared = (event_of(item) for item in items)

    system = logon["System"]
    assert system["EventID"] == 4624  # Winlogbeat 8 writes "4624"; evtx writes a number
    assert system["Provider"]["#attributes"] == {
        "Name": "Microsoft-Windows-Security-Auditing",
        "Guid": "{54849625-5478-4994-a5ba-3e3b0328c30d}",
    }
    assert system["Channel"] == "Security"
    assert system["Computer"] == "FS01.oakfield.local"
    assert system["EventRecordID"] == 482913
    assert system["TimeCreated"]["#attributes"]["SystemTime"] == "2026-11-23T08:43:12.486000Z"
    assert system["Keywords"] == "0x8020000000000000"
    assert system["Level"] == 4
    assert system["Version"] == 2
    assert system["Execution"]["#attributes"] == {"ProcessID": 788, "ThreadID": 6104}
    assert system["Correlation"]["#attributes"]["ActivityID"].startswith("{b1d4f2a0")
    assert logon["EventData"]["IpAddress"] == "192.168.10.57"
    assert logon["EventData"]["LogonType"] == "3"
    assert logon["EventData"]["Message"].startswith("An account was successfully logged on.")

    assert process["EventData"]["CommandLine"] == "whoami /priv"
    assert sysmon["EventData"]["ParentImage"].endswith(r"\WINWORD.EXE")
    assert sysmon["System"]["Security"]["#attributes"]["UserID"] == "S-1-5-18"
    assert sysmon["System"]["EventID"] == 1

    assert cleared["UserData"] == {
        "LogFileCleared": {
            "SubjectUserSid": "S-1-5-21-3623811015-3361044348-30300820-1104",
            "SubjectUserName": "jsmith",
            "SubjectDomainName": "OAKFIELD",
            "SubjectLogonId": "0x1f4a6c2",
        }
    }


def test_sniff_prefers_winlogbeat_to_generic_json(fixtures: Path) -> None:
    head = (fixtures / "winlogbeat" / "winlogbeat-8.ndjson").read_bytes()
    assert PARSER.sniff(head) == 90
    assert JsonLinesParser().sniff(head) < PARSER.sniff(head)
    filebeat = (
        b'{"@timestamp":"2026-11-23T08:43:12Z","log":{"file":{"path":"/var/log/x"}},'
        b'"message":"hello","agent":{"type":"filebeat"}}\n'
    )
    for other in (
        filebeat,
        b'{"winlog": "not an object"}\n',
        b"Nov 23 08:43:12 fs01 x: y\n",
        b"\x00\x01\x02winlog",
        b"",
    ):
        assert PARSER.sniff(other) == 0


def test_a_line_from_another_beat_is_kept_as_generic_json(fixtures: Path) -> None:
    lines = fixture_lines(fixtures)
    filebeat = (
        '{"@timestamp":"2026-11-23T08:45:00.000Z","host":{"name":"fs01"},'
        '"message":"backup finished","agent":{"type":"filebeat"}}'
    )
    items, context = parse("\n".join([lines[0], filebeat, lines[1]]).encode())
    assert [type(item).__name__ for item in items] == ["WindowsEvent", "Event", "WindowsEvent"]
    other = items[1]
    assert isinstance(other, Event)
    assert other.common["source"] == "json" and other.common["message"] == "backup finished"
    assert other.fields["agent.type"] == "filebeat"
    assert any("without a 'winlog' object" in note for note in context.notes)


def test_bad_lines_are_rejected_with_their_line_number(fixtures: Path) -> None:
    good = fixture_lines(fixtures)[1]
    data = "\n".join(
        [good, '{"winlog": {"event_id": "4624", "channel": "Security"', "[1, 2]", "", good]
    ).encode()
    items, _ = parse(data)
    assert [item.record_no for item in items] == [1, 2, 3, 5]
    assert isinstance(items[1], Rejected) and items[1].reason.startswith("line 2: not valid JSON")
    assert isinstance(items[2], Rejected) and items[2].reason == "line 3: JSON array, not an object"
    assert items[1].raw == b'{"winlog": {"event_id": "4624", "channel": "Security"'


def test_an_over_long_line_is_rejected_and_the_next_is_read(fixtures: Path) -> None:
    good = fixture_lines(fixtures)[0].encode()
    huge = (
        b'{"winlog": {"event_id": 1, "channel": "x", "event_data": {"a": "'
        + b"A" * MAX_LINE
        + b'"}}}'
    )
    items, _ = parse(b"\n".join([huge, good]))
    assert isinstance(items[0], Rejected) and "over the 1,048,576-byte limit" in items[0].reason
    assert isinstance(items[1], WindowsEvent)


def test_invalid_utf8_and_hostile_text_are_kept() -> None:
    line = (
        '{"@timestamp":"2026-11-23T08:43:12.000Z","winlog":{"event_id":"4688",'
        '"channel":"Security","computer_name":"FS01","provider_name":"P","record_id":7,'
        '"event_data":{"CommandLine":"<img src=x onerror=alert(1)> \'; DROP TABLE events;--'
        '\\u0007","TargetUserName":"Ren\xe9"}}}'
    ).encode("latin-1")
    items, _ = parse(line)
    data = event_of(items[0])["EventData"]
    assert data["CommandLine"] == "<img src=x onerror=alert(1)> '; DROP TABLE events;--\x07"
    assert data["TargetUserName"] == "René"


def test_odd_types_in_winlog_do_not_escape_as_exceptions() -> None:
    line = (
        b'{"winlog":{"event_id":{"x":1},"channel":"Security","process":"notadict",'
        b'"user_data":"text","event_data":[1,2],"keywords":"Audit Success"}}'
    )
    items, _ = parse(line)
    assert len(items) == 1
    event = event_of(items[0])
    assert event["System"]["Keywords"] == "0x8020000000000000"
    assert event["System"]["Execution"] is None


# The same events as evtx reads them from EVTX, and as Winlogbeat would have sent them.


def as_winlogbeat(evtx_json: str) -> str:
    """A Winlogbeat 8 document built from an evtx record, the way Winlogbeat renders it."""
    event = json.loads(evtx_json)["Event"]
    system = event["System"]
    event_id = system["EventID"]
    if isinstance(event_id, dict):
        event_id = event_id["#text"]
    provider = system["Provider"]["#attributes"]
    stamp = system["TimeCreated"]["#attributes"]["SystemTime"].replace("Z", "0Z")  # 7 digits
    execution = system["Execution"]["#attributes"]
    winlog: dict[str, Any] = {
        "channel": system["Channel"],
        "computer_name": system["Computer"],
        "event_id": str(event_id),
        "provider_name": provider["Name"],
        "provider_guid": provider.get("Guid"),
        "record_id": system["EventRecordID"],
        "process": {"pid": execution["ProcessID"], "thread": {"id": execution["ThreadID"]}},
        "version": system.get("Version"),
        "api": "wineventlog",
    }
    if system.get("Security"):
        winlog["user"] = {"identifier": system["Security"]["#attributes"]["UserID"]}
    if isinstance(event.get("EventData"), dict):
        winlog["event_data"] = {key: _rendered(value) for key, value in event["EventData"].items()}
    if isinstance(event.get("UserData"), dict):
        ((name, inner),) = event["UserData"].items()
        winlog["user_data"] = {
            key: _rendered(value) for key, value in inner.items() if key != "#attributes"
        } | {"xml_name": name}
    return json.dumps(
        {
            "@timestamp": stamp,
            "winlog": winlog,
            "log": {"level": "information"},
            "event": {"code": str(event_id), "kind": "event"},
        }
    )


def _rendered(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@pytest.mark.shared
@pytest.mark.parametrize(
    ("sample", "event_id"),
    [
        ("Command and Control/DE_RDP_Tunnel_5156.evtx", 4624),
        ("Command and Control/DE_RDP_Tunnel_5156.evtx", 4688),
        ("Command and Control/DE_RDP_Tunnel_5156.evtx", 1102),
        ("AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx", 1),
    ],
)
def test_one_projection_reads_winlogbeat_and_evtx_alike(sample: str, event_id: int) -> None:
    evtx = pytest.importorskip("evtx")
    path = shared("evtx-attack-samples", *sample.split("/"))
    evtx_json = next(
        record["data"]
        for record in evtx.PyEvtxParser(str(path), indent=False).records_json()
        if json.loads(record["data"])["Event"]["System"]["EventID"] == event_id
    )
    items, _ = parse(as_winlogbeat(evtx_json).encode())
    ours = items[0]
    assert isinstance(ours, WindowsEvent)
    query = duckdb.connect()
    assert (
        query.execute(PROJECTION, [ours.event_json]).fetchone()
        == query.execute(PROJECTION, [evtx_json]).fetchone()
    )
    ours_data = dict(query.execute(EVENT_DATA, [ours.event_json]).fetchall())
    evtx_data = dict(query.execute(EVENT_DATA, [evtx_json]).fetchall())
    assert ours_data == evtx_data
    if event_id == 1102:
        ours_user = json.loads(ours.event_json)["Event"]["UserData"]["LogFileCleared"]
        evtx_user = json.loads(evtx_json)["Event"]["UserData"]["LogFileCleared"]
        assert ours_user == {key: value for key, value in evtx_user.items() if key != "#attributes"}


@settings(max_examples=150, deadline=None)
@given(cut=st.integers(min_value=0, max_value=4000), noise=st.binary(max_size=40))
def test_any_cut_or_garbled_file_gives_one_record_per_line(cut: int, noise: bytes) -> None:
    data = (FIXTURES / "winlogbeat" / "winlogbeat-8.ndjson").read_bytes()
    data = data[:cut] + noise + data[cut:]
    items, _ = parse(data)
    numbered = enumerate(data.replace(b"\r", b"").split(b"\n"), 1)
    assert [item.record_no for item in items] == [
        number for number, line in numbered if line.strip()
    ]
