"""Parsing timestamps, and inferring what RFC 3164 leaves out (the year and the zone)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, tzinfo

EPOCH = datetime(1970, 1, 1)  # event times are naive UTC; seconds since this for axes

MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


def local_zone() -> tzinfo:
    """The zone of this machine, used when a log line has none."""
    zone = datetime.now().astimezone().tzinfo
    return zone if zone is not None else UTC


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 / RFC 3339 time; None when it is not one. Naive times are left naive."""
    value = text.strip()
    if not value:
        return None
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    # fromisoformat takes at most 6 fraction digits on 3.11; EVTX and journald give 7 or 9.
    dot = value.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(value) and value[end].isdigit():
            end += 1
        if end - dot - 1 > 6:
            value = value[: dot + 7] + value[end:]
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class YearInference:
    """Gives RFC 3164 stamps (no year, no zone) a year and a zone.

    The year is the one that puts the stamp at or before `reference` (the file's last
    change, or now), allowing a day of clock difference; a log read in January with
    December lines puts those lines in the previous year.
    """

    def __init__(self, reference: datetime, zone: tzinfo | None = None) -> None:
        self.zone = zone or local_zone()
        self.reference = reference.astimezone(self.zone)
        self._limit = self.reference + timedelta(days=1)

    def resolve(
        self, month: int, day: int, hour: int, minute: int, second: int, micro: int = 0
    ) -> datetime | None:
        year = self.reference.year
        for candidate in (year, year - 1):
            try:
                stamp = datetime(
                    candidate, month, day, hour, minute, second, micro, tzinfo=self.zone
                )
            except ValueError:  # 29 February in a year without one
                continue
            if stamp <= self._limit:
                return stamp
        return None


def utc_naive(stamp: datetime) -> tuple[datetime, int | None]:
    """The UTC wall time for the store, and the original offset in minutes (None if naive)."""
    offset = stamp.utcoffset()
    if offset is None:
        return stamp, None
    return stamp.astimezone(UTC).replace(tzinfo=None), int(offset.total_seconds() // 60)


def shown_time(value: datetime, utc: bool, fraction: bool = False) -> str:
    """An event time (naive UTC) as text, in UTC or in this machine's local time."""
    shape = "%Y-%m-%d %H:%M:%S.%f" if fraction else "%Y-%m-%d %H:%M:%S"
    if not utc:
        # outside what the platform's local time handles: show UTC
        with contextlib.suppress(OverflowError, OSError, ValueError):
            value = value.replace(tzinfo=UTC).astimezone()
    return value.strftime(shape)
