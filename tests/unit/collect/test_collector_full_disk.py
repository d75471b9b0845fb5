"""The collector on a full disk: it says so, holds senders back, keeps its loader going, and
once space is freed stores every message exactly once, leaving no litter."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.small_disk import SmallDisk, small_disk

from watchkeeper.collect.listeners import ListenerSettings
from watchkeeper.collect.service import Collector, receiving_sentence
from watchkeeper.collect.spool import SEALED, Received, Spool, spool_folder
from watchkeeper.core.settings import Settings
from watchkeeper.ingest.forwarded import HEADER
from watchkeeper.storage.store import Store


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    yield from small_disk(tmp_path / "disk")


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def message(number: int) -> bytes:
    return f"<13>May  1 10:00:{number % 60:02d} web01 app[42]: message {number:04d}".encode()


def test_the_collector_on_a_full_disk_says_so_and_loads_everything_once_when_space_returns(
    disk: SmallDisk,
) -> None:
    db = disk.path / "store.duckdb"
    Store(db).close()
    folder = spool_folder(db)
    waiting = Spool(folder)  # received before the disk filled, not loaded yet
    waiting.append([Received("192.0.2.7", "tcp", "syslog", message(n)) for n in range(100)])
    waiting.close()
    disk.fill(leave=0)
    collector = Collector(
        db, Settings(heartbeat_minutes=0), ListenerSettings(ports={"syslog-tcp": 0}), detect=False
    )
    collector.start()
    try:
        wait_until(lambda: collector.totals.loads >= 2, 20, "two loads on the full disk")
        assert f"The disk holding {disk.path} is full" in receiving_sentence(collector)
        assert collector.totals.events == 0
        with socket.create_connection(collector.listeners.addresses()["syslog-tcp"]) as sender:
            sender.sendall(b"".join(message(n) + b"\n" for n in range(100, 200)))
            wait_until(
                lambda: collector.listeners.stats().spool_problem != "",
                10,
                "the listener to find the spool full",
            )
            loads = collector.totals.loads
            wait_until(lambda: collector.totals.loads >= loads + 1, 20, "another load")
            # no litter: every sealed segment holds messages. (Usually only the one that
            # waited; the first messages of a new one may still fit in the page its header
            # was written to, and are then kept, not lost. An open one is sealed or removed
            # on the next tick.)
            segments = [p for p in folder.iterdir() if p.suffix == SEALED]
            assert segments and all(p.stat().st_size > len(HEADER) for p in segments)
            disk.free()
            wait_until(
                lambda: collector.totals.events == 200,
                30,
                f"200 events (have {collector.totals.events})",
            )
        assert "is full" not in receiving_sentence(collector)
        assert all(thread.is_alive() for thread in collector._threads)
    finally:
        collector.stop()
    with Store(db) as store:
        assert store.fetch_one("SELECT count(*), count(DISTINCT message) FROM events") == (200, 200)
        assert store.fetch_all("SELECT DISTINCT status FROM imports") == [("done",)]
    assert list(folder.iterdir()) == []
