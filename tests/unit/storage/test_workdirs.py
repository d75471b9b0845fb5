"""Working folders beside the store: one that a killed import left is removed by the next
import; one of a process that is still running is left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.store import Store
from watchkeeper.storage.workdirs import remove_stale_workdirs

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")


def work_folders(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith(".import-"))


def syslog(path: Path, lines: int) -> Path:
    path.write_text(
        "".join(
            f"<13>May  1 10:00:{n % 60:02d} web01 app[42]: message {n:07d}\n" for n in range(lines)
        )
    )
    return path


def test_the_work_folder_of_a_killed_import_is_removed_by_the_next_import(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    db = folder / "store.duckdb"
    Store(db).close()
    big = syslog(tmp_path / "big.log", 400_000)
    importing = subprocess.Popen(
        [sys.executable, "-m", "watchkeeper", "import", "--db", str(db), "--no-detect", str(big)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "WATCHKEEPER_HOME": str(tmp_path / "home")},
    )
    try:
        deadline = time.monotonic() + 60
        while not work_folders(folder) and importing.poll() is None:
            assert time.monotonic() < deadline, "the import made no work folder"
            time.sleep(0.01)
    finally:
        importing.send_signal(signal.SIGKILL)
        importing.wait(30)
    left = work_folders(folder)
    assert left, "the import ended before it could be killed"
    # a running process's folder (this test's own pid stands in for one) stays
    running = folder / f".import-{os.getpid()}-held"
    running.mkdir()

    with Store(db) as store:
        summary = import_paths(store, [syslog(tmp_path / "small.log", 10)])
        assert summary.events == 10
    assert work_folders(folder) == [running.name]


def test_a_work_folder_without_a_process_id_goes_once_untouched_for_a_day(tmp_path: Path) -> None:
    now = 1_800_000_000.0
    old, recent = tmp_path / ".demo-a1b2c3", tmp_path / ".import-x7y8z9"
    for folder, age_hours in ((old, 25), (recent, 23)):
        folder.mkdir()
        (folder / "batch.json").write_text("{}")
        os.utime(folder, (now - age_hours * 3600, now - age_hours * 3600))
    removed = remove_stale_workdirs(tmp_path / "store.duckdb", now)
    assert removed == [old]
    assert sorted(path.name for path in tmp_path.iterdir()) == [recent.name]
