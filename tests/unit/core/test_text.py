"""Text read from bytes of an unknown encoding, delimiters, and counts and dates as a person
reads them."""

from __future__ import annotations

from datetime import datetime

from watchkeeper.core.text import (
    Dialect,
    counted,
    decode,
    detect_dialect,
    plural,
    shown_day,
    text_encoding,
)


def test_counts_agree_with_their_noun() -> None:
    assert counted(1, "event") == "1 event"
    assert counted(0, "event") == "0 events"
    assert counted(1204, "event") == "1,204 events"
    assert counted(2, "entry") == "2 entries"
    assert counted(3, "more host") == "3 more hosts"
    assert counted(2, "rule file") == "2 rule files"
    assert counted(2, "person", "people") == "2 people"
    assert plural("match") == "matches"


def test_a_day_reads_as_day_month_year() -> None:
    assert shown_day(datetime(2024, 3, 3, 23, 59)) == "3 Mar 2024"


# reading text --------------------------------------------------------------------------


def test_utf16_is_told_with_or_without_a_byte_order_mark() -> None:
    line = "名前,Serial,OS\r\nPC-1,ABC1,Windows\r\n"  # a first column name that is not ASCII
    assert text_encoding(line.encode("utf-16")) == ("utf-16", 0)
    assert text_encoding(line.encode("utf-16-le")) == ("utf-16-le", 0)
    assert text_encoding(line.encode("utf-16-be")) == ("utf-16-be", 0)
    assert text_encoding("ab".encode("utf-16-le")) == ("utf-16-le", 0)
    assert text_encoding(b"\xef\xbb\xbf" + line.encode()) == (None, 3)
    assert text_encoding(line.encode()) == (None, 0)


def test_bytes_that_only_look_like_utf16_are_not_taken_for_it() -> None:
    assert text_encoding(b"\xff\xfeplain text after what looks like a mark") == (None, 0)
    assert text_encoding(bytes(300)) == (None, 0)  # all NUL: binary, not text


def test_a_record_falls_back_to_windows_1252_then_latin_1_and_says_so() -> None:
    assert decode("René".encode()) == ("René", "utf-8")
    assert decode(b"\x80 42") == ("€ 42", "cp1252")
    assert decode(b"\x81\xe9") == ("\x81é", "latin-1")  # 0x81 is not in Windows-1252


# delimited lines -------------------------------------------------------------------------


def test_the_delimiter_is_the_one_the_rows_agree_on() -> None:
    assert detect_dialect(["a;b;c", "1;2,5;3", "4;5;6"]) == Dialect(";")
    assert detect_dialect(["a\tb", "1\t2"]) == Dialect("\t")
    assert detect_dialect(["sep=|", "a|b"]) == Dialect("|", skip_first_line=True)
    assert detect_dialect(["just one column", "a value"]) is None
    assert detect_dialect(["a|b", "1|2"], delimiters=",;") is None
