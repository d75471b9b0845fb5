"""The spool: received messages go to append-only segment files on disk before the store.

The collector may run while another process owns the store (DuckDB lets one process write
a file), so listeners never touch the database: they append here, and the store's owner
imports sealed segments (collect/loader.py), each exactly once through the import ledger.

A segment is written as `<name>.open`, and sealed (flushed, fsynced, renamed to
`<name>.seg`) when it reaches its size or age. Every append goes to the file at once, so a
killed collector loses nothing it had taken from a socket; the next start seals what a dead
collector left open, cutting a torn last line.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from watchkeeper.core.disk import fsync_folder
from watchkeeper.core.processes import alive
from watchkeeper.ingest.forwarded import HEADER, envelope

SEGMENT_BYTES = 8 * 1024 * 1024
SEGMENT_SECONDS = 1.0  # a quiet sender's messages are searchable within about a second
DEFAULT_BUDGET = 2 * 1024 * 1024 * 1024  # sealed bytes waiting before TCP senders are slowed
OPEN, SEALED = ".open", ".seg"


@dataclass(frozen=True, slots=True)
class Received:
    """One message as a listener took it off the wire, framing removed."""

    peer: str  # the sender's address
    transport: str  # udp, tcp, tls, http, test
    kind: str  # syslog or json
    message: bytes
    received: datetime | None = None  # now, when not given

    def line(self, now: datetime) -> bytes:
        return envelope(self.received or now, self.peer, self.transport, self.kind, self.message)


def spool_folder(db_path: Path) -> Path:
    """The spool beside the store it feeds, so `--db` chooses both."""
    return db_path.with_name(db_path.name + ".spool")


class Spool:
    """Appends received messages to segments; thread-safe."""

    def __init__(
        self,
        folder: Path,
        segment_bytes: int = SEGMENT_BYTES,
        segment_seconds: float = SEGMENT_SECONDS,
        budget_bytes: int = DEFAULT_BUDGET,
    ) -> None:
        self.folder = folder
        self.segment_bytes = segment_bytes
        self.segment_seconds = segment_seconds
        self.budget_bytes = budget_bytes
        self.appended = 0  # messages, since this spool was opened
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._path: Path | None = None
        self._size = 0
        self._opened_at = 0.0
        self._sequence = 0
        self._waiting_bytes = 0
        folder.mkdir(parents=True, exist_ok=True)
        recover_open_segments(folder)
        self._waiting_bytes = waiting_bytes(folder)

    @property
    def full(self) -> bool:
        """Over budget: TCP listeners stop reading (senders are slowed) until it drains."""
        return self._waiting_bytes >= self.budget_bytes

    def append(self, records: Sequence[Received]) -> None:
        """Write messages to the open segment at once (the OS keeps them if we are killed).

        All or nothing: when the disk is full, what part of the batch was written is cut
        off again and the OSError raised, so the caller can offer the whole batch again
        later without a message being stored twice.
        """
        if not records:
            return
        now = datetime.now(UTC)
        data = b"".join(record.line(now) for record in records)
        with self._lock:
            if self._fd is None:
                self._open()
            assert self._fd is not None
            view = memoryview(data)
            try:
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
            except OSError:
                os.ftruncate(self._fd, self._size)  # freeing space cannot fail for want of it
                os.lseek(self._fd, self._size, os.SEEK_SET)
                raise
            self._size += len(data)
            self.appended += len(records)
            if self._size >= self.segment_bytes:
                self._seal()

    def tick(self) -> None:
        """Seal the open segment once it is old enough; call about every 100 ms."""
        with self._lock:
            if self._fd is not None and time.monotonic() - self._opened_at >= self.segment_seconds:
                self._seal()
            self._waiting_bytes = waiting_bytes(self.folder)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                self._seal()

    def _open(self) -> None:
        self._sequence += 1
        name = f"{time.time_ns():020d}-{os.getpid()}-{self._sequence:06d}"
        self._path = self.folder / (name + OPEN)
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o600)
        try:
            if os.write(fd, HEADER) != len(HEADER):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        except OSError:  # a full disk: leave no segment behind that holds nothing
            os.close(fd)
            self._path.unlink(missing_ok=True)
            self._path = None
            raise
        self._fd = fd
        self._size = len(HEADER)
        self._opened_at = time.monotonic()

    def _seal(self) -> None:
        assert self._fd is not None and self._path is not None
        fd, path, size = self._fd, self._path, self._size
        self._fd, self._path, self._size = None, None, 0
        if size <= len(HEADER):  # nothing was appended: nothing to load
            os.close(fd)
            path.unlink(missing_ok=True)
            return
        try:
            os.fsync(fd)
        except OSError:  # still open: the next tick seals it again
            self._fd, self._path, self._size = fd, path, size
            raise
        os.close(fd)
        os.replace(path, path.with_suffix(SEALED))
        fsync_folder(self.folder)
        self._waiting_bytes += size


_BINARY = getattr(os, "O_BINARY", 0)


def sealed_segments(folder: Path) -> list[Path]:
    """Segments ready to load, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*" + SEALED))


def waiting_bytes(folder: Path) -> int:
    total = 0
    for path in sealed_segments(folder):
        with contextlib.suppress(FileNotFoundError):  # loaded and removed meanwhile
            total += path.stat().st_size
    return total


def recover_open_segments(folder: Path) -> list[Path]:
    """Seal segments a collector that is gone left open, without a torn last line."""
    recovered = []
    for path in sorted(folder.glob("*" + OPEN)):
        pid = _pid_of(path)
        if pid is None or pid == os.getpid() or alive(pid):
            continue  # a collector that is running (this process's own, too) writes it
        data = path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            with path.open("r+b") as opened:
                opened.truncate(end)
                opened.flush()
                os.fsync(opened.fileno())
        if end <= len(HEADER):
            path.unlink()
            continue
        sealed = path.with_suffix(SEALED)
        os.replace(path, sealed)
        recovered.append(sealed)
    if recovered:
        fsync_folder(folder)
    return recovered


def _pid_of(path: Path) -> int | None:
    parts = path.stem.split("-")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
