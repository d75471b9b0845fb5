"""Writing the events a query matches as NDJSON files for the `_bulk` API.

Each event is two lines: `{"index":{"_index":…,"_id":…}}` and its ECS document. A file stays
under `max_bytes` (100 MB by default, below the 100 MiB Elasticsearch and OpenSearch accept
in one request by default) and never splits an event from its action line, so each file is
one `curl --data-binary @file …/_bulk` request.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from watchkeeper.core.errors import Cancelled, WatchkeeperError
from watchkeeper.core.progress import Progress
from watchkeeper.export.ecs import Mapper, bulk_lines
from watchkeeper.storage.event_stream import event_rows, matching
from watchkeeper.storage.eventset import EventQuery
from watchkeeper.storage.store import Store

MAX_FILE_BYTES = 100_000_000
DEFAULT_INDEX = "watchkeeper-events"
FILE_PREFIX = "events-"
FILE_SUFFIX = ".ndjson"


class ExportFailed(WatchkeeperError):
    title = "Not exported"


@dataclass
class ExportSummary:
    """What an export wrote: the events, and the files in the order they were written."""

    folder: Path
    index: str
    events: int = 0
    files: list[Path] = field(default_factory=list)
    bytes: int = 0


def earlier_export(folder: Path) -> Path | None:
    """A file an earlier export left in `folder`, if any: a new one would mix with it."""
    if not folder.is_dir():
        return None
    return next(
        (p for p in sorted(folder.iterdir()) if _is_export_file(p.name)),
        None,
    )


def _is_export_file(name: str) -> bool:
    return name.startswith(FILE_PREFIX) and name.endswith((FILE_SUFFIX, FILE_SUFFIX + ".part"))


def check_folder(folder: Path) -> None:
    """Refuse a folder an export cannot write to, before anything is read."""
    if folder.exists() and not folder.is_dir():
        raise ExportFailed(f"{folder} is a file; give a folder for the export's files.")
    found = earlier_export(folder)
    if found is not None:
        raise ExportFailed(
            f"{folder} already holds an export ({found.name}); choose an empty folder "
            "or remove those files first."
        )


def export_ecs(
    store: Store,
    query: EventQuery,
    folder: Path,
    progress: Progress | None = None,
    *,
    index: str = DEFAULT_INDEX,
    max_bytes: int = MAX_FILE_BYTES,
) -> ExportSummary:
    """Write every event `query` matches into NDJSON files in `folder`, in id order.

    Nothing is written when no event matches. On Cancel, the files finished so far stay
    (each is whole) and the one being written is removed.
    """
    progress = progress or Progress()
    check_folder(folder)
    progress.update(stage="Counting", item="", done=0, total=None)
    span = matching(store, query, progress)
    summary = ExportSummary(folder, index)
    if not span.count:
        return summary
    folder.mkdir(parents=True, exist_ok=True)
    writer = _Files(folder, max_bytes, summary)
    progress.update(stage="Exporting", records=0)
    try:
        mapper, columns = None, None
        for batch in event_rows(store, query, span, progress):
            if mapper is None or batch.columns != columns:
                mapper, columns = Mapper(batch.columns), batch.columns
            for row in batch.rows:
                writer.write(bulk_lines(mapper.document(row, row[-1]), index))
            summary.events += len(batch.rows)
            progress.update(item=writer.name, done=len(summary.files) + 1)
            progress.add(len(batch.rows))
        writer.close()
    except Cancelled:
        writer.discard()
        raise Cancelled(
            f"Export stopped at your request; {len(summary.files)} whole file(s) "
            f"with {writer.whole_events:,} event(s) are kept in {folder}."
        ) from None
    except BaseException:
        writer.discard()
        raise
    return summary


class _Files:
    """The numbered files of one export: each written as `.part`, renamed when whole."""

    def __init__(self, folder: Path, max_bytes: int, summary: ExportSummary) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.summary = summary
        self._handle: BinaryIO | None = None
        self._size = 0
        self._events = 0
        self.whole_events = 0  # in the files finished so far
        self.name = ""

    def write(self, lines: bytes) -> None:
        if self._handle is not None and self._size + len(lines) > self.max_bytes:
            self.close()
        if self._handle is None:
            self.name = f"{FILE_PREFIX}{len(self.summary.files) + 1:04d}{FILE_SUFFIX}"
            self._handle = (self.folder / (self.name + ".part")).open("xb")
            self._size = 0
            self._events = 0
        self._handle.write(lines)
        self._size += len(lines)
        self._events += 1

    def close(self) -> None:
        if self._handle is None:
            return
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._handle = None
        final = self.folder / self.name
        (self.folder / (self.name + ".part")).replace(final)
        self.summary.files.append(final)
        self.summary.bytes += self._size
        self.whole_events += self._events

    def discard(self) -> None:
        if self._handle is None:
            return
        self._handle.close()
        self._handle = None
        with contextlib.suppress(OSError):
            (self.folder / (self.name + ".part")).unlink()
