"""The seals at a glance, for `watchkeeper status`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from watchkeeper import integrity
from watchkeeper.ingest.importer import import_paths
from watchkeeper.integrity.sealing import seal_due
from watchkeeper.storage.store import Store


def test_the_summary_says_what_is_sealed_and_what_is_missing(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text("Nov  3 08:43:12 web01 sshd[1]: Accepted password for deploy from 10.0.0.1\n")
    import_paths(store, [log])
    now = datetime.now(UTC)
    assert integrity.summary(store, now)["summary"].startswith("no day sealed yet")
    seal_due(store, now + timedelta(days=3))
    document = integrity.summary(store, now + timedelta(days=3))
    assert document["sealed_days"] == 3 and "signed" in document["summary"]
    middle = (now + timedelta(days=1)).date().isoformat()
    store.cursor().execute(f"DELETE FROM day_seals WHERE day = DATE '{middle}'")
    document = integrity.summary(store, now + timedelta(days=5))
    assert document["days_without_seal"] == [middle]
    assert "1 day(s) without a seal" in document["summary"]
    assert "2 ended day(s) to seal" in document["summary"]
