"""The command-line contract: commands, --json, exit codes, Ctrl-C and SIGKILL."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.cli import run

AUTH = (
    "Nov  3 08:43:12 web01 sshd[1234]: Failed password for invalid user admin from 203.0.113.7 port 51515 ssh2\n"
    "Nov  3 08:43:15 web01 sshd[1234]: Accepted password for deploy from 203.0.113.7 port 51516 ssh2\n"
    "Nov  3 08:44:01 web01 sudo: deploy : TTY=pts/1 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash\n"
    "this line is not syslog at all\n"
)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


def test_import_stats_and_search_as_json(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    log = tmp_path / "auth.log"
    log.write_text(AUTH)
    code, out, _ = cli("import", str(log), "--db", db, "--json")
    assert code == 0
    summary = json.loads(out)
    assert (summary["imported"], summary["events"], summary["quarantined"]) == (1, 3, 1)

    code, out, _ = cli("stats", "--db", db, "--json")
    stats = json.loads(out)
    assert stats["events"] == 3 and stats["by_host"] == {"web01": 3}
    assert stats["imports"][0]["sha256"] and stats["imports"][0]["quarantined"] == 1

    code, out, _ = cli("search", "user:deploy", "--db", db, "--json")
    found = json.loads(out)
    assert found["total"] == 2
    first = found["events"][0]
    assert first["src_ip"] == "203.0.113.7"
    assert first["origin"] == {"file": str(log), "record": 2, "import_id": 1}


def test_import_summary_names_what_was_skipped_and_why(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    log = tmp_path / "auth.log"
    log.write_text(AUTH)
    (tmp_path / "picture.log").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    code, out, _ = cli("import", str(tmp_path), "--db", db)
    assert code == 0
    assert "1 file(s) imported, 0 skipped, 1 failed" in out
    assert "picture.log: binary content" in out
    assert "1 quarantined" in out
    code, out, _ = cli("import", str(log), "--db", db)
    assert "already imported" in out


def test_search_text_output_and_limits(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    (tmp_path / "auth.log").write_text(AUTH)
    cli("import", str(tmp_path / "auth.log"), "--db", db)
    code, out, _ = cli("search", "203.0.113.7", "--limit", "1", "--db", db)
    assert code == 0
    assert "2 event(s) match; showing 1" in out
    code, out, _ = cli("search", "--since", "2000-01-01", "--until", "2000-01-02", "--db", db)
    assert "0 event(s) match" in out


def test_a_filter_mistake_points_at_the_position(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    (tmp_path / "auth.log").write_text(AUTH)
    cli("import", str(tmp_path / "auth.log"), "--db", db, "--no-detect")
    code, _, err = cli("search", "host:(a b", "--db", db)
    assert code == 1
    assert "Filter not understood" in err
    assert "^" in err.splitlines()[-1]
    code, _, err = cli("search", "nosuchfield:x", "--db", db)
    assert code == 1 and "nosuchfield" in err


def test_hostile_event_text_is_shown_not_obeyed(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    log = tmp_path / "evil.log"
    log.write_bytes(
        b"Nov  3 08:43:12 web01 app[1]: \x1b[2J\x1b]0;pwned\x07<b>hi</b>'; DROP TABLE events;--\n"
    )
    cli("import", str(log), "--db", db)
    code, out, _ = cli("search", "", "--db", db)
    assert code == 0
    assert "\x1b" not in out and "\\x1b[2J" in out
    assert "DROP TABLE events" in out
    code, out, _ = cli("stats", "--db", db, "--json")
    assert json.loads(out)["events"] == 1


def test_usage_errors_exit_2_and_failures_exit_1(tmp_path: Path) -> None:
    assert cli("frobnicate")[0] == 2
    assert cli("search", "--limit", "x")[0] == 2
    assert cli("search", "--since", "yesterday-ish")[0] == 2
    code, _, err = cli("import", str(tmp_path / "missing.log"), "--db", str(tmp_path / "w.duckdb"))
    assert code == 2 and "no such file" in err
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database at all" * 100)
    code, out, err = cli("stats", "--db", str(bad), "--json")
    assert code == 1
    assert json.loads(out)["error"]["title"] == "Database problem"
    assert len(err.strip().splitlines()) == 1


def _big_log(path: Path, lines: int) -> None:
    with path.open("w") as out:
        for i in range(lines):
            out.write(
                f"Nov  3 08:{i // 60 % 60:02d}:{i % 60:02d} web01 app[{i % 999}]: event {i}\n"
            )


def _wait_for_writing(
    db: Path, process: subprocess.Popen[bytes], seconds: float = 300, size: int = 8 << 20
) -> None:
    """Until the importer is well into writing events (the store file has grown)."""
    wal = db.with_name(db.name + ".wal")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        written = sum(p.stat().st_size for p in (db, wal) if p.exists())
        if written > size:
            return
        if process.poll() is not None:
            raise AssertionError("the import ended before it could be interrupted")
        time.sleep(0.02)
    process.kill()
    raise AssertionError("the import never committed a batch")


def _command(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "watchkeeper", *args, "--db", str(db)]


def _json(db: Path, *args: str) -> dict[str, Any]:
    """The --json document of a command run as its own process."""
    done = subprocess.run(
        _command(db, *args, "--json"), capture_output=True, text=True, check=True, timeout=600
    )
    document: dict[str, Any] = json.loads(done.stdout)
    return document


@pytest.mark.slow
def test_sigkill_mid_import_leaves_a_store_that_reimports_exactly(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    _big_log(log, 600_000)
    db = tmp_path / "k.duckdb"
    process = subprocess.Popen(
        _command(db, "import", str(log)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait_for_writing(db, process)
    process.send_signal(signal.SIGKILL)
    process.wait(60)
    assert _json(db, "import", str(log))["events"] == 600_000
    stats = _json(db, "stats")
    assert stats["events"] == 600_000
    # killed before its first commit the file left nothing; after it, a row that was rolled back
    assert {i["status"] for i in stats["imports"]} in ({"done"}, {"interrupted", "done"})


@pytest.mark.slow
def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    _big_log(log, 1_000_000)
    small = tmp_path / "small.log"
    small.write_text(AUTH)
    db = tmp_path / "c.duckdb"
    process = subprocess.Popen(
        _command(db, "import", str(small), str(log), "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for_writing(db, process, size=1 << 20)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 1, err
    summary = json.loads(out)
    assert "cancelled" in summary, (out, err)
    assert summary["cancelled"] is True
    statuses = {Path(f["name"]).name: f["status"] for f in summary["files"]}
    assert statuses == {"small.log": "imported", "big.log": "cancelled"}
    assert _json(db, "stats")["events"] == 3


@pytest.mark.slow
def test_a_database_failure_mid_import_is_one_line_and_leaves_no_half_file(tmp_path: Path) -> None:
    log = tmp_path / "wide.json"
    with log.open("w") as out:  # many distinct field names: a wide table needs memory
        for i in range(30_000):
            fields = ", ".join(f'"field_{(i * 7 + j) % 900}": "value {i} {j}"' for j in range(40))
            out.write(
                f'{{"time": "2026-11-03T08:00:{i % 60:02d}Z", "host": "h{i % 9}", {fields}}}\n'
            )
    db = tmp_path / "small.duckdb"
    env = {**os.environ, "WATCHKEEPER_MEMORY_LIMIT": "24MB"}
    failed = subprocess.run(
        _command(db, "import", str(log)), capture_output=True, text=True, env=env, timeout=600
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith("watchkeeper: Database problem: Writing to small.duckdb failed")
    assert len(failed.stderr.strip().splitlines()) == 1
    # the store still opens, holds no half-imported file, and the import works with memory
    assert _json(db, "import", str(log))["events"] == 30_000
    stats = _json(db, "stats")
    assert stats["events"] == 30_000
    assert "running" not in {i["status"] for i in stats["imports"]}


def test_demo_loads_a_small_office_and_records_its_files_by_name(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.duckdb")
    code, out, _ = cli("demo", "--events", "5000", "--seed", "2", "--db", db, "--json")
    assert code == 0
    document = json.loads(out)
    assert document["import"]["failed"] == 0
    assert document["import"]["events"] > 4000
    assert {story["key"] for story in document["scenario"]["stories"]} >= {
        "password_spray",
        "office_macro",
        "ssh_brute_force",
    }
    stats = json.loads(cli("stats", "--db", db, "--json")[1])
    paths = {entry["path"] for entry in stats["imports"]}
    assert "demo (seed 2)/linux/web01-auth.log" in paths
    assert not list(tmp_path.glob(".demo-*"))  # the generated files are gone
    code, out, _ = cli("search", "event_id:1102", "--db", db)
    assert code == 0 and out.endswith("1 event(s) match\n")  # the cleared Security log


RULE = """title: SSH password failure
id: 5a0f6c52-93d4-4a4e-9c1e-2f3a1d7e0b11
status: test
level: high
description: A failed SSH password.
tags:
    - attack.credential_access
    - attack.t1110
logsource:
    product: linux
    service: sshd
detection:
    keywords:
        - 'Failed password'
    condition: keywords
"""


def _rules(tmp_path: Path, extra: str = "") -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "ssh.yml").write_text(RULE)
    (folder / "broken.yml").write_text("title: [unclosed\n")
    (folder / "no-detection.yml").write_text("title: Nothing\nlogsource:\n  product: linux\n")
    if extra:
        (folder / "extra.yml").write_text(extra)
    return folder


def test_rules_lists_what_loaded_and_why_others_did_not(tmp_path: Path) -> None:
    folder = _rules(tmp_path)
    code, out, _ = cli("rules", "--rules", str(folder), "--json")
    assert code == 0
    document = json.loads(out)
    ours = [r for r in document["rules"] if r["id"] == "5a0f6c52-93d4-4a4e-9c1e-2f3a1d7e0b11"]
    assert ours and ours[0]["techniques"] == ["T1110"] and ours[0]["applies"]
    problems = {Path(p["path"]).name: p["reason"] for p in document["problems"]}
    assert set(problems) == {"broken.yml", "no-detection.yml"}
    assert problems["broken.yml"].startswith("is not valid Sigma YAML")
    code, out, _ = cli("rules", "--rules", str(folder))
    assert code == 0 and "not loaded:" in out and "broken.yml" in out
    code, _, err = cli("rules", "--rules", str(tmp_path / "nowhere"))
    assert code == 1 and "no rule folder" in err


def test_import_runs_detection_and_hits_name_rule_and_events(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    log = tmp_path / "auth.log"
    log.write_text(AUTH)
    folder = _rules(tmp_path)
    code, out, _ = cli("import", str(log), "--db", db, "--rules", str(folder), "--json")
    assert code == 0
    ours = "5a0f6c52-93d4-4a4e-9c1e-2f3a1d7e0b11"
    assert json.loads(out)["detection"]["hits_by_rule"][ours] == 1

    code, out, _ = cli("hits", "--db", db, "--json")
    (rule,) = [r for r in json.loads(out)["rules"] if r["id"] == ours]
    assert rule["id"] == "5a0f6c52-93d4-4a4e-9c1e-2f3a1d7e0b11"
    assert (rule["count"], rule["hosts"], rule["level"]) == (1, ["web01"], "high")
    code, out, _ = cli("search", f"rule:{rule['id']}", "--db", db, "--json")
    (event,) = json.loads(out)["events"]
    assert event["id"] == rule["detections"][0]["event_ids"][0]
    assert "Failed password" in event["message"]

    # nothing new: a second run finds nothing and duplicates nothing
    code, out, _ = cli("detect", "--db", db, "--rules", str(folder))
    assert code == 0 and "No new events" in out
    code, out, _ = cli("detect", "--all", "--db", db, "--rules", str(folder), "--json")
    assert json.loads(out)["hits_by_rule"][ours] == 1
    code, out, _ = cli("hits", "--db", db)
    assert "SSH password failure" in out and "web01" in out
    code, out, _ = cli("hits", "--db", db, "--level", "critical")
    assert out.strip() == "No rule hits."


def test_import_without_detection(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    log = tmp_path / "auth.log"
    log.write_text(AUTH)
    code, out, _ = cli("import", str(log), "--db", db, "--no-detect", "--json")
    assert code == 0 and "detection" not in json.loads(out)


def test_files_given_without_a_command_open_the_window(tmp_path: Path) -> None:
    # What a desktop entry or file association runs: `watchkeeper FILE...`.
    from watchkeeper.__main__ import opens_app

    log = tmp_path / "Security.evtx"
    log.write_bytes(b"ElfFile\x00")
    assert opens_app([]) and opens_app(["--db", str(tmp_path / "x.duckdb")])
    assert opens_app([str(log)]) and opens_app(["--db", "x.duckdb", str(log), str(tmp_path)])
    assert not opens_app(["stats"]) and not opens_app(["import", str(log)])
    assert not opens_app([str(tmp_path / "missing.evtx")])  # the command line says why
    assert not opens_app(["--db"]) and not opens_app(["--version"])


def test_db_before_the_command_is_the_store_used(tmp_path: Path) -> None:
    db = tmp_path / "other.duckdb"
    out, err = io.StringIO(), io.StringIO()
    assert run(["--db", str(db), "demo", "--events", "300", "--no-detect"], out, err) == 0
    out = io.StringIO()
    assert run(["--db", str(db), "stats", "--json"], out, io.StringIO()) == 0
    assert json.loads(out.getvalue())["events"] > 0
    err = io.StringIO()
    assert run(["--db", str(db), "statz"], io.StringIO(), err) == 2
    assert "'statz' is neither a command nor a file that exists" in err.getvalue()


def test_sources_lists_each_sender_and_loads_the_spool_first(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from watchkeeper.collect.spool import Received, Spool, spool_folder

    db = tmp_path / "store.duckdb"
    err = io.StringIO()
    assert run(["sources", "--db", str(db)], io.StringIO(), err) == 1
    assert "There is no store at" in err.getvalue() and not db.exists()
    spool = Spool(spool_folder(db), segment_seconds=0)
    received = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    stamp = received.isoformat().replace("+00:00", "Z")
    spool.append(
        [
            Received(
                "192.0.2.9",
                "tls",
                "syslog",
                f"<13>1 {stamp} fw01 filterlog - - - block <b>in</b>".encode(),
                received,
            )
        ]
    )
    spool.close()  # the collector received it; no command has loaded it yet
    out = io.StringIO()
    assert (
        run(
            ["sources", "--db", str(db), "--json"],
            out,
            io.StringIO(),
            clock=lambda: received + timedelta(minutes=1),
        )
        == 0
    )
    sources = json.loads(out.getvalue())["sources"]
    assert [
        (s["sender"], s["host"], s["application"], s["encrypted"], s["status"]) for s in sources
    ] == [("192.0.2.9", "fw01", "filterlog", True, "receiving")]
    out = io.StringIO()
    assert (
        run(
            ["sources", "--db", str(db)],
            out,
            io.StringIO(),
            clock=lambda: received + timedelta(minutes=1),
        )
        == 0
    )
    assert "receiving 192.0.2.9" in out.getvalue() and "tls" in out.getvalue()
    # two days on, without a message since, the sender is silent
    out = io.StringIO()
    assert (
        run(
            ["sources", "--db", str(db)],
            out,
            io.StringIO(),
            clock=lambda: received + timedelta(days=2),
        )
        == 0
    )
    assert "silent    192.0.2.9" in out.getvalue() and "1 source(s) silent." in out.getvalue()
