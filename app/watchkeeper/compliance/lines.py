"""What a table of devices shows of each device: its cells, its columns, the filters and
the CSV export, for the Devices view and anything else that lists devices.

A `DeviceLine` is what the table needs of a device, whatever the evaluation layer calls its
fields (`compliance.page.line_of` reads that layer's rows). Every text a device brings
(names, owners, evidence) came from an export or a log: it is made printable for a cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from watchkeeper.core.printable import printable
from watchkeeper.core.timeparse import shown_time

STATUSES = ("fail", "unknown", "excepted", "pass", "n/a")  # worst first: the sort order
STATUS_WORDS = {
    "pass": "Pass",
    "fail": "Fail",
    "unknown": "Unknown",
    "excepted": "Excepted",
    "n/a": "n/a",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CheckCell:
    """One check's verdict on one device, with what it rests on."""

    status: str  # one of STATUSES
    reason: str = ""  # a sentence: why this verdict
    evidence: str = ""  # what the source said, where
    source: str = ""  # which source said it
    observed: datetime | None = None  # when the source saw it (UTC)


@dataclass(frozen=True)
class DeviceLine:
    """One device as the table shows it."""

    device_id: str
    name: str
    platform: str = ""
    owner: str = ""
    sources: tuple[str, ...] = ()
    last_seen: datetime | None = None  # naive or aware UTC
    checks: Mapping[str, CheckCell] = field(default_factory=dict)
    status: str = "unknown"  # the overall verdict, one of STATUSES
    hosts: tuple[str, ...] = ()  # its names in the event store
    original: Any = None  # the evaluation layer's own row, for the device page

    @property
    def failing(self) -> bool:
        return self.status == "fail"


def check_title(name: str) -> str:
    """A check's column title from its name: "screen_lock" -> "Screen lock"."""
    words = name.replace("_", " ").replace("-", " ").strip()
    return (words[:1].upper() + words[1:]) or name


def time_text(value: datetime | None, utc: bool) -> str:
    """A time to the minute, in UTC or local time; aware times are turned to UTC first."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return shown_time(value, utc)[:-3]  # no seconds


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[DeviceLine, bool], str]
    sort_key: Callable[[DeviceLine], Any]
    tooltip: str = ""


FIXED_COLUMNS: tuple[Column, ...] = (
    Column(
        "Status",
        lambda d, _u: STATUS_WORDS.get(d.status, d.status),
        lambda d: status_rank(d.status),
        "Fail when any check fails; unknown when none fails but some cannot be judged",
    ),
    Column("Device", lambda d, _u: printable(d.name), lambda d: d.name.lower()),
    Column("Platform", lambda d, _u: printable(d.platform), lambda d: d.platform.lower()),
    Column(
        "Owner",
        lambda d, _u: printable(d.owner),
        lambda d: d.owner.lower(),
        "The primary user, as the MDM gives it",
    ),
)
# after the checks, which are what the view is for
TRAILING_COLUMNS: tuple[Column, ...] = (
    Column(
        "Sources",
        lambda d, _u: printable(", ".join(d.sources)),
        lambda d: d.sources,
        "The inventories and logs that saw this device",
    ),
    Column(
        "Last seen",
        lambda d, u: time_text(d.last_seen, u),
        lambda d: (d.last_seen is None, time_text(d.last_seen, True)),
        "The latest time any source saw it",
    ),
)


def status_rank(status: str) -> int:
    return STATUSES.index(status) if status in STATUSES else len(STATUSES)


def check_rank(check: str, line: DeviceLine) -> int:
    cell = line.checks.get(check)
    return status_rank(cell.status if cell is not None else "n/a")


def check_names(lines: Iterable[DeviceLine], known: Sequence[str] = ()) -> list[str]:
    """The check columns: the policy's order first, then any other check the rows have."""
    names = list(known)
    for line in lines:
        names.extend(name for name in line.checks if name not in names)
    return names


# filtering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceFilter:
    """What the view's filters ask for; empty strings mean any."""

    failing_only: bool = False
    platform: str = ""
    owner: str = ""
    source: str = ""

    def keeps(self, line: DeviceLine) -> bool:
        return (
            (not self.failing_only or line.failing)
            and (not self.platform or line.platform == self.platform)
            and (not self.owner or line.owner == self.owner)
            and (not self.source or self.source in line.sources)
        )


def filtered(lines: Iterable[DeviceLine], where: DeviceFilter) -> list[DeviceLine]:
    return [line for line in lines if where.keeps(line)]


@dataclass(frozen=True)
class Facets:
    platforms: list[str]
    owners: list[str]
    sources: list[str]


def facets(lines: Iterable[DeviceLine]) -> Facets:
    """The values each filter offers: those the devices have."""
    platforms: set[str] = set()
    owners: set[str] = set()
    sources: set[str] = set()
    for line in lines:
        if line.platform:
            platforms.add(line.platform)
        if line.owner:
            owners.add(line.owner)
        sources.update(line.sources)
    return Facets(sorted(platforms), sorted(owners, key=str.lower), sorted(sources))


# CSV ----------------------------------------------------------------------------------------


def safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ would be a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def devices_csv(
    lines: Sequence[DeviceLine], checks: Sequence[str], titles: Mapping[str, str] | None = None
) -> str:
    """The table as CSV: the device's columns, then each check's status and reason."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = [column.title for column in (*FIXED_COLUMNS, *TRAILING_COLUMNS)]
    for check in checks:
        title = (titles or {}).get(check) or check_title(check)
        header += [title, f"{title}: reason"]
    writer.writerow(header)
    for line in lines:
        row = [
            STATUS_WORDS.get(line.status, line.status),
            line.name,
            line.platform,
            line.owner,
            ", ".join(line.sources),
            time_text(line.last_seen, True),
        ]  # UTC
        for check in checks:
            cell = line.checks.get(check)
            row += (
                [STATUS_WORDS.get(cell.status, cell.status), cell.reason]
                if cell is not None
                else ["n/a", ""]
            )
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()
