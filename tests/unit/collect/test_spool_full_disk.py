"""The spool where a full disk left its marks: batches taken whole or not at all, and no
segment without messages, nor one that cannot be imported, offered again on every load."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.small_disk import SmallDisk, small_disk

from watchkeeper.collect.loader import load_spool
from watchkeeper.collect.spool import Received, Spool, spool_folder
from watchkeeper.ingest.forwarded import HEADER
from watchkeeper.storage.store import Store

SYSLOG = b"<34>1 2026-11-23T10:00:00.000Z web01 sshd 77 - - Failed password for root"


def received(message: bytes) -> Received:
    return Received("192.0.2.7", "tcp", "syslog", message)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    yield from small_disk(tmp_path / "disk")


def test_on_a_full_disk_a_batch_is_spooled_whole_once_space_returns_and_no_litter_is_left(
    disk: SmallDisk, tmp_path: Path
) -> None:
    spool = Spool(disk.path / "spool", segment_seconds=0)
    spool.append([received(SYSLOG + b" before")])  # a segment is open when the disk fills
    disk.fill(leave=4096)
    batch = [received(SYSLOG + b" %d " % n + b"x" * 2000) for n in range(5)]
    for _ in range(3):  # the listeners retry a refused batch every tick
        with pytest.raises(OSError):
            spool.append(batch)
        spool.tick()
    spool.close()  # the open segment is sealed with what it had before
    while_full = sorted(path.name for path in (disk.path / "spool").iterdir())
    for _ in range(3):  # nothing to seal: no new segment, empty or not, while full
        with pytest.raises(OSError):
            spool.append(batch)
        spool.tick()
    assert sorted(path.name for path in (disk.path / "spool").iterdir()) == while_full
    disk.free()
    spool.append(batch)
    spool.close()
    with Store(tmp_path / "store.duckdb") as store:
        load_spool(store, disk.path / "spool")
        messages = [row[0] for row in store.fetch_all("SELECT message FROM events")]
        statuses = store.fetch_all("SELECT DISTINCT status FROM imports")
    assert len(messages) == len(set(messages)) == 6
    assert statuses == [("done",)]


def test_empty_and_unloadable_segments_are_set_aside_once_not_retried_on_every_load(
    tmp_path: Path,
) -> None:
    db = tmp_path / "store.duckdb"
    folder = spool_folder(db)
    spool = Spool(folder, segment_seconds=0)
    spool.append([received(SYSLOG)])
    spool.close()
    (folder / "00000000000000000001-1-000001.seg").write_bytes(b"")
    (folder / "00000000000000000002-1-000001.seg").write_bytes(HEADER)
    (folder / "00000000000000000003-1-000001.seg").write_bytes(bytes(range(256)) * 64)
    with Store(db) as store:
        for _ in range(3):
            load_spool(store, folder)
        statuses = store.fetch_all("SELECT status, count(*) FROM imports GROUP BY ALL ORDER BY ALL")
        assert store.fetch_one("SELECT count(*) FROM events") == (1,)
    assert statuses == [("done", 1), ("failed", 1)]
    assert [path.name for path in folder.iterdir()] == ["00000000000000000003-1-000001.failed"]
