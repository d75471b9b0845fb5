"""The disk guard's levels and its days until full: what the user reads before the disk fills."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchkeeper.core.disk import (
    IMPORTS,
    LOADING,
    DiskUse,
    days_text,
    days_until_full,
    disk_use,
    guard_sentence,
    guard_stop,
    level_of,
    level_warning,
    size_text,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
GB = 1_000_000_000


@pytest.mark.parametrize(
    ("fraction", "level"),
    [
        (0.0, "ok"),
        (0.7999, "ok"),
        (0.80, "warn"),
        (0.8999, "warn"),
        (0.90, "pause"),
        (0.9499, "pause"),
        (0.95, "spool-only"),
        (1.0, "spool-only"),
    ],
)
def test_levels_at_80_90_and_95_percent(fraction: float, level: str) -> None:
    assert level_of(fraction) == level


def test_used_counts_as_df_does_and_rounds_down() -> None:
    # 5 GB kept for root are neither used nor free to this user
    use = DiskUse(Path("disk"), total=100 * GB, used=85 * GB + GB // 2, free=9 * GB + GB // 2)
    assert use.percent == 90 and use.level == "pause"
    almost = DiskUse(Path("disk"), total=1000, used=899, free=101)
    assert almost.percent == 89 and almost.level == "warn"
    assert DiskUse(Path("disk"), total=0, used=0, free=0).level == "spool-only"


def test_the_sentence_names_the_disk_the_share_and_what_stops() -> None:
    use = DiskUse(Path("data"), total=100 * GB, used=91 * GB, free=9 * GB)
    sentence = guard_sentence(use, IMPORTS.then)
    assert sentence == (
        "The disk holding data is 91 % full (9.0 GB free); imports are paused while it is "
        "over 90 % full, and can be run again once space is freed."
    )
    assert "spool" in guard_sentence(use, LOADING.then)
    assert sentence.count(". ") == 0 and "\n" not in sentence


def test_sizes_read_well() -> None:
    assert size_text(0) == "0.0 MB"
    assert size_text(812_300_000) == "812.3 MB"
    assert size_text(12_400_000_000) == "12.4 GB"
    assert size_text(3 * 10**12) == "3.0 TB"


def test_a_folder_not_yet_made_is_measured_on_the_disk_that_will_hold_it(tmp_path: Path) -> None:
    use = disk_use(tmp_path / "not" / "yet" / "store.duckdb")
    assert use.folder == tmp_path and use.total > 0


def test_on_an_ordinary_disk_nothing_stops(tmp_path: Path) -> None:
    if disk_use(tmp_path).fraction >= IMPORTS.stop_at:
        pytest.skip("the test machine's own disk is over 90 % full")
    assert guard_stop(tmp_path / "store.duckdb", IMPORTS) is None


def _hourly(start: datetime, count: int, used: int, per_hour: int) -> list[tuple[datetime, int]]:
    return [(start + timedelta(hours=n), used + n * per_hour) for n in range(count)]


def test_days_until_full_from_the_growth_of_the_last_seven_days() -> None:
    # 1 GB a day for the last 3 days, 10 GB free: about 10 days
    samples = _hourly(NOW - timedelta(days=3), 73, 50 * GB, GB // 24)
    days = days_until_full(samples, 10 * GB, NOW)
    assert days is not None and days == pytest.approx(10, rel=0.01)
    assert days_text(days) == "about 10 days"


def test_growth_older_than_seven_days_does_not_count() -> None:
    old_burst = [(NOW - timedelta(days=20), 0), (NOW - timedelta(days=19), 40 * GB)]
    steady = [(NOW - timedelta(days=2), 40 * GB), (NOW - timedelta(days=1), 40 * GB)]
    assert days_until_full(old_burst + steady, GB, NOW) == math.inf
    assert days_text(math.inf) == "not filling up"


@pytest.mark.parametrize(
    "samples",
    [
        [],
        [(NOW - timedelta(hours=1), 5 * GB)],
        [(NOW - timedelta(days=30), 1), (NOW - timedelta(hours=1), 5 * GB)],
        [(NOW, 1), (NOW, 2)],
    ],
)
def test_fewer_than_two_samples_is_not_known_yet(samples: list[tuple[datetime, int]]) -> None:
    assert days_until_full(samples, GB, NOW) is None
    assert days_text(None) == "not known yet"


def test_a_disk_filling_fast_says_less_than_a_day() -> None:
    samples = [(NOW - timedelta(hours=2), 0), (NOW, 10 * GB)]
    days = days_until_full(samples, GB, NOW)
    assert days is not None and days < 1 and days_text(days) == "less than a day"
    assert days_text(1.2) == "about 1 day"


def test_the_warning_at_each_level() -> None:
    def use(percent: int) -> DiskUse:
        return DiskUse(Path("data"), total=100 * GB, used=percent * GB, free=(100 - percent) * GB)

    assert level_warning(use(79)) is None
    assert "imports pause at 90 % full" in (level_warning(use(85)) or "")
    assert "imports are paused while" in (level_warning(use(91)) or "")
    spool_only = level_warning(use(96)) or ""
    assert spool_only.startswith("The disk holding data is 96 % full (4.0 GB free)")
    assert "imports are paused, and the collector keeps what it receives" in spool_only
