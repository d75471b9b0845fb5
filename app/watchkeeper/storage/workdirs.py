"""Working folders beside the store: batch files for DuckDB, extracted archives, converted text.

Each is named after the process that made it (`.import-<pid>-<random>`), so that one left by
a killed process (kill -9, a power cut) can be told from one in use and removed.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from watchkeeper.core.processes import alive

log = logging.getLogger(__name__)

WORK_PREFIXES = (".import-", ".archive-", ".demo-")
UNNAMED_AFTER_SECONDS = 24 * 3600  # a folder without a process id in its name, untouched this long


def make_workdir(store_path: Path, prefix: str) -> Path:
    """A new working folder beside the store, named after this process."""
    return Path(tempfile.mkdtemp(dir=store_path.parent, prefix=f"{prefix}{os.getpid()}-"))


def owner_pid(folder: Path) -> int | None:
    """The id of the process that made a working folder, if its name says."""
    for prefix in WORK_PREFIXES:
        if folder.name.startswith(prefix):
            pid, dash, _ = folder.name[len(prefix) :].partition("-")
            return int(pid) if dash and pid.isdigit() else None
    return None


def remove_stale_workdirs(store_path: Path, now: float) -> list[Path]:
    """Remove the working folders beside the store whose process is gone; those removed.

    A folder without a process id in its name (made by an older version, or by another
    feature) goes once it has been untouched for a day; `now` is a `time.time()` value.
    """
    removed = []
    try:
        candidates = [
            path
            for path in store_path.parent.iterdir()
            if path.name.startswith(WORK_PREFIXES) and path.is_dir()
        ]
    except OSError:
        return []
    for folder in candidates:
        pid = owner_pid(folder)
        if pid is not None:
            stale = pid != os.getpid() and not alive(pid)
        else:
            try:
                stale = now - folder.stat().st_mtime > UNNAMED_AFTER_SECONDS
            except OSError:
                continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    if removed:
        log.info(
            "removed %d working folder(s) that a stopped import left beside %s",
            len(removed),
            store_path.name,
        )
    return removed
