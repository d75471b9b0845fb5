"""The collector as a service of this user: receiving while the window is closed.

A systemd user unit on Linux, a launchd agent on macOS, a scheduled task at sign-in on
Windows, each running `watchkeeper collect --db STORE`. The service and the window share
the work as the collector already does: whoever holds the listeners' ports receives into
the spool, and whoever holds the store loads it (collect.service), so neither loses events.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from watchkeeper.collect.presence import running_collector
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.setup.service_definitions import (
    UNIT_NAME,
    ServiceFile,
    ServiceSetup,
    launchd_agent,
    scheduled_task,
    systemd_unit,
)

SYSTEMS = ("linux", "macos", "windows")
COMMAND_TIMEOUT = 60.0

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


class ServiceError(WatchkeeperError):
    title = "Collector service not set up"


def current_system() -> str:
    """The running system: linux, macos or windows."""
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"


def app_command() -> list[str]:
    """The command line that starts this Watchkeeper: the bundle's binary, or this Python."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    python = Path(sys.executable)
    windowless = python.with_name("pythonw.exe")
    if current_system() == "windows" and windowless.exists():
        python = windowless  # no console window opens at sign-in
    return [str(python), "-m", "watchkeeper"]


def launch_environment() -> dict[str, str]:
    """What the service must inherit to use the same folders and code as this window."""
    environment: dict[str, str] = {}
    for name in ("WATCHKEEPER_HOME",):
        if os.environ.get(name):
            environment[name] = os.environ[name]
    if not getattr(sys, "frozen", False):
        package_parent = str(Path(__file__).resolve().parents[2])
        if package_parent not in _site_paths():  # a checkout run with PYTHONPATH
            environment["PYTHONPATH"] = package_parent
    return environment


def _site_paths() -> set[str]:
    import site

    return {str(Path(p).resolve()) for p in [*site.getsitepackages(), site.getusersitepackages()]}


def _checked(values: Sequence[str], what: str) -> None:
    for value in values:
        if not value or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ServiceError(
                f"The {what} “{value.encode('unicode_escape').decode()[:80]}” has a line "
                "break or a control character, which a service definition cannot carry."
            )


def service_setup(
    system: str,
    executable: list[str],
    db: Path,
    home: Path,
    *,
    environment: Mapping[str, str] | None = None,
    user: str = "",
    uid: int | None = None,
) -> ServiceSetup:
    """The service for `system` that runs `executable collect --db db` for the user at `home`."""
    if not executable:
        raise ServiceError("No program was given for the service to run.")
    environment = dict(environment or {})
    _checked([*executable, str(db), str(home)], "path")
    _checked([f"{k}={v}" for k, v in environment.items()], "setting")
    argv = [*executable, "collect", "--db", str(db)]
    if system == "linux":
        return systemd_unit(argv, home, environment, user)
    if system == "macos":
        return launchd_agent(argv, home, environment, os.getuid() if uid is None else uid)
    if system == "windows":
        return scheduled_task(argv, home, environment, user)
    raise ServiceError(f"“{system}” is not a system Watchkeeper knows ({', '.join(SYSTEMS)}).")


def install(setup: ServiceSetup, run: Runner = subprocess.run) -> list[str]:
    """Write the service's files and run its commands; what happened, in sentences."""
    said: list[str] = []
    for service_file in setup.files:
        _write(service_file)
    said.append(f"Wrote {setup.files[0].path}.")
    for argv in setup.commands:
        problem = _run(run, argv, setup.system)
        if problem:
            return [*said, problem, *setup.hints]
    return [*said, setup.sentence, *setup.hints]


def remove(setup: ServiceSetup, run: Runner = subprocess.run) -> list[str]:
    """Stop the service and delete its files; forwarded logs are then received only while
    the window is open."""
    said: list[str] = []
    for argv in setup.remove_commands:
        problem = _run(run, argv, setup.system)
        if problem:
            said.append(problem)
    for service_file in setup.files:
        try:
            service_file.path.unlink(missing_ok=True)
        except OSError as error:
            raise ServiceError(
                f"{service_file.path} could not be deleted ({error.strerror or error})."
            ) from None
    if setup.system == "linux":
        _run(run, ("systemctl", "--user", "daemon-reload"), setup.system)
    said.append(
        "The collector service is removed: forwarded logs are received only while "
        "Watchkeeper is open."
    )
    return said


@dataclass(frozen=True)
class ServiceStatus:
    installed: bool
    running: bool
    sentence: str


def status(setup: ServiceSetup, db: Path, run: Runner = subprocess.run) -> ServiceStatus:
    """Whether the service is installed and running, and a sentence that says so."""
    installed = all(f.path.exists() for f in setup.files)
    presence = running_collector(db)
    elsewhere = presence is not None and presence.pid != os.getpid()
    if not installed:
        sentence = (
            "The collector service is not installed: forwarded logs are received only "
            "while Watchkeeper is open."
        )
        if elsewhere and presence is not None:
            sentence += f" Another collector (process {presence.pid}) receives for now."
        return ServiceStatus(False, elsewhere, sentence)
    problem = _run(run, setup.status_command, setup.system)
    if problem is None:
        return ServiceStatus(True, True, "The collector service is installed and running.")
    return ServiceStatus(
        True, elsewhere, f"The collector service is installed but not running. {problem}"
    )


def shown(argv: Sequence[str], system: str) -> str:
    """A command as the user would type it on `system`."""
    if system == "windows":
        return subprocess.list2cmdline(list(argv))
    return shlex.join(argv)


def _write(service_file: ServiceFile) -> None:
    path = service_file.path
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(service_file.text, encoding=service_file.encoding)
        temporary.replace(path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise ServiceError(
            f"{path} could not be written ({error.strerror or error}); nothing was installed."
        ) from None


_NO_SESSION = ("failed to connect to bus", "no medium found", "xdg_runtime_dir", "dbus_session")


def _run(run: Runner, argv: Sequence[str], system: str) -> str | None:
    """Run one command; None when it worked, else a sentence saying what to do."""
    command = shown(argv, system)
    try:
        done = run(list(argv), capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    except FileNotFoundError:
        if argv[0] == "systemctl":
            return (
                "systemctl is not on this computer, so it does not use systemd: add "
                "“watchkeeper collect” to your desktop's startup programs instead."
            )
        return f"{argv[0]} is not on this computer, so “{command}” could not run."
    except subprocess.TimeoutExpired:
        return f"“{command}” did not finish within {COMMAND_TIMEOUT:.0f} seconds."
    except OSError as error:
        return f"“{command}” could not run ({error.strerror or error})."
    if done.returncode == 0:
        return None
    output = " ".join(str(done.stderr or done.stdout or "").split())[:200]
    if argv[0] == "systemctl" and any(s in output.lower() for s in _NO_SESSION):
        return (
            "The service file is written, but systemd's user manager cannot be reached "
            f"from here (“{output}”): there is no user session. Sign in to the desktop and "
            "press Install again, or run “systemctl --user enable --now "
            f"{UNIT_NAME}” once signed in."
        )
    if output:
        return f"“{command}” failed: {output.rstrip('.')}."
    return f"“{command}” failed (exit {done.returncode})."
