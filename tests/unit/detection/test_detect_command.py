"""The rules and detect commands as a user runs them: in their own process, with deadlines."""

from __future__ import annotations

import contextlib
import io
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
LINE = (
    "Nov 23 08:{m:02d}:{s:02d} web01 sshd[3100]: Failed password for {user} "
    "from 203.0.113.7 port 4{s:04d} ssh2\n"
)


def _lines(count: int, user: str = "admin", start: int = 0) -> str:
    return "".join(
        LINE.format(m=(start + i) // 60 % 60, s=(start + i) % 60, user=user) for i in range(count)
    )


def _rules(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yml").write_text(text)
    return folder


def _run(db: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watchkeeper", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


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
            raise AssertionError(
                f"the import ended before detection could be stopped: {process.communicate()}"
            )
        if cache.exists():
            with (
                contextlib.closing(sqlite3.connect(cache, timeout=5)) as con,
                contextlib.suppress(sqlite3.Error),
            ):
                if con.execute(
                    "SELECT count(*) FROM compiled WHERE value LIKE '%Slow but bounded%'"
                ).fetchone()[0]:
                    return
        time.sleep(0.05)
    raise AssertionError("detection never started")


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT])
def test_hits_of_an_import_whose_detection_was_stopped_are_found_later(
    tmp_path: Path, _home: Path, stop: signal.Signals
) -> None:
    fast = _rules(tmp_path / "fast", failed=FAILED)
    slow = _rules(tmp_path / "slow", slow=SLOW)
    log = tmp_path / "auth.log"
    log.write_text(_lines(10_000, user="a" * 1500))
    db = tmp_path / "w.duckdb"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "watchkeeper",
            "import",
            str(log),
            "--rules",
            str(fast),
            "--rules",
            str(slow),
            "--db",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
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
    assert {r["id"]: r["hits"] for r in listed["rules"]}[FAILED_ID] == 10_000
    assert "No new events" in _run(db, "detect", "--rules", str(fast)).stdout


ROOT = (
    FAILED.replace("SSH failed password", "SSH failure for root")
    .replace("9c02", "9c04")
    .replace("keywords: ['Failed password']", "keywords: ['for root']")
)
ROOT_ID = "5d0c6a52-3f7e-4c1a-9e55-0e1f7a2b9c04"


def _cli(*args: str) -> tuple[int, str, str]:
    from watchkeeper.cli import run

    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


def _stored(db: Path) -> dict[str, int]:
    code, out, _ = _cli("hits", "--db", str(db), "--json")
    assert code == 0
    return {
        rule["id"]: rule["hits"]
        for rule in json.loads(out)["rules"]
        if rule["id"] in (FAILED_ID, ROOT_ID)
    }


def test_a_hunt_without_the_rule_folders_of_earlier_runs_still_runs_them(tmp_path: Path) -> None:
    ours = _rules(tmp_path / "ours", failed=FAILED, root=ROOT)
    log = tmp_path / "auth.log"
    log.write_text(_lines(5) + _lines(2, user="root", start=100))
    db = tmp_path / "w.duckdb"
    code, _, err = _cli("import", str(log), "--rules", str(ours), "--db", str(db))
    assert code == 0, err
    assert _stored(db) == {FAILED_ID: 7, ROOT_ID: 2}

    code, out, err = _cli("detect", "--all", "--db", str(db))  # no --rules this time
    assert code == 0, err
    assert _stored(db) == {FAILED_ID: 7, ROOT_ID: 2}
    assert f"also ran the rules in {ours.resolve()}" in out

    # another store was never hunted with them
    other = tmp_path / "other.duckdb"
    _cli("import", str(log), "--db", str(other))
    assert _stored(other) == {}

    # a remembered folder that has gone: said, and its rules' hits are kept
    ours.rename(tmp_path / "moved")
    code, out, err = _cli("detect", "--all", "--db", str(db))
    assert code == 0, err
    assert f"{ours.resolve()} is no longer there" in out
    assert _stored(db) == {FAILED_ID: 7, ROOT_ID: 2}
