"""The plan's daily volume and the disk space its retention needs, against a disk we describe."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from watchkeeper.core.disk import DiskUse
from watchkeeper.setup.catalogue import LOGS
from watchkeeper.setup.plan import LoggingPlan, PlatformPlan
from watchkeeper.setup.sizing import (
    ARCHIVE_BYTES_PER_EVENT,
    STORE_BYTES_PER_EVENT,
    daily_events,
    retention_days,
    sizing,
)

GB = 1_000_000_000


def _disk(free: int, used: int = 10 * GB) -> Callable[[Path], DiskUse]:
    def usage(path: Path) -> DiskUse:
        return DiskUse(folder=path, total=used + free, used=used, free=free)

    return usage


def _one_disk(_path: Path) -> int:
    return 1


def _plan(**platforms: tuple[int, list[str]]) -> LoggingPlan:
    plan = LoggingPlan()
    for kind, (count, logs) in platforms.items():
        plan.platforms[kind] = PlatformPlan(count, logs)  # type: ignore[index]
    return plan


def test_daily_events_are_each_platforms_count_times_its_chosen_logs() -> None:
    plan = _plan(windows=(10, ["windows-security", "sysmon"]), linux=(2, ["auditd"]))
    expected = 10 * (LOGS["windows-security"].events_per_day + LOGS["sysmon"].events_per_day)
    assert daily_events(plan) == expected + 2 * LOGS["auditd"].events_per_day


def test_zero_counts_unknown_logs_and_repeated_logs_add_nothing() -> None:
    plan = _plan(
        windows=(0, ["sysmon"]),
        linux=(1, ["auditd", "auditd", "no-such-log", "<script>"]),
        macos=(-5, ["macos-unified"]),
        network=(3, ["sysmon"]),  # not a log network devices send
    )
    assert daily_events(plan) == LOGS["auditd"].events_per_day
    assert daily_events(LoggingPlan()) == 0


def test_the_hot_days_are_stored_and_the_rest_archived(tmp_path: Path) -> None:
    plan = _plan(linux=(1, ["journald"]))  # 5,000 a day
    plan.retention_months, plan.hot_days = 12, 90
    result = sizing(plan, tmp_path / "store.duckdb", _disk(1_000 * GB), _one_disk)
    assert (result.hot_days, result.archive_days) == (90, 275)
    assert result.events_per_day == 5_000
    assert result.bytes_per_day == 5_000 * STORE_BYTES_PER_EVENT
    assert result.store_bytes == 5_000 * 90 * STORE_BYTES_PER_EVENT
    assert result.archive_bytes == 5_000 * 275 * ARCHIVE_BYTES_PER_EVENT
    assert result.verdict == "fits"
    assert result.sentence.startswith("About 213.7 MB over the whole retention: it fits")


def test_a_disk_nearly_full_is_tight_and_the_sentence_says_what_to_change(tmp_path: Path) -> None:
    plan = _plan(windows=(50, ["windows-security", "sysmon"]))  # 600,000 a day
    plan.retention_months, plan.hot_days = 13, 90
    needed = sizing(plan, tmp_path / "s.duckdb", _disk(10**15), _one_disk).total_bytes
    # the disk would be 85 % full: past the warning, short of where imports pause
    used = 10 * GB
    free = int((needed + used) / 0.85) - used
    tight = sizing(plan, tmp_path / "s.duckdb", _disk(free, used), _one_disk)
    assert tight.verdict == "tight"
    assert "only just" in tight.sentence
    assert "keep fewer days in the store" in tight.sentence
    short = sizing(plan, tmp_path / "s.duckdb", _disk(needed // 2, used), _one_disk)
    assert short.verdict == "does not fit"
    assert "does not fit in the" in short.sentence


def test_a_small_hot_window_that_does_not_fit_asks_for_fewer_months(tmp_path: Path) -> None:
    plan = _plan(network=(100, ["network-syslog"]))
    plan.retention_months, plan.hot_days = 24, 7
    result = sizing(plan, tmp_path / "s.duckdb", _disk(GB), _one_disk)
    assert result.verdict == "does not fit"
    assert "fewer months" in result.sentence


def test_store_and_archive_on_two_disks_are_judged_each_on_its_own(tmp_path: Path) -> None:
    plan = _plan(linux=(10, ["journald"]))
    plan.retention_months, plan.hot_days = 13, 30
    plan.archive_folder = str(tmp_path / "big-disk" / "archive")

    def usage(path: Path) -> DiskUse:
        free = 10**15 if "big-disk" in str(path) else 1_000_000_000
        return DiskUse(folder=path, total=free + GB, used=GB, free=free)

    def device(path: Path) -> int:
        return 2 if "big-disk" in str(path) else 1

    result = sizing(plan, tmp_path / "s.duckdb", usage, device)
    # the hot month (10 x 5,000 x 30 x 203 bytes = 304.5 MB) fits the small disk on its own
    assert result.verdict == "fits"
    assert result.free_bytes == 10**15 + 1_000_000_000


def test_extreme_values_give_a_sentence_not_an_error(tmp_path: Path) -> None:
    plan = _plan(windows=(100_000, list(LOGS)), domain_controller=(100_000, ["dc-security"]))
    plan.retention_months, plan.hot_days = 10**9, 10**9
    result = sizing(plan, tmp_path / "s.duckdb", _disk(0, 0), _one_disk)
    assert result.verdict == "does not fit"
    assert result.hot_days == retention_days(120, 10**9)[0] == 3_652
    assert result.sentence.endswith(".")
    assert "TB" in result.sentence


@pytest.mark.parametrize(
    ("months", "hot", "expected"),
    [(0, 90, (0, 0)), (-3, -1, (0, 0)), (1, 0, (0, 30)), (6, 400, (183, 0)), (13, 90, (90, 306))],
)
def test_retention_days_clamp_bad_values(months: int, hot: int, expected: tuple[int, int]) -> None:
    assert retention_days(months, hot) == expected


def test_the_real_disk_is_measured_when_none_is_given(tmp_path: Path) -> None:
    plan = _plan(macos=(3, ["macos-unified"]))
    result = sizing(plan, tmp_path / "not-yet" / "store.duckdb")
    assert result.free_bytes > 0
    assert result.verdict in ("fits", "tight", "does not fit")
