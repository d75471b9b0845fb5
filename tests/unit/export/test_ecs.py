"""Stored events as Elastic Common Schema documents: the names, a Windows and a syslog event."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from watchkeeper.cli import run
from watchkeeper.export.ecs import MAPPING, bulk_lines, document, encode, index_problem

# Every ECS field the export writes, as the ECS field reference (elastic.co/docs/reference/
# ecs/ecs-field-reference, field sets Base, Event, Host, User, Log, Process, Source,
# Destination and ECS) names them.
ECS_FIELDS = {
    "@timestamp",
    "message",
    "ecs.version",
    "event.created",
    "event.id",
    "event.code",
    "event.provider",
    "event.kind",
    "event.module",
    "event.dataset",
    "event.original",
    "host.name",
    "user.name",
    "log.level",
    "log.file.path",
    "process.executable",
    "process.name",
    "process.pid",
    "process.command_line",
    "process.parent.executable",
    "source.ip",
    "source.port",
    "destination.ip",
    "destination.port",
}
# Not ECS but Winlogbeat's own field set for Windows event logs (its "Winlogbeat fields"
# reference), which Elastic's Windows content reads.
WINLOGBEAT_FIELDS = {"winlog.channel", "winlog.event_data"}
# Where what ECS has no field for is kept: a namespace of our own, as ECS asks of custom fields.
OWN_NAMESPACE = "watchkeeper"

SYSMON = (
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
    "<Provider Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID><Level>4</Level>"
    "<TimeCreated SystemTime='2026-11-23T09:15:00.250000Z'/><EventRecordID>77</EventRecordID>"
    "<Channel>Microsoft-Windows-Sysmon/Operational</Channel>"
    "<Computer>PC-07.oakfield.local</Computer></System><EventData>"
    "<Data Name='ProcessId'>4242</Data>"
    "<Data Name='Image'>C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe</Data>"
    "<Data Name='CommandLine'>powershell.exe -enc SQBFAFgA</Data>"
    "<Data Name='User'>OAKFIELD\\jsmith</Data>"
    "<Data Name='ParentImage'>C:\\Program Files\\Microsoft Office\\WINWORD.EXE</Data>"
    "<Data Name='DestinationIp'>10.0.0.5</Data></EventData></Event>\n"
)
SSHD = (
    "Nov  3 08:43:12 web01 sshd[1234]: Failed password for invalid user admin "
    "from 203.0.113.7 port 51515 ssh2\n"
)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


def exported(tmp_path: Path, name: str, text: str) -> list[dict[str, Any]]:
    """The documents `export` writes for a file of `text` imported into a fresh store."""
    db = str(tmp_path / "w.duckdb")
    log = tmp_path / name
    log.write_text(text, encoding="utf-8")
    assert cli("import", str(log), "--db", db, "--no-detect")[0] == 0
    folder = tmp_path / "out"
    code, _out, err = cli("export", "--since", "2000-01-01", "--out", str(folder), "--db", db)
    assert code == 0, err
    lines = (folder / "events-0001.ndjson").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[1::2]]


def flat_names(doc: dict[str, Any], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for key, value in doc.items():
        name = prefix + key
        if isinstance(value, dict) and name not in WINLOGBEAT_FIELDS:
            names |= flat_names(value, name + ".")
        else:
            names.add(name)
    return names


def written_names(doc: dict[str, Any]) -> set[str]:
    return {n for n in flat_names(doc) if n.split(".")[0] != OWN_NAMESPACE}


def test_the_mapping_table_names_only_ecs_fields() -> None:
    assert {ecs for _column, ecs, _kind in MAPPING} <= ECS_FIELDS | WINLOGBEAT_FIELDS


def test_a_windows_event_maps_to_ecs_with_its_event_data(tmp_path: Path) -> None:
    (doc,) = exported(tmp_path, "sysmon.xml", SYSMON)
    assert written_names(doc) <= ECS_FIELDS | WINLOGBEAT_FIELDS
    assert doc["@timestamp"] == "2026-11-23T09:15:00.250000Z"
    assert doc["event"]["code"] == "1" and doc["event"]["id"] == "1"
    assert doc["event"]["provider"] == "Microsoft-Windows-Sysmon"
    assert doc["event"]["module"] == "winxml"
    assert doc["event"]["dataset"] == "winxml.microsoft_windows_sysmon_operational"
    assert doc["event"]["original"] == SYSMON.strip()
    assert doc["event"]["created"].endswith("Z")
    assert doc["host"]["name"] == "PC-07.oakfield.local"
    assert doc["user"]["name"] == "OAKFIELD\\jsmith"
    assert doc["winlog"]["channel"] == "Microsoft-Windows-Sysmon/Operational"
    assert doc["process"] == {
        "executable": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "name": "powershell.exe",
        "pid": 4242,
        "command_line": "powershell.exe -enc SQBFAFgA",
        "parent": {"executable": "C:\\Program Files\\Microsoft Office\\WINWORD.EXE"},
    }
    data = doc["winlog"]["event_data"]
    # every original field, under the names Windows gave them (User too, which the store
    # keeps as orig.User beside its own user column)
    assert data["Image"].endswith("powershell.exe") and data["User"] == "OAKFIELD\\jsmith"
    assert data["DestinationIp"] == "10.0.0.5" and data["ProcessId"] == "4242"
    assert doc["log"]["file"]["path"].endswith("sysmon.xml")
    assert doc["ecs"]["version"]


def test_a_syslog_event_maps_to_ecs_with_its_fields_kept(tmp_path: Path) -> None:
    (doc,) = exported(tmp_path, "auth.log", SSHD)
    assert written_names(doc) <= ECS_FIELDS
    assert doc["host"]["name"] == "web01"
    assert doc["user"]["name"] == "admin"
    assert doc["process"] == {"name": "sshd", "pid": 1234}  # a program name, not a path
    assert doc["source"] == {"ip": "203.0.113.7", "port": 51515}
    assert doc["event"]["module"] == doc["event"]["dataset"] == "syslog"
    assert doc["message"].startswith("Failed password for invalid user admin")
    assert doc["event"]["original"] == SSHD.strip()
    assert "winlog" not in doc
    assert doc["watchkeeper"]["fields"]  # the parser's own fields (action, outcome)
    assert doc["watchkeeper"]["time_inferred"] == "year,zone"


def test_hostile_text_is_valid_json_and_comes_back_as_it_was(tmp_path: Path) -> None:
    hostile = "<script>alert('x')</script> \"quoted\" \\ back\x1b[2J\x07 '; DROP TABLE events;--"
    (doc,) = exported(tmp_path, "evil.log", f"Nov  3 08:43:12 web01 app[1]: {hostile}\n")
    assert doc["message"] == hostile
    assert hostile in doc["event"]["original"]


def test_text_that_is_not_valid_unicode_becomes_a_replacement_character() -> None:
    columns = ["id", "source", "message", "Weird\ud800Name"]
    doc = document(columns, [7, "jsonl", "half \ud83d a pair, whole \ud83d\ude00", "x\udfff"], None)
    lines = bulk_lines(doc, "watchkeeper-events").decode("utf-8").splitlines()
    assert json.loads(lines[0]) == {"index": {"_index": "watchkeeper-events", "_id": "7"}}
    back = json.loads(lines[1])
    assert back["message"] == "half \ufffd a pair, whole \U0001f600"
    assert back["watchkeeper"]["fields"] == {"Weird\ufffdName": "x\ufffd"}
    assert encode({"a": "fine"}) == b'{"a":"fine"}'


def test_an_address_that_is_not_one_is_kept_beside_the_ecs_fields() -> None:
    doc = document(["id", "src_ip", "dst_ip"], [1, "not-an-ip", "fe80::1"], "forwarded/seg-1")
    assert doc["watchkeeper"]["src_ip"] == "not-an-ip" and "source" not in doc
    assert doc["destination"]["ip"] == "fe80::1"
    # a forwarded batch came over the network: no log file to name
    assert doc["watchkeeper"]["spool_segment"] == "forwarded/seg-1" and "log" not in doc


def test_index_names_follow_the_search_engines_rules() -> None:
    assert index_problem("watchkeeper-2026.11") is None
    for bad in ("", "Upper", "with space", "_hidden", "-dash", "a/b", "a,b", "..", "x" * 256):
        assert index_problem(bad), bad


def test_hostile_field_names_and_values_stay_valid_json(tmp_path: Path) -> None:
    record = {
        "time": "2026-11-03T08:00:00Z",
        "host": "web01",
        "<b>bold</b>": "<img src=x onerror=alert(1)>",
        "a.b": "dotted",
        "a": "plain",
        'quote"d': "tab\there\x01bell",
        "'; DROP TABLE events;--": "",
    }
    docs = exported(tmp_path, "odd.jsonl", json.dumps(record) + "\n")
    (doc,) = docs
    fields = doc["watchkeeper"]["fields"]
    assert fields["<b>bold</b>"] == "<img src=x onerror=alert(1)>"
    # "a.b" and "a" would be one object and one text in Elasticsearch: the dot goes
    assert fields["a_b"] == "dotted" and fields["a"] == "plain"
    assert fields['quote"d'] == "tab\there\x01bell"
    assert doc["host"]["name"] == "web01"
