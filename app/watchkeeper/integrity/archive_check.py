"""The archive's files against its manifest: each one there and unchanged, none added."""

from __future__ import annotations

from watchkeeper.core.progress import Progress
from watchkeeper.storage import archive
from watchkeeper.storage.seals import ArchiveRecord
from watchkeeper.storage.store import Store

# (how, day and source or None, sentence)
Finding = tuple[str, ArchiveRecord | None, str]


def check_files(
    store: Store, records: list[ArchiveRecord], progress: Progress | None = None
) -> list[Finding]:
    """Every file the manifest says is archived must be there with the bytes it was written
    with (its SHA-256); a Parquet file the manifest does not hold was added, and every query
    reads it."""
    base = archive.folder(store.path)
    on_disk = (
        {path.relative_to(base).as_posix() for path in base.glob(archive.GLOB)}
        if base.is_dir()
        else set()
    )
    archived = [r for r in records if r.state == "archived"]
    findings: list[Finding] = []
    if progress is not None:
        progress.update(stage="Checking the archive's files", total=len(archived), done=0)
    for done, record in enumerate(archived, 1):
        where = f"{record.day.isoformat()} {record.source or 'unknown source'}"
        if record.path not in on_disk:
            findings.append(
                (
                    "missing",
                    record,
                    f"{where}: the archive file {record.path} is missing "
                    f"({record.events:,} events)",
                )
            )
        elif archive.file_sha256(base / record.path) != record.sha256:
            findings.append(
                (
                    "changed",
                    record,
                    f"{where}: the archive file {record.path} was changed after it was written",
                )
            )
        if progress is not None:
            progress.update(done=done)
    known = {r.path for r in records}
    for path in sorted(on_disk - known):
        findings.append(
            (
                "added",
                None,
                f"an archive file was added that Watchkeeper never wrote: {path}; its events "
                "show in every search",
            )
        )
    return findings
