"""The headless collector carries out the retention policy while it owns the store."""

from __future__ import annotations

from pathlib import Path

from tests.unit.storage.archive_samples import NOW, fill, received_when_they_happened

from watchkeeper.collect.listeners import ListenerSettings
from watchkeeper.collect.service import Collector
from watchkeeper.core.settings import Settings
from watchkeeper.storage import archive
from watchkeeper.storage.store import Store


def test_the_collector_archives_closed_days_when_due_and_then_waits_an_hour(
    tmp_path: Path,
) -> None:
    db = tmp_path / "w.duckdb"
    with Store(db) as store:
        fill(store, tmp_path / "logs")
        received_when_they_happened(store)
    collector = Collector(
        db,
        Settings(heartbeat_minutes=0, hot_days=30),
        ListenerSettings(ports={}),
        detect=False,
    )
    collector.clock = lambda: NOW
    collector.load_once()
    with Store(db) as store:
        assert archive.hot_events(store) == 36 and store.event_count() == 90
        assert archive.summary(store).files == 9
    collector.settings.hot_days = 1  # more is due now, but the last run was under an hour ago
    collector.load_once()
    with Store(db) as store:
        assert archive.hot_events(store) == 36
