"""Importing inventory files into the store: each file once, by its content."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from watchkeeper.compliance.inventory import MAX_SIZE, read_inventory, read_inventory_bytes
from watchkeeper.compliance.model import InventoryError
from watchkeeper.compliance.stored import naive, to_row, utc
from watchkeeper.core.progress import Progress
from watchkeeper.storage import inventory as stored
from watchkeeper.storage.store import Store


@dataclass
class DeviceFileResult:
    """What importing one inventory file did, as the CLI and the window report it."""

    name: str  # the file name
    status: str  # "imported", "skipped" (imported before) or "failed"
    source: str | None = None  # which tool wrote it; None when not recognised
    devices: int = 0  # device records read from it
    problems: list[str] = field(default_factory=list)  # one sentence each
    notes: list[str] = field(default_factory=list)
    message: str | None = None  # why it was skipped or failed
    import_id: int | None = None


def import_device_file(
    store: Store, path: Path, *, zone: tzinfo = UTC, now: datetime | None = None
) -> DeviceFileResult:
    """Read one inventory file into the store; the same content a second time adds nothing."""
    now = now or datetime.now(UTC)
    try:
        if path.stat().st_size > MAX_SIZE:
            read_inventory(path)  # raises the reader's own message for a file too large
        data = path.read_bytes()
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except InventoryError as error:
        return DeviceFileResult(path.name, "failed", message=error.message)
    except OSError as error:
        return DeviceFileResult(
            path.name,
            "failed",
            message=f"{path.name}: could not be read ({error.strerror or error})",
        )
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = stored.inventory_import(store, sha256)
    if earlier is not None:
        return _skipped(path.name, earlier)
    try:
        result = read_inventory_bytes(path.name, data, modified, zone=zone)
    except InventoryError as error:
        return DeviceFileResult(path.name, "failed", message=error.message)
    problems = [problem.message for problem in result.problems]
    entry, added = stored.save_inventory_import(
        store,
        path.name,
        sha256,
        result.source,
        [to_row(r) for r in result.records],
        problems,
        result.notes,
        naive(now),
    )
    if not added:  # another import of the same content finished first
        return _skipped(path.name, entry)
    return DeviceFileResult(
        path.name,
        "imported",
        result.source,
        len(result.records),
        problems,
        list(result.notes),
        import_id=entry.id,
    )


def import_device_files(
    store: Store,
    paths: Sequence[Path],
    progress: Progress | None = None,
    *,
    zone: tzinfo = UTC,
    now: datetime | None = None,
) -> list[DeviceFileResult]:
    """Import device lists one by one, reporting each file (and stopping on Cancel)."""
    results: list[DeviceFileResult] = []
    for number, path in enumerate(paths):
        if progress is not None:
            progress.update(
                stage="Importing device lists", item=path.name, done=number, total=len(paths)
            )
        results.append(import_device_file(store, path, zone=zone, now=now))
    if progress is not None:
        progress.update(done=len(paths))
    return results


def _skipped(name: str, earlier: stored.InventoryImport) -> DeviceFileResult:
    when = utc(earlier.imported)
    return DeviceFileResult(
        name,
        "skipped",
        earlier.source,
        earlier.records,
        message=f"{name}: already imported on {when:%Y-%m-%d %H:%M} UTC as {earlier.name} "
        f"(import {earlier.id}); nothing added",
        import_id=earlier.id,
    )
