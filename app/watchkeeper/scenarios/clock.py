"""Text stamps for epoch milliseconds, from tables, because formatting a datetime per event is slow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=1)
def time_of_day() -> tuple[str, ...]:
    """'HH:MM:SS' for every second of a day, indexed by the second."""
    return tuple(
        f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
    )


@lru_cache(maxsize=1)
def milliseconds() -> tuple[str, ...]:
    """'.mmm' for 0-999."""
    return tuple(f".{ms:03d}" for ms in range(1000))


def to_ms(stamp: datetime) -> int:
    return int(stamp.astimezone(UTC).timestamp() * 1000)


def from_ms(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)


class Clock:
    """Day prefixes for each day of the scenario, keyed by the UTC day number (epoch days).

    A stamp is a day prefix plus `time_of_day()[second % 86400]`: two lookups and a
    concatenation instead of a datetime per event.
    """

    def __init__(self, start_ms: int, end_ms: int) -> None:
        self.start_ms = start_ms
        self.end_ms = end_ms
        first = start_ms // DAY_MS
        last = (end_ms + 2000) // DAY_MS + 1  # received stamps may fall a second past the end
        self.windows: dict[int, str] = {}  # '2026-11-03 ' (NXLog EventTime)
        self.iso: dict[int, str] = {}  # '2026-11-03T' (RFC 5424, Android)
        self.bsd: dict[int, str] = {}  # 'Nov  3 ' (RFC 3164)
        self.weekday: dict[int, int] = {}
        for day in range(first, last + 1):
            date = from_ms(day * DAY_MS).date()
            self.windows[day] = f"{date.isoformat()} "
            self.iso[day] = f"{date.isoformat()}T"
            self.bsd[day] = f"{_MONTHS[date.month - 1]} {date.day:2d} "
            self.weekday[day] = date.weekday()

    def windows_stamp(self, t_ms: int) -> str:
        second = t_ms // 1000
        return self.windows[second // 86400] + time_of_day()[second % 86400]

    def utc_time(self, t_ms: int) -> str:
        """Sysmon's UtcTime: '2026-11-03 08:43:12.345'."""
        return self.windows_stamp(t_ms) + milliseconds()[t_ms % 1000]

    def iso_stamp(self, t_ms: int) -> str:
        """'2026-11-03T08:43:12.345Z'."""
        second = t_ms // 1000
        return (
            self.iso[second // 86400]
            + time_of_day()[second % 86400]
            + milliseconds()[t_ms % 1000]
            + "Z"
        )

    def bsd_stamp(self, t_ms: int) -> str:
        """RFC 3164: 'Nov  3 08:43:12'."""
        second = t_ms // 1000
        return self.bsd[second // 86400] + time_of_day()[second % 86400]
