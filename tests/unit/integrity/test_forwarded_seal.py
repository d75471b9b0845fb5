"""Forwarded logs: each spool segment loaded is a batch, hashed and sealed like a file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from watchkeeper.collect.loader import load_spool
from watchkeeper.collect.service import Collector, listener_settings
from watchkeeper.collect.spool import Received, Spool, spool_folder
from watchkeeper.core.settings import Settings
from watchkeeper.integrity.sealing import seal_due
from watchkeeper.integrity.verify import FAIL, PASS, verify
from watchkeeper.storage.store import Store


def _spool(db: Path, lines: int) -> None:
    spool = Spool(spool_folder(db), segment_seconds=0)
    spool.append(
        [
            Received(
                "192.0.2.7",
                "tcp",
                "syslog",
                f"<13>Nov 23 10:00:{n:02d} web01 app[1]: <b>login</b> {n}\x07".encode(),
                None,
            )
            for n in range(lines)
        ]
    )
    spool.close()


def test_a_loaded_segment_is_sealed_and_a_change_to_it_found(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    _spool(db, 4)
    with Store(db) as store:
        assert load_spool(store, spool_folder(db)).events == 4
        [(path, events)] = store.fetch_all(
            "SELECT i.path, s.events FROM batch_seals s JOIN imports i ON i.id = s.import_id"
        )
        assert path.startswith("forwarded/") and events == 4
        later = datetime.now(UTC) + timedelta(days=1)
        seal_due(store, later)
        assert [r.status for r in verify(store, later).results] == [PASS]
        store.cursor().execute("UPDATE events_unix SET host = 'elsewhere' WHERE id = 3")
        [result] = verify(store, later).results
        assert result.status == FAIL and result.problem is not None
        assert "forwarded/" in result.problem.text


def test_the_collector_seals_the_days_that_ended_after_a_load(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    _spool(db, 2)
    settings = Settings(heartbeat_minutes=0)
    collector = Collector(db, settings, listener_settings(settings), detect=False)
    with Store(db) as store:
        collector.load_once(store)
        assert store.fetch_one("SELECT count(*) FROM batch_seals") == (1,)
        assert store.fetch_all("SELECT day FROM day_seals") == []
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        collector.clock = lambda: tomorrow
        _spool(db, 1)
        collector.load_once(store)
        today = (tomorrow - timedelta(days=1)).date()
        assert store.fetch_all("SELECT day FROM day_seals") == [(today,)]
