"""The three kinds of service definition: a systemd user unit, a launchd agent, a scheduled task.

Each is a file's text and the commands that load it, built from the command line to run;
setup.service writes and loads them.
"""

from __future__ import annotations

import getpass
import os
import plistlib
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

# the names the installers use (installer/linux, installer/macos), so the unit the wizard
# writes in the user's folder takes the place of the package's rather than running beside it
UNIT_NAME = "watchkeeper-collect.service"
AGENT_LABEL = "org.watchkeeper.collect"
TASK_NAME = "Watchkeeper collector"
RESTART_SECONDS = 30  # while the window holds the ports, the service tries again this often


@dataclass(frozen=True)
class ServiceFile:
    path: Path
    text: str
    encoding: str = "utf-8"


@dataclass(frozen=True)
class ServiceSetup:
    """What installing the service does: files to write, commands to run, and what it means."""

    system: str
    files: tuple[ServiceFile, ...]
    commands: tuple[tuple[str, ...], ...]  # run after writing the files, in order
    remove_commands: tuple[tuple[str, ...], ...]  # run before deleting them
    status_command: tuple[str, ...]
    sentence: str
    hints: tuple[str, ...] = field(default_factory=tuple)


def systemd_quote(word: str) -> str:
    """One ExecStart word as systemd reads it: quoted when needed, % and $ doubled."""
    word = word.replace("%", "%%").replace("$", "$$")
    if word and not any(c in word for c in " \t\"'\\;"):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _environment(name: str, value: str) -> str:
    """One Environment= assignment: specifiers (%) doubled, quoted when it has spaces."""
    assignment = f"{name}={value}".replace("%", "%%")
    if not any(c in assignment for c in " \t\"'\\"):
        return assignment
    return '"' + assignment.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(
    argv: list[str], home: Path, environment: dict[str, str], user: str = ""
) -> ServiceSetup:
    unit = home / ".config" / "systemd" / "user" / UNIT_NAME
    lines = [
        "# Written by Watchkeeper's setup: receives forwarded logs while the window is closed.",
        "[Unit]",
        "Description=Watchkeeper collector (receives forwarded logs)",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        "ExecStart=" + " ".join(systemd_quote(word) for word in argv),
        *(f"Environment={_environment(k, v)}" for k, v in sorted(environment.items())),
        "Restart=on-failure",
        f"RestartSec={RESTART_SECONDS}",
        "TimeoutStopSec=60",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    user = user or getpass.getuser()
    return ServiceSetup(
        system="linux",
        files=(ServiceFile(unit, "\n".join(lines)),),
        commands=(
            ("systemctl", "--user", "daemon-reload"),
            ("systemctl", "--user", "enable", "--now", UNIT_NAME),
        ),
        remove_commands=(("systemctl", "--user", "disable", "--now", UNIT_NAME),),
        status_command=("systemctl", "--user", "is-active", UNIT_NAME),
        sentence=(
            "The collector runs as a systemd service of your user, starts when you sign in "
            "and restarts if it stops."
        ),
        hints=(
            "To keep it receiving while nobody is signed in, an administrator runs "
            f"“loginctl enable-linger {shlex.quote(user)}”.",
        ),
    )


def launchd_agent(
    argv: list[str], home: Path, environment: dict[str, str], uid: int
) -> ServiceSetup:
    agent = home / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
    logs = home / "Library" / "Logs" / "Watchkeeper"
    document: dict[str, Any] = {
        "Label": AGENT_LABEL,
        "ProgramArguments": argv,
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},  # restarted when it fails, as on Linux
        "ThrottleInterval": RESTART_SECONDS,
        "ProcessType": "Background",
        "StandardOutPath": str(logs / "collector.log"),
        "StandardErrorPath": str(logs / "collector.log"),
    }
    if environment:
        document["EnvironmentVariables"] = dict(sorted(environment.items()))
    text = plistlib.dumps(document).decode("utf-8")
    domain = f"gui/{uid}"
    return ServiceSetup(
        system="macos",
        files=(ServiceFile(agent, text),),
        commands=(
            ("mkdir", "-p", str(logs)),
            ("launchctl", "bootstrap", domain, str(agent)),
        ),
        remove_commands=(("launchctl", "bootout", f"{domain}/{AGENT_LABEL}"),),
        status_command=("launchctl", "print", f"{domain}/{AGENT_LABEL}"),
        sentence=(
            "The collector runs as a launchd agent of your user, starts when you sign in "
            "and restarts if it stops."
        ),
    )


def scheduled_task(
    argv: list[str], home: Path, environment: dict[str, str], user: str
) -> ServiceSetup:
    user = user or _windows_user()
    task_file = home / "AppData" / "Local" / "Watchkeeper" / "collector-task.xml"
    command, arguments = argv[0], subprocess.list2cmdline(argv[1:])
    if environment:  # a task has no environment of its own: cmd sets it, then starts us
        sets = " & ".join(f'set "{k}={v}"' for k, v in sorted(environment.items()))
        arguments = f"/d /c {sets} & {subprocess.list2cmdline(argv)}"
        command = "cmd.exe"
    text = _TASK_XML.format(user=escape(user), command=escape(command), arguments=escape(arguments))
    return ServiceSetup(
        system="windows",
        files=(ServiceFile(task_file, text, encoding="utf-16"),),
        commands=(
            ("schtasks", "/Create", "/TN", TASK_NAME, "/XML", str(task_file), "/F"),
            ("schtasks", "/Run", "/TN", TASK_NAME),
        ),
        remove_commands=(
            ("schtasks", "/End", "/TN", TASK_NAME),
            ("schtasks", "/Delete", "/TN", TASK_NAME, "/F"),
        ),
        status_command=("schtasks", "/Query", "/TN", TASK_NAME),
        sentence=(
            "The collector starts when you sign in to Windows, as a scheduled task of your "
            "user, and restarts if it stops."
        ),
    )


def _windows_user() -> str:
    name = os.environ.get("USERNAME", "")
    domain = os.environ.get("USERDOMAIN", "")
    return f"{domain}\\{name}" if domain and name else name


# Command and Arguments apart: no 261-character limit as schtasks /TR has; no time limit
# (a task is stopped after 72 hours by default); restarted every minute when it fails.
_TASK_XML = """<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>Watchkeeper collector: receives forwarded logs while the window is closed.</Description>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>
      <UserId>{user}</UserId>
    </LogonTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>{user}</UserId>
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
    <Hidden>true</Hidden>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{command}</Command>
      <Arguments>{arguments}</Arguments>
    </Exec>
  </Actions>
</Task>
"""
