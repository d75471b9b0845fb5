"""Generic JSON lines: flattened fields, common columns by name, arrays, bad lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.parsed import as_event, as_rejected

from watchkeeper.core.event import Event, Parsed, Rejected
from watchkeeper.core.timeparse import YearInference
from watchkeeper.ingest.base import MAX_LINE, ParseContext, Source
from watchkeeper.ingest.jsonlines import JsonLinesParser
from watchkeeper.ingest.times import parse_time

PARSER = JsonLinesParser()
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def parse(data: bytes) -> list[Parsed]:
    source = Source.from_bytes("events.jsonl", data)
    context = ParseContext(years=YearInference(datetime(2026, 11, 23, tzinfo=UTC), UTC))
    return list(PARSER.parse(source, context))


def events(data: bytes) -> list[Event]:
    items = parse(data)
    assert all(isinstance(item, Event) for item in items), items
    return [item for item in items if isinstance(item, Event)]


def test_nested_keys_are_flattened_and_common_columns_found_by_name(fixtures: Path) -> None:
    data = (fixtures / "json" / "app-events.jsonl").read_bytes()
    ecs, structlog, zeek, pino = events(data)
    assert [event.record_no for event in (ecs, structlog, zeek, pino)] == [1, 2, 3, 4]
    assert ecs.raw == data.decode().splitlines()[0]

    assert ecs.fields["source.ip"] == "203.0.113.45"
    assert ecs.fields["tags"] == '["portal","auth"]'
    assert ecs.common == {
        "source": "json",
        "time": datetime(2026, 11, 23, 8, 43, 12, 486000, tzinfo=UTC),
        "host": "web01",
        "src_ip": "203.0.113.45",
        "src_port": 51544,
        "dst_ip": "192.168.10.20",
        "dst_port": 443,
        "username": "jsmith@oakfield.co.uk",
        "level": "warning",
        "message": "Failed login for jsmith@oakfield.co.uk from 203.0.113.45",
    }

    assert structlog.common["time"] == datetime(2026, 11, 23, 8, 43, 15, 120871, tzinfo=UTC)
    assert structlog.common["username"] == "jsmith@oakfield.co.uk"
    assert structlog.common["src_ip"] == "203.0.113.45"
    assert structlog.common["message"] == "Login succeeded"
    assert structlog.fields["session.mfa"] is True

    assert zeek.common["time"] == datetime(2026, 11, 23, 8, 43, 20, 412683, tzinfo=UTC)
    assert (zeek.common["src_ip"], zeek.common["src_port"]) == ("192.168.10.57", 50912)
    assert (zeek.common["dst_ip"], zeek.common["dst_port"]) == ("198.51.100.23", 443)

    assert pino.common["time"] == datetime(2026, 11, 23, 8, 43, 22, 913000, tzinfo=UTC)
    assert pino.common["host"] == "web01" and pino.common["pid"] == 4321
    assert pino.common["message"] == "request completed"
    assert pino.fields["req.remoteAddress"] == "203.0.113.45"
    assert "level" not in pino.common  # pino's 30 is no level name we know


def test_android_security_log_comes_through_usefully(fixtures: Path) -> None:
    keyguard, adb, app_start, interactive = events(
        (fixtures / "json" / "android-security.jsonl").read_bytes()
    )
    assert adb.common["host"] == "Pixel-7-alice"
    assert adb.common["provider"] == "SEC_TAG_ADB_SHELL_CMD"
    assert adb.common["message"] == "pm list packages -3"
    assert adb.common["time"] == datetime(2026, 11, 23, 8, 40, 55, 734000, tzinfo=UTC)
    assert adb.fields["data"] == '["pm list packages -3"]'
    # getTimeNanos(): nanoseconds since 1970, kept to the microsecond.
    assert app_start.common["time"] == datetime(2026, 11, 23, 8, 40, 58, 912345, tzinfo=UTC)
    assert app_start.common["message"].startswith("com.example.flashlight 1795423258901 10241")
    assert keyguard.common["message"] == "1 1"
    assert interactive.common["message"] == "SEC_TAG_ADB_SHELL_INTERACTIVE"  # data is []
    assert interactive.common["level"] == "warning"


def test_android_security_events_with_data_objects_have_a_real_message() -> None:
    # as the MDM export of the demo writes them: data is an object, often an empty one
    lines = [
        b'{"time": "2026-11-23T08:00:00.123Z", "device": "PHONE-01", "user": "amy", '
        b'"tag": "SEC_TAG_KEYGUARD_SECURED", "data": {}}',
        b'{"time": "2026-11-23T08:00:01.123Z", "device": "PHONE-01", "user": "amy", '
        b'"tag": "SEC_TAG_KEYGUARD_DISMISS_AUTH_ATTEMPT", "data": {"success": 0, '
        b'"method_strength": 1}}',
        b'{"time": "2026-11-23T08:00:02.123Z", "device": "PHONE-01", "user": "amy", '
        b'"tag": "SEC_TAG_WIFI_CONNECTION", "data": {"bssid": "a4:2b:b0:c1:7e:10", '
        b'"event_type": "connect", "reason": ""}}',
    ]
    secured, attempt, wifi = events(b"\n".join(lines))
    assert secured.common["message"] == "SEC_TAG_KEYGUARD_SECURED"
    assert attempt.common["message"] == (
        "SEC_TAG_KEYGUARD_DISMISS_AUTH_ATTEMPT: success=0 method_strength=1"
    )
    assert wifi.common["message"] == (
        "SEC_TAG_WIFI_CONNECTION: bssid=a4:2b:b0:c1:7e:10 event_type=connect"
    )
    assert secured.fields["data"] == "{}"  # the original field is kept as it was


def test_a_line_that_is_not_json_is_rejected_with_the_parsers_message() -> None:
    lines = [b'{"msg": "ok"}'] * 6 + [b'{"msg": "cut'] + [b'{"msg": "after"}']
    items = parse(b"\n".join(lines))
    assert [item.record_no for item in items] == [1, 2, 3, 4, 5, 6, 7, 8]
    rejected = items[6]
    assert isinstance(rejected, Rejected)
    assert rejected.reason.startswith("line 7: not valid JSON: ")
    assert "unexpected end of data" in rejected.reason
    assert rejected.raw == b'{"msg": "cut'
    assert isinstance(items[7], Event) and items[7].common["message"] == "after"


def test_json_that_is_not_an_object_is_rejected() -> None:
    items = parse(b'[1, 2]\n"text"\n42\nnull\n\n{"a": 1}\n')
    reasons = [item.reason for item in items if isinstance(item, Rejected)]
    assert reasons == [
        "line 1: JSON array, not an object",
        "line 2: JSON string, not an object",
        "line 3: JSON number, not an object",
        "line 4: JSON null, not an object",
    ]
    assert items[-1].record_no == 6


def test_invalid_utf8_is_read_as_windows_1252_and_said_so() -> None:
    (event,) = events(b'{"user": "Ren\xe9", "msg": "caf\xe9 \x80"}')
    assert event.common["username"] == "René"
    assert event.fields["msg"] == "café €"
    assert event.fields["encoding"] == "cp1252"


def test_an_over_long_line_is_rejected_and_the_next_is_read() -> None:
    items = parse(b'{"msg": "' + b"x" * MAX_LINE + b'"}\n{"msg": "next"}\n')
    assert isinstance(items[0], Rejected) and "over the 1,048,576-byte limit" in items[0].reason
    assert isinstance(items[1], Event) and items[1].record_no == 2


def test_hostile_text_is_kept_exactly() -> None:
    text = "<script>alert('x')</script>\"; DROP TABLE events;--\u0000\u001b[31m"
    (event,) = events(json.dumps({"message": text, "user": "<b>bob</b>"}).encode())
    assert event.fields["message"] == text
    assert event.common["username"] == "<b>bob</b>"


def test_odd_values_are_kept_as_text_a_column_can_hold() -> None:
    (event,) = events(
        b'{"big": 123456789012345678901234567890, "empty": {}, "none": null,'
        b' "ok": false, "ratio": 0.5}'
    )
    assert event.fields["empty"] == "{}"
    assert "none" not in event.fields
    assert event.fields["ok"] is False and event.fields["ratio"] == 0.5
    assert event.common["time_inferred"] == "missing"


def test_a_naive_time_is_put_in_the_senders_zone_and_flagged() -> None:
    (event,) = events(b'{"time": "2026-11-23 08:43:12", "msg": "x"}')
    assert event.common["time"] == datetime(2026, 11, 23, 8, 43, 12, tzinfo=UTC)
    assert event.common["time_inferred"] == "zone"


def test_times_in_the_shapes_logs_use() -> None:
    paris = timezone(timedelta(hours=1))
    expected = datetime(2026, 11, 23, 7, 43, 12, tzinfo=UTC)
    for value in (
        1795419792,
        1795419792000,
        1795419792000000,
        1795419792000000000,
        "1795419792",
        1795419792.0,
        "2026-11-23T07:43:12Z",
        "2026-11-23T08:43:12+01:00",
        "2026-11-23T07:43:12.0000000Z",
        "Mon, 23 Nov 2026 07:43:12 +0000",
    ):
        stamp, inferred = parse_time(value, paris)
        assert stamp == expected and not inferred, value
    assert parse_time("23/11/2026 08:43:12", paris) == (
        datetime(2026, 11, 23, 8, 43, 12, tzinfo=paris),
        True,
    )
    assert parse_time("11/23/2026 8:43:12 AM", paris)[0] == datetime(
        2026, 11, 23, 8, 43, 12, tzinfo=paris
    )
    assert parse_time("05/06/2026", paris)[0] == datetime(2026, 6, 5, tzinfo=paris)
    assert parse_time("05/06/2026", paris, day_first=False)[0] == datetime(2026, 5, 6, tzinfo=paris)
    for nonsense in ("yesterday", "31/02/2026", "", None, True, "12:00"):
        assert parse_time(nonsense, paris) == (None, False)


def test_a_json_array_file_gives_one_event_per_element() -> None:
    # What PowerShell's ConvertTo-Json writes; Windows PowerShell 5 redirects it as UTF-16.
    document = [
        {
            "TimeCreated": "2026-11-23T08:43:12Z",
            "MachineName": "FS01",
            "Id": 4624,
            "Message": "An account was successfully logged on.",
        },
        {"TimeCreated": "2026-11-23T08:44:03Z", "MachineName": "FS01", "Id": 4688},
    ]
    data = json.dumps(document, indent=4).encode("utf-16")
    assert PARSER.sniff(data) == 40
    first, second = events(data)
    assert (first.record_no, second.record_no) == (1, 2)
    assert first.raw.startswith("{") and first.raw.endswith("}") and "\n" in first.raw
    assert first.common["message"] == "An account was successfully logged on."
    assert second.fields["Id"] == 4688
    assert first.fields["encoding"] == "utf-16"


def test_a_broken_array_keeps_what_came_before_and_rejects_the_rest() -> None:
    items = parse(b'[{"a": 1}, {"b": 2}, 7, {"c": oops}, {"d": 4}]')
    assert [type(item).__name__ for item in items] == ["Event", "Event", "Rejected", "Rejected"]
    assert as_rejected(items[2]).reason == "element 3: JSON number, not an object"
    rest = items[3]
    assert isinstance(rest, Rejected) and rest.record_no == 4
    assert rest.raw == b'{"c": oops}, {"d": 4}]'
    assert rest.reason.startswith("element 4: not valid JSON: Expecting value")


def test_sniff_is_modest_and_refuses_other_content(fixtures: Path) -> None:
    assert PARSER.sniff((fixtures / "json" / "app-events.jsonl").read_bytes()) == 40
    assert PARSER.sniff(b'{"__REALTIME_TIMESTAMP": "1"}\n{"__REALTIME_TIMESTAMP": "2"}\n') == 40
    for other in (
        b"time,user\n2026-11-23,bob\n",
        b"Nov 23 08:43:12 host sshd[1]: {x}\n",
        b"[2026-11-23 08:43:12] INFO started\n",
        b"<Events/>",
        b"\x00\x01{\x02",
        b"{not json}\n{not json}\n",
        b"",
    ):
        assert PARSER.sniff(other) == 0


def test_blank_lines_and_a_byte_order_mark_are_not_records() -> None:
    items = parse(b'\xef\xbb\xbf{"msg": "one"}\r\n\r\n   \n{"msg": "two"}\r\n')
    assert [(item.record_no, as_event(item).common["message"]) for item in items] == [
        (1, "one"),
        (4, "two"),
    ]


@settings(max_examples=150, deadline=None)
@given(cut=st.integers(min_value=0, max_value=4000), noise=st.binary(max_size=40))
def test_any_cut_or_garbled_file_gives_one_record_per_line(cut: int, noise: bytes) -> None:
    data = (FIXTURES / "json" / "app-events.jsonl").read_bytes()
    data = data[:cut] + noise + data[cut:]
    items = parse(data)
    numbered = enumerate(data.replace(b"\r", b"").split(b"\n"), 1)
    assert [item.record_no for item in items] == [
        number for number, line in numbered if line.strip()
    ]


def test_hostile_nesting_neither_crashes_nor_is_lost() -> None:
    deep_object = b'{"a":' * 1000 + b"1" + b"}" * 1000
    too_deep = b"[" * 5000 + b"]" * 5000
    items = parse(b"\n".join([deep_object, b'{"x": ' + too_deep + b"}", b'{"msg": "after"}']))
    assert [type(item).__name__ for item in items] == ["Event", "Rejected", "Event"]
    first = items[0]
    assert isinstance(first, Event) and first.raw == deep_object.decode()
    assert any(name.startswith("a.a.a.") for name in first.fields)
    array = parse(b'[{"ok": 1}, ' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"]")
    assert isinstance(array[0], Event)
    assert isinstance(array[1], Rejected) and "element 2" in array[1].reason


def test_a_byte_order_mark_before_bytes_that_are_not_utf16_is_just_noise() -> None:
    # found by the property above: FE FF glued to plain JSON lines
    data = b'\xfe\xff{"msg": "one"}\n{"msg": "two"}\n'
    assert [item.record_no for item in parse(data)] == [1, 2]
    assert [as_event(item).common["message"] for item in parse(data)[1:]] == ["two"]
