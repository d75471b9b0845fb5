"""Importing files, folders and archives: find the format, parse, write, and keep the ledger."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from watchkeeper.core.disk import (
    IMPORTS,
    DiskFull,
    DiskPaused,
    GuardRule,
    disk_full_sentence,
    guard_stop,
    is_disk_full,
)
from watchkeeper.core.errors import Cancelled, ImportFailed, StoreError
from watchkeeper.core.event import Event
from watchkeeper.core.progress import Progress, give_way
from watchkeeper.core.text import text_encoding
from watchkeeper.ingest import archives, formats, fulldisk
from watchkeeper.ingest.base import HEAD_SIZE, ParseContext, Parser, Source
from watchkeeper.ingest.files import expand_paths, file_sha256, transcode_utf16
from watchkeeper.ingest.summary import FileResult, ImportSummary
from watchkeeper.storage import ledger, seals
from watchkeeper.storage.batch import Batch, LedgerRow
from watchkeeper.storage.pipeline import FULL_AFTER, BackgroundWriter
from watchkeeper.storage.store import Store
from watchkeeper.storage.workdirs import make_workdir, remove_stale_workdirs

BATCH_SIZE = 10_000
MAX_DEPTH = 3  # archives inside archives
# Big reads: each read lets go of the GIL, and reads every few milliseconds (8 KiB at a
# time) keep resetting CPython's switch timer, so the window's thread never got a turn.
READ_BUFFER = 1 << 20


class Importer:
    """Imports into one store; the same object serves the CLI and the window."""

    def __init__(
        self,
        store: Store,
        progress: Progress | None = None,
        batch_size: int = BATCH_SIZE,
        label: tuple[Path, str] | None = None,
        host: str | None = None,
        guard: GuardRule = IMPORTS,
    ) -> None:
        self.store = store
        # the disk guard: how full the store's disk may be before this import stops
        self.guard = guard
        # the machine the files came from, for events that do not name one (auditd's
        # without node=, JSON without a host field)
        self.host = host or None
        # (folder, name): files below the folder are recorded as "name/relative/path", for
        # files in a working folder that is deleted afterwards (the demo's)
        self.label = label
        self.progress = progress or Progress()
        self.batch_size = batch_size
        self._batch = Batch()
        self._writer: BackgroundWriter | None = None
        self._next_import_id = 0
        self._imported_here: dict[str, str] = {}  # sha256 -> name, for files not yet committed

    def run(self, paths: Iterable[Path | str]) -> ImportSummary:
        started = time.monotonic()
        summary = ImportSummary()
        files = list(expand_paths(paths, self.store.path))
        self.progress.update(stage="Importing", total=len(files), done=0)
        fulldisk.finish_recovery(self.store)
        remove_stale_workdirs(self.store.path, time.time())
        self._next_import_id = ledger.last_id(self.store)
        self._imported_here = ledger.imported_hashes(self.store)
        try:
            self._check_room()
            self._writer = BackgroundWriter(self.store)
        except DiskFull as error:
            summary.disk_full = error.message
            summary.paused = isinstance(error, DiskPaused)
            summary.files = [
                FileResult(
                    self._name(path),
                    "failed",
                    message=(f"{self._name(path)}: not imported: {error.message}"),
                )
                for path in files
            ]
            return summary
        try:
            index = 0
            try:
                for index, path in enumerate(files):
                    self.progress.update(item=path.name, done=index)
                    self._import_file(path, self._name(path), summary, depth=0)
                self._flush()
                self._writer.drain()
            except Cancelled:
                summary.cancelled = True
                self._flush()
                self._writer.drain()
            except DiskFull as error:
                untouched = [self._name(path) for path in files[index + 1 :]]
                self._stop_for_full_disk(untouched, summary, error)
        except StoreError:
            # the writer failed and rolled back its open transaction: a file it had begun
            # in an earlier commit is half there, so take it out as a killed import would be
            self.store.recover_interrupted()
            raise
        else:
            if not summary.cancelled:
                self.progress.state.done = len(files)
                self.progress.flush()
        finally:
            with fulldisk.expected_after_full_disk(summary):
                self._writer.close()
                self.store.refresh_columns()
            summary.seconds = time.monotonic() - started
        with fulldisk.expected_after_full_disk(summary):
            self._fill_counts(summary)
            if not summary.disk_full:  # each batch done is hashed for tamper evidence
                seals.record_batches(self.store, datetime.now(UTC))
        return summary

    def _stop_for_full_disk(
        self, untouched: list[str], summary: ImportSummary, error: DiskFull
    ) -> None:
        """Stop at a full disk: what was not committed is not imported, and says why.

        The writer rolled back its open transaction; a file begun in an earlier commit is
        taken out as a killed import would be (at once, or when there is room again). The
        disk guard stops before the disk is full: what is finished is still written.
        """
        assert self._writer is not None
        summary.paused = isinstance(error, DiskPaused)
        if summary.paused:
            sentence = summary.disk_full = error.message
            with contextlib.suppress(DiskFull, StoreError):
                self._flush()  # the files finished before the pause are kept
        else:
            self._batch = Batch()  # ledger rows that cannot be written now
            sentence = summary.disk_full = disk_full_sentence(self.store.path, FULL_AFTER)
        with contextlib.suppress(DiskFull, StoreError):
            self._writer.drain()
        fulldisk.fail_what_was_not_kept(self.store, summary, untouched, sentence)

    def _check_room(self) -> None:
        """Stop (DiskPaused, with the reason) once the store's disk is as full as the guard
        allows; the next import or load goes on by itself when space is freed."""
        sentence = guard_stop(self.store.path, self.guard)
        if sentence is not None:
            raise DiskPaused(sentence)

    def _name(self, path: Path) -> str:
        if self.label is not None and path.is_relative_to(self.label[0]):
            return f"{self.label[1]}/{path.relative_to(self.label[0]).as_posix()}"
        return str(path)

    def _new_import_id(self) -> int:
        self._next_import_id += 1
        return self._next_import_id

    def _flush(self) -> None:
        assert self._writer is not None
        self._writer.submit(self._batch)
        self._batch = Batch()

    def _record(self, row: LedgerRow) -> None:
        self._batch.opened.append(row)

    def _fill_counts(self, summary: ImportSummary) -> None:
        ids = [
            f.import_id for f in summary.files if f.import_id is not None and f.status == "imported"
        ]
        for entry in ledger.entries_by_id(self.store, ids):
            for result in summary.files:
                if result.import_id == entry.id:
                    result.records, result.events = entry.records, entry.events
                    result.duplicates, result.quarantined = entry.duplicates, entry.quarantined

    # one file ----------------------------------------------------------------------

    def _import_file(self, path: Path, name: str, summary: ImportSummary, depth: int) -> None:
        began = time.monotonic()
        result = FileResult(name=name, status="failed")
        try:
            self._import_checked(path, name, summary, depth, result)
        except Cancelled:
            if result.status == "failed":
                result.status = "cancelled"
                result.message = f"{name}: stopped before the end; nothing from it was kept"
            raise
        except DiskFull as error:
            result.status, result.message = "failed", f"{name}: not imported: {error.message}"
            raise
        except ImportFailed as error:
            result.status, result.message = "failed", error.message
        except FileNotFoundError:
            result.status, result.message = "failed", f"{name}: file not found (moved or deleted?)"
        except PermissionError:
            result.status, result.message = "failed", f"{name}: permission denied"
        except IsADirectoryError:
            result.status, result.message = "failed", f"{name}: is a folder"
        except OSError as error:
            if is_disk_full(error):  # a working copy (archive, UTF-16) found no room
                result.status = "failed"
                result.message = (
                    f"{name}: not imported: {disk_full_sentence(self.store.path, FULL_AFTER)}"
                )
                raise DiskFull(result.message) from error
            result.status, result.message = (
                "failed",
                f"{name}: cannot be read ({error.strerror or error})",
            )
        finally:
            result.seconds = time.monotonic() - began
            if result.status != "expanded":
                summary.files.append(result)
        if result.status == "failed" and result.import_id is None:
            self._record(
                LedgerRow(
                    self._new_import_id(), name, None, None, result.format, "failed", result.message
                )
            )

    def _import_checked(
        self, path: Path, name: str, summary: ImportSummary, depth: int, result: FileResult
    ) -> None:
        self._check_room()
        size = path.stat().st_size
        with path.open("rb") as stream:
            head = stream.read(HEAD_SIZE)
        archive_kind = archives.kind(head)
        if archive_kind is not None:
            if depth >= MAX_DEPTH:
                raise ImportFailed(f"{name}: archives nested deeper than {MAX_DEPTH} levels")
            self._import_archive(path, name, archive_kind, summary, depth)
            result.status = "expanded"
            return
        sha = file_sha256(path, self.progress)
        earlier = self._imported_here.get(sha)
        if earlier is not None:
            result.status = "skipped"
            result.message = f"{name}: already imported (same content as {earlier})"
            result.import_id = self._new_import_id()
            self._record(
                LedgerRow(result.import_id, name, size, sha, None, "skipped", result.message)
            )
            return
        if text_encoding(head)[0] == "utf-16":  # with a byte-order mark
            work = make_workdir(self.store.path, ".import-")
            try:
                converted = transcode_utf16(path, work / "utf8")
                with converted.open("rb") as stream:
                    head = stream.read(HEAD_SIZE)
                self._parse_file(
                    converted, head, name, sha, size, result, [f"{name}: converted from UTF-16"]
                )
                self._flush()  # the converted copy goes when this block ends
            finally:
                shutil.rmtree(work, ignore_errors=True)
        else:
            self._parse_file(path, head, name, sha, size, result, [])
        self._imported_here[sha] = name

    def _parse_file(
        self,
        path: Path,
        head: bytes,
        name: str,
        sha: str,
        size: int,
        result: FileResult,
        notes: list[str],
    ) -> None:
        parser, why = formats.sniff(head)
        if parser is None:
            raise ImportFailed(f"{name}: {why}")
        result.format = parser.format
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        source = Source(
            name=name,
            opener=lambda: path.open("rb", buffering=READ_BUFFER),
            size=path.stat().st_size,
            modified=modified,
            path=str(path),
        )
        self._parse_into_store(parser, source, sha, size, result, notes)

    def _parse_into_store(
        self,
        parser: Parser,
        source: Source,
        sha: str,
        size: int,
        result: FileResult,
        notes: list[str],
    ) -> None:
        import_id = self._new_import_id()
        result.import_id = import_id
        self._record(LedgerRow(import_id, source.name, size, sha, parser.format, "running"))
        context = ParseContext.for_source(source)
        context.host = host = self.host
        progress = self.progress
        batch_size = self.batch_size
        count = 0
        try:
            batch = self._batch
            for item in parser.parse(source, context):
                if host and isinstance(item, Event) and not item.common.get("host"):
                    item.common["host"] = host
                batch.add(import_id, item)
                count += 1
                if not count & 31:
                    give_way()  # let the window's thread have the GIL when it is waiting
                if len(batch) >= batch_size:
                    self._check_room()
                    self._flush()
                    batch = self._batch
                    progress.add(count)
                    count = 0
            progress.add(count)
        except BaseException as error:
            self._abandon(import_id, source.name, error, result)
        assert self._writer is not None
        if self._writer.fields_over_limit:
            notes.append(
                f"{source.name}: {len(self._writer.fields_over_limit)} field name(s) "
                "over the column limit were kept only in the raw record"
            )
            self._writer.fields_over_limit.clear()
        notes.extend(context.notes)
        message = "; ".join(notes) or None
        self._batch.closed.append((import_id, "done", message))
        result.status = "imported"
        result.message = message or ""

    def _abandon(self, import_id: int, name: str, error: BaseException, result: FileResult) -> None:
        """Roll back a file that could not be finished, then re-raise for the caller."""
        assert self._writer is not None
        self._flush()
        with contextlib.suppress(BaseException):  # the error reported below is the one
            self._writer.drain()
        if is_disk_full(error):
            try:
                why = (
                    error.message.rstrip(".")
                    if isinstance(error, DiskPaused)
                    else "the disk was full"
                )
                self.store.rollback_import(
                    import_id, "failed", f"{name}: not imported: {why}; nothing from it was kept"
                )
            except Exception as failure:  # no room even for that: done when there is
                if not is_disk_full(failure):
                    raise
                fulldisk.remember_half_done(self.store)
            result.status = "failed"
            if isinstance(error, DiskFull):
                raise error
            raise DiskFull(disk_full_sentence(self.store.path, FULL_AFTER)) from error
        cancelled = isinstance(error, (Cancelled, KeyboardInterrupt))
        status = "cancelled" if cancelled else "failed"
        detail = getattr(error, "message", None) or str(error) or type(error).__name__
        message = (
            f"{name}: stopped before the end; nothing from it was kept"
            if cancelled
            else f"{name}: {detail}; nothing from it was kept"
        )
        self.store.rollback_import(import_id, status, message)
        result.status, result.message = status, message
        # an error of this file alone (its parser, its values) fails only this file; a failing
        # store or a cancel stops the whole import
        if cancelled or isinstance(error, StoreError) or not isinstance(error, Exception):
            raise error
        raise ImportFailed(message) from error

    def _import_archive(
        self, path: Path, name: str, archive_kind: str, summary: ImportSummary, depth: int
    ) -> None:
        workdir = make_workdir(self.store.path, ".archive-")
        for member in archives.expand(path, name, archive_kind, workdir):
            self.progress.check()
            if member.path is None:
                summary.files.append(
                    FileResult(
                        member.name,
                        "skipped" if member.skipped else "failed",
                        message=member.problem,
                    )
                )
                continue
            self._import_file(member.path, member.name, summary, depth + 1)
            if member.problem:
                summary.files[-1].message = "; ".join(
                    m for m in (summary.files[-1].message, member.problem) if m
                )
            # The extracted copy is deleted after this; commit what came from it first.
            self._flush()


def import_paths(
    store: Store,
    paths: Iterable[Path | str],
    progress: Progress | None = None,
    label: tuple[Path, str] | None = None,
    host: str | None = None,
) -> ImportSummary:
    """Import files, folders and archives into the store; see ImportSummary for the outcome.

    `host` names the machine the files came from, for events that do not name their own.
    """
    return Importer(store, progress, label=label, host=host).run(paths)
