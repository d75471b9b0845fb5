"""The Linux servers' auth.log and syslog, in RFC 3164."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from watchkeeper.scenarios.clock import Clock, time_of_day
from watchkeeper.scenarios.linux_servers import (
    ADMIN_COMMANDS,
    CRON_JOBS,
    SCANNED_NAMES,
    SYSTEMD_UNITS,
    Pids,
)
from watchkeeper.scenarios.office import LINUX_ADMINS, PC_BY_OWNER, SERVER_RHYTHM, User
from watchkeeper.scenarios.sources import Action, Activity, Source, StoryLine


@dataclass(frozen=True)
class SyslogLine:
    """A story's syslog line: program, pid (None for none) and message."""

    program: str
    pid: int | None
    text: str


class SyslogSource(Source):
    """One RFC 3164 file of a Linux server: auth.log (sshd, sudo, cron sessions) or syslog."""

    def __init__(
        self,
        host: str,
        kind: str,
        clock: Clock,
        rng: random.Random,
        share: float,
        scanners: tuple[str, ...] = (),
    ) -> None:
        super().__init__(f"linux/{host}-{kind}.log", share, SERVER_RHYTHM, clock, rng)
        self.host = host
        self.kind = kind
        self.scanners = scanners  # internet addresses that knock on sshd, when it is exposed
        self.pids = Pids(rng, rng.randrange(20_000, 400_000))
        self.session_ids = iter(range(rng.randrange(100, 900), 10**9))
        self.line: Callable[[int, str, int | None, str], None] = _unset
        self._people: list[Activity] = []
        self._background: list[Activity] = []

    def start(self, write: Callable[[str], object]) -> None:
        super().start(write)
        days, seconds, host = self.clock.bsd, time_of_day(), self.host

        def line(t: int, program: str, pid: int | None, text: str) -> None:
            s = t // 1000
            tag = program if pid is None else f"{program}[{pid}]"
            write(f"{days[s // 86400]}{seconds[s % 86400]} {host} {tag}: {text}\n")

        self.line = line
        if self.kind == "auth":
            self._people = [
                Activity(3.0, self._ssh_login, 3),
                Activity(2.5, self._ssh_logout, 5),
                Activity(6.0, self._sudo, 3),
            ]
            self._background = [Activity(10.0, self._cron_session, 2)]
            if self.scanners:
                self._background += [
                    Activity(2.0, self._scan_invalid, 4),
                    Activity(1.5, self._scan_closed, 1),
                ]
        else:
            self._people = [Activity(1.0, self._session_scope, 1)]
            self._background = [
                Activity(10.0, self._cron_command, 1),
                Activity(2.0, self._systemd_unit, 3),
                Activity(0.02, self._rsyslog_hup, 1),
            ]

    def people(self) -> list[Activity]:
        return self._people

    def background(self) -> list[Activity]:
        return self._background

    def filler(self) -> Action:
        return (
            self._scan_closed
            if self.scanners
            else (self._cron_command if self.kind == "syslog" else self._session_scope)
        )

    def write_story(self, line: StoryLine) -> None:
        payload = line.payload
        if not isinstance(payload, SyslogLine):
            raise TypeError(f"{self.path}: not a syslog line: {payload!r}")
        self.line(line.t_ms, payload.program, payload.pid, payload.text)

    # -- auth.log -----------------------------------------------------------------------------

    def _admin(self) -> User:
        return LINUX_ADMINS[self.rng.getrandbits(1) % len(LINUX_ADMINS)]

    def _ssh_login(self, t: int) -> int:
        user = self._admin()
        pid, port = self.pids.next(), 49152 + self.rng.getrandbits(14)
        ip = PC_BY_OWNER[user.name].ip
        key = "ED25519 SHA256:" + (
            "qV3mB8rT0fLk2NwYc9xZp4Ejd7HsUa1Ko6Gi5RtQv0M"
            if user.name == "alice"
            else "Xw4nP9sLq2Hc7Rb0Kj5Tz8Ym1Fv6Gd3Ne0Ua9Io2Wr5"
        )
        self.line(
            t, "sshd", pid, f"Accepted publickey for {user.name} from {ip} port {port} ssh2: {key}"
        )
        self.line(
            t,
            "sshd",
            pid,
            f"pam_unix(sshd:session): session opened for user {user.name}"
            f"(uid={user.linux_uid}) by (uid=0)",
        )
        self.line(
            t, "systemd-logind", 412, f"New session {next(self.session_ids)} of user {user.name}."
        )
        return 3

    def _ssh_logout(self, t: int) -> int:
        user = self._admin()
        pid, port = self.pids.next(), 49152 + self.rng.getrandbits(14)
        ip = PC_BY_OWNER[user.name].ip
        session = next(self.session_ids)
        self.line(
            t, "sshd", pid, f"Received disconnect from {ip} port {port}:11: disconnected by user"
        )
        self.line(t, "sshd", pid, f"Disconnected from user {user.name} {ip} port {port}")
        self.line(t, "sshd", pid, f"pam_unix(sshd:session): session closed for user {user.name}")
        self.line(
            t,
            "systemd-logind",
            412,
            f"Session {session} logged out. Waiting for processes to exit.",
        )
        self.line(t, "systemd-logind", 412, f"Removed session {session}.")
        return 5

    def _sudo(self, t: int) -> int:
        user = self._admin()
        commands = ADMIN_COMMANDS[self.host]
        command = commands[int(self.rng.random() * len(commands))]
        self.line(
            t,
            "sudo",
            None,
            f"{user.name:>8} : TTY=pts/{self.rng.getrandbits(2)} ; "
            f"PWD=/home/{user.name} ; USER=root ; COMMAND={command}",
        )
        self.line(
            t,
            "sudo",
            None,
            f"pam_unix(sudo:session): session opened for user root(uid=0) "
            f"by {user.name}(uid={user.linux_uid})",
        )
        self.line(t, "sudo", None, "pam_unix(sudo:session): session closed for user root")
        return 3

    def _cron_session(self, t: int) -> int:
        pid = self.pids.next()
        self.line(
            t, "CRON", pid, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
        )
        self.line(t, "CRON", pid, "pam_unix(cron:session): session closed for user root")
        return 2

    def _scanner(self) -> tuple[str, int, int]:
        ip = self.scanners[int(self.rng.random() * len(self.scanners))]
        return ip, 1024 + self.rng.getrandbits(16) % 64000, self.pids.next()

    def _scan_invalid(self, t: int) -> int:
        ip, port, pid = self._scanner()
        name = SCANNED_NAMES[self.rng.getrandbits(4)]
        self.line(t, "sshd", pid, f"Invalid user {name} from {ip} port {port}")
        self.line(
            t, "sshd", pid, f"Failed password for invalid user {name} from {ip} port {port} ssh2"
        )
        self.line(
            t, "sshd", pid, f"Received disconnect from {ip} port {port}:11: Bye Bye [preauth]"
        )
        self.line(
            t, "sshd", pid, f"Disconnected from invalid user {name} {ip} port {port} [preauth]"
        )
        return 4

    def _scan_closed(self, t: int) -> int:
        ip, port, pid = self._scanner()
        self.line(t, "sshd", pid, f"Connection closed by {ip} port {port} [preauth]")
        return 1

    # -- syslog -------------------------------------------------------------------------------

    def _cron_command(self, t: int) -> int:
        user, command = CRON_JOBS[self.host][self.rng.getrandbits(2) % 3]
        self.line(t, "CRON", self.pids.next(), f"({user}) CMD {command}")
        return 1

    def _systemd_unit(self, t: int) -> int:
        unit, description = SYSTEMD_UNITS[int(self.rng.random() * len(SYSTEMD_UNITS))]
        self.line(t, "systemd", 1, f"Starting {unit} - {description}...")
        self.line(t, "systemd", 1, f"{unit}: Deactivated successfully.")
        self.line(t, "systemd", 1, f"Finished {unit} - {description}.")
        return 3

    def _session_scope(self, t: int) -> int:
        user = self._admin()
        session = next(self.session_ids)
        self.line(
            t,
            "systemd",
            1,
            f"Started session-{session}.scope - Session {session} of User {user.name}.",
        )
        return 1

    def _rsyslog_hup(self, t: int) -> int:
        self.line(
            t,
            "rsyslogd",
            611,
            '[origin software="rsyslogd" swVersion="8.2302.0" x-pid="611" '
            'x-info="https://www.rsyslog.com"] rsyslogd was HUPed',
        )
        return 1


def _unset(t: int, program: str, pid: int | None, text: str) -> None:
    raise RuntimeError("syslog source written to before start()")
