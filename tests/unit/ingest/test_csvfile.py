"""CSV exports: delimiters, row numbers, quoted newlines, day/month order, bad rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.parsed import as_event, as_events, as_rejected

from watchkeeper.core.event import Event, Parsed, Rejected
from watchkeeper.core.timeparse import YearInference
from watchkeeper.ingest.base import MAX_LINE, ParseContext, Source
from watchkeeper.ingest.csvfile import CsvParser
from watchkeeper.ingest.jsonlines import JsonLinesParser

PARSER = CsvParser()
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LONDON = UTC  # Greenwich Mean Time in November


def parse(data: bytes) -> tuple[list[Parsed], ParseContext]:
    source = Source.from_bytes("export.csv", data)
    context = ParseContext(years=YearInference(datetime(2026, 11, 23, tzinfo=UTC), LONDON))
    return list(PARSER.parse(source, context)), context


def events(data: bytes) -> list[Event]:
    items, _ = parse(data)
    assert all(isinstance(item, Event) for item in items), items
    return [item for item in items if isinstance(item, Event)]


def test_event_viewer_csv_with_its_unnamed_description_column(fixtures: Path) -> None:
    data = (fixtures / "csv" / "eventviewer-security.csv").read_bytes()
    items, context = parse(data)
    logon, _, cleared = items
    assert isinstance(logon, Event) and isinstance(cleared, Event)
    # Row numbers as a spreadsheet shows them; each row spans several lines of the file.
    assert [item.record_no for item in items] == [2, 3, 4]
    assert list(logon.fields) == [
        "Level",
        "Date and Time",
        "Source",
        "Event ID",
        "Task Category",
        "Description",
    ]
    assert logon.common["time"] == datetime(2026, 11, 23, 8, 43, 12, tzinfo=LONDON)
    assert logon.common["time_inferred"] == "zone"
    assert logon.common["event_id"] == 4624
    assert logon.common["level"] == "information"
    assert "Source Network Address:\t192.168.10.57" in logon.fields["Description"]
    assert logon.raw.startswith("Information,23/11/2026 08:43:12,")
    assert logon.raw.endswith('Source Port:\t\t50912"')
    assert cleared.fields["Event ID"] == "1102"
    assert any("'Description'" in note for note in context.notes)


def test_entra_sign_in_export_maps_user_address_and_time(fixtures: Path) -> None:
    success, failure = events((fixtures / "csv" / "entra-signins.csv").read_bytes())
    assert success.common["time"] == datetime(2026, 11, 23, 8, 43, 12, tzinfo=UTC)
    assert "time_inferred" not in success.common
    assert success.common["username"] == "jsmith@oakfield.co.uk"  # Username, not the name
    assert success.common["src_ip"] == "203.0.113.45"
    assert success.fields["Location"] == "London, England, GB"
    assert success.fields["User agent"].startswith("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    assert failure.common["src_ip"] == "185.220.101.34"
    assert failure.fields["Failure reason"].startswith("Error validating credentials")
    assert failure.fields["Browser"] == ""
    assert failure.record_no == 3


def test_excel_semicolons_quoted_newlines_and_formulas_kept_as_text(fixtures: Path) -> None:
    data = (fixtures / "csv" / "excel-semicolon.csv").read_bytes()
    usb, export, link = events(data)
    assert list(usb.fields) == ["Date", "Device", "User", "Event", "Note"]
    assert usb.fields["Note"] == "Kingston DataTraveler\r\nSerial 60A44C3F"
    assert (
        usb.raw == '23/11/2026 08:43;RECEPTION-PC;reception;USB stick inserted;"Kingston '
        'DataTraveler\r\nSerial 60A44C3F"'
    )
    # The quoted newline makes row 2 two lines long: row 3 starts on line 4 of the file.
    assert (usb.record_no, export.record_no, link.record_no) == (2, 3, 4)
    assert export.fields["Note"] == "=cmd|' /C calc'!A0"
    assert export.raw.endswith(";=cmd|' /C calc'!A0")
    assert link.fields["Note"] == '=HYPERLINK("http://203.0.113.9/x","Open")'


def test_day_first_dates_settled_by_the_file_itself(fixtures: Path) -> None:
    items, context = parse((fixtures / "csv" / "excel-semicolon.csv").read_bytes())
    # 23/11/2026 can only be day first, so 05/06/2026 in the same column is 5 June.
    assert [as_event(item).common["time"] for item in items] == [
        datetime(2026, 11, 23, 8, 43, tzinfo=LONDON),
        datetime(2026, 6, 5, 9, 10, tzinfo=LONDON),
        datetime(2026, 6, 7, 17, 2, tzinfo=LONDON),
    ]
    assert not any("day/month" in note or "month/day" in note for note in context.notes)


def test_ambiguous_dates_are_read_day_first_and_the_user_is_told() -> None:
    items, context = parse(b"Date,User\r\n05/06/2026 09:10,bob\r\n07/06/2026 10:00,bob\r\n")
    assert as_event(items[0]).common["time"] == datetime(2026, 6, 5, 9, 10, tzinfo=LONDON)
    assert any("read as day/month/year" in note and "'Date'" in note for note in context.notes)


def test_a_file_whose_dates_show_month_first_is_read_month_first() -> None:
    data = b"Date,User,Action\r\n05/06/2026 09:10,bob,login\r\n11/23/2026 08:43,alice,login\r\n"
    items, context = parse(data)
    early, late = as_events(items)
    assert early.common["time"] == datetime(2026, 5, 6, 9, 10, tzinfo=LONDON)
    assert late.common["time"] == datetime(2026, 11, 23, 8, 43, tzinfo=LONDON)
    assert any("month/day/year" in note for note in context.notes)


def test_a_row_with_the_wrong_number_of_values_is_rejected() -> None:
    header = "a,b,c,d,e,f,g"
    good = "1,2,3,4,5,6,7"
    rows = [header] + [good] * 12 + ["1,2,3,4,5", good, "1,2,3,4,5,6,7,,"]
    items, _ = parse("\n".join(rows).encode())
    rejected = [item for item in items if isinstance(item, Rejected)]
    assert [(item.record_no, item.reason, item.raw) for item in rejected] == [
        (14, "row 14 has 5 values for 7 columns", b"1,2,3,4,5")
    ]
    assert len(items) == 15  # every row after the header: events and the one rejected
    trailing = items[-1]
    assert isinstance(trailing, Event) and trailing.fields["g"] == "7"  # empty extras dropped


def test_tab_pipe_and_excels_sep_line() -> None:
    (tab,) = events(b"time\tuser\thost\n2026-11-23T08:43:12Z\tbob\tpc1\n")
    assert (tab.common["username"], tab.common["host"]) == ("bob", "pc1")
    (pipe,) = events(b"time|user|host\n2026-11-23T08:43:12Z|bob|pc1\n")
    assert pipe.fields == {"time": "2026-11-23T08:43:12Z", "user": "bob", "host": "pc1"}
    (excel,) = events(b"sep=;\r\nuser;host\r\nbob;pc1\r\n")
    assert excel.fields == {"user": "bob", "host": "pc1"} and excel.record_no == 2


def test_excel_unicode_text_in_utf16_is_read() -> None:
    data = "Date\tUser\tMessage\r\n23/11/2026 08:43\tRené\tÜberweisung\r\n".encode("utf-16")
    assert PARSER.sniff(data) >= 30
    (event,) = events(data)
    assert event.fields["User"] == "René" and event.fields["Message"] == "Überweisung"
    assert event.fields["encoding"] == "utf-16"


def test_utf16_without_a_byte_order_mark_is_read_whatever_its_first_character() -> None:
    data = "名前\tUser\tMessage\r\nPC-1\tRené\tÜberweisung\r\n".encode("utf-16-le")
    assert PARSER.sniff(data) >= 30
    (event,) = events(data)
    assert event.fields == {
        "名前": "PC-1",
        "User": "René",
        "Message": "Überweisung",
        "encoding": "utf-16-le",
    }


def test_invalid_utf8_is_read_as_windows_1252_and_said_so() -> None:
    (event,) = events(b"user,note\nRen\xe9,\x80 42\n")
    assert event.fields == {"user": "René", "note": "€ 42", "encoding": "cp1252"}


def test_over_long_lines_and_fields_are_rejected_and_reading_goes_on() -> None:
    huge_line = b"a," + b"x" * (MAX_LINE + 5)
    huge_field = b'b,"' + b"y" * 200_000 + b'"'
    items, _ = parse(b"\n".join([b"name,value", huge_line, huge_field, b"c,3"]))
    assert [type(item).__name__ for item in items] == ["Rejected", "Rejected", "Event"]
    assert "over the 1,048,576-byte limit" in as_rejected(items[0]).reason
    assert as_rejected(items[1]).reason == "row 3: field larger than field limit (131072)"
    assert items[2].record_no == 4 and as_event(items[2]).fields == {"name": "c", "value": "3"}


def test_an_unclosed_quote_keeps_the_rest_of_the_file_in_one_event() -> None:
    items, _ = parse(b'user,note\nbob,"never closed\nalice,fine\n')
    (event,) = items
    assert isinstance(event, Event)
    assert event.fields["note"] == "never closed\nalice,fine\n"


def test_hostile_text_is_kept_exactly() -> None:
    text = "<script>alert(1)</script>'; DROP TABLE events;--\x1b[2J\x00"
    (event,) = events(f'user,note\nbob,"{text}"\n'.encode())
    assert event.fields["note"] == text


def test_header_names_are_cleaned_but_kept() -> None:
    (event,) = events(b" Time ,User,,User\n2026-11-23T08:43:12Z,bob,x,robert\n")
    assert event.fields == {
        "Time": "2026-11-23T08:43:12Z",
        "User": "bob",
        "column_3": "x",
        "User_2": "robert",
    }


def test_naive_times_take_the_zone_of_the_sender() -> None:
    paris = timezone(timedelta(hours=1))
    source = Source.from_bytes("x.csv", b"time,user\n2026-11-23 08:43:12,bob\n")
    context = ParseContext(years=YearInference(datetime(2026, 11, 23, tzinfo=UTC), paris))
    (event,) = as_events(PARSER.parse(source, context))
    assert event.common["time"] == datetime(2026, 11, 23, 7, 43, 12, tzinfo=UTC)


def test_sniff_recognises_exports_and_refuses_other_content(fixtures: Path) -> None:
    for name in ("eventviewer-security.csv", "entra-signins.csv"):
        assert PARSER.sniff((fixtures / "csv" / name).read_bytes()) == 50
    assert PARSER.sniff((fixtures / "csv" / "excel-semicolon.csv").read_bytes()) == 50
    jsonl = (fixtures / "json" / "app-events.jsonl").read_bytes()
    assert PARSER.sniff(jsonl) == 0 < JsonLinesParser().sniff(jsonl)
    for other in (
        b"Nov 23 08:43:12 fs01 sshd[1]: Accepted password for bob, from 1.2.3.4\n"
        b"Nov 23 08:43:13 fs01 sshd[1]: session opened, for user bob\n",
        b"2026-11-23,08:43:12,1\n2026-11-23,08:43:13,2\n",
        b"<Events><Event/></Events>\n",
        b"just one column\nstill one\n",
        b"\x00\x01\x02,\x03\n",
        b"",
    ):
        assert PARSER.sniff(other) == 0


@settings(max_examples=150, deadline=None)
@given(cut=st.integers(min_value=0, max_value=1200), noise=st.binary(max_size=40))
def test_any_cut_or_garbled_export_gives_records_never_an_exception(cut: int, noise: bytes) -> None:
    data = (FIXTURES / "csv" / "entra-signins.csv").read_bytes()
    items, _ = parse(data[:cut] + noise + data[cut:])
    assert all(isinstance(item, Event | Rejected) for item in items)
    numbers = [item.record_no for item in items]
    assert numbers == sorted(set(numbers))  # each row once, in file order
