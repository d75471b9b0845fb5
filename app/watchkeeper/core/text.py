"""Text in and out: bytes of an unknown encoding read as text, the delimiter of a
table's lines, and figures and dates as a person reads them ("1 event", "3 Mar 2024").

Log files and spreadsheet exports share the first two: UTF-8 with or without a
byte-order mark, UTF-16 (Windows tools), Windows-1252; commas, semicolons or tabs.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

# Nouns whose plural is not the noun with an "s".
_IRREGULAR = {
    "entry": "entries",
    "match": "matches",
    "batch": "batches",
    "address": "addresses",
    "process": "processes",
    "policy": "policies",
    "history": "histories",
}


def plural(noun: str) -> str:
    """The plural of a noun (its last word): "event" -> "events", "more entry" -> "more entries"."""
    head, _, last = noun.rpartition(" ")
    many = _IRREGULAR.get(last, last + "s")
    return f"{head} {many}" if head else many


def counted(count: int, noun: str, many: str | None = None) -> str:
    """A count and its noun in the right number, with thousands separated: "1 event",
    "1,204 events", "0 events"; `many` when the plural is irregular."""
    return f"{count:,} {noun if count == 1 else (many or plural(noun))}"


def shown_day(value: datetime, utc: bool = True) -> str:
    """A date (naive UTC, like the store's) as "3 Mar 2024", in UTC or this machine's time."""
    if not utc:
        # outside what the platform's local time handles: show UTC
        with contextlib.suppress(OverflowError, OSError, ValueError):
            value = value.replace(tzinfo=UTC).astimezone()
    return f"{value.day} {value:%b %Y}"


# reading text ----------------------------------------------------------------------------

UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_SAMPLE = 256  # bytes looked at to tell UTF-16 without a byte-order mark


def decode(data: bytes) -> tuple[str, str]:
    """Text of one record, and the encoding used: UTF-8, else Windows-1252, else Latin-1.

    Latin-1 maps every byte, so nothing is lost; the encoding is recorded with the event.
    """
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def text_encoding(head: bytes) -> tuple[str | None, int]:
    """(encoding other than UTF-8, or None; length of its byte-order mark) from a file's start.

    Windows tools write UTF-16 (PowerShell 5 redirection, Excel's "Unicode text"), with a
    byte-order mark, or without one, recognisable by NUL bytes next to ASCII.
    """
    if head.startswith(UTF8_BOM):
        return None, 3
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and (len(head) <= 4 or b"\x00" in head[2:]):
        # the utf-16 codec reads and drops the mark itself; a "mark" followed by no NUL at
        # all starts bytes that are not UTF-16 (ASCII punctuation of JSON or CSV has NULs)
        return "utf-16", 0
    return _utf16_without_mark(head[:_UTF16_SAMPLE]), 0


def _utf16_without_mark(sample: bytes) -> str | None:
    """UTF-16 by its byte order: the text starts with two ASCII characters, or, for text
    that starts otherwise, most of the first characters have a zero high byte."""
    if len(sample) < 4:
        return None
    if sample[1] == 0 and sample[3] == 0 and sample[0] and sample[2]:
        return "utf-16-le"
    if sample[0] == 0 and sample[2] == 0 and sample[1] and sample[3]:
        return "utf-16-be"
    pairs = len(sample) // 2
    even, odd = sample[0 : pairs * 2 : 2].count(0), sample[1 : pairs * 2 : 2].count(0)
    if odd > pairs // 2 and even <= pairs // 8:
        return "utf-16-le"
    if even > pairs // 2 and odd <= pairs // 8:
        return "utf-16-be"
    return None


# delimited lines -------------------------------------------------------------------------

DELIMITERS = ",;\t|"
_AGREEMENT = 0.6  # share of sampled rows that must have the usual width
_EXCEL_SEPARATOR = re.compile(r"sep=(.)\s*")


@dataclass(frozen=True, slots=True)
class Dialect:
    delimiter: str
    skip_initial_space: bool = False
    skip_first_line: bool = False  # Excel's "sep=;" line


def _widths(lines: list[str], delimiter: str) -> list[int]:
    return [len(row) for row in csv.reader(lines, delimiter=delimiter, strict=False)]


def _consistency(widths: list[int]) -> tuple[float, int]:
    """(share of rows of the usual width, header width); 0 when the header does not fit.

    The header may be one name short of the rows, as Event Viewer writes it.
    """
    if not widths:
        return 0.0, 0
    header = widths[0]
    rows = widths[1:]
    if not rows:
        return 1.0, header
    usual, count = Counter(rows).most_common(1)[0]
    if header not in (usual, usual - 1):
        return 0.0, header
    return count / len(rows), header


def detect_dialect(lines: list[str], delimiters: str = DELIMITERS) -> Dialect | None:
    """The delimiter of a header row and the lines after it; None if no delimiter fits.

    Excel's "sep=;" first line says it outright. Otherwise csv.Sniffer's guess is taken
    when the rows agree with it; else the delimiter under which the most rows are as wide
    as the header.
    """
    if not lines:
        return None
    excel = _EXCEL_SEPARATOR.fullmatch(lines[0])
    if excel is not None:
        return Dialect(excel.group(1), skip_first_line=True)
    try:
        guess = csv.Sniffer().sniff("\n".join(lines), delimiters=delimiters)
        share, width = _consistency(_widths(lines, guess.delimiter))
        if width >= 2 and share >= _AGREEMENT:
            return Dialect(guess.delimiter, bool(guess.skipinitialspace))
    except csv.Error:
        pass
    best: tuple[float, int, str] | None = None
    for delimiter in delimiters:
        share, width = _consistency(_widths(lines, delimiter))
        if width >= 2 and share >= _AGREEMENT and (best is None or (share, width) > best[:2]):
            best = (share, width, delimiter)
    return Dialect(best[2]) if best is not None else None
