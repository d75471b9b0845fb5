"""Whether a collector is running for a store: a small file beside the store while it runs.

`watchkeeper status` and the window read it; a collector that was killed leaves the file
behind, so a file whose process is gone means "not running".
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from watchkeeper.core.processes import alive


@dataclass(frozen=True)
class Presence:
    pid: int
    started: str  # ISO time, UTC
    listening: str  # "syslog-tcp 127.0.0.1:5514, ..."
    paused: str = ""  # while the collector only keeps its spool: the sentence that says why


def presence_file(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".collector")


def announce(db_path: Path, presence: Presence) -> None:
    """Say (again) that a collector runs; a disk too full for the file changes nothing."""
    path = presence_file(db_path)
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(json.dumps(asdict(presence)), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def withdraw(db_path: Path) -> None:
    with contextlib.suppress(OSError):
        presence_file(db_path).unlink(missing_ok=True)


def running_collector(db_path: Path) -> Presence | None:
    """The collector running for the store at `db_path`, or None."""
    try:
        document = json.loads(presence_file(db_path).read_text(encoding="utf-8"))
        presence = Presence(
            pid=int(document["pid"]),
            started=str(document["started"]),
            listening=str(document["listening"]),
            paused=str(document.get("paused", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if presence.pid != os.getpid() and not alive(presence.pid):
        return None
    return presence
