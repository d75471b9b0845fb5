"""Dates as exports write them in English, German and French, with the order settled per file.

ISO 8601 needs no help. 23.11.2026 is always day first. 11/23/2026 and 23/11/2026 are
told apart by the file's own dates (a first number over 12 is a day, a second over 12 is
a day), then by a 12-hour clock (AM/PM is what US English exports write), then by the
language of the headers; the reason is said in the evidence and the notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from watchkeeper.core.timeparse import parse_iso

_TIME = (
    r"(?:[ T,]+(?:at\s+|um\s+|à\s+)?(?P<H>\d{1,2})[:h.](?P<M>\d{2})"
    r"(?::(?P<S>\d{2})(?:[.,](?P<F>\d+))?)?\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?)?"
)
_ZONE = r"\s*(?P<zone>Z|UTC|GMT|(?:UTC|GMT)?\s?[+-]\d{1,2}(?::?\d{2})?)?"
_NUMERIC = re.compile(
    r"(?P<a>\d{1,4})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{2,4})\.?" + _TIME + _ZONE,
    re.IGNORECASE,
)
_NAMED_MONTH_FIRST = re.compile(
    r"(?P<mon>[^\W\d_]+)\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})" + _TIME + _ZONE, re.IGNORECASE
)
_NAMED_DAY_FIRST = re.compile(
    r"(?P<d>\d{1,2})\.?\s+(?P<mon>[^\W\d_]+)\.?\s+(?P<y>\d{4})" + _TIME + _ZONE, re.IGNORECASE
)
_OFFSET = re.compile(r"(?:UTC|GMT)?\s?(?P<sign>[+-])(?P<h>\d{1,2}):?(?P<m>\d{2})?", re.I)

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("jan", "january", "januar", "janvier", "janv"),
        ("feb", "february", "februar", "février", "févr", "fev"),
        ("mar", "march", "märz", "mrz", "mars"),
        ("apr", "april", "avril", "avr"),
        ("may", "mai"),
        ("jun", "june", "juni", "juin"),
        ("jul", "july", "juli", "juillet", "juil"),
        ("aug", "august", "août", "aout"),
        ("sep", "sept", "september", "septembre"),
        ("oct", "october", "okt", "oktober", "octobre"),
        ("nov", "november", "novembre"),
        ("dec", "december", "dez", "dezember", "décembre", "déc"),
    ),
    1,
):
    for _name in _names:
        _MONTHS[_name] = _number

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French"}


@dataclass(frozen=True, slots=True)
class DateOrder:
    """How this file's d/m/y dates are read, and why."""

    day_first: bool
    reason: str
    seen: bool = True  # whether the file has any d/m/y or m/d/y date at all

    @property
    def shape(self) -> str:
        return "day/month/year" if self.day_first else "month/day/year"


def settle_order(values: Iterable[tuple[int, str]], language: str | None) -> DateOrder:
    """The order of the slash dates among (row, text) values, from the values themselves."""
    day_row = month_row = clock_row = None
    seen = False
    for row, text in values:
        match = _NUMERIC.fullmatch(text.strip())
        if match is None or match.group("sep") == "." or len(match.group("a")) == 4:
            continue
        seen = True
        first, second = int(match.group("a")), int(match.group("b"))
        if first > 12 and second <= 12 and day_row is None:
            day_row = (row, text.strip())
        elif second > 12 and first <= 12 and month_row is None:
            month_row = (row, text.strip())
        if match.group("ampm") and clock_row is None:
            clock_row = row
    if day_row and not month_row:
        return DateOrder(True, f'row {day_row[0]} has "{day_row[1]}", a day over 12 first')
    if month_row and not day_row:
        return DateOrder(False, f'row {month_row[0]} has "{month_row[1]}", a day over 12 second')
    by_language = language in ("de", "fr")
    mixed = (
        ""
        if not (day_row and month_row)
        else (f"the file has dates in both orders (rows {day_row[0]} and {month_row[0]}); ")
    )
    if clock_row is not None and not by_language:
        return DateOrder(False, mixed + "12-hour times with AM/PM, as US English exports write")
    if by_language:
        return DateOrder(True, mixed + f"{LANGUAGE_NAMES[language or 'en']} headers")
    return DateOrder(True, mixed + "no date in the file settles the order, so day first", seen)


def read_date(text: str, order: DateOrder, zone: tzinfo = UTC) -> tuple[datetime, str] | None:
    """(the time in UTC, how it was read), or None when `text` is not a date."""
    value = text.strip()
    if not value:
        return None
    iso = parse_iso(value) if value[:4].isdigit() and value[4:5] == "-" else None
    if iso is not None:
        return _in_utc(iso, None, zone, "ISO 8601")
    match = _NUMERIC.fullmatch(value)
    if match is not None:
        a, b, c = int(match.group("a")), int(match.group("b")), int(match.group("c"))
        sep = match.group("sep")
        if len(match.group("a")) == 4:
            year, month, day, shape = a, b, c, "year-month-day"
        elif sep == ".":
            day, month, year, shape = a, b, c, "day.month.year"
        elif order.day_first:
            day, month, year, shape = a, b, c, "day/month/year"
        else:
            month, day, year, shape = a, b, c, "month/day/year"
        if year < 100:
            year += 2000
        return _assemble(match, year, month, day, shape, zone)
    for pattern in (_NAMED_MONTH_FIRST, _NAMED_DAY_FIRST):
        match = pattern.fullmatch(value)
        named = _MONTHS.get(match.group("mon").casefold()) if match else None
        if match is not None and named is not None:
            return _assemble(
                match, int(match.group("y")), named, int(match.group("d")), "a month name", zone
            )
    return None


def _assemble(
    match: re.Match[str], year: int, month: int, day: int, shape: str, zone: tzinfo
) -> tuple[datetime, str] | None:
    hour = int(match.group("H") or 0)
    ampm = (match.group("ampm") or "").replace(".", "").replace(" ", "").casefold()
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
        shape += ", 12-hour clock"
    fraction = (match.group("F") or "0")[:6].ljust(6, "0")
    try:
        naive = datetime(
            year,
            month,
            day,
            hour,
            int(match.group("M") or 0),
            int(match.group("S") or 0),
            int(fraction),
        )
    except ValueError:
        return None
    return _in_utc(naive, match.group("zone"), zone, shape)


def _in_utc(
    stamp: datetime, zone_text: str | None, zone: tzinfo, shape: str
) -> tuple[datetime, str] | None:
    if zone_text:
        offset = _offset(zone_text)
        if offset is None:
            return None
        stamp = stamp.replace(tzinfo=offset)
    if stamp.tzinfo is None:
        name = "UTC" if zone is UTC else str(zone)
        return stamp.replace(tzinfo=zone).astimezone(UTC), f"{shape}, no zone given, so {name}"
    return stamp.astimezone(UTC), shape


def _offset(text: str) -> tzinfo | None:
    word = text.strip().upper()
    if word in ("Z", "UTC", "GMT"):
        return UTC
    match = _OFFSET.fullmatch(text.strip())
    if match is None:
        return None
    minutes = int(match.group("h")) * 60 + int(match.group("m") or 0)
    if minutes > 14 * 60:
        return None
    return timezone(timedelta(minutes=-minutes if match.group("sign") == "-" else minutes))
