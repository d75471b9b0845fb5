"""How much the plan's logs weigh: events and bytes a day, and the disk space retention needs.

The hot days stay in the store, the rest of the retention in the Parquet archive; both
are compared with the free space of the disks that hold them, and the verdict is one
sentence that says what to change when it does not fit.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from watchkeeper.core.disk import PAUSE_AT, WARN_AT, DiskUse, disk_use, size_text
from watchkeeper.core.settings import MAX_RETENTION_MONTHS
from watchkeeper.setup.catalogue import LOGS, PLATFORMS
from watchkeeper.setup.plan import LoggingPlan
from watchkeeper.storage import archive_layout

# Bytes one event takes, measured by tests/benchmarks/bench_archive.py on seven months of a
# generated office: in the DuckDB store (the hot days), and in the zstd Parquet archive.
STORE_BYTES_PER_EVENT = 203
ARCHIVE_BYTES_PER_EVENT = 89
DAYS_PER_MONTH = 365.25 / 12  # an average month: an estimate should not come out short

Verdict = Literal["fits", "tight", "does not fit"]


@dataclass(frozen=True)
class Sizing:
    """The plan's weight, and whether the disk holds it."""

    events_per_day: int
    bytes_per_day: int  # as stored in the store
    hot_days: int
    archive_days: int
    store_bytes: int  # the hot days, in the store
    archive_bytes: int  # the rest of the retention, in the archive
    free_bytes: int  # on the disk (or disks) holding them
    verdict: Verdict
    sentence: str

    @property
    def total_bytes(self) -> int:
        return self.store_bytes + self.archive_bytes


def daily_events(plan: LoggingPlan) -> int:
    """Events a day from every chosen log of every platform with a count."""
    total = 0
    for kind, planned in plan.platforms.items():
        if kind not in PLATFORMS or planned.count <= 0:
            continue
        own = PLATFORMS[kind].logs  # a log of another platform's is not sent by these
        per_device = sum(LOGS[key].events_per_day for key in set(planned.logs) if key in own)
        total += planned.count * per_device
    return total


def retention_days(months: int, hot_days: int) -> tuple[int, int]:
    """Days in the store and days in the archive for a retention (bad values clamped)."""
    months = min(max(months, 0), MAX_RETENTION_MONTHS)
    kept = round(months * DAYS_PER_MONTH)
    hot = min(max(hot_days, 0), kept)
    return hot, kept - hot


def _device(path: Path) -> int:
    """The disk a path (which need not exist yet) is on."""
    folder = path
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return os.stat(folder).st_dev


def sizing(
    plan: LoggingPlan,
    store_path: Path,
    usage: Callable[[Path], DiskUse] = disk_use,
    device: Callable[[Path], int] = _device,
) -> Sizing:
    """The plan's daily volume and what its retention needs, against the disks' free space."""
    per_day = daily_events(plan)
    hot, archived = retention_days(plan.retention_months, plan.hot_days)
    store_bytes = per_day * hot * STORE_BYTES_PER_EVENT
    archive_bytes = per_day * archived * ARCHIVE_BYTES_PER_EVENT
    archive = (
        Path(plan.archive_folder) if plan.archive_folder else archive_layout.folder(store_path)
    )
    # the store and the archive on one disk share its free space
    needs: dict[int, tuple[Path, int]] = {}
    for path, needed in ((store_path, store_bytes), (archive, archive_bytes)):
        first, already = needs.get(device(path), (path, 0))
        needs[device(path)] = (first, already + needed)
    worst: Verdict = "fits"
    free = 0
    for path, needed in needs.values():
        use = usage(path)
        free += use.free
        verdict = _judge(use, needed)
        if _RANK[verdict] > _RANK[worst]:
            worst = verdict
    return Sizing(
        events_per_day=per_day,
        bytes_per_day=per_day * STORE_BYTES_PER_EVENT,
        hot_days=hot,
        archive_days=archived,
        store_bytes=store_bytes,
        archive_bytes=archive_bytes,
        free_bytes=free,
        verdict=worst,
        sentence=_sentence(worst, store_bytes + archive_bytes, free, hot, archived),
    )


_RANK: dict[Verdict, int] = {"fits": 0, "tight": 1, "does not fit": 2}


def _judge(use: DiskUse, needed: int) -> Verdict:
    """Fits while the disk stays under the guard's warning; tight until imports would pause."""
    room = use.used + use.free
    if room <= 0 or needed > use.free:
        return "does not fit"
    fraction = (use.used + needed) / room
    if fraction < WARN_AT:
        return "fits"
    return "tight" if fraction < PAUSE_AT else "does not fit"


def _sentence(verdict: Verdict, needed: int, free: int, hot: int, archived: int) -> str:
    need, room = size_text(needed), size_text(free)
    if verdict == "fits":
        return f"About {need} over the whole retention: it fits in the {room} free."
    if hot > 30:
        change = "keep fewer days in the store (the archive takes less than half the space)"
    elif hot + archived > 180:
        change = "keep events for fewer months, or put the archive on a larger disk"
    else:
        change = "free some space or put the archive on a larger disk"
    if verdict == "tight":
        return (
            f"About {need} over the whole retention: it fits in the {room} free, "
            f"but only just; {change}."
        )
    return f"About {need} over the whole retention does not fit in the {room} free: {change}."
