"""The journald parser: `journalctl -o json` lines to events, and what it does with bad lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from tests.parsed import as_events, events_or_rejected

from watchkeeper.core.event import Event, Rejected
from watchkeeper.core.timeparse import YearInference
from watchkeeper.ingest.base import ParseContext, Source
from watchkeeper.ingest.journald import JournaldParser

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "journald" / "journal.json"


def parse(data: bytes, context: ParseContext | None = None) -> list[Event | Rejected]:
    context = context or ParseContext(years=YearInference(datetime(2026, 11, 23, tzinfo=UTC)))
    return events_or_rejected(
        JournaldParser().parse(Source.from_bytes("journal.json", data), context)
    )


def fixture_events() -> list[Event]:
    return as_events(parse(FIXTURE.read_bytes()))


def line(**entry: object) -> bytes:
    base: dict[str, object] = {"__REALTIME_TIMESTAMP": "1795423392000000", "_HOSTNAME": "web1"}
    return orjson.dumps(base | entry) + b"\n"


def test_an_sshd_entry_fills_the_columns_and_keeps_every_field() -> None:
    sshd = fixture_events()[0]
    assert sshd.common["time"] == datetime(2026, 11, 23, 8, 43, 12, 123456, tzinfo=UTC)
    assert sshd.common["host"] == "web1"
    assert sshd.common["process"] == "sshd"
    assert sshd.common["pid"] == 3101
    assert sshd.common["level"] == "information"
    assert sshd.common["channel"] == "ssh.service"
    assert sshd.common["source"] == "journald"
    assert sshd.common["message"].startswith("Failed password for invalid user admin")
    assert (sshd.common["username"], sshd.common["src_ip"], sshd.common["src_port"]) == (
        "admin",
        "203.0.113.7",
        41822,
    )
    assert (sshd.fields["action"], sshd.fields["outcome"]) == ("ssh_login", "failure")
    assert sshd.fields["__CURSOR"].startswith("s=6e2ba3c5")
    assert sshd.fields["_EXE"] == "/usr/sbin/sshd"
    assert sshd.fields["SYSLOG_TIMESTAMP"] == "Nov 23 08:43:12 "
    assert orjson.loads(sshd.raw)["MESSAGE"] == sshd.common["message"]
    assert sshd.record_no == 1


def test_sudo_and_logind_messages_are_read_like_syslog_ones() -> None:
    sudo, logind = fixture_events()[1:3]
    assert sudo.common["username"] == "alice"
    assert sudo.common["command_line"] == "/usr/bin/apt update"  # the command, not sudo's own
    assert sudo.fields["sudo.target_user"] == "root"
    assert sudo.fields["_CMDLINE"] == "sudo apt update"
    assert sudo.common["level"] == "information"
    assert (logind.fields["action"], logind.common["username"]) == ("session_opened", "alice")


def test_binary_null_and_repeated_fields() -> None:
    kernel, backup, tagged = fixture_events()[3:6]
    assert kernel.common["message"] == "usb 1-1: bad descriptor ÿþ name"
    assert kernel.common["level"] == "warning"
    assert "pid" not in kernel.common
    assert backup.common["message"] is None  # journalctl writes null for an over-large value
    assert backup.common["command_line"] == "/bin/bash /usr/local/bin/backup.sh --full"
    assert "MESSAGE" not in backup.fields
    assert orjson.loads(tagged.fields["TAG"]) == ["blue", "green"]


def test_hostile_text_comes_through_unchanged() -> None:
    message = "<script>alert(1)</script> '; DROP TABLE events; -- \x1b[2J\x07\x00end"
    (event,) = parse(line(MESSAGE=message, SYSLOG_IDENTIFIER="app"))
    assert isinstance(event, Event)
    assert event.common["message"] == message


def test_bad_lines_are_rejected_with_a_reason_and_nothing_is_lost() -> None:
    data = (
        line(MESSAGE="first")
        + b"this is not JSON\n"
        + b"[1, 2, 3]\n"
        + b'{"MESSAGE": "no time"}\n'
        + b'{"__REALTIME_TIMESTAMP": "soon", "MESSAGE": "bad time"}\n'
        + b"\n"
        + line(MESSAGE="last")[:-20]
    )  # cut short, as a copy interrupted mid-write leaves it
    items = parse(data)
    assert [item.record_no for item in items] == [1, 2, 3, 4, 5, 7]
    assert isinstance(items[0], Event)
    reasons = {item.record_no: item.reason for item in items if isinstance(item, Rejected)}
    assert reasons[2].startswith("line 2: not JSON")
    assert reasons[3] == "line 3: not a journal entry (JSON but not an object)"
    assert reasons[4] == "line 4: no usable __REALTIME_TIMESTAMP in the entry"
    assert reasons[5] == "line 5: no usable __REALTIME_TIMESTAMP in the entry"
    assert reasons[7].startswith("line 7: not JSON")
    assert items[1].raw == b"this is not JSON"


def test_invalid_utf8_in_a_line_is_decoded_and_recorded() -> None:
    data = b'{"__REALTIME_TIMESTAMP":"1795423392000000","MESSAGE":"caf\xe9"}\n'
    (event,) = parse(data)
    assert isinstance(event, Event)
    assert event.common["message"] == "café"
    assert event.fields["encoding"] == "cp1252"


def test_the_source_time_is_used_when_the_journal_time_is_missing() -> None:
    (event,) = parse(b'{"_SOURCE_REALTIME_TIMESTAMP":"1795423392000001","MESSAGE":"x"}\n')
    assert isinstance(event, Event)
    assert event.common["time"] == datetime(2026, 11, 23, 8, 43, 12, 1, tzinfo=UTC)


def test_no_entries_is_a_note_not_a_record() -> None:
    context = ParseContext(years=YearInference(datetime(2026, 11, 23, tzinfo=UTC)))
    assert parse(b"-- No entries --\n", context) == []
    assert context.notes == ["journal.json: journalctl found no entries"]


def test_sniff() -> None:
    parser = JournaldParser()
    assert parser.sniff(FIXTURE.read_bytes()) >= 90
    assert parser.sniff(b'{"__CURSOR":"s=1","MESSAGE":"x"}\n') >= 90
    assert parser.sniff(b'{"time":"2026-11-23T08:00:00Z","msg":"not journald"}\n') == 0
    assert parser.sniff(b"Nov 23 08:00:00 web1 sshd[1]: hello\n") == 0
    assert parser.sniff(b"\x00\x01\x02") == 0
