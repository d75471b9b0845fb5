"""Damaging an EVTX file the way disks and interrupted copies do, for the readers' tests."""

from __future__ import annotations

import os

from watchkeeper.scenarios.evtx_writer import CHUNK_HEADER_SIZE, CHUNK_SIZE, FILE_HEADER_SIZE

_GARBAGE = bytes(range(0x90, 0xD0)) * 8


def corrupt_chunk(path: str | os.PathLike[str], chunk_index: int) -> None:
    """Overwrite the start of one chunk's records with garbage, so readers skip that chunk."""
    offset = FILE_HEADER_SIZE + chunk_index * CHUNK_SIZE + CHUNK_HEADER_SIZE
    if chunk_index < 0 or os.path.getsize(path) < offset + len(_GARBAGE):
        raise ValueError(f"{os.fspath(path)} has no chunk {chunk_index}")
    with open(path, "r+b") as stream:
        stream.seek(offset)
        stream.write(_GARBAGE)


def truncate(path: str | os.PathLike[str], size: int) -> None:
    """Cut the file to `size` bytes, as a copy interrupted mid-way leaves it."""
    os.truncate(path, size)
