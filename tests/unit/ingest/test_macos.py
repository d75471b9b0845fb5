"""The macOS unified log parser: `log show` ndjson and json exports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from tests.parsed import as_event, as_events, events_or_rejected

from watchkeeper.core.event import Event, Rejected
from watchkeeper.core.timeparse import YearInference
from watchkeeper.ingest.base import ParseContext, Source
from watchkeeper.ingest.macos import MacosLogParser

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "macos"


def context() -> ParseContext:
    return ParseContext(years=YearInference(datetime(2026, 11, 23, tzinfo=UTC)))


def parse(data: bytes, ctx: ParseContext | None = None) -> list[Event | Rejected]:
    return events_or_rejected(
        MacosLogParser().parse(Source.from_bytes("system.ndjson", data), ctx or context())
    )


def fixture_events(name: str, ctx: ParseContext | None = None) -> list[Event]:
    return as_events(parse((FIXTURES / name).read_bytes(), ctx))


def entry(number: int, message: str = "hello") -> dict[str, object]:
    return {
        "timestamp": f"2026-11-23 08:00:{number % 60:02d}.000000+0000",
        "messageType": "Info",
        "eventMessage": message,
        "processImagePath": "/usr/libexec/demo",
        "processID": number,
        "subsystem": "com.example.demo",
        "category": "test",
        "machTimestamp": number,
    }


def test_ndjson_entries_fill_the_columns() -> None:
    ctx = context()
    sudo, finder, tcc, mdns = fixture_events("log-show.ndjson", ctx)
    assert sudo.common["time"] == datetime(2026, 11, 23, 8, 43, 12, 123456, tzinfo=UTC)
    assert sudo.common["process"] == "/usr/bin/sudo"
    assert sudo.common["pid"] == 51184
    assert sudo.common["level"] == "information"
    assert sudo.common["source"] == "macos"
    assert sudo.common["message"] == (
        "alice : TTY=ttys001 ; PWD=/Users/alice ; USER=root ; COMMAND=/bin/ls"
    )
    assert "host" not in sudo.common  # the unified log does not name the machine
    assert (sudo.common["username"], sudo.common["command_line"]) == ("alice", "/bin/ls")
    assert sudo.fields["processImagePath"] == "/usr/bin/sudo"
    assert sudo.fields["machTimestamp"] == 5335783484167
    assert orjson.loads(sudo.fields["backtrace.frames"])[0]["imageOffset"] == 366276
    assert finder.common["level"] == "error"
    assert finder.common["time"].utcoffset() == timedelta(hours=1)
    assert (finder.common["provider"], finder.common["channel"]) == ("com.apple.xpc", "connection")
    assert tcc.common["level"] == "critical"
    assert mdns.common["level"] == "verbose"
    assert mdns.common["message"].endswith("<script>alert(1)</script>")
    assert [e.record_no for e in (sudo, finder, tcc, mdns)] == [1, 2, 3, 4]
    assert ctx.notes == ["system.ndjson: log show reported 4 entries"]


def test_json_array_export_gives_the_same_events() -> None:
    from_array = fixture_events("log-show.json")
    from_lines = fixture_events("log-show.ndjson")[:3]
    assert [e.common for e in from_array] == [e.common for e in from_lines]
    assert [e.fields for e in from_array] == [e.fields for e in from_lines]
    assert [e.record_no for e in from_array] == [1, 2, 3]
    assert json.loads(from_array[0].raw)["processID"] == 51184


def test_a_long_array_is_read_across_chunks() -> None:
    entries = [entry(n, "x" * 700) for n in range(3000)]  # about 2.5 MB, several read chunks
    data = b"[" + b",".join(json.dumps(e, indent=2).encode() for e in entries) + b"]\n"
    parsed = parse(data)
    assert len(parsed) == 3000
    assert all(isinstance(e, Event) for e in parsed)
    assert as_event(parsed[2999]).common["pid"] == 2999


def test_a_cut_short_array_keeps_what_came_before() -> None:
    data = b"[" + b",".join(json.dumps(entry(n)).encode() for n in range(3)) + b',{"timest'
    *events, rejected = parse(data)
    assert len(events) == 3 and all(isinstance(e, Event) for e in events)
    assert isinstance(rejected, Rejected)
    assert rejected.record_no == 4
    assert rejected.reason.startswith("entry 4: not valid JSON")
    assert rejected.raw == b'{"timest'


def test_tool_chatter_is_a_note_and_bad_lines_are_rejected() -> None:
    ctx = context()
    data = (
        b'Filtering the log data using "process == \\"sudo\\""\n'
        + json.dumps(entry(1)).encode()
        + b"\n"
        + b"not json\n"
        + b'{"eventMessage": "no time"}\n'
        + b'{"timestamp": "yesterday", "eventMessage": "bad time"}\n'
        + b"[1]\n"
    )
    items = parse(data, ctx)
    assert isinstance(items[0], Event)
    reasons = [item.reason for item in items if isinstance(item, Rejected)]
    assert reasons[0].startswith("line 3: not JSON")
    assert reasons[1:] == [
        "line 4: not a log entry (no timestamp)",
        "line 5: bad timestamp 'yesterday'",
        "line 6: not a log entry (JSON but not an object)",
    ]
    assert ctx.notes[0].startswith("system.ndjson: log said: Filtering the log data")


def test_hostile_text_comes_through_unchanged() -> None:
    message = "<img src=x onerror=alert(1)> '; DROP TABLE events; -- \x1b[0m\x00\u202e"
    (event,) = parse(json.dumps(entry(1, message)).encode() + b"\n")
    assert isinstance(event, Event)
    assert event.common["message"] == message


def test_sniff() -> None:
    parser = MacosLogParser()
    assert parser.sniff((FIXTURES / "log-show.ndjson").read_bytes()) >= 90
    assert parser.sniff((FIXTURES / "log-show.json").read_bytes()) >= 90
    assert (
        parser.sniff(
            b'Filtering the log data using "x"\n[{\n  "machTimestamp" : 1,\n'
            b'  "eventMessage" : "x"\n}]'
        )
        >= 90
    )
    assert parser.sniff(b'{"__REALTIME_TIMESTAMP":"1","MESSAGE":"x"}\n') == 0
    assert parser.sniff(b'{"level":"info","msg":"x"}\n') == 0
    assert parser.sniff(b"Jul  1 09:00:55 mac kernel[0]: hello\n") == 0


def test_log_show_run_again_and_again_into_one_file_says_each_note_once(tmp_path: Path) -> None:
    from watchkeeper.ingest.importer import import_paths
    from watchkeeper.storage.store import Store

    run = (
        b'Filtering the log data using "process == \\"sudo\\""\n'
        b"Skipping info and debug messages, pass --info and/or --debug to include.\n"
        + b"".join(json.dumps(entry(n)).encode() + b"\n" for n in range(3))
        + b'{"count":3,"finished":1}\n'
    )
    ctx = context()
    items = parse(run * 4 + b'{"count":2,"finished":1}\n', ctx)
    assert len(items) == 12
    assert ctx.notes == [
        'system.ndjson: log said: Filtering the log data using "process == \\"sudo\\"" (4 times)',
        "system.ndjson: log said: Skipping info and debug messages, pass --info and/or --debug "
        "to include. (4 times)",
        "system.ndjson: log show reported 14 entries over 5 runs",
    ]
    log = tmp_path / "system.ndjson"
    log.write_bytes(run * 40)
    with Store(tmp_path / "w.duckdb") as store:
        (result,) = import_paths(store, [log]).files
    assert result.events == 120
    assert result.message.count("Filtering the log data") == 1
    assert "(40 times)" in result.message and "120 entries over 40 runs" in result.message
