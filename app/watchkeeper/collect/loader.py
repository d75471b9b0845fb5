"""Loading the spool into the store: sealed segments, each exactly once, then removed.

A segment is imported like a file, as "forwarded/<segment>", so the import ledger records
it in the same transaction as its events. A segment whose ledger row says it is done (the
loader stopped between committing and removing it) is removed without loading it again.
"""

from __future__ import annotations

import threading
from pathlib import Path

from watchkeeper.collect.spool import recover_open_segments, sealed_segments
from watchkeeper.core.disk import LOADING
from watchkeeper.core.progress import Progress
from watchkeeper.ingest.forwarded import HEADER
from watchkeeper.ingest.importer import Importer
from watchkeeper.ingest.summary import ImportSummary
from watchkeeper.storage.store import Store

LABEL = "forwarded"
FAILED = ".failed"  # a segment that could not be imported, set aside


def segment_name(segment: Path) -> str:
    return f"{LABEL}/{segment.name}"


def _holds_messages(segment: Path) -> bool:
    """False for a segment with no message (removed here): nothing to load, nothing to record."""
    try:
        if segment.stat().st_size > len(HEADER):
            return True
        segment.unlink()
    except FileNotFoundError:  # loaded and removed meanwhile
        pass
    return False


_loading: dict[Path, threading.Lock] = {}
_loading_guard = threading.Lock()


def load_spool(
    store: Store, folder: Path, progress: Progress | None = None, limit: int | None = None
) -> ImportSummary:
    """Import the sealed segments waiting in `folder` (at most `limit`), oldest first.

    One load of a folder at a time in this process (the window's timer and a test event may
    both load); another process cannot load at the same time, as it cannot open the store.
    """
    with _loading_guard:
        lock = _loading.setdefault(folder.resolve(), threading.Lock())
    with lock:
        return _load(store, folder, progress, limit)


def _load(
    store: Store, folder: Path, progress: Progress | None, limit: int | None
) -> ImportSummary:
    if folder.is_dir():
        recover_open_segments(folder)  # what a collector that was killed left open
    segments = [segment for segment in sealed_segments(folder)[:limit] if _holds_messages(segment)]
    if not segments:
        return ImportSummary()
    names = [segment_name(segment) for segment in segments]
    rows = store.fetch_all(
        "SELECT path FROM imports WHERE status IN ('done', 'skipped') AND list_contains(?, path)",
        [names],
    )
    loaded = {str(path) for (path,) in rows}
    for segment in segments:
        if segment_name(segment) in loaded:
            segment.unlink(missing_ok=True)
    waiting = [segment for segment in segments if segment_name(segment) not in loaded]
    if not waiting:
        return ImportSummary()
    # at 95 % used the disk guard stops loading: the spool keeps what it receives
    summary = Importer(store, progress, label=(folder, LABEL), guard=LOADING).run(waiting)
    finished = {result.name for result in summary.files if result.status in ("imported", "skipped")}
    failed = {result.name for result in summary.files if result.status == "failed"}
    for segment in waiting:
        if segment_name(segment) in finished:
            segment.unlink(missing_ok=True)
        elif segment_name(segment) in failed and not summary.disk_full:
            # the ledger says why, once; kept beside the spool, never offered again
            segment.replace(segment.with_suffix(FAILED))
    return summary  # on a full disk (summary.disk_full), the rest waits for the next load
