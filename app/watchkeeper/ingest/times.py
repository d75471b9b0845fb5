"""Reading a time from a field's value: ISO text, epoch numbers, d/m/y and m/d/y dates, RFC 2822."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any

from watchkeeper.core.timeparse import parse_iso

_EPOCH_TEXT = re.compile(r"-?\d{9,19}(?:\.\d+)?")
# 23/11/2026 08:43, 11-23-2026 8:43:12 PM, 23.11.2026: day and month order is decided by caller
_NUMERIC_DATE = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?\s*([AaPp][Mm])?)?"
)
_YEAR_FIRST = re.compile(
    r"(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Plainly a time, but none a calendar holds: more digits than nanoseconds since 1970 need,
# or an ISO date with a five-digit year.
_OUT_OF_RANGE_TEXT = re.compile(
    r"[+-]?\d{20,}(?:\.\d*)?|[+-]?\d{5,}-\d{1,2}-\d{1,2}(?:[T ].*)?", re.S
)


class TimeOutOfRange(ValueError):
    """A value that is plainly a time, but outside the years 1 to 9999 once in UTC."""

    def __init__(self, value: object) -> None:
        shown = value if isinstance(value, str) else repr(value)
        super().__init__(f"time {str(shown)[:60]} is out of range (years 1 to 9999 in UTC)")


def checked_iso(text: str) -> datetime | None:
    """An ISO time as parse_iso reads it; TimeOutOfRange for one no stored time can hold."""
    value = text.strip()
    if _OUT_OF_RANGE_TEXT.fullmatch(value):
        raise TimeOutOfRange(text)
    stamp = parse_iso(value)
    if stamp is not None and stamp.tzinfo is not None:
        in_utc(stamp, text)
    return stamp


def in_utc(stamp: datetime, shown: object = None) -> datetime:
    """An aware time in UTC; TimeOutOfRange when that falls outside the years 1 to 9999."""
    try:
        return stamp.astimezone(UTC)
    except (OverflowError, ValueError):
        raise TimeOutOfRange(stamp.isoformat() if shown is None else shown) from None


def date_order_evidence(text: str) -> tuple[int, int] | None:
    """The first two numbers of a d/m/y or m/d/y date, for choosing the order; else None."""
    match = _NUMERIC_DATE.fullmatch(text.strip())
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def epoch_time(number: float) -> datetime | None:
    """Seconds, milliseconds, microseconds or nanoseconds since 1970, told by magnitude."""
    size = abs(number)
    try:
        if size < 1e11:
            return _EPOCH + timedelta(seconds=number)
        if isinstance(number, int):  # whole numbers stay exact, to the microsecond
            micros = number * 1000 if size < 1e14 else number if size < 1e17 else number // 1000
            return _EPOCH + timedelta(microseconds=micros)
        scale = 1e3 if size < 1e14 else 1e6 if size < 1e17 else 1e9
        return _EPOCH + timedelta(seconds=number / scale)
    except (OverflowError, ValueError):
        return None


def parse_time(value: Any, zone: tzinfo, *, day_first: bool = True) -> tuple[datetime | None, bool]:
    """(time, whether its zone was assumed) from ISO text, epoch numbers or spreadsheet dates.

    A time without a zone is put in `zone` (the sender's, as far as we know) and flagged.
    A value that is plainly a time but cannot be stored (an epoch number past the year 9999,
    a five-digit year, a year 1 or 9999 that UTC takes off the calendar) raises
    TimeOutOfRange. Of d/m/y and m/d/y, a value whose first number is over 12 is day first, whose second
    is over 12 is month first; otherwise `day_first` decides.
    """
    if isinstance(value, bool) or value is None:
        return None, False
    if isinstance(value, int | float):
        if value != value:  # NaN
            return None, False
        return _epoch_or_raise(value), False
    text = str(value).strip()
    if not text:
        return None, False
    if text[0].isdigit() or text[0] in "+-":
        if _EPOCH_TEXT.fullmatch(text):
            return _epoch_or_raise(float(text) if "." in text else int(text)), False
        if _OUT_OF_RANGE_TEXT.fullmatch(text):
            raise TimeOutOfRange(text)
        stamp = parse_iso(text)
        if stamp is None:
            stamp = _numeric_date(text, day_first)
    else:
        stamp = _rfc2822(text)
    if stamp is None:
        return None, False
    inferred = stamp.tzinfo is None
    if inferred:
        stamp = stamp.replace(tzinfo=zone)
    in_utc(stamp, text)
    return stamp, inferred


def _epoch_or_raise(number: float) -> datetime:
    stamp = epoch_time(number)
    if stamp is None:
        raise TimeOutOfRange(number)
    return stamp


def _numeric_date(text: str, day_first: bool) -> datetime | None:
    match = _NUMERIC_DATE.fullmatch(text)
    if match is not None:
        first, second, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if first > 12 or (second <= 12 and day_first):
            day, month = first, second
        else:
            day, month = second, first
        hour_group, ampm = 4, match.group(8)
    else:
        match = _YEAR_FIRST.fullmatch(text)
        if match is None:
            return None
        year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
        hour_group, ampm = 4, None
    hour = int(match.group(hour_group) or 0)
    minute = int(match.group(hour_group + 1) or 0)
    second_value = int(match.group(hour_group + 2) or 0)
    fraction = match.group(hour_group + 3) or ""
    micro = int(fraction.ljust(6, "0")) if fraction else 0
    if ampm:
        if hour > 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    try:
        return datetime(year, month, day, hour, minute, second_value, micro)
    except ValueError:
        return None


def _rfc2822(text: str) -> datetime | None:
    if "," not in text and not text[:3].isalpha():
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
