"""The rules and detect commands as a user runs them: in their own process, with deadlines."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

CATASTROPHIC = """title: Backtracks for hours
id: 5d0c6a52-3f7e-4c1a-9e55-0e1f7a2b9c01
level: high
logsource: {product: linux, service: sshd}
detection:
    selection:
        message|re: '(?=a)(a+)+$'
    condition: selection
"""
FAILED = """title: SSH failed password
id: 5d0c6a52-3f7e-4c1a-9e55-0e1f7a2b9c02
level: high
logsource: {product: linux, service: sshd}
detection:
    keywords: ['Failed password']
    condition: keywords
"""
LINE = ("Nov 23 08:{m:02d}:{s:02d} web01 sshd[3100]: Failed password for {user} "
        "from 203.0.113.7 port 4{s:04d} ssh2\n")


def _lines(count: int, user: str = "admin", start: int = 0) -> str:
    return "".join(LINE.format(m=(start + i) // 60 % 60, s=(start + i) % 60, user=user)
                   for i in range(count))


def _rules(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yml").write_text(text)
    return folder


def _run(db: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "watchkeeper", *args, "--db", str(db)],
                          capture_output=True, text=True, timeout=timeout)


def test_a_regex_that_backtracks_for_hours_is_refused_with_a_reason(tmp_path: Path) -> None:
    rules = _rules(tmp_path / "rules", catastrophic=CATASTROPHIC, failed=FAILED)
    log = tmp_path / "auth.log"
    log.write_text(_lines(3, user="a" * 34 + "X"))
    db = tmp_path / "w.duckdb"
    # Python's re needs hours for this rule on these events; the import must not wait for it
    imported = _run(db, "import", str(log), "--rules", str(rules), "--json", timeout=90)
    assert imported.returncode == 0, imported.stderr
    detection = json.loads(imported.stdout)["detection"]
    assert detection["hits_by_rule"] == {"5d0c6a52-3f7e-4c1a-9e55-0e1f7a2b9c02": 3}
    listed = _run(db, "rules", "--rules", str(rules))
    line = next(line for line in listed.stdout.splitlines() if "catastrophic.yml" in line)
    assert "not loaded" in line and "(Backtracks for hours)" in line
    assert "could take hours on one event" in line


# Python's re spends milliseconds on each of these events: detection takes a minute
SLOW = """title: Slow but bounded
id: 5d0c6a52-3f7e-4c1a-9e55-0e1f7a2b9c03
level: low
logsource: {product: linux, service: sshd}
detection:
    selection:
        message|re: '(?<!q)a.*zq'
    condition: selection
"""
FAILED_ID = "5d0c6a52-3f7e-4c1a-9e55-0e1f7a2b9c02"


def _wait_for_detection(process: subprocess.Popen[str], cache: Path, seconds: float = 120) -> None:
    """Until the import has stored its events and compiled the rules: detection runs next."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the import ended before detection could be stopped: "
                                 f"{process.communicate()}")
        if cache.exists():
            with contextlib.closing(sqlite3.connect(cache, timeout=5)) as con, \
                    contextlib.suppress(sqlite3.Error):
                if con.execute("SELECT count(*) FROM compiled "
                               "WHERE value LIKE '%Slow but bounded%'").fetchone()[0]:
                    return
        time.sleep(0.05)
    raise AssertionError("detection never started")


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT])
def test_hits_of_an_import_whose_detection_was_stopped_are_found_later(
        tmp_path: Path, _home: Path, stop: signal.Signals) -> None:
    fast = _rules(tmp_path / "fast", failed=FAILED)
    slow = _rules(tmp_path / "slow", slow=SLOW)
    log = tmp_path / "auth.log"
    log.write_text(_lines(10_000, user="a" * 1500))
    db = tmp_path / "w.duckdb"
    process = subprocess.Popen(
        [sys.executable, "-m", "watchkeeper", "import", str(log), "--rules", str(fast),
         "--rules", str(slow), "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_detection(process, _home / "cache" / "compiled-rules.sqlite")
        time.sleep(0.5)  # into the rules' queries
        assert process.poll() is None, "detection ended before it could be stopped"
        process.send_signal(stop)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # importing the same file again adds no events, but runs the rules they have not met
    again = _run(db, "import", str(log), "--rules", str(fast), "--json")
    assert again.returncode == 0, again.stderr
    document = json.loads(again.stdout)
    assert document["events"] == 0
    assert document["detection"]["hits_by_rule"][FAILED_ID] == 10_000
    listed = json.loads(_run(db, "hits", "--json").stdout)
    assert {r["id"]: r["count"] for r in listed["rules"]}[FAILED_ID] == 10_000
    assert "No new events" in _run(db, "detect", "--rules", str(fast)).stdout
