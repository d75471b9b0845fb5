"""Bad input to the command line gives one clear line and a clean exit, never a traceback."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
        [sys.executable, "-m", "watchkeeper", "collect", "--db", str(db), "--syslog-tcp", "0",
         "--for", "0", "--no-detect"], capture_output=True, text=True, env=dict(os.environ),
        timeout=120)


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


@pytest.fixture
def read_only_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Renaming in the config folder is refused (simulated: root ignores permission bits)."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "rename", refuse)


def test_a_read_only_config_folder_is_one_line(tmp_path: Path, read_only_config: None) -> None:
    _settings_file(b"")
    code, _, err = cli("rules")
    assert code == 0
    assert "could not be set aside (Permission denied)" in err and "Traceback" not in err
