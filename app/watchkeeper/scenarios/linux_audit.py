"""files01's auditd log, and the records of Samba opening a file on the share."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from watchkeeper.scenarios.catalog import DOCUMENTS
from watchkeeper.scenarios.clock import Clock, milliseconds
from watchkeeper.scenarios.linux_servers import ADMIN_COMMANDS, SYSTEMD_UNITS, Pids
from watchkeeper.scenarios.office import LINUX_ADMINS, PC_BY_OWNER, SERVER_RHYTHM, USERS, User
from watchkeeper.scenarios.sources import Action, Activity, Source, StoryLine


@dataclass(frozen=True)
class AuditRecord:
    """A story's auditd record; `first` starts a new event (a new serial number)."""

    type: str
    body: str
    first: bool = True


def audit_text(value: str) -> str:
    """A string as auditd logs it: quoted when plain, hex-encoded when it has spaces or quotes."""
    if all(0x21 <= ord(c) <= 0x7E and c != '"' for c in value):
        return f'"{value}"'
    return value.encode().hex().upper()


class AuditSource(Source):
    """files01's /var/log/audit/audit.log (log_format = RAW)."""

    def __init__(self, clock: Clock, rng: random.Random, share: float) -> None:
        super().__init__("linux/files01-audit.log", share, SERVER_RHYTHM, clock, rng)
        self.serial = rng.randrange(10_000, 900_000)
        self.pids = Pids(rng, rng.randrange(20_000, 400_000))
        self.sessions = iter(range(rng.randrange(50, 500), 10**9))
        self.stamp = ""
        self._people: list[Activity] = []
        self._background: list[Activity] = []

    def start(self, write: Callable[[str], object]) -> None:
        super().start(write)
        self._people = [
            Activity(8.0, self._share_access, 4),
            Activity(1.0, self._admin_exec, 6),
            Activity(0.4, self._admin_login, 4),
            Activity(0.6, self._sudo, 3),
        ]
        self._background = [Activity(6.0, self._cron, 6), Activity(1.0, self._service, 1)]

    def people(self) -> list[Activity]:
        return self._people

    def background(self) -> list[Activity]:
        return self._background

    def filler(self) -> Action:
        return self._service

    def begin(self, t: int) -> None:
        """Start an event: the next serial, shared by the records written until the next begin."""
        self.serial += 1
        self.stamp = f"{t // 1000}{milliseconds()[t % 1000]}:{self.serial}"

    def record(self, kind: str, body: str) -> None:
        self.write(f"type={kind} msg=audit({self.stamp}): {body}\n")

    def write_story(self, line: StoryLine) -> None:
        payload = line.payload
        if not isinstance(payload, AuditRecord):
            raise TypeError(f"{self.path}: not an audit record: {payload!r}")
        if payload.first:
            self.begin(line.t_ms)
        self.record(payload.type, payload.body)

    def _share_access(self, t: int) -> int:
        user = USERS[int(self.rng.random() * len(USERS))]
        docs = DOCUMENTS[user.department]
        name = f"{user.department}/{docs[int(self.rng.random() * len(docs))]}.xlsx"
        self.begin(t)
        for kind, body in share_access(user, name, self.pids.next()):
            self.record(kind, body)
        return 4

    def _admin_exec(self, t: int) -> int:
        user = LINUX_ADMINS[self.rng.getrandbits(1) % len(LINUX_ADMINS)]
        argv = ADMIN_COMMANDS["files01"][int(self.rng.random() * 6)].split()
        exe = argv[0]
        argv[0] = exe.rsplit("/", 1)[1]
        pid, uid = self.pids.next(), user.linux_uid
        self.begin(t)
        self.record(
            "SYSCALL",
            f"arch=c000003e syscall=59 success=yes exit=0 a0=5612a8f0 a1=5612a910 "
            f"a2=5612a940 a3=0 items=2 ppid={pid - 3} pid={pid} auid={uid} uid=0 gid=0 "
            f"euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses={self.serial % 97} "
            f'comm="{argv[0][:15]}" exe="{exe}" subj=unconfined key="user-exec"',
        )
        self.record(
            "EXECVE",
            f"argc={len(argv)} "
            + " ".join(f"a{i}={audit_text(arg)}" for i, arg in enumerate(argv)),
        )
        self.record("CWD", f'cwd="/home/{user.name}"')
        self.record(
            "PATH",
            f'item=0 name="{exe}" inode=1311{pid % 1000:03d} dev=fd:01 mode=0100755 ouid=0 '
            "ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 "
            "cap_frootid=0",
        )
        self.record(
            "PATH",
            'item=1 name="/lib64/ld-linux-x86-64.so.2" inode=1048791 dev=fd:01 mode=0100755 '
            "ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 "
            "cap_fver=0 cap_frootid=0",
        )
        self.record("PROCTITLE", "proctitle=" + "\0".join(argv).encode().hex().upper())
        return 6

    def _admin_login(self, t: int) -> int:
        user = LINUX_ADMINS[self.rng.getrandbits(1) % len(LINUX_ADMINS)]
        ip, pid, uid = PC_BY_OWNER[user.name].ip, self.pids.next(), user.linux_uid
        ses = next(self.sessions)
        where = f'exe="/usr/sbin/sshd" hostname={ip} addr={ip} terminal=ssh res=success'
        self.begin(t)
        self.record(
            "USER_AUTH",
            f"pid={pid} uid=0 auid=4294967295 ses=4294967295 subj=unconfined "
            f"msg='op=pubkey acct=\"{user.name}\" {where}'",
        )
        self.begin(t)
        self.record(
            "USER_ACCT",
            f"pid={pid} uid=0 auid=4294967295 ses=4294967295 subj=unconfined "
            f"msg='op=PAM:accounting grantors=pam_permit acct=\"{user.name}\" {where}'",
        )
        self.begin(t)
        self.record(
            "USER_START",
            f"pid={pid} uid=0 auid={uid} ses={ses} subj=unconfined msg='op=PAM:"
            f"session_open grantors=pam_loginuid,pam_keyinit,pam_permit,pam_umask,"
            f'pam_unix,pam_systemd,pam_limits acct="{user.name}" {where}\'',
        )
        self.begin(t)
        self.record(
            "USER_LOGIN",
            f"pid={pid} uid=0 auid={uid} ses={ses} subj=unconfined msg='op=login "
            f'id={uid} exe="/usr/sbin/sshd" hostname=? addr={ip} terminal=/dev/pts/0 '
            "res=success'",
        )
        return 4

    def _sudo(self, t: int) -> int:
        user = LINUX_ADMINS[self.rng.getrandbits(1) % len(LINUX_ADMINS)]
        command = ADMIN_COMMANDS["files01"][int(self.rng.random() * 6)]
        pid, uid, ses = self.pids.next(), user.linux_uid, 3 + self.rng.getrandbits(6)
        self.begin(t)
        self.record(
            "USER_CMD",
            f"pid={pid} uid={uid} auid={uid} ses={ses} subj=unconfined "
            f'msg=\'cwd="/home/{user.name}" cmd={command.encode().hex().upper()} '
            'exe="/usr/bin/sudo" terminal=pts/0 res=success\'',
        )
        for kind, op in (("USER_START", "session_open"), ("USER_END", "session_close")):
            self.begin(t)
            self.record(
                kind,
                f"pid={pid} uid={uid} auid={uid} ses={ses} subj=unconfined "
                f'msg=\'op=PAM:{op} grantors=pam_limits,pam_permit,pam_unix acct="root" '
                'exe="/usr/bin/sudo" hostname=? addr=? terminal=/dev/pts/0 res=success\'',
            )
        return 3

    def _cron(self, t: int) -> int:
        pid, ses = self.pids.next(), next(self.sessions)
        cron = 'exe="/usr/sbin/cron" hostname=? addr=? terminal=cron res=success'
        for kind, auid, s, op in (
            ("USER_ACCT", 4294967295, 4294967295, "PAM:accounting"),
            ("CRED_ACQ", 4294967295, 4294967295, "PAM:setcred"),
            ("LOGIN", 0, ses, ""),
            ("USER_START", 0, ses, "PAM:session_open"),
            ("CRED_DISP", 0, ses, "PAM:setcred"),
            ("USER_END", 0, ses, "PAM:session_close"),
        ):
            self.begin(t)
            if kind == "LOGIN":
                self.record(
                    kind,
                    f"pid={pid} uid=0 subj=unconfined old-auid=4294967295 auid=0 "
                    f"tty=(none) old-ses=4294967295 ses={ses} res=1",
                )
            else:
                self.record(
                    kind,
                    f"pid={pid} uid=0 auid={auid} ses={s} subj=unconfined "
                    f"msg='op={op} grantors=pam_permit acct=\"root\" {cron}'",
                )
        return 6

    def _service(self, t: int) -> int:
        unit = SYSTEMD_UNITS[int(self.rng.random() * len(SYSTEMD_UNITS))][0].removesuffix(
            ".service"
        )
        self.begin(t)
        self.record(
            "SERVICE_STOP" if self.rng.getrandbits(1) else "SERVICE_START",
            f"pid=1 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='unit={unit} "
            'comm="systemd" exe="/usr/lib/systemd/systemd" hostname=? addr=? terminal=? res=success\'',
        )
        return 1


def share_access(user: User, name: str, pid: int) -> list[tuple[str, str]]:
    """The records of Samba opening a file in /srv/share for a person (audit key share-access)."""
    uid = 10000 + user.rid  # winbind's idmap range for domain accounts
    return [
        (
            "SYSCALL",
            f"arch=c000003e syscall=257 success=yes exit=38 a0=ffffff9c a1=55d4c3a1e2b0 a2=0 a3=0 "
            f"items=1 ppid=1043 pid={pid} auid=4294967295 uid={uid} gid=10513 euid={uid} suid=0 "
            f"fsuid={uid} egid=10513 sgid=0 fsgid=10513 tty=(none) ses=4294967295 "
            f'comm="smbd[{user.name}]" exe="/usr/sbin/smbd" subj=unconfined key="share-access"',
        ),
        ("CWD", 'cwd="/srv/share"'),
        (
            "PATH",
            f"item=0 name={audit_text(name)} inode={1_835_000 + user.rid} dev=fd:10 mode=0100664 "
            f"ouid={uid} ogid=10513 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 "
            "cap_fver=0 cap_frootid=0",
        ),
        ("PROCTITLE", "proctitle=2F7573722F7362696E2F736D6264002D2D666F726567726F756E64"),
    ]
