"""Whether another process is still running: for files a killed process left behind."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True while process `pid` runs (or cannot be told: then it is left to its owner)."""
    if os.name == "nt":
        return True  # without a portable check, leave a Windows process's files to it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
