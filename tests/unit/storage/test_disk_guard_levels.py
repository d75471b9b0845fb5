"""The disk guard on a real small filesystem, filled to 80, 90 and 95 %: the level it reads,
and what stops, said in one sentence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.small_disk import SmallDisk, small_disk

from watchkeeper.core.disk import IMPORTS, LOADING, guard_stop
from watchkeeper.storage.disk_history import disk_report
from watchkeeper.storage.store import Store

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    yield from small_disk(tmp_path / "disk")


@pytest.mark.parametrize(
    ("fraction", "level", "imports", "loading"),
    [
        (0.50, "ok", False, False),
        (0.82, "warn", False, False),
        (0.92, "pause", True, False),
        (0.97, "spool-only", True, True),
    ],
)
def test_the_level_follows_the_disk_as_it_fills(
    disk: SmallDisk, fraction: float, level: str, imports: bool, loading: bool
) -> None:
    db = disk.path / "store.duckdb"
    Store(db).close()
    disk.fill_to(fraction)
    with Store(db) as store:
        report = disk_report(store, NOW)
    assert report.level == level, report.use
    stopped_imports = guard_stop(db, IMPORTS)
    assert (stopped_imports is not None) == imports
    assert (guard_stop(db, LOADING) is not None) == loading
    if stopped_imports:
        assert stopped_imports.startswith(f"The disk holding {disk.path} is 9")
        assert "imports are paused" in stopped_imports
    disk.free()
    assert guard_stop(db, IMPORTS) is None  # freed: nothing to undo, nothing stays paused
