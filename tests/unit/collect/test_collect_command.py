"""`watchkeeper collect` as a process: killed mid-stream and restarted, nothing taken off the
socket is lost or stored twice; stopped cleanly, it loads what it received."""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from watchkeeper.collect.spool import spool_folder
from watchkeeper.storage.store import Store

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")


def start_collector(db: Path, home: Path) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "WATCHKEEPER_HOME": str(home)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "watchkeeper",
            "collect",
            "--db",
            str(db),
            "--syslog-tcp",
            "0",
            "--no-detect",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    if not select.select([process.stdout], [], [], 120)[0]:  # guards a hang, not the speed
        process.kill()
        raise AssertionError("the collector said nothing within 120 s of starting")
    line = process.stdout.readline()
    found = re.search(r"syslog-tcp 127\.0\.0\.1:(\d+)", line)
    assert found, line + (process.stderr.read() if process.poll() is not None else "")
    return process, int(found.group(1))


def numbered(start: int, count: int) -> Iterator[bytes]:
    for number in range(start, start + count):
        yield (
            f"<13>Nov 23 10:00:00 web01 app[1]: message {number:07d} " + "x" * 240 + "\n"
        ).encode()


class Sender(threading.Thread):
    """Sends numbered messages in chunks until told to stop or the connection breaks."""

    def __init__(self, port: int, start: int) -> None:
        super().__init__(daemon=True)
        self.port, self.next, self.sent = port, start, 0
        self.stop = threading.Event()

    def run(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port)) as connection:
            while not self.stop.is_set():
                chunk = b"".join(numbered(self.next, 200))
                try:
                    connection.sendall(chunk)
                except OSError:
                    return
                self.next += 200
                self.sent += 200


def spooled_numbers(folder: Path) -> set[int]:
    """Messages written whole to the spool: a kill mid-write can leave the last line torn."""
    found: set[int] = set()
    for path in folder.iterdir():
        whole = path.read_bytes().split(b"\n")[:-1]
        found |= {int(n) for line in whole for n in re.findall(rb"message (\d{7})", line)}
    return found


def stored_numbers(db: Path) -> list[int]:
    with Store(db, read_only=True) as store:
        rows = store.fetch_all("SELECT message FROM events")
    return [int(re.findall(r"message (\d{7})", str(m))[0]) for (m,) in rows]


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    """Until `condition` holds; a generous deadline that guards a hang, not the speed."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        time.sleep(0.05)


@pytest.mark.slow
def test_a_killed_collector_loses_and_duplicates_nothing_it_received(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    collector, port = start_collector(db, tmp_path / "home")
    sender = Sender(port, 0)
    sender.start()
    wait_for(lambda: sender.sent >= 60_000 or not sender.is_alive(), "sending 60,000 messages")
    collector.send_signal(signal.SIGKILL)  # mid-stream, while segments are open
    collector.wait(10)
    sender.stop.set()
    sender.join(10)
    # what the dead collector had taken: still in its spool, or already loaded
    received_before_kill = spooled_numbers(spool_folder(db)) | set(
        stored_numbers(db) if db.exists() else []
    )
    assert len(received_before_kill) > 10_000

    collector, port = start_collector(db, tmp_path / "home")
    after = Sender(port, 1_000_000)
    after.start()
    wait_for(lambda: after.sent >= 5_000 or not after.is_alive(), "sending 5,000 more")
    after.stop.set()
    after.join(10)
    collector.send_signal(signal.SIGTERM)  # stopping, it still reads what was sent
    assert collector.wait(60) == 0, collector.stderr.read() if collector.stderr else ""

    stored = stored_numbers(db)
    assert len(stored) == len(set(stored)), "a message was stored twice"
    before = {n for n in stored if n < 1_000_000}
    assert received_before_kill <= before  # everything the dead collector had taken
    # what the kill lost was the tail still in the socket buffers, never the middle
    assert before == set(range(len(before)))
    assert {n for n in stored if n >= 1_000_000} == set(range(1_000_000, 1_000_000 + after.sent))
    assert list(spool_folder(db).glob("*.seg")) == []  # all loaded and removed
