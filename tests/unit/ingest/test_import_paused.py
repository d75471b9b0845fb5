"""Imports on a disk filled past 90 %: refused before they start, stopped at the next batch
when the disk fills under them, said in one sentence, and run again once space is freed."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.small_disk import SmallDisk, small_disk

from watchkeeper.cli import run
from watchkeeper.core.progress import Progress
from watchkeeper.ingest.importer import Importer
from watchkeeper.storage.store import Store

LINES = 3000


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    yield from small_disk(tmp_path / "disk")


def syslog(folder: Path, name: str, lines: int = LINES) -> Path:
    path = folder / name
    path.write_text(
        "".join(
            f"<13>May  1 10:{n // 60 % 60:02d}:{n % 60:02d} web01 app[42]: {name} line {n:05d}\n"
            for n in range(lines)
        )
    )
    return path


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def counts(db: Path) -> tuple[int, list[tuple[str, ...]]]:
    with Store(db) as store:
        row = store.fetch_one("SELECT count(*) FROM events")
        statuses = store.fetch_all("SELECT DISTINCT status FROM imports ORDER BY status")
    return (int(row[0]) if row else 0), statuses


def test_an_import_at_90_percent_is_refused_with_the_reason_and_runs_once_space_is_freed(
    disk: SmallDisk, tmp_path: Path
) -> None:
    log = syslog(tmp_path, "app.log")
    db = disk.path / "store.duckdb"
    Store(db).close()
    disk.fill_to(0.92)

    code, out, err = cli("import", "--db", str(db), "--no-detect", str(log))

    assert code == 1 and "Traceback" not in out + err
    (line,) = [line for line in err.splitlines() if "paused" in line]
    assert line.startswith(f"watchkeeper import: The disk holding {disk.path} is 9")
    assert "imports are paused while it is over 90 % full" in line
    assert "1 failed" in out
    assert counts(db)[0] == 0

    disk.free()  # nothing to switch back on: the next import simply runs
    code, out, err = cli("import", "--db", str(db), "--no-detect", str(log))
    assert code == 0 and "paused" not in err, err
    assert "1 file(s) imported" in out
    assert counts(db) == (LINES, [("done",)])


class FillsTheDisk(Progress):
    """Fills the disk past 90 % once the first batch of `log` has been written."""

    def __init__(self, disk: SmallDisk) -> None:
        super().__init__()
        self.disk = disk
        self.filled = False

    def add(self, records: int) -> None:
        super().add(records)
        if not self.filled and self.state.records:
            self.filled = True
            self.disk.fill_to(0.93)


def test_an_import_stops_at_the_next_batch_when_the_disk_fills_under_it(
    disk: SmallDisk, tmp_path: Path
) -> None:
    first = syslog(tmp_path, "first.log", lines=200)
    second = syslog(tmp_path, "second.log")
    db = disk.path / "store.duckdb"
    with Store(db) as store:
        Importer(store, batch_size=500).run([first])  # kept: written before the disk filled
        summary = Importer(store, FillsTheDisk(disk), batch_size=500).run([second])
        assert summary.paused and "imports are paused" in summary.disk_full
        (result,) = summary.files
        assert result.status == "failed" and result.message.startswith(f"{second}: not imported")
        # nothing of the file half read is kept, and nothing is left "running"
        assert store.fetch_one("SELECT count(*) FROM events") == (200,)
        assert store.fetch_all("SELECT status FROM imports WHERE status = 'running'") == []

    disk.free()
    code, out, err = cli("import", "--db", str(db), "--no-detect", str(first), str(second))
    assert code == 0, err
    assert "1 file(s) imported, 1 skipped" in out
    assert counts(db)[0] == 200 + LINES


def test_files_finished_before_the_pause_are_kept(disk: SmallDisk, tmp_path: Path) -> None:
    logs = [syslog(tmp_path, f"part{n}.log", lines=600) for n in range(3)]
    db = disk.path / "store.duckdb"
    with Store(db) as store:
        summary = Importer(store, FillsTheDisk(disk), batch_size=500).run(logs)
        statuses = [result.status for result in summary.files]
        # the first file's first batch filled the disk: the file ends, the next one stops
        assert statuses == ["imported", "failed", "failed"], summary.files
        assert all("paused" in result.message for result in summary.files[1:])
        assert store.fetch_one("SELECT count(*) FROM events") == (600,)
