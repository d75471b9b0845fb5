"""Commands run as a user the permission bits apply to, so tests can meet a read-only
file or folder for real: root ignores them, so under root the command runs without the
capabilities that let it (setpriv, from util-linux)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

_WITHOUT_OVERRIDE = [
    "--bounding-set",
    "-dac_override,-dac_read_search",
    "--inh-caps",
    "-dac_override,-dac_read_search",
    "--",
]


def watchkeeper(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`python -m watchkeeper ARGS` as a user bound by permission bits."""
    if os.name != "posix":
        pytest.skip("permission bits are POSIX")
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux)")
        prefix = [setpriv, *_WITHOUT_OVERRIDE]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "watchkeeper", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WATCHKEEPER_HOME": str(home)},
    )
