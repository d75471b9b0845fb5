"""Windows event XML (wevtutil, Event Viewer): the evtx JSON shape, broken events, hostile XML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared
from watchkeeper.core.event import Parsed, Rejected, WindowsEvent
from watchkeeper.ingest.base import ParseContext, Source
from watchkeeper.ingest.winxml import MAX_EVENT, WindowsXmlParser

PARSER = WindowsXmlParser()
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NS = "http://schemas.microsoft.com/win/2004/08/events/event"


def parse(data: bytes) -> tuple[list[Parsed], ParseContext]:
    source = Source.from_bytes("events.xml", data)
    context = ParseContext.for_source(source)
    return list(PARSER.parse(source, context)), context


def event_of(item: Parsed) -> dict[str, Any]:
    assert isinstance(item, WindowsEvent), item
    document: dict[str, Any] = json.loads(item.event_json)["Event"]
    return document


def small_event(record: int, data: str = "<Data Name='TargetUserName'>jsmith</Data>") -> str:
    return (
        f"<Event xmlns='{NS}'><System><Provider Name='Microsoft-Windows-Security-Auditing'/>"
        f"<EventID>4624</EventID><TimeCreated SystemTime='2026-11-23T08:43:12.1234567Z'/>"
        f"<EventRecordID>{record}</EventRecordID><Channel>Security</Channel>"
        f"<Computer>FS01</Computer><Security/></System><EventData>{data}</EventData></Event>"
    )


# The columns one SQL projection takes from the System part of any Windows event.
PROJECTION = """
SELECT j->>'$.Event.System.Channel', j->>'$.Event.System.Computer',
       coalesce(j->>'$.Event.System.EventID."#text"', j->>'$.Event.System.EventID'),
       j->>'$.Event.System.Provider."#attributes".Name', j->>'$.Event.System.EventRecordID',
       j->>'$.Event.System.TimeCreated."#attributes".SystemTime'
FROM (SELECT ?::JSON AS j)
"""
EVENT_DATA = "SELECT key, value->>'$' FROM json_each((?::JSON)->'$.Event.EventData')"


def projected(event_json: str) -> tuple[Any, ...]:
    row = duckdb.execute(PROJECTION, [event_json]).fetchone()
    assert row is not None
    return tuple(row)


def event_data_text(event_json: str) -> dict[str, Any]:
    return dict(duckdb.execute(EVENT_DATA, [event_json]).fetchall())


def test_wevtutil_export_gives_each_event_in_evtx_shape(fixtures: Path) -> None:
    data = (fixtures / "winxml" / "wevtutil-security.xml").read_bytes()
    items, _ = parse(data)
    assert [item.record_no for item in items] == [1, 2, 3]
    assert all(isinstance(item, WindowsEvent) and item.source == "winxml" for item in items)
    logon, process, cleared = (event_of(item) for item in items)

    assert logon["#attributes"] == {"xmlns": NS}
    system = logon["System"]
    assert system["EventID"] == 4624
    assert system["Provider"]["#attributes"]["Name"] == "Microsoft-Windows-Security-Auditing"
    assert system["TimeCreated"]["#attributes"]["SystemTime"] == "2026-11-23T08:43:12.486173Z"
    assert system["EventRecordID"] == 482913
    assert system["Execution"]["#attributes"] == {"ProcessID": 788, "ThreadID": 6104}
    assert system["Correlation"]["#attributes"]["ActivityID"].startswith("{b1d4f2a0")
    assert system["Security"] is None
    assert logon["EventData"]["IpAddress"] == "192.168.10.57"
    assert logon["EventData"]["TargetUserName"] == "jsmith"
    assert logon["EventData"]["LogonProcessName"] == "NtLmSsp "  # trailing space is Windows'

    assert process["EventData"]["CommandLine"] == "whoami /priv"
    assert process["EventData"]["NewProcessName"] == r"C:\Windows\System32\whoami.exe"
    assert process["System"]["Correlation"] is None

    assert "EventData" not in cleared
    inner = cleared["UserData"]["LogFileCleared"]
    assert inner["SubjectUserName"] == "jsmith"
    assert inner["#attributes"]["xmlns"].endswith("/windows/eventlog")


def test_raw_is_each_events_own_xml(fixtures: Path) -> None:
    data = (fixtures / "winxml" / "wevtutil-security.xml").read_text(encoding="utf-8")
    items, _ = parse(data.encode())
    assert [item.raw for item in items] == data.splitlines()


def test_events_written_back_to_back_without_newlines(fixtures: Path) -> None:
    data = (fixtures / "winxml" / "wevtutil-security.xml").read_text(encoding="utf-8")
    items, _ = parse(data.replace("\n", "").encode())
    assert [event_of(item)["System"]["EventID"] for item in items] == [4624, 4688, 1102]


def test_event_viewer_export_keeps_the_rendered_message(fixtures: Path) -> None:
    items, _ = parse((fixtures / "winxml" / "eventviewer-sysmon.xml").read_bytes())
    assert len(items) == 1
    event = event_of(items[0])
    data = event["EventData"]
    assert data["Image"].endswith(r"\powershell.exe")
    assert data["CommandLine"].startswith("powershell.exe -NoP -W Hidden -Enc")
    assert data["ParentImage"].endswith(r"\WINWORD.EXE")
    assert data["Message"].startswith("Process Create:\r\nRuleName: -\r\n")
    assert "RenderingInfo" not in event
    assert event["System"]["Security"]["#attributes"]["UserID"] == "S-1-5-18"
    assert event["System"]["Channel"] == "Microsoft-Windows-Sysmon/Operational"


def test_powershell_redirect_in_utf16_is_read(fixtures: Path) -> None:
    # Windows PowerShell 5 writes `... | % { $_.ToXml() } > events.xml` as UTF-16 LE with a BOM.
    text = (fixtures / "winxml" / "wevtutil-security.xml").read_text(encoding="utf-8")
    data = "\r\n".join(text.splitlines()).encode("utf-16")
    assert PARSER.sniff(data[:65536]) >= 90
    items, _ = parse(data)
    assert [event_of(item)["System"]["EventRecordID"] for item in items] == [482913, 482917, 482950]
    first = items[0]
    assert isinstance(first, WindowsEvent) and first.raw.startswith("<Event xmlns=")


def test_sniff_is_sure_of_exports_and_refuses_other_content(fixtures: Path) -> None:
    assert PARSER.sniff((fixtures / "winxml" / "wevtutil-security.xml").read_bytes()) >= 90
    assert PARSER.sniff((fixtures / "winxml" / "eventviewer-sysmon.xml").read_bytes()) >= 90
    assert PARSER.sniff(b"<Events><Event><System><EventID>1</EventID></System></Event>") > 0
    for other in (
        b'{"EventID": 4624}\n',
        b"Nov 23 08:43:12 fs01 sshd[1]: <Event xmlns=x>\n",
        b"ElfFile\x00" + bytes(200),
        b"<html><body>hi</body></html>",
        b"",
    ):
        assert PARSER.sniff(other) == 0


def test_a_broken_event_is_rejected_and_its_neighbours_still_come_out() -> None:
    broken = small_event(2).replace("<Computer>FS01</Computer>", "<Computer>FS01</Computr>")
    data = "\n".join([small_event(1), broken, small_event(3)]).encode()
    items, _ = parse(data)
    assert [type(item).__name__ for item in items] == ["WindowsEvent", "Rejected", "WindowsEvent"]
    rejected = items[1]
    assert isinstance(rejected, Rejected)
    assert rejected.record_no == 2
    assert rejected.raw == broken.encode()
    assert "event 2" in rejected.reason and "not well-formed XML (mismatched tag" in rejected.reason
    assert event_of(items[2])["System"]["EventRecordID"] == 3


def test_an_event_without_its_end_tag_does_not_swallow_the_next() -> None:
    unclosed = small_event(2).removesuffix("</Event>")
    items, _ = parse((small_event(1) + unclosed + small_event(3)).encode())
    assert [item.record_no for item in items] == [1, 2, 3]
    assert isinstance(items[1], Rejected)
    assert "no closing </Event>" in items[1].reason
    assert event_of(items[2])["System"]["EventRecordID"] == 3


def test_a_file_cut_off_mid_event_rejects_the_tail_with_its_offset() -> None:
    first = small_event(1)
    tail = small_event(2)[:150]
    items, _ = parse(("<Events>" + first + tail).encode())
    assert isinstance(items[0], WindowsEvent)
    rejected = items[1]
    assert isinstance(rejected, Rejected)
    assert rejected.raw == tail.encode()
    assert f"at byte {len('<Events>') + len(first):,}" in rejected.reason
    assert "cut off" in rejected.reason


def test_entity_declarations_are_refused_and_never_expanded() -> None:
    lols = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    bomb = small_event(1, "<Data Name='x'>&lol9;</Data>")
    hostile = (
        f'<?xml version="1.0"?>\n<!DOCTYPE Events [<!ENTITY lol0 "lol">{lols}]>\n'
        f"<Events>{bomb}{small_event(2)}</Events>"
    )
    items, context = parse(hostile.encode())
    doctype, bomb_event, plain = items
    assert isinstance(doctype, Rejected) and isinstance(bomb_event, Rejected)
    assert "DOCTYPE/ENTITY declaration refused" in doctype.reason
    assert b"<!ENTITY lol9" in doctype.raw
    assert "undefined entity" in bomb_event.reason
    assert any("DOCTYPE" in note for note in context.notes)
    assert event_of(plain)["EventData"] == {"TargetUserName": "jsmith"}


def test_text_between_events_is_rejected_not_dropped() -> None:
    items, _ = parse(f"<Events>{small_event(1)}garbage here{small_event(2)}</Events>".encode())
    assert [type(item).__name__ for item in items] == ["WindowsEvent", "Rejected", "WindowsEvent"]
    garbage = items[1]
    assert isinstance(garbage, Rejected) and garbage.raw == b"garbage here"
    assert "outside any <Event>" in garbage.reason
    assert [item.record_no for item in items] == [1, 2, 3]


def test_hostile_and_control_text_is_kept_exactly() -> None:
    data = (
        "<Data Name='CommandLine'>&lt;script&gt;alert(1)&lt;/script&gt; '; DROP TABLE events;--"
        "</Data><Data Name='Bell'>a&#x7;b\x02c</Data><Data Name='Lines'>one\r\ntwo</Data>"
    )
    items, _ = parse(small_event(1, data).encode())
    event_data = event_of(items[0])["EventData"]
    assert event_data["CommandLine"] == "<script>alert(1)</script> '; DROP TABLE events;--"
    assert event_data["Bell"] == "a\x07b\x02c"
    assert event_data["Lines"] == "one\r\ntwo"  # evtx keeps Windows line ends; so do we


def test_invalid_utf8_in_an_event_is_read_as_windows_1252() -> None:
    data = small_event(1, "<Data Name='TargetUserName'>Ren\xe9</Data>").encode("latin-1")
    items, context = parse(data)
    assert event_of(items[0])["EventData"]["TargetUserName"] == "René"
    assert "René" in items[0].raw
    assert any("Windows-1252" in note for note in context.notes)


def test_an_event_over_the_size_limit_is_rejected_whole_and_reading_goes_on() -> None:
    huge = small_event(2, f"<Data Name='ScriptBlockText'>{'A' * (MAX_EVENT + 10)}</Data>")
    items, _ = parse((small_event(1) + huge + small_event(3)).encode())
    assert [item.record_no for item in items] == [1, 2, 3]
    rejected = items[1]
    assert isinstance(rejected, Rejected)
    assert len(rejected.raw) == MAX_EVENT and "over 1,048,576 bytes" in rejected.reason
    assert event_of(items[2])["System"]["EventRecordID"] == 3


def test_an_empty_or_prolog_only_file_gives_nothing() -> None:
    assert parse(b"")[0] == []
    assert parse(b'<?xml version="1.0" encoding="utf-8"?>\r\n<Events>\r\n</Events>\r\n')[0] == []


def test_an_event_with_no_system_element_is_rejected() -> None:
    items, _ = parse(f"<Event xmlns='{NS}'><EventData/></Event>".encode())
    assert isinstance(items[0], Rejected) and "no <System>" in items[0].reason


# The same events, as evtx reads them from EVTX and as we read them from XML.


def _evtx_pairs(path: Path) -> list[tuple[str, str]]:
    evtx = pytest.importorskip("evtx")
    xml = [record["data"] for record in evtx.PyEvtxParser(str(path)).records()]
    as_json = [
        record["data"] for record in evtx.PyEvtxParser(str(path), indent=False).records_json()
    ]
    return list(zip(xml, as_json, strict=True))


def _as_text(value: Any) -> Any:
    """Values as JSON text shows them: evtx types numbers, XML has only text."""
    if isinstance(value, dict):
        return {key: _as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_text(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else value


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
def test_one_projection_reads_xml_and_evtx_alike(sample: str, event_id: int) -> None:
    path = shared("evtx-attack-samples", *sample.split("/"))
    xml, evtx_json = next(
        pair
        for pair in _evtx_pairs(path)
        if json.loads(pair[1])["Event"]["System"]["EventID"] == event_id
    )
    items, _ = parse(xml.encode())
    ours = items[0]
    assert isinstance(ours, WindowsEvent)
    assert projected(ours.event_json) == projected(evtx_json)
    assert event_data_text(ours.event_json) == event_data_text(evtx_json)
    ours_event, evtx_event = json.loads(ours.event_json)["Event"], json.loads(evtx_json)["Event"]
    assert _as_text(ours_event.get("UserData")) == _as_text(evtx_event.get("UserData"))
    if event_id == 4624:
        assert event_data_text(ours.event_json)["IpAddress"] == "127.0.0.1"


@pytest.mark.shared
def test_every_sample_event_is_the_same_from_xml_as_from_evtx() -> None:
    folder = shared("evtx-attack-samples")
    compared = 0
    for path in sorted(folder.rglob("*.evtx")):
        try:
            pairs = _evtx_pairs(path)
        except RuntimeError:  # a sample with a corrupt chunk; the EVTX parser reports it
            continue
        xml = "".join(x.replace('<?xml version="1.0" encoding="utf-8"?>', "") for x, _ in pairs)
        items, _ = parse(xml.encode())
        assert len(items) == len(pairs), path.name
        for item, (_, evtx_json) in zip(items, pairs, strict=True):
            assert isinstance(item, WindowsEvent), (path.name, item)
            ours = _as_text(json.loads(item.event_json)["Event"])
            assert ours == _as_text(json.loads(evtx_json)["Event"]), (path.name, item.record_no)
            compared += 1
    assert compared > 8000


@settings(max_examples=150, deadline=None)
@given(cut=st.integers(min_value=0, max_value=3954), noise=st.binary(max_size=40))
def test_any_cut_or_garbled_export_gives_records_never_an_exception(cut: int, noise: bytes) -> None:
    data = (FIXTURES / "winxml" / "wevtutil-security.xml").read_bytes()
    items, _ = parse(data[:cut] + noise + data[cut:])
    assert all(isinstance(item, WindowsEvent | Rejected) for item in items)
    assert sum(isinstance(item, WindowsEvent) for item in items) >= 2  # one event at most hurt


def test_hostile_nesting_is_rejected_not_crashed() -> None:
    nested = "<a>" * 20_000 + "x" + "</a>" * 20_000
    items, _ = parse(
        (
            small_event(1).replace("<EventData>", f"<UserData>{nested}</UserData><EventData>")
            + small_event(2)
        ).encode()
    )
    assert [type(item).__name__ for item in items] == ["Rejected", "WindowsEvent"]
