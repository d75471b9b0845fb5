"""The collector as a service: the unit, agent and task it writes, and installing it."""

from __future__ import annotations

import configparser
import plistlib
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.setup import service
from watchkeeper.setup.service import (
    ServiceError,
    install,
    remove,
    service_setup,
    shown,
    status,
)
from watchkeeper.setup.service_definitions import AGENT_LABEL, TASK_NAME, UNIT_NAME

TASK_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


class Recorder:
    """Stands in for subprocess.run: records each command and answers as told."""

    def __init__(self, answers: dict[str, tuple[int, str]] | None = None) -> None:
        self.commands: list[list[str]] = []
        self.answers = answers or {}

    def __call__(self, argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(argv)
        for word, (code, stderr) in self.answers.items():
            if word in argv:
                return subprocess.CompletedProcess(argv, code, "", stderr)
        return subprocess.CompletedProcess(argv, 0, "", "")


def unit_of(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser


def systemd_words(exec_start: str) -> list[str]:
    """ExecStart's words as systemd reads them (its quoting is the shell's double quotes)."""
    return [w.replace("%%", "%").replace("$$", "$") for w in shlex.split(exec_start)]


def test_the_systemd_unit_runs_collect_on_this_store_and_restarts_on_failure(
    tmp_path: Path,
) -> None:
    db = tmp_path / "my data" / "50% off $HOME.duckdb"
    setup = service_setup("linux", [sys.executable, "-m", "watchkeeper"], db, tmp_path)
    (unit_file,) = setup.files
    assert unit_file.path == tmp_path / ".config" / "systemd" / "user" / UNIT_NAME
    unit = unit_of(unit_file.text)
    assert systemd_words(unit["Service"]["ExecStart"]) == [
        sys.executable,
        "-m",
        "watchkeeper",
        "collect",
        "--db",
        str(db),
    ]
    assert unit["Service"]["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "default.target"
    assert any("enable-linger" in hint for hint in setup.hints)


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (the systemd package)")
    db = tmp_path / "a folder" / "store.duckdb"
    setup = service_setup(
        "linux",
        [sys.executable, "-m", "watchkeeper"],
        db,
        tmp_path,
        environment={"WATCHKEEPER_HOME": str(tmp_path / "home with space")},
    )
    path = tmp_path / UNIT_NAME
    path.write_text(setup.files[0].text, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    complaints = [line for line in done.stderr.splitlines() if UNIT_NAME in line]
    assert done.returncode == 0 and not complaints, done.stderr


def test_the_launchd_agent_is_a_plist_that_keeps_the_collector_running(tmp_path: Path) -> None:
    db = tmp_path / "Application Support" / "watchkeeper.duckdb"
    executable = ["/Applications/Watchkeeper.app/Contents/MacOS/Watchkeeper"]
    setup = service_setup("macos", executable, db, tmp_path, uid=501)
    (agent,) = setup.files
    assert agent.path == tmp_path / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
    document = plistlib.loads(agent.text.encode("utf-8"))
    assert document["Label"] == AGENT_LABEL
    assert document["ProgramArguments"] == [*executable, "collect", "--db", str(db)]
    assert document["RunAtLoad"] is True
    assert document["KeepAlive"] == {"SuccessfulExit": False}
    assert ("launchctl", "bootstrap", "gui/501", str(agent.path)) in setup.commands


def test_the_scheduled_task_quotes_paths_with_spaces(tmp_path: Path) -> None:
    exe = r"C:\Program Files\Watchkeeper\watchkeeper.exe"
    db = Path(r"C:\Users\Ann Lee\AppData\Local\Watchkeeper\watchkeeper.duckdb")
    home = Path(r"C:\Users\Ann Lee")
    setup = service_setup("windows", [exe], db, home, user=r"OFFICE\ann")
    (task,) = setup.files
    root = ElementTree.fromstring(task.text.encode("utf-16"))
    assert root.findtext("t:Actions/t:Exec/t:Command", namespaces=TASK_NS) == exe
    arguments = root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=TASK_NS)
    assert arguments == f'collect --db "{db}"'
    assert root.findtext("t:Triggers/t:LogonTrigger/t:UserId", namespaces=TASK_NS) == (
        r"OFFICE\ann"
    )
    assert root.findtext("t:Settings/t:ExecutionTimeLimit", namespaces=TASK_NS) == "PT0S"
    create = setup.commands[0]
    assert shown(create, "windows") == (f'schtasks /Create /TN "{TASK_NAME}" /XML "{task.path}" /F')


def test_hostile_paths_and_systems_are_refused_with_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match="line break"):
        service_setup(
            "linux", [sys.executable], tmp_path / "x\n[Service]\nExecStart=/bin/sh", tmp_path
        )
    with pytest.raises(ServiceError, match="not a system"):
        service_setup("amiga", [sys.executable], tmp_path / "db", tmp_path)
    with pytest.raises(ServiceError, match="No program"):
        service_setup("linux", [], tmp_path / "db", tmp_path)
    setup = service_setup("windows", ["C:\\w.exe"], Path("C:\\<b>&amp;\\db"), tmp_path, user="a<b>")
    root = ElementTree.fromstring(setup.files[0].text.encode("utf-16"))
    assert "<b>&amp;" in (root.findtext(".//t:Arguments", namespaces=TASK_NS) or "")


def test_install_writes_the_unit_then_enables_it(tmp_path: Path) -> None:
    setup = service_setup(
        "linux", [sys.executable, "-m", "watchkeeper"], tmp_path / "s.db", tmp_path
    )
    run = Recorder()
    said = install(setup, run)
    assert setup.files[0].path.read_text(encoding="utf-8") == setup.files[0].text
    assert run.commands == [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "--now", UNIT_NAME],
    ]
    assert setup.sentence in said
    assert status(setup, tmp_path / "s.db", run).sentence == (
        "The collector service is installed and running."
    )
    run = Recorder()
    said = remove(setup, run)
    assert not setup.files[0].path.exists()
    assert run.commands[0] == ["systemctl", "--user", "disable", "--now", UNIT_NAME]
    assert "received only while Watchkeeper is open" in said[-1]
    assert not status(setup, tmp_path / "s.db", run).installed


def test_install_without_a_user_session_says_how_to_fix_it(tmp_path: Path) -> None:
    setup = service_setup("linux", [sys.executable], tmp_path / "s.db", tmp_path)
    run = Recorder({"daemon-reload": (1, "Failed to connect to bus: No medium found\n")})
    said = install(setup, run)
    assert any("no user session" in line and "Install again" in line for line in said)
    assert setup.sentence not in said
    assert any("enable-linger" in line for line in said)


def test_install_on_windows_writes_the_task_as_utf16_and_runs_it(tmp_path: Path) -> None:
    setup = service_setup("windows", ["C:\\w.exe"], Path("C:\\d.db"), tmp_path, user="u")
    run = Recorder()
    install(setup, run)
    assert setup.files[0].path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert [c[:2] for c in run.commands] == [["schtasks", "/Create"], ["schtasks", "/Run"]]


def test_a_missing_tool_is_a_sentence(tmp_path: Path) -> None:
    def missing(argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        raise FileNotFoundError(argv[0])

    setup = service_setup("linux", [sys.executable], tmp_path / "s.db", tmp_path)
    said = install(setup, missing)
    assert any("does not use systemd" in line for line in said)


def test_a_real_install_where_systemctl_user_is_unavailable(tmp_path: Path) -> None:
    if shutil.which("systemctl") is None:
        pytest.skip("systemctl is not installed")
    setup = service_setup(
        "linux", [sys.executable, "-m", "watchkeeper"], tmp_path / "s.db", tmp_path
    )
    said = install(setup)  # the real systemctl: no user manager here, or no such unit
    assert said[0] == f"Wrote {setup.files[0].path}."
    assert setup.sentence not in said, said
    assert all(line.endswith(".") and "Traceback" not in line for line in said)
    remove(setup)
    assert not setup.files[0].path.exists()


def test_the_command_to_run_is_this_python_or_the_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    assert service.app_command() == [sys.executable, "-m", "watchkeeper"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert service.app_command() == [sys.executable]
