"""Renames made durable: the folder holding them is synced."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from watchkeeper.core.disk import fsync_folder


@pytest.mark.skipif(os.name == "nt", reason="Windows has no folder handles to sync")
def test_a_rename_is_made_durable_by_syncing_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "segment.open").write_bytes(b"line\n")
    os.replace(tmp_path / "segment.open", tmp_path / "segment.sealed")
    synced: list[tuple[int, int]] = []
    real_fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        status = os.fstat(descriptor)
        synced.append((status.st_mode, status.st_ino))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    fsync_folder(tmp_path)
    ((mode, inode),) = synced
    assert stat.S_ISDIR(mode) and inode == tmp_path.stat().st_ino
