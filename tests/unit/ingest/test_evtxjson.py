"""Windows events as evtx_dump JSON: the same rows and rule hits as the EVTX they came from."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import evtx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared
from watchkeeper.core.event import Rejected, WindowsEvent
from watchkeeper.detection.engine import detect
from watchkeeper.detection.rules import RuleCache, RuleSet, load_rules
from watchkeeper.ingest import formats
from watchkeeper.ingest.base import ParseContext, Source
from watchkeeper.ingest.evtxjson import EvtxJsonParser
from watchkeeper.ingest.importer import import_paths
from watchkeeper.scenarios.evtx_writer import EvtxRecord, write_evtx
from watchkeeper.storage.schema import event_table
from watchkeeper.storage.store import Store

WHEN = datetime(2026, 11, 3, 9, 15, 30, tzinfo=UTC)
SECURITY = {
    "Name": "Microsoft-Windows-Security-Auditing",
    "Guid": "{54849625-5478-4994-A5BA-3E3B0328C30D}",
}
_NOT_COMPARED = ("id", "import_id", "received", "raw")


def _records() -> list[EvtxRecord]:
    logons = [
        EvtxRecord(
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
                "WorkstationName": 'PC-SALES-02 \u00e9\u2603 "q" \\',
            },
        )
        for i in range(5)
    ]
    defender = EvtxRecord(
        system={
            "Provider": {"Name": "Microsoft-Windows-Windows Defender"},
            "EventID": 1116,
            "Level": 3,
            "TimeCreated": WHEN + timedelta(minutes=5),
            "Channel": "Microsoft-Windows-Windows Defender/Operational",
            "Computer": "PC-ACCT-01",
        },
        event_data={
            "Threat Name": "Trojan:Win32/Test",
            "Source Name": "AMSI",
            "Process Name": "C:\\Windows\\System32\\cmd.exe",
        },
    )
    cleared = EvtxRecord(
        system={
            "Provider": {"Name": "Microsoft-Windows-Eventlog"},
            "EventID": 1102,
            "Level": 4,
            "TimeCreated": WHEN + timedelta(hours=1),
            "Channel": "Security",
            "Computer": "PC-ACCT-01",
        },
        user_data=(
            "{http://manifests.microsoft.com/win/2004/08/windows/eventlog}LogFileCleared",
            {"SubjectUserName": "svc_update", "SubjectLogonId": "0x3e7"},
        ),
    )
    return [*logons, defender, cleared]


def _pretty_with_headers(data: dict[str, Any], record_id: int) -> str:
    """`evtx_dump -o json`: "Record N", then the event indented."""
    return f"Record {record_id}\n{json.dumps(data, indent=2)}\n"


def _pretty(data: dict[str, Any], record_id: int) -> str:
    """`evtx_dump -o json --no-show-record-number`, or the Python bindings' records, indented."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _lines(data: dict[str, Any], record_id: int) -> str:
    """`evtx_dump -o jsonl`: one event a line."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"


def _as_json(evtx_path: Path, target: Path, form: Callable[[dict[str, Any], int], str]) -> Path:
    with target.open("w", encoding="utf-8") as out:
        for record in evtx.PyEvtxParser(str(evtx_path)).records_json():
            assert record is not None  # the iterator's stub allows None; it never yields one
            out.write(form(json.loads(record["data"]), record["event_record_id"]))
    return target


def _rows(store: Store) -> tuple[set[str], list[tuple[Any, ...]]]:
    table = event_table("windows")
    columns = sorted(c for c in store.table_columns(table).values() if c not in _NOT_COMPARED)
    listed = ", ".join(f'"{c}"' for c in columns)
    rows = (
        store.cursor()
        .execute(f"SELECT {listed} FROM {table} ORDER BY host, channel, record_no")
        .fetchall()
    )
    return set(columns), rows


def _hits(store: Store) -> list[tuple[str, str, int]]:
    return (
        store.cursor()
        .execute(
            "SELECT h.rule_id, e.host, e.record_no FROM hits h JOIN events e ON e.id = h.event "
            "ORDER BY ALL"
        )
        .fetchall()
    )


RULES = {
    "failed.yml": "title: Failed logon from the sales PC\nid: 5d1e6a2b-0004-4c1a-9e0a-"
    "000000000001\nlevel: high\nlogsource: {product: windows, service: security}\n"
    "detection:\n    selection:\n        EventID: 4625\n        WorkstationName|"
    "startswith: PC-SALES\n    condition: selection\n",
    "amsi.yml": "title: AMSI detection\nid: 5d1e6a2b-0004-4c1a-9e0a-000000000002\nlevel: high\n"
    "logsource: {product: windows, service: windefend}\ndetection:\n    selection:\n"
    "        SourceName: AMSI\n    condition: selection\n",
    "cleared.yml": "title: Log cleared\nid: 5d1e6a2b-0004-4c1a-9e0a-000000000003\nlevel: high\n"
    "logsource: {product: windows, service: security}\ndetection:\n"
    "    selection:\n        EventID: 1102\n        SubjectUserName: svc_update\n"
    "    condition: selection\n",
}


def _own_rules(tmp_path: Path) -> RuleSet:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    for name, text in RULES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return load_rules([folder], cache=RuleCache(None))


@pytest.mark.parametrize("form", [_pretty_with_headers, _pretty, _lines])
def test_evtx_dump_json_gives_the_rows_and_hits_of_its_evtx(
    form: Callable[[dict[str, Any], int], str], tmp_path: Path
) -> None:
    log = tmp_path / "Security.evtx"
    write_evtx(log, _records())
    dumped = _as_json(log, tmp_path / "Security.json", form)
    rules = _own_rules(tmp_path)
    with Store(tmp_path / "a.duckdb") as from_evtx, Store(tmp_path / "b.duckdb") as from_json:
        import_paths(from_evtx, [log])
        summary = import_paths(from_json, [dumped])
        assert (summary.files[0].format, summary.records, summary.events, summary.quarantined) == (
            "evtxjson",
            7,
            7,
            0,
        )
        assert _rows(from_json) == _rows(from_evtx)
        detect(from_evtx, rules)
        detect(from_json, rules)
        assert _hits(from_json) == _hits(from_evtx)
        assert len(_hits(from_json)) == 7
        # the raw record is the JSON as written in the file
        raw = from_json.cursor().execute("SELECT raw FROM events WHERE event_id = 1116").fetchone()
        assert raw is not None and json.loads(raw[0])["Event"]["EventData"]["Source Name"] == "AMSI"


def test_the_same_events_as_evtx_and_as_json_are_stored_once(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "Security.evtx"
    write_evtx(log, _records())
    dumped = _as_json(log, tmp_path / "Security.json", _pretty_with_headers)
    summary = import_paths(store, [log, dumped])
    assert (summary.records, summary.events, summary.duplicates) == (14, 7, 7)
    assert store.event_count() == 7


def test_broken_objects_are_quarantined_and_the_rest_imported(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "Security.evtx"
    write_evtx(log, _records()[:3])
    good = _as_json(log, tmp_path / "good.json", _pretty_with_headers).read_text()
    objects = good.split("Record ")[1:]
    broken = tmp_path / "broken.json"
    broken.write_text(
        "Record "
        + objects[0]
        + 'Record 7\n{\n  "Event": {\n    "System": {"EventID": 4625,\n}\n'  # not valid JSON
        + '{\n  "Event": {"EventData": {"a": "b"}}\n}\n'  # no System
        + '{\n  "Logon": {"System": {}}\n}\n'  # not a Windows event
        + "Record "
        + objects[1]
        + "Record "
        + objects[2][:200],  # cut off
        encoding="utf-8",
    )
    summary = import_paths(store, [broken])
    result = summary.files[0]
    assert (result.status, result.format, result.events, result.quarantined) == (
        "imported",
        "evtxjson",
        2,
        4,
    )
    reasons = [
        r[0]
        for r in store.cursor()
        .execute("SELECT reason FROM quarantine ORDER BY record_no")
        .fetchall()
    ]
    assert [r.split(":")[0] for r in reasons] == [
        "object at line 43",
        "object at line 47",
        "object at line 50",
        "object at line 95",
    ]
    assert "not valid JSON" in reasons[0] and "not valid JSON" in reasons[3]
    assert "not a Windows event (no System object in Event)" in reasons[1]
    assert "not a Windows event (no Event object)" in reasons[2]
    kept = (
        store.cursor().execute("SELECT raw FROM quarantine ORDER BY record_no LIMIT 1").fetchone()
    )
    assert kept is not None and kept[0].startswith(b'{\n  "Event"')


def test_sniffing_tells_evtx_json_from_other_json() -> None:
    pretty = b'Record 1\n{\n  "Event": {\n    "#attributes": {},\n    "System": {\n'
    line = b'{"Event":{"#attributes":{"xmlns":"x"},"System":{"EventID":1}}}\n'
    other = b'{"Event": {"name": "login", "user": "ann"}, "System": {"os": "linux"}}\n'
    chosen = [formats.sniff(head)[0] for head in (pretty, line, other)]
    assert [None if parser is None else parser.format for parser in chosen] == [
        "evtxjson",
        "evtxjson",
        "json",
    ]


_SMALL_DUMP = "".join(
    _pretty_with_headers(
        {
            "Event": {
                "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
                "System": {
                    "Provider": {"#attributes": {"Name": "Test"}},
                    "EventID": 4625 + n,
                    "EventRecordID": n,
                    "Channel": "Security",
                    "Computer": "PC1",
                    "TimeCreated": {"#attributes": {"SystemTime": "2026-11-03T09:15:30.000000Z"}},
                },
                "EventData": {"TargetUserName": f"user{n}", "Data": {"#text": ["a", "b"]}},
            }
        },
        n,
    )
    for n in (1, 2, 3)
).encode()


@settings(max_examples=150, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(_SMALL_DUMP)), noise=st.binary(max_size=40))
def test_any_cut_or_garbled_dump_gives_records_never_an_exception(cut: int, noise: bytes) -> None:
    data = _SMALL_DUMP[:cut] + noise + _SMALL_DUMP[cut:]
    source = Source.from_bytes("dump.json", data)
    items = list(EvtxJsonParser().parse(source, ParseContext.for_source(source)))
    assert all(isinstance(item, WindowsEvent | Rejected) for item in items)
    events = [item for item in items if isinstance(item, WindowsEvent)]
    assert len(events) >= 2  # the garbled object at most is lost
    assert all("System" in orjson.loads(event.event_json)["Event"] for event in events)


@pytest.fixture(scope="module")
def sigmahq_windows(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    folder = shared("sigma", "rules", "windows")
    cache = RuleCache(tmp_path_factory.mktemp("cache") / "rules.sqlite")
    return load_rules([folder], cache=cache)


@pytest.mark.shared
@pytest.mark.slow
def test_sample_files_as_json_give_the_same_rows_and_sigmahq_hits(
    sigmahq_windows: RuleSet, tmp_path: Path
) -> None:
    samples = shared("evtx-attack-samples")
    names = [
        "Credential Access/CA_sysmon_hashdump_cmd_meterpreter.evtx",
        "AutomatedTestingTools/WinDefender_Events_1117_1116_AtomicRedTeam.evtx",
        "Execution/rogue_msi_url_1040_1042.evtx",
        "Lateral Movement/LM_xp_cmdshell_MSSQL_Events.evtx",
        "Privilege Escalation/NTLM2SelfRelay-med0x2e-security_4624_4688.evtx",
    ]
    files = [samples / name for name in names]
    json_folder = tmp_path / "json"
    json_folder.mkdir()
    dumped = [
        _as_json(path, json_folder / f"{index}.json", _pretty_with_headers)
        for index, path in enumerate(files)
    ]
    with Store(tmp_path / "a.duckdb") as from_evtx, Store(tmp_path / "b.duckdb") as from_json:
        import_paths(from_evtx, files)
        summary = import_paths(from_json, dumped)
        assert summary.quarantined == 0 and {f.format for f in summary.files} == {"evtxjson"}
        assert _rows(from_json) == _rows(from_evtx)
        assert detect(from_evtx, sigmahq_windows).failures == []
        assert detect(from_json, sigmahq_windows).failures == []
        assert _hits(from_json) == _hits(from_evtx)
        assert len(_hits(from_evtx)) > 10
