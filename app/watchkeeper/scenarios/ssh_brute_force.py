"""SSH brute force on web01 from abroad: one guess works for deploy, who then becomes root."""

from __future__ import annotations

from watchkeeper.scenarios.clock import from_ms
from watchkeeper.scenarios.network import Packet
from watchkeeper.scenarios.office import DEPLOY_UID, WEB_IP
from watchkeeper.scenarios.script import Script

ATTACKER_IP = "203.0.113.45"
GUESSED_USERS = (
    "admin",
    "test",
    "ubuntu",
    "oracle",
    "postgres",
    "git",
    "user",
    "ftpuser",
    "support",
    "guest",
    "pi",
    "jenkins",
    "ansible",
    "webadmin",
    "www",
    "dev",
    "mysql",
    "backup",
)
# sshd's part of a failed guess: how pam_unix reports it
PAM_FAILURE = (
    "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
    f"ruser= rhost={ATTACKER_IP}"
)


def ssh_brute_force(s: Script, t: int, attempts: int = 200) -> None:
    """Hundreds of password guesses on web01, one works for deploy, who then becomes root."""
    pid = 600_000 + s.rng.randrange(100_000)
    t, pid = _password_guesses(s, t, pid, attempts)
    success = t + s.rng.randrange(20_000, 60_000)
    pid += 7
    _deploy_logs_in(s, success, pid, _connection(s, success))
    root = success + s.rng.randrange(60_000, 150_000)
    _deploy_becomes_root(s, root)
    _backup2_created(s, root + s.rng.randrange(60_000, 120_000), pid)
    s.story(
        "ssh_brute_force",
        "SSH password guessing on web01 from abroad, then deploy becomes root",
        ("T1110.001", "T1078.003", "T1548.003", "T1136.001"),
        users=("deploy", "root", "backup2"),
        source_ips=(ATTACKER_IP,),
        details={
            "host": "web01",
            "account": "deploy",
            "attempts": str(attempts),
            "success_time": from_ms(success).isoformat(),
            "new_account": "backup2",
        },
    )


def _password_guesses(s: Script, t: int, pid: int, attempts: int) -> tuple[int, int]:
    """Each guess a new SSH connection: three in five for names web01 does not have, the rest
    for root, and for deploy near the end. The time and sshd's process id of the last one."""
    for attempt in range(attempts):
        t += s.rng.randrange(3000, 9000)
        pid += 1 + s.rng.getrandbits(3)
        port = _connection(s, t)
        if attempt % 5 < 3:
            name = GUESSED_USERS[s.rng.randrange(len(GUESSED_USERS))]
            _unknown_user_fails(s, t, pid, port, name)
        else:
            user = "root" if attempt % 5 == 3 or attempt < attempts - 20 else "deploy"
            _known_user_fails(s, t, pid, port, user)
    return t, pid


def _connection(s: Script, t: int) -> int:
    """The firewall lets the attacker through to web01's SSH port; the source port used."""
    port = 1024 + s.rng.getrandbits(16) % 64000
    s.packet(t, Packet("ALLOW", True, ATTACKER_IP, WEB_IP, "TCP", port, 22))
    return port


def _unknown_user_fails(s: Script, t: int, pid: int, port: int, name: str) -> None:
    auth = (t, "web01", "auth", "sshd", pid)
    s.syslog(*auth, f"Invalid user {name} from {ATTACKER_IP} port {port}")
    s.syslog(*auth, "pam_unix(sshd:auth): check pass; user unknown")
    s.syslog(*auth, PAM_FAILURE)
    later = (t + 2000, "web01", "auth", "sshd", pid)
    s.syslog(*later, f"Failed password for invalid user {name} from {ATTACKER_IP} port {port} ssh2")
    s.syslog(
        *later, f"Connection closed by invalid user {name} {ATTACKER_IP} port {port} [preauth]"
    )


def _known_user_fails(s: Script, t: int, pid: int, port: int, user: str) -> None:
    s.syslog(t, "web01", "auth", "sshd", pid, f"{PAM_FAILURE}  user={user}")
    later = (t + 2000, "web01", "auth", "sshd", pid)
    s.syslog(*later, f"Failed password for {user} from {ATTACKER_IP} port {port} ssh2")
    s.syslog(
        *later,
        f"Connection closed by authenticating user {user} {ATTACKER_IP} port {port} [preauth]",
    )


def _deploy_logs_in(s: Script, t: int, pid: int, port: int) -> None:
    sshd = (t, "web01", "auth", "sshd", pid)
    s.syslog(*sshd, f"Accepted password for deploy from {ATTACKER_IP} port {port} ssh2")
    s.syslog(
        *sshd,
        f"pam_unix(sshd:session): session opened for user deploy(uid={DEPLOY_UID}) by (uid=0)",
    )
    session = 900 + s.rng.randrange(300)
    s.syslog(t, "web01", "auth", "systemd-logind", 412, f"New session {session} of user deploy.")
    s.syslog(
        t,
        "web01",
        "syslog",
        "systemd",
        1,
        f"Started session-{session}.scope - Session {session} of User deploy.",
    )


def _deploy_becomes_root(s: Script, t: int) -> None:
    sudo = (t, "web01", "auth", "sudo", None)
    s.syslog(*sudo, "  deploy : TTY=pts/1 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash")
    s.syslog(
        *sudo,
        f"pam_unix(sudo:session): session opened for user root(uid=0) by deploy(uid={DEPLOY_UID})",
    )


def _backup2_created(s: Script, t: int, pid: int) -> None:
    """As root: a new account, backup2, given a password and made a member of sudo."""
    useradd = (t, "web01", "auth", "useradd", pid + 40)
    s.syslog(*useradd, "new group: name=backup2, GID=1003")
    s.syslog(
        *useradd,
        "new user: name=backup2, UID=1003, GID=1003, home=/home/backup2, shell=/bin/bash, "
        "from=/dev/pts/1",
    )
    s.syslog(
        t + 4000,
        "web01",
        "auth",
        "passwd",
        pid + 43,
        "pam_unix(passwd:chauthtok): password changed for backup2",
    )
    usermod = (t + 9000, "web01", "auth", "usermod", pid + 45)
    s.syslog(*usermod, "add 'backup2' to group 'sudo'")
    s.syslog(*usermod, "add 'backup2' to shadow group 'sudo'")
