"""An import stopped by a full disk: what it left half done, and which of its files were kept."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator

from watchkeeper.core.disk import is_disk_full
from watchkeeper.ingest.summary import FileResult, ImportSummary
from watchkeeper.storage import ledger
from watchkeeper.storage.store import Store


@contextlib.contextmanager
def expected_after_full_disk(summary: ImportSummary) -> Iterator[None]:
    """After a full disk the store may refuse even reads (DuckDB, until it is opened again):
    the summary says why already."""
    try:
        yield
    except Exception:
        if not summary.disk_full:
            raise


# stores with an import that a full disk left half done: rolled back before the next import
_needs_recovery: weakref.WeakSet[Store] = weakref.WeakSet()


def remember_half_done(store: Store) -> None:
    """Note that a full disk left an import in `store` half done, to take out before the next."""
    _needs_recovery.add(store)


def finish_recovery(store: Store) -> None:
    """Take out what an import stopped by a full disk left half done, once there is room."""
    if store not in _needs_recovery:
        return
    try:
        store.recover_interrupted()
    except Exception as error:  # still full: tried again before the next import
        if not is_disk_full(error):
            raise
        return
    _needs_recovery.discard(store)


def fail_what_was_not_kept(
    store: Store, summary: ImportSummary, untouched: list[str], sentence: str
) -> None:
    """Mark as failed, saying why, the files whose rows a full disk kept out of the store.

    A file begun in an earlier commit is taken out as a killed import would be (at once, or
    when there is room again); the files not yet reached are added as failed.
    """
    remember_half_done(store)
    ids = [f.import_id for f in summary.files if f.import_id is not None]
    try:
        finish_recovery(store)
        kept = {
            entry.id
            for entry in ledger.entries_by_id(store, ids)
            if entry.status in ("done", "skipped")
        }
    except Exception:  # DuckDB refuses even reads after a failed checkpoint; reopened,
        kept = set()  # it recovers from its log, and importing again skips what it has
    for result in summary.files:
        if result.status in ("imported", "skipped") and result.import_id not in kept:
            result.status, result.import_id = "failed", None
            result.message = f"{result.name}: not imported: {sentence}"
        elif result.status == "failed" and not result.message:
            result.message = f"{result.name}: not imported: {sentence}"
    why = "imports are paused: the disk is nearly full" if summary.paused else "the disk is full"
    summary.files.extend(
        FileResult(name, "failed", message=f"{name}: not imported ({why})") for name in untouched
    )
