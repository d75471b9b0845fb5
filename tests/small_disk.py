"""A real, small filesystem that a test can fill and free: a tmpfs mounted for the test.

Mounting needs Linux and root (or a user namespace); elsewhere the test is skipped with
the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


class SmallDisk:
    """A mounted tmpfs at `path`; `fill()` leaves only a little free, `free()` undoes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._filler = path / "filler"

    def available(self) -> int:
        return shutil.disk_usage(self.path).free

    def fill(self, leave: int = 0) -> None:
        """Take all free space but `leave` bytes (rounded down to whole pages)."""
        page = 4096
        with self._filler.open("ab") as filler:
            for _ in range(100_000):  # bounded: each pass takes at least a page
                chunk = min(1 << 20, (self.available() - leave) // page * page)
                if chunk <= 0:
                    return
                try:
                    filler.write(b"\0" * chunk)
                    filler.flush()
                except OSError:
                    return

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)

    def fill_to(self, fraction: float) -> None:
        """Leave the disk `fraction` used, as `df` counts it (a little over: whole pages)."""
        self.free()
        usage = shutil.disk_usage(self.path)
        self.fill(leave=int((usage.used + usage.free) * (1 - fraction)))


def small_disk(folder: Path, size: str = "24m") -> Iterator[SmallDisk]:
    """Mount a tmpfs of `size` at `folder` for the test; skip where that is not allowed."""
    if not sys.platform.startswith("linux") or shutil.which("mount") is None:
        pytest.skip("a small filesystem for a full disk is mounted only on Linux")
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem for a full disk needs root")
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(folder)
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)
