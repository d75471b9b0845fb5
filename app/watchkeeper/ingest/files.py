"""The files an import reads: folders walked, contents hashed, UTF-16 text copied as UTF-8."""

from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from watchkeeper.core.progress import Progress
from watchkeeper.storage.workdirs import WORK_PREFIXES


def expand_paths(paths: Iterable[Path | str], store_path: Path | None = None) -> Iterator[Path]:
    """Files named, and the files below folders named, in a stable order.

    The store's own files (the database, its WAL, its working folders) are left out, so a
    folder holding the store can be imported.
    """
    own: set[Path] = set()
    if store_path is not None:
        resolved = store_path.resolve()
        # the database, its write-ahead log and DuckDB's spill folder
        own = {
            resolved,
            resolved.with_name(resolved.name + ".wal"),
            resolved.with_name(resolved.name + ".tmp"),
        }
    for item in paths:
        path = Path(item)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(
                    d
                    for d in dirs
                    if not d.startswith(WORK_PREFIXES) and (Path(root) / d).resolve() not in own
                )
                for name in sorted(files):
                    candidate = Path(root) / name
                    if candidate.resolve() not in own:
                        yield candidate
        elif path.resolve() not in own:
            yield path


def file_sha256(path: Path, progress: Progress) -> str:
    """The SHA-256 of a file's content, read a mebibyte at a time so a cancel is seen."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            progress.check()
    return digest.hexdigest()


def transcode_utf16(path: Path, target: Path) -> Path:
    """A UTF-8 copy at `target` of a UTF-16 file that starts with a byte-order mark."""
    with path.open("rb") as raw:
        reader = codecs.getreader("utf-16")(raw, "replace")  # it reads the mark itself
        with target.open("w", encoding="utf-8", newline="") as out:
            while chunk := reader.read(1 << 20):
                out.write(chunk)
    return target
