"""Bad input to the command line gives one clear line and a clean exit, never a traceback."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests import unprivileged

from watchkeeper.cli import run
from watchkeeper.core import paths

AUTH = (
    "Nov  3 08:43:12 web01 sshd[1234]: Failed password for invalid user admin from 203.0.113.7 port 51515 ssh2\n"
    "Nov  3 08:43:15 web01 sshd[1234]: Accepted password for deploy from 203.0.113.7 port 51516 ssh2\n"
)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


def _settings_file(content: bytes) -> Path:
    path = paths.config_dir() / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _collect_briefly(db: Path) -> subprocess.CompletedProcess[str]:
    """`collect` as its own process (it installs signal handlers), for a moment."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "watchkeeper",
            "collect",
            "--db",
            str(db),
            "--syslog-tcp",
            "0",
            "--for",
            "0",
            "--no-detect",
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )


def test_a_settings_value_of_the_wrong_type_stops_no_command(tmp_path: Path) -> None:
    _settings_file(b'{"schema_version": "2a", "theme": "dark"}')
    db = tmp_path / "w.duckdb"
    log = tmp_path / "auth.log"
    log.write_text(AUTH)
    code, out, err = cli("import", str(log), "--db", str(db), "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["events"] == 2 and "detection" in document  # detection ran too
    for command in (["rules"], ["sources", "--db", str(db)], ["devices", "--db", str(db)]):
        code, _, err = cli(*command)
        assert code == 0, (command, err)
    collected = _collect_briefly(db)
    assert collected.returncode == 0, collected.stderr
    assert "Traceback" not in collected.stderr


def test_a_damaged_settings_file_is_said_once_and_kept(tmp_path: Path) -> None:
    path = _settings_file(b'{"listeners": {"syslog-tcp": 1514}, "rule_fol')
    code, _, err = cli("rules")
    assert code == 0
    (line,) = [line for line in err.splitlines() if "settings" in line]
    assert line.startswith("watchkeeper: Your settings file") and "settings.json.damaged" in line
    assert path.with_name("settings.json.damaged").read_bytes().endswith(b"rule_fol")
    code, _, err = cli("rules")
    assert code == 0 and "settings" not in err  # once


def test_a_damaged_settings_file_is_said_by_collect(tmp_path: Path) -> None:
    _settings_file(b"[]")
    collected = _collect_briefly(tmp_path / "w.duckdb")
    assert collected.returncode == 0, collected.stderr
    assert "Your settings file" in collected.stderr and "Traceback" not in collected.stderr


def test_a_read_only_config_folder_is_one_line(tmp_path: Path) -> None:
    path = _settings_file(b"")
    path.parent.chmod(0o555)
    try:
        done = unprivileged.watchkeeper("rules", home=paths.config_dir().parent)
    finally:
        path.parent.chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert "could not be set aside (Permission denied)" in done.stderr
    assert "Traceback" not in done.stderr and path.read_bytes() == b""


def _imported_store(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    log = tmp_path / "auth.log"
    log.write_text(AUTH)
    assert cli("import", str(log), "--db", str(db), "--no-detect")[0] == 0
    return db


def test_import_fails_when_nothing_was_imported_and_something_failed(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "empty.evtx").write_bytes(b"")
    for n in range(5):
        (folder / f"notes-{n}.txt").write_text(f"lorem ipsum {n}\ndolor sit amet\n")
    db = tmp_path / "w.duckdb"
    code, out, _ = cli("import", str(folder), "--db", str(db))
    assert code == 1
    assert "0 file(s) imported, 0 skipped, 6 failed" in out
    code, out, _ = cli("import", str(folder), "--db", str(db), "--json")
    assert code == 1 and json.loads(out)["failed"] == 6
    (folder / "auth.log").write_text(AUTH)  # one good file among them: a partial success
    assert cli("import", str(folder), "--db", str(db))[0] == 0
    assert cli("import", str(folder / "auth.log"), "--db", str(db))[0] == 0  # already there


@pytest.mark.parametrize(
    "command", [["hits"], ["stats"], ["search", "host:x"], ["sources"], ["devices"], ["detect"]]
)
def test_reading_commands_never_create_a_store(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "nowhere" / "w.duckdb"
    code, _, err = cli(*command, "--db", str(db))
    assert code == 1
    assert err.strip().splitlines() == [
        f"watchkeeper: Database problem: There is no store at {db}; "
        "import logs into it first (watchkeeper import) or "
        "choose another with --db."
    ]
    assert not (tmp_path / "nowhere").exists()


def test_a_store_the_user_can_only_read_is_still_searched(tmp_path: Path) -> None:
    db = _imported_store(tmp_path)
    db.chmod(0o444)
    before = db.read_bytes()
    home = paths.config_dir().parent
    done = unprivileged.watchkeeper("search", "user:deploy", "--db", str(db), "--json", home=home)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == 1
    done = unprivileged.watchkeeper("stats", "--db", str(db), "--json", home=home)
    assert done.returncode == 0 and json.loads(done.stdout)["events"] == 2
    log = db.with_name("more.log")
    log.write_text(AUTH.replace("web01", "web02"))
    done = unprivileged.watchkeeper("import", str(log), "--db", str(db), home=home)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "watchkeeper: Store is read-only: w.duckdb can be read but not written (the file or its "
        "folder is read-only); Watchkeeper needs write access to change it."
    ]
    assert db.read_bytes() == before


def test_collect_into_a_read_only_data_folder_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o555)
    done = unprivileged.watchkeeper(
        "collect",
        "--db",
        str(folder / "w.duckdb"),
        "--syslog-tcp",
        "0",
        "--for",
        "0",
        home=paths.config_dir().parent,
    )
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("watchkeeper: Listener not started: Nothing can be received into")
    assert "(Permission denied)" in line


def test_a_truncated_store_is_one_line_and_unchanged(tmp_path: Path) -> None:
    db = _imported_store(tmp_path)
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])
    before = db.read_bytes()
    for command in ("stats", "search", "hits", "import"):
        extra = [str(db.with_name("auth.log"))] if command == "import" else []
        code, _, err = cli(command, *extra, "--db", str(db))
        assert code == 1
        (line,) = err.strip().splitlines()
        assert line.startswith("watchkeeper: Store damaged: w.duckdb cannot be read")
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["search", "--limit", "99999999999999999999"], "--limit: must be from 0 to"),
        (["search", "--limit", "-1"], "--limit: must be from 0 to"),
        (["search", "--since", "9999999999d"], "reaches back before the year 1"),
        (
            ["collect", "--syslog-tcp", "70000"],
            "a port is from 1 to 65535 (0: any free one), not 70000",
        ),
        (["collect", "--syslog-udp", "-5"], "a port is from 1 to 65535"),
        (["collect", "--syslog-udp", "0", "--for", "nan"], "must be 0 or more seconds, not 'nan'"),
        (["collect", "--syslog-udp", "0", "--for", "-1"], "must be 0 or more seconds"),
    ],
)
def test_numbers_out_of_range_are_usage_errors(tmp_path: Path, args: list[str], said: str) -> None:
    db = _imported_store(tmp_path)
    code, _, err = cli(*args, "--db", str(db))
    assert code == 2
    (line,) = err.strip().splitlines()
    assert said in line
