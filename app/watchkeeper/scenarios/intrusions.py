"""Two more attacks: SSH brute force on web01 from abroad, and a remote tool that silences Sysmon."""

from __future__ import annotations

from watchkeeper.scenarios.clock import DAY_MS, HOUR_MS, from_ms
from watchkeeper.scenarios.network import Packet
from watchkeeper.scenarios.nxlog import SYSTEM_ACCOUNT
from watchkeeper.scenarios.office import DEPLOY_UID, DOMAIN, HOST_BY_NAME, USER_BY_NAME, WEB_IP
from watchkeeper.scenarios.script import MINUTE_MS, Script

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
RELAY_IP = "198.51.100.77"
ANYDESK = "C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe"


def ssh_brute_force(s: Script, t: int, attempts: int = 200) -> None:
    """Hundreds of password guesses on web01, one works for deploy, who then becomes root."""
    rng = s.rng
    pid = 600_000 + rng.randrange(100_000)
    for attempt in range(attempts):
        t += rng.randrange(3000, 9000)
        pid += 1 + rng.getrandbits(3)
        port = 1024 + rng.getrandbits(16) % 64000
        s.packet(t, Packet("ALLOW", True, ATTACKER_IP, WEB_IP, "TCP", port, 22))
        auth = (t, "web01", "auth", "sshd", pid)
        if attempt % 5 < 3:
            name = GUESSED_USERS[rng.randrange(len(GUESSED_USERS))]
            s.syslog(*auth, f"Invalid user {name} from {ATTACKER_IP} port {port}")
            s.syslog(*auth, "pam_unix(sshd:auth): check pass; user unknown")
            s.syslog(
                *auth,
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                f"ruser= rhost={ATTACKER_IP}",
            )
            s.syslog(
                t + 2000,
                "web01",
                "auth",
                "sshd",
                pid,
                f"Failed password for invalid user {name} from {ATTACKER_IP} port {port} ssh2",
            )
            s.syslog(
                t + 2000,
                "web01",
                "auth",
                "sshd",
                pid,
                f"Connection closed by invalid user {name} {ATTACKER_IP} port {port} [preauth]",
            )
        else:
            user = "root" if attempt % 5 == 3 or attempt < attempts - 20 else "deploy"
            s.syslog(
                *auth,
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                f"ruser= rhost={ATTACKER_IP}  user={user}",
            )
            s.syslog(
                t + 2000,
                "web01",
                "auth",
                "sshd",
                pid,
                f"Failed password for {user} from {ATTACKER_IP} port {port} ssh2",
            )
            s.syslog(
                t + 2000,
                "web01",
                "auth",
                "sshd",
                pid,
                f"Connection closed by authenticating user {user} {ATTACKER_IP} port {port} [preauth]",
            )
    t += rng.randrange(20_000, 60_000)
    pid += 7
    port = 1024 + rng.getrandbits(16) % 64000
    success = t
    s.packet(t, Packet("ALLOW", True, ATTACKER_IP, WEB_IP, "TCP", port, 22))
    s.syslog(
        t,
        "web01",
        "auth",
        "sshd",
        pid,
        f"Accepted password for deploy from {ATTACKER_IP} port {port} ssh2",
    )
    s.syslog(
        t,
        "web01",
        "auth",
        "sshd",
        pid,
        f"pam_unix(sshd:session): session opened for user deploy(uid={DEPLOY_UID}) by (uid=0)",
    )
    session = 900 + rng.randrange(300)
    s.syslog(t, "web01", "auth", "systemd-logind", 412, f"New session {session} of user deploy.")
    s.syslog(
        t,
        "web01",
        "syslog",
        "systemd",
        1,
        f"Started session-{session}.scope - Session {session} of User deploy.",
    )
    t += rng.randrange(60_000, 150_000)
    s.syslog(
        t,
        "web01",
        "auth",
        "sudo",
        None,
        "  deploy : TTY=pts/1 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash",
    )
    s.syslog(
        t,
        "web01",
        "auth",
        "sudo",
        None,
        f"pam_unix(sudo:session): session opened for user root(uid=0) by deploy(uid={DEPLOY_UID})",
    )
    t += rng.randrange(60_000, 120_000)
    s.syslog(t, "web01", "auth", "useradd", pid + 40, "new group: name=backup2, GID=1003")
    s.syslog(
        t,
        "web01",
        "auth",
        "useradd",
        pid + 40,
        "new user: name=backup2, UID=1003, GID=1003, home=/home/backup2, shell=/bin/bash, from=/dev/pts/1",
    )
    s.syslog(
        t + 4000,
        "web01",
        "auth",
        "passwd",
        pid + 43,
        "pam_unix(passwd:chauthtok): password changed for backup2",
    )
    s.syslog(t + 9000, "web01", "auth", "usermod", pid + 45, "add 'backup2' to group 'sudo'")
    s.syslog(t + 9000, "web01", "auth", "usermod", pid + 45, "add 'backup2' to shadow group 'sudo'")
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
            "success_time": _iso(s, success),
            "new_account": "backup2",
        },
    )


def remote_tool(s: Script, t: int) -> None:
    """liam installs AnyDesk for a caller 'from IT support', who then stops Sysmon."""
    host, user = HOST_BY_NAME["PC-HR-01"], USER_BY_NAME["liam"]
    who = f"{DOMAIN}\\{user.name}"
    download = f"{user.home}\\Downloads\\AnyDesk.exe"
    edge = (
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" ',
        "{00000000-0000-0000-0000-000000000000}",
        9180,
    )
    explorer = (
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
        "{00000000-0000-0000-0000-000000000000}",
        5124,
    )
    s.file(t, host, image=edge[0], guid=edge[2], pid=edge[3], user=who, target=download)
    describe = ("8.1.0", "AnyDesk", "AnyDesk", "AnyDesk Software GmbH", "AnyDesk.exe")
    guid, pid = s.process(
        t + 30_000,
        host,
        image=download,
        command=f'"{download}" ',
        user=who,
        parent=explorer,
        describe=describe,
        directory=f"{user.home}\\Downloads\\",
    )
    install = f'"{download}" --install "C:\\Program Files (x86)\\AnyDesk" --start-with-win --silent'
    s.process(
        t + 60_000,
        host,
        image=download,
        command=install,
        user=who,
        integrity="High",
        parent=(download, f'"{download}" ', guid, pid),
        describe=describe,
        directory=f"{user.home}\\Downloads\\",
    )
    service_path = f'"{ANYDESK}" --service'
    s.win(
        t + 65_000,
        host,
        "7045",
        (
            "A service was installed in the system.\r\n\r\nService Name:  AnyDesk Service\r\n"
            f"Service File Name:  {service_path}\r\nService Type:  user mode service\r\n"
            "Service Start Type:  auto start\r\nService Account:  LocalSystem"
        ),
        (
            ("ServiceName", "AnyDesk Service"),
            ("ImagePath", service_path),
            ("ServiceType", "user mode service"),
            ("StartType", "auto start"),
            ("AccountName", "LocalSystem"),
        ),
        account=SYSTEM_ACCOUNT,
    )
    s.win(
        t + 66_000,
        host,
        "7036",
        "The AnyDesk Service service entered the running state.",
        (("param1", "AnyDesk Service"), ("param2", "running")),
        account=SYSTEM_ACCOUNT,
    )
    system = "NT AUTHORITY\\SYSTEM"
    service_guid, service_pid = s.process(
        t + 67_000,
        host,
        image=ANYDESK,
        command=service_path,
        user=system,
        integrity="System",
        parent=(
            "C:\\Windows\\System32\\services.exe",
            "C:\\Windows\\system32\\services.exe",
            "{00000000-0000-0000-0000-000000000000}",
            720,
        ),
        describe=describe,
        directory="C:\\Windows\\system32\\",
    )
    s.connect(
        t + 70_000,
        host,
        image=ANYDESK,
        guid=service_guid,
        pid=service_pid,
        user=system,
        dst=RELAY_IP,
        port=443,
    )
    t += 15 * MINUTE_MS + s.rng.randrange(5 * MINUTE_MS)
    cmd_guid, cmd_pid = s.process(
        t,
        host,
        image="C:\\Windows\\System32\\cmd.exe",
        user=system,
        command='cmd.exe /c "sc stop Sysmon64"',
        integrity="System",
        parent=(ANYDESK, service_path, service_guid, service_pid),
    )
    s.process(
        t + 500,
        host,
        image="C:\\Windows\\System32\\sc.exe",
        command="sc  stop Sysmon64",
        user=system,
        integrity="System",
        parent=(
            "C:\\Windows\\System32\\cmd.exe",
            'cmd.exe /c "sc stop Sysmon64"',
            cmd_guid,
            cmd_pid,
        ),
    )
    stopped = t + 2000
    _sysmon_state(s, stopped, "Stopped")
    s.win(
        stopped + 1000,
        host,
        "7036",
        "The Sysmon64 service entered the stopped state.",
        (("param1", "Sysmon64"), ("param2", "stopped")),
        account=SYSTEM_ACCOUNT,
    )
    # The firewall still sees the tool talk to its relay while the PC's Sysmon is silent.
    for beacon in range(12):
        beacon_t = stopped + (beacon + 1) * 10 * MINUTE_MS + s.rng.randrange(60_000)
        if beacon_t < s.clock.end_ms:
            s.packet(
                beacon_t,
                Packet(
                    "ALLOW", False, host.ip, RELAY_IP, "TCP", 49152 + s.rng.getrandbits(14), 443
                ),
            )
    # Sysmon comes back when the PC is restarted: the next working morning.
    day = stopped // DAY_MS + 1
    while s.clock.weekday.get(day, 0) >= 5:
        day += 1
    resumed = min(day * DAY_MS + 8 * HOUR_MS + s.rng.randrange(10, 40) * MINUTE_MS, s.clock.end_ms)
    if resumed < s.clock.end_ms - 2000:
        s.win(
            resumed,
            host,
            "7036",
            "The Sysmon64 service entered the running state.",
            (("param1", "Sysmon64"), ("param2", "running")),
            account=SYSTEM_ACCOUNT,
        )
        _sysmon_state(s, resumed + 1000, "Started")
    s.plan.sysmon_off.setdefault(host.name, []).append((stopped + 1, resumed + 1001))
    s.story(
        "remote_tool",
        "Remote access tool installed as a service, then Sysmon stopped",
        ("T1219", "T1543.003", "T1562.001"),
        users=(user.name,),
        source_ips=(RELAY_IP,),
        details={
            "host": host.name,
            "service": "AnyDesk Service",
            "sysmon_stopped": _iso(s, stopped),
            "sysmon_resumed": _iso(s, resumed) if resumed < s.clock.end_ms else "",
        },
    )


def _sysmon_state(s: Script, t: int, state: str) -> None:
    utc = s.clock.utc_time(t)
    s.win(
        t,
        HOST_BY_NAME["PC-HR-01"],
        "sysmon4",
        (
            f"Sysmon service state changed:\r\nUtcTime: {utc}\r\nState: {state}\r\nVersion: 15.15\r\n"
            "SchemaVersion: 4.90"
        ),
        (("UtcTime", utc), ("State", state), ("SchemaVersion", "4.90")),
        account=SYSTEM_ACCOUNT,
    )


def _iso(s: Script, t: int) -> str:
    return from_ms(t).isoformat()
