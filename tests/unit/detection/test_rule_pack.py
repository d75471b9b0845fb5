"""The shipped rules: each loads, hits its attack but not the near misses; each demo story is caught."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest

from watchkeeper.core import paths
from watchkeeper.detection import service
from watchkeeper.detection.engine import detect
from watchkeeper.detection.rules import RuleCache, RuleSet, load_rules, rule_files
from watchkeeper.ingest.importer import import_paths
from watchkeeper.scenarios import ScenarioSummary
from watchkeeper.scenarios.demo import load_demo
from watchkeeper.scenarios.linux_audit import audit_text
from watchkeeper.storage import hits
from watchkeeper.storage.filters import compile_filter
from watchkeeper.storage.queries import search
from watchkeeper.storage.store import Store

# The pack's rules by what they catch (ids from the rule files).
SSH_GUESSING = "d8e3e6ea-453b-44c0-a425-1237329ec56f"
SSH_GUESSED_LOGIN = "7a2380de-3a95-40fb-a652-7a187cffac71"
SSH_GUESSING_STEP = "83d2c0b9-6bb4-4e5d-9c22-0d27e26d4b4c"
SUDO_ROOT = "45650375-5834-4269-bd77-989ebb19243a"
LINUX_ADMIN_GROUP = "f66ace81-c642-48f4-bb5f-5cae84bfbfba"
LINUX_LOGS_CLEARED = "b68ed1c2-f685-497e-8487-5671dd7ede7e"
AUDIT_OFF_COMMAND = "dda0d766-7939-45a5-b20a-ac03e573b442"
AUDIT_OFF_RECORD = "ed9a802e-4dd0-4fb0-ad32-166324e7d8bd"
NEW_LOCAL_ADMIN = "a074b419-dd47-4029-8225-901c3c3dc053"
NET_LOCALGROUP_ADD = "8e1dea58-b3ba-457c-8e12-050a1967a430"
RDP_PUBLIC = "9b9dfb32-a99b-4f2b-a9d3-f1f8a85d6ce6"
PASSWORD_SPRAY = "8b97297a-6e55-4fea-8bd7-30ab1dd81ddb"
OFFICE_SHELL = "66fe3d7c-e6ea-4560-a51f-dfe565525fa0"
SYSMON_STATE = "11dbf9fa-a4a8-480c-a754-ad1ab61e4522"
SYSMON_SERVICE = "168df77b-e946-4dcd-8869-87f1059532c4"
SYSMON_COMMAND = "d1034689-8c7d-474a-b5d2-28658f798b7c"
REMOTE_TOOL_SERVICE = "2b7f3b29-8d61-4fed-9612-b1d48c4d230d"
ADB_SHELL = "c443e347-a516-4c33-a123-e4bd3855532d"
UNLOCK_FAILURES = "aaa03330-0140-4325-9c82-576ead78ea01"
# Rules that only feed a correlation (Sigma's generate: false) and never hit on their own.
FEEDERS = {
    "0386360d-2eca-432d-8d97-23ec6b8b3607": SSH_GUESSING,
    "a0b7965d-54f2-48c1-9a04-070d37c33096": SSH_GUESSED_LOGIN,
    SSH_GUESSING_STEP: SSH_GUESSED_LOGIN,
    "a516a0b5-0e91-449d-80cf-530c42262dd0": PASSWORD_SPRAY,
    "3eef7d86-584c-4024-9e92-be588137c63a": UNLOCK_FAILURES,
}

AUDIT_TYPE_GAP = (
    "mapping: keys of auditd record types outside _AUDIT_RECORDS "
    "(CONFIG_CHANGE's op, audit_enabled, auid) read NULL"
)
SYSMON = "Microsoft-Windows-Sysmon/Operational"
SECURITY_AUDITING = "Microsoft-Windows-Security-Auditing"
SCM = "Service Control Manager"
PC = "PC-ACCT-01.contoso.local"
SYS32 = "C:\\Windows\\System32"
OFFICE16 = "C:\\Program Files\\Microsoft Office\\root\\Office16"
POWERSHELL = f"{SYS32}\\WindowsPowerShell\\v1.0\\powershell.exe"
PAM_SUDO = "pam_unix(sudo:session): session opened for user root(uid=0) by deploy(uid=1001)"

Line = tuple[int, str, str]  # seconds after 08:00, program[pid], message
WinEvent = tuple[int, str, str, int, dict[str, str]]  # id, channel, provider, time, data


@pytest.fixture(scope="module")
def pack() -> RuleSet:
    return load_rules([paths.rules_dir()], cache=RuleCache(None))


# -- log writers -------------------------------------------------------------------------------


def clock(second: int) -> str:
    """A time of day, `second` seconds after 08:00:00."""
    return f"{8 + second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"


def syslog(lines: Iterable[Line], host: str = "web01") -> str:
    """auth.log lines of (seconds after 08:00, program[pid], message) on 23 November."""
    return "".join(f"Nov 23 {clock(t)} {host} {tag}: {text}\n" for t, tag, text in lines)


def sshd(t: int, text: str) -> Line:
    return t, f"sshd[{4000 + t}]", text


def failed(t: int, address: str, user: str = "root", method: str = "password") -> Line:
    return sshd(t, f"Failed {method} for {user} from {address} port {40000 + t} ssh2")


def accepted(t: int, address: str, user: str = "deploy", method: str = "password") -> Line:
    return sshd(t, f"Accepted {method} for {user} from {address} port {40000 + t} ssh2")


def guessing(start: int, address: str, count: int, step: int = 20) -> list[Line]:
    """A password guess every `step` seconds, with the Invalid user line sshd writes first."""
    lines = []
    for number in range(count):
        t = start + number * step
        lines.append(sshd(t, f"Invalid user admin{number} from {address} port {40000 + t}"))
        lines.append(failed(t + 2, address, user=f"invalid user admin{number}"))
    return lines


def pam_guessing(start: int, address: str, count: int, step: int = 20) -> list[Line]:
    """Password guesses as Ubuntu logs them: pam_unix's line beside each sshd Failed line."""
    lines = []
    for number in range(count):
        t = start + number * step
        pam = (
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
            f"ruser= rhost={address}  user=root"
        )
        lines += [sshd(t, pam), failed(t + 2, address)]
    return lines


def sudo(t: int, user: str, target: str = "root", command: str = "/bin/bash") -> Line:
    where = f"TTY=pts/1 ; PWD=/home/{user} ; USER={target} ; COMMAND={command}"
    return t, "sudo", f"{user:>8} : {where}"


def audit_event(serial: int, *records: tuple[str, str]) -> str:
    stamp = f"{1795420800 + serial}.100:{serial}"
    return "".join(f"type={kind} msg=audit({stamp}): {body}\n" for kind, body in records)


def execve(serial: int, exe: str, *argv: str, auid: int = 1000) -> str:
    """The records of one audited program start: SYSCALL, EXECVE and PROCTITLE."""
    comm = exe.rsplit("/", 1)[1]
    arguments = " ".join(f"a{i}={audit_text(arg)}" for i, arg in enumerate(argv))
    return audit_event(
        serial,
        (
            "SYSCALL",
            f"arch=c000003e syscall=59 success=yes exit=0 a0=55d1c8a3f2a0 a1=55d1c8a40e10 "
            f"a2=55d1c8a3e8f0 a3=8 items=2 ppid=4410 pid={4400 + serial} auid={auid} uid=0 "
            f"gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 "
            f'comm="{comm}" exe="{exe}" subj=unconfined key="exec"',
        ),
        ("EXECVE", f"argc={len(argv)} {arguments}"),
        ("PROCTITLE", "proctitle=" + "\0".join(argv).encode().hex().upper()),
    )


def config_change(serial: int, body: str, auid: int = 1000) -> str:
    return audit_event(serial, ("CONFIG_CHANGE", f"auid={auid} ses=3 subj=unconfined {body} res=1"))


def service_stop(serial: int, unit: str) -> str:
    return audit_event(
        serial,
        (
            "SERVICE_STOP",
            (
                f"pid=1 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='unit={unit} "
                'comm="systemd" exe="/usr/lib/systemd/systemd" hostname=? addr=? terminal=? '
                "res=success'"
            ),
        ),
    )


def nxlog(
    event_id: int, channel: str, provider: str, t: int, host: str = PC, **data: object
) -> str:
    """One Windows event as NXLog's im_msvistalog writes it in JSON."""
    return (
        json.dumps(
            {
                "EventTime": f"2026-11-23 {clock(t)}",
                "Hostname": host,
                "EventType": "INFO",
                "Severity": "INFO",
                "EventID": event_id,
                "SourceName": provider,
                "Channel": channel,
                **data,
                "SourceModuleName": "in_eventlog",
                "SourceModuleType": "im_msvistalog",
            }
        )
        + "\n"
    )


def process(t: int, image: str, command: str, parent: str = "C:\\Windows\\explorer.exe") -> str:
    """Sysmon 1, a process start."""
    return nxlog(
        1,
        SYSMON,
        "Microsoft-Windows-Sysmon",
        t,
        Image=image,
        CommandLine=command,
        ParentImage=parent,
        User="CONTOSO\\dave",
    )


def event_xml(*events: WinEvent, host: str = PC) -> str:
    """Windows events as Event Viewer saves them: (event id, channel, provider, time, data)."""
    body = []
    for event_id, channel, provider, t, data in events:
        fields = "".join(f"<Data Name={quoteattr(k)}>{escape(v)}</Data>" for k, v in data.items())
        body.append(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
            f"<Provider Name={quoteattr(provider)}/><EventID>{event_id}</EventID>"
            f"<TimeCreated SystemTime='2026-11-23T{clock(t)}.000Z'/><Channel>{channel}</Channel>"
            f"<Computer>{host}</Computer></System><EventData>{fields}</EventData></Event>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<Events>'
        + "".join(body)
        + "</Events>\n"
    )


def logon(t: int, logon_type: int, address: str, user: str = "carol") -> WinEvent:
    """Security 4624 as a tuple for event_xml."""
    return (
        4624,
        "Security",
        SECURITY_AUDITING,
        t,
        {
            "TargetUserName": user,
            "TargetDomainName": "CONTOSO",
            "LogonType": str(logon_type),
            "WorkstationName": "HOME-PC",
            "IpAddress": address,
            "IpPort": "50912",
        },
    )


def logon_failure(t: int, user: str, address: str, host: str = "DC01.contoso.local") -> str:
    return nxlog(
        4625,
        "Security",
        SECURITY_AUDITING,
        t,
        host=host,
        TargetUserName=user,
        TargetDomainName="CONTOSO",
        Status="0xc000006d",
        SubStatus="0xc000006a",
        LogonType="3",
        IpAddress=address,
        IpPort="51000",
    )


def phone(t: int, tag: str, device: str = "Pixel-8-bob", **data: object) -> str:
    """One Android security log event, as the MDM export in the demo writes it."""
    return (
        json.dumps(
            {
                "time": f"2026-11-23T{clock(t)}.000Z",
                "device": device,
                "user": "bob",
                "tag": tag,
                "data": data,
            }
        )
        + "\n"
    )


def unlock(t: int, success: int, device: str = "Pixel-8-bob") -> str:
    return phone(
        t, "SEC_TAG_KEYGUARD_DISMISS_AUTH_ATTEMPT", device, success=success, method_strength=1
    )


# -- the cases ---------------------------------------------------------------------------------


@dataclass
class Case:
    """Log files for one rule and, when it should hit, how many hits and the text they hold."""

    rule: str
    name: str
    files: dict[str, str]
    hits: int = 0
    markers: tuple[str, ...] = ()
    gap: str = ""  # a known engine gap that keeps this case from passing

    @property
    def param(self) -> Any:
        marks = [pytest.mark.xfail(strict=True, reason=self.gap)] if self.gap else []
        return pytest.param(self, id=self.name, marks=marks)


HIT_CASES = [
    Case(
        SSH_GUESSING,
        "ssh-guessing",
        {
            "auth.log": syslog(
                [
                    *guessing(0, "203.0.113.45", 12),
                    failed(60, "198.51.100.9"),
                    accepted(90, "198.51.100.9", "alice"),
                    accepted(100, "10.0.0.21", "alice", "publickey"),
                    accepted(300, "203.0.113.45"),
                ]
            )
        },
        hits=12,
        markers=("Failed password for invalid user admin",),
    ),
    Case(
        SSH_GUESSING,
        "ssh-guessing-ten-with-pam-lines",
        {"auth.log": syslog(pam_guessing(0, "203.0.113.45", 10))},
        hits=10,
        markers=("Failed password for root",),
    ),
    Case(
        SSH_GUESSED_LOGIN,
        "ssh-guessed-login",
        {
            "auth.log": syslog(
                [
                    *guessing(0, "203.0.113.45", 12),
                    failed(60, "198.51.100.9"),
                    accepted(90, "198.51.100.9", "alice"),
                    accepted(300, "203.0.113.45"),
                ]
            )
        },
        hits=13,
        markers=("203.0.113.45",),
    ),
    Case(
        SUDO_ROOT,
        "sudo-root",
        {
            "auth.log": syslog(
                [
                    sudo(0, "deploy"),
                    (0, "sudo", PAM_SUDO),
                    sudo(30, "admin", command="/usr/bin/apt-get update"),
                ]
            )
        },
        hits=1,
        markers=("deploy : TTY",),
    ),
    Case(
        LINUX_ADMIN_GROUP,
        "linux-admin-group",
        {
            "auth.log": syslog(
                [
                    (
                        0,
                        "useradd[5100]",
                        "new user: name=backup2, UID=1003, GID=1003, home=/home/backup2, "
                        "shell=/bin/bash, from=/dev/pts/1",
                    ),
                    (9, "usermod[5105]", "add 'backup2' to group 'sudo'"),
                    (9, "usermod[5105]", "add 'backup2' to shadow group 'sudo'"),
                    (20, "usermod[5110]", "add 'carol' to group 'staff'"),
                ]
            )
        },
        hits=2,
        markers=("'backup2' to",),
    ),
    Case(
        LINUX_LOGS_CLEARED,
        "linux-logs-cleared",
        {
            "audit.log": execve(1, "/usr/bin/truncate", "truncate", "-s", "0", "/var/log/auth.log")
            + execve(2, "/usr/bin/journalctl", "journalctl", "--vacuum-time=1s")
            + execve(3, "/usr/bin/shred", "shred", "-u", "/var/log/wtmp")
            + execve(4, "/usr/bin/cp", "cp", "/dev/null", "/var/log/btmp")
            + execve(5, "/usr/bin/tail", "tail", "-n", "200", "/var/log/auth.log"),
            "auth.log": syslog([sudo(0, "deploy", command="/bin/sh -c : > /var/log/auth.log")]),
        },
        hits=5,
        markers=("/var/log/auth.log", "--vacuum-time", "/var/log/wtmp", "/var/log/btmp"),
    ),
    Case(
        AUDIT_OFF_COMMAND,
        "audit-off-command",
        {
            "audit.log": (
                execve(1, "/usr/sbin/auditctl", "auditctl", "-D")
                + execve(2, "/usr/sbin/auditctl", "auditctl", "-e", "0")
                + execve(3, "/usr/bin/systemctl", "systemctl", "stop", "auditd")
                + execve(4, "/usr/sbin/auditctl", "auditctl", "-l")
            )
        },
        hits=3,
        markers=("auditctl -D", "auditctl -e 0", "stop auditd"),
    ),
    Case(
        AUDIT_OFF_RECORD,
        "audit-off-record",
        {
            "audit.log": (
                config_change(1, 'op=remove_rule key="shadow_read" list=4')
                + config_change(2, "op=set audit_enabled=0 old=1")
                + service_stop(3, "auditd")
                + service_stop(4, "nginx")
            )
        },
        hits=3,
        markers=("op=remove_rule", "audit_enabled=0", "unit=auditd"),
        gap=AUDIT_TYPE_GAP,
    ),
    Case(
        NEW_LOCAL_ADMIN,
        "new-local-admin",
        {
            "security.json": (
                nxlog(
                    4732,
                    "Security",
                    SECURITY_AUDITING,
                    0,
                    MemberSid="S-1-5-21-1-2-3-1001",
                    TargetUserName="Administrators",
                    TargetDomainName="Builtin",
                    TargetSid="S-1-5-32-544",
                    SubjectUserName="bob",
                )
                + nxlog(
                    4732,
                    "Security",
                    SECURITY_AUDITING,
                    5,
                    MemberSid="S-1-5-21-1-2-3-1002",
                    TargetUserName="Administratoren",
                    TargetDomainName="VORDEFINIERT",
                    TargetSid="S-1-5-32-544",
                    SubjectUserName="bob",
                )
                + nxlog(
                    4732,
                    "Security",
                    SECURITY_AUDITING,
                    9,
                    MemberSid="S-1-5-21-1-2-3-1003",
                    TargetUserName="Remote Desktop Users",
                    TargetDomainName="Builtin",
                    TargetSid="S-1-5-32-555",
                    SubjectUserName="bob",
                )
            )
        },
        hits=2,
        markers=("S-1-5-32-544",),
    ),
    Case(
        NET_LOCALGROUP_ADD,
        "net-localgroup-add",
        {
            "sysmon.json": (
                process(
                    0,
                    f"{SYS32}\\cmd.exe",
                    "cmd.exe /Q /c net localgroup administrators svc_update /add 1> "
                    "\\\\127.0.0.1\\ADMIN$\\__1700.5 2>&1",
                    f"{SYS32}\\wbem\\WmiPrvSE.exe",
                )
                + process(5, f"{SYS32}\\net1.exe", "net1  localgroup Administratoren eve /ADD")
                + process(
                    9,
                    POWERSHELL,
                    'powershell -c Add-LocalGroupMember -Group "Administrators" -Member eve',
                )
                + process(12, f"{SYS32}\\net.exe", "net localgroup administrators")
            ),
            "security.xml": event_xml(
                (
                    4688,
                    "Security",
                    SECURITY_AUDITING,
                    20,
                    {
                        "NewProcessName": f"{SYS32}\\net.exe",
                        "CommandLine": "net localgroup administrators helpdesk /add",
                        "ParentProcessName": f"{SYS32}\\cmd.exe",
                        "SubjectUserName": "bob",
                    },
                )
            ),
        },
        hits=4,
        markers=("localgroup", "LocalGroup"),
    ),
    Case(
        RDP_PUBLIC,
        "rdp-public",
        {
            "security.xml": event_xml(
                logon(0, 10, "203.0.113.80"),
                logon(10, 12, "2001:db8::80"),
                logon(20, 10, "192.168.1.20"),
                logon(30, 3, "198.51.100.80"),
            )
        },
        hits=2,
        markers=("203.0.113.80", "2001:db8::80"),
    ),
    Case(
        PASSWORD_SPRAY,
        "password-spray",
        {
            "dc01.json": "".join(
                [logon_failure(i * 9, f"user{i:02d}", "10.0.0.66") for i in range(12)]
                + [logon_failure(30 + i, "carol", "10.0.0.20") for i in range(3)]
            )
        },
        hits=12,
        markers=("10.0.0.66",),
    ),
    Case(
        OFFICE_SHELL,
        "office-shell",
        {
            "sysmon.json": (
                process(
                    0,
                    POWERSHELL,
                    "powershell.exe -NoP -NonI -W Hidden -enc SQBFAFgA",
                    f"{OFFICE16}\\WINWORD.EXE",
                )
                + process(
                    5, f"{SYS32}\\cmd.exe", "cmd.exe /c start update.exe", f"{OFFICE16}\\EXCEL.EXE"
                )
                + process(
                    9, "C:\\Windows\\splwow64.exe", "splwow64.exe 12288", f"{OFFICE16}\\WINWORD.EXE"
                )
            )
        },
        hits=2,
        markers=("Office16",),
    ),
    Case(
        SYSMON_STATE,
        "sysmon-state",
        {
            "sysmon.json": (
                nxlog(4, SYSMON, "Microsoft-Windows-Sysmon", 0, State="Stopped", Version="15.15")
                + nxlog(4, SYSMON, "Microsoft-Windows-Sysmon", 60, State="Started", Version="15.15")
            )
        },
        hits=1,
        markers=("Stopped",),
    ),
    Case(
        SYSMON_SERVICE,
        "sysmon-service",
        {
            "system.json": (
                nxlog(7036, "System", SCM, 0, param1="Sysmon64", param2="stopped")
                + nxlog(7034, "System", SCM, 5, param1="Sysmon64", param2="1")
                + nxlog(
                    7040,
                    "System",
                    SCM,
                    9,
                    param1="Sysmon64",
                    param2="auto start",
                    param3="disabled",
                    param4="Sysmon64",
                )
                + nxlog(7036, "System", SCM, 20, param1="Sysmon64", param2="running")
            )
        },
        hits=3,
        markers=("Sysmon64",),
    ),
    Case(
        SYSMON_COMMAND,
        "sysmon-command",
        {
            "sysmon.json": (
                process(0, f"{SYS32}\\sc.exe", "sc  stop Sysmon64", f"{SYS32}\\cmd.exe")
                + process(5, "C:\\Windows\\Sysmon64.exe", "Sysmon64.exe -u force")
                + process(9, f"{SYS32}\\fltMC.exe", "fltMC.exe unload SysmonDrv")
                + process(
                    12,
                    "C:\\Program Files\\PowerShell\\7\\pwsh.exe",
                    "pwsh -c Stop-Service -Name Sysmon64 -Force",
                )
                + process(20, f"{SYS32}\\sc.exe", "sc query Sysmon64")
            )
        },
        hits=4,
        markers=("ysmon",),
    ),
    Case(
        REMOTE_TOOL_SERVICE,
        "remote-tool-service",
        {
            "system.json": (
                nxlog(
                    7045,
                    "System",
                    SCM,
                    0,
                    ServiceName="AnyDesk Service",
                    ImagePath='"C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe" --service',
                    StartType="auto start",
                    AccountName="LocalSystem",
                )
                + nxlog(
                    7045,
                    "System",
                    SCM,
                    5,
                    ServiceName="ScreenConnect Client (6f2a01bd)",
                    ImagePath='"C:\\Program Files (x86)\\ScreenConnect Client (6f2a01bd)\\'
                    'ScreenConnect.ClientService.exe" "?e=Access&y=Guest"',
                    StartType="auto start",
                    AccountName="LocalSystem",
                )
                + nxlog(7036, "System", SCM, 9, param1="AnyDesk Service", param2="running")
            )
        },
        hits=2,
        markers=("7045",),
    ),
    Case(
        ADB_SHELL,
        "adb-shell",
        {
            "phones.jsonl": (
                phone(0, "SEC_TAG_ADB_SHELL_INTERACTIVE")
                + phone(5, "SEC_TAG_ADB_SHELL_CMD", command="pm list packages -3")
                + phone(9, "SEC_TAG_APP_PROCESS_START", process="com.android.shell", uid=2000)
            )
        },
        hits=2,
        markers=("SEC_TAG_ADB_SHELL",),
    ),
    Case(
        UNLOCK_FAILURES,
        "unlock-failures",
        {
            "phones.jsonl": (
                "".join(unlock(i * 20, 0) for i in range(6))
                + unlock(130, 1)
                + unlock(10, 0, "Pixel-7-alice")
                + unlock(40, 0, "Pixel-7-alice")
            )
        },
        hits=6,
        markers=("Pixel-8-bob",),
    ),
]

QUIET_CASES = [
    Case(
        SSH_GUESSING,
        "ssh-guessing-nine-with-pam-lines",
        {"auth.log": syslog(pam_guessing(0, "203.0.113.45", 9))},
    ),
    Case(
        SSH_GUESSING,
        "ssh-guessing-three-failures",
        {
            "auth.log": syslog(
                [
                    failed(0, "203.0.113.45"),
                    failed(20, "203.0.113.45"),
                    failed(40, "203.0.113.45"),
                    accepted(60, "203.0.113.45", "alice"),
                ]
            )
        },
    ),
    Case(
        SSH_GUESSED_LOGIN,
        "ssh-login-after-three-failures",
        {
            "auth.log": syslog(
                [
                    failed(0, "203.0.113.45"),
                    failed(20, "203.0.113.45"),
                    failed(40, "203.0.113.45"),
                    accepted(60, "203.0.113.45", "alice"),
                ]
            )
        },
    ),
    Case(
        SSH_GUESSING,
        "ssh-guessing-from-many-addresses",
        {
            "auth.log": syslog(
                [failed(i * 10, f"198.51.100.{i + 1}") for i in range(12)]
                + [accepted(150, "198.51.100.1")]
            )
        },
    ),
    Case(
        SSH_GUESSED_LOGIN,
        "ssh-login-after-many-addresses",
        {
            "auth.log": syslog(
                [failed(i * 10, f"198.51.100.{i + 1}") for i in range(12)]
                + [accepted(150, "198.51.100.1")]
            )
        },
    ),
    Case(
        SSH_GUESSING,
        "ssh-failed-keys",
        {
            "auth.log": syslog(
                [failed(i * 10, "10.0.0.21", "alice", "publickey") for i in range(12)]
            )
        },
    ),
    Case(
        SSH_GUESSED_LOGIN,
        "ssh-success-hours-after-guessing",
        {
            "auth.log": syslog(
                [*guessing(0, "203.0.113.45", 12), accepted(2 * 3600, "203.0.113.45")]
            )
        },
    ),
    Case(
        SSH_GUESSED_LOGIN,
        "ssh-success-before-guessing",
        {"auth.log": syslog([accepted(0, "203.0.113.45"), *guessing(60, "203.0.113.45", 12)])},
    ),
    Case(
        SUDO_ROOT,
        "sudo-by-admin-or-not-to-root",
        {
            "auth.log": syslog(
                [
                    sudo(0, "admin"),
                    sudo(10, "root", command="/usr/bin/id"),
                    sudo(20, "deploy", target="www-data", command="/usr/bin/php artisan migrate"),
                    (30, "sudo", PAM_SUDO),
                ]
            )
        },
    ),
    Case(
        LINUX_ADMIN_GROUP,
        "linux-other-groups",
        {
            "auth.log": syslog(
                [
                    (0, "usermod[5110]", "add 'carol' to group 'staff'"),
                    (5, "usermod[5111]", "add 'carol' to group 'sudoers-audit'"),
                    (9, "groupadd[5112]", "group added to /etc/group: name=sudo2, GID=1010"),
                ]
            )
        },
    ),
    Case(
        LINUX_LOGS_CLEARED,
        "linux-log-reading-and-app-logs",
        {
            "audit.log": execve(1, "/usr/bin/tail", "tail", "-n", "200", "/var/log/nginx/error.log")
            + execve(2, "/usr/bin/journalctl", "journalctl", "-u", "nginx", "--since", "today")
            + execve(3, "/usr/bin/rm", "rm", "-f", "/var/log/nginx/access.log.2.gz")
            + execve(4, "/usr/bin/truncate", "truncate", "-s", "0", "/tmp/build.log"),
            "syslog.log": syslog(
                [
                    (
                        0,
                        "CRON[7001]",
                        "(root) CMD (/usr/local/sbin/snapshot-shares >> "
                        "/var/log/snapshot.log 2>&1)",
                    )
                ],
                "files01",
            ),
        },
    ),
    Case(
        AUDIT_OFF_COMMAND,
        "audit-listing-and-reload",
        {
            "audit.log": (
                execve(1, "/usr/sbin/auditctl", "auditctl", "-l")
                + execve(2, "/usr/sbin/auditctl", "auditctl", "-R", "/etc/audit/audit.rules")
                + execve(3, "/usr/bin/systemctl", "systemctl", "status", "auditd")
                + execve(4, "/usr/bin/systemctl", "systemctl", "stop", "nginx")
            )
        },
    ),
    Case(
        AUDIT_OFF_RECORD,
        "audit-reload-at-boot",
        {
            "audit.log": (
                config_change(1, 'op=remove_rule key="shadow_read" list=4', auid=4294967295)
                + config_change(2, 'op=add_rule key="shadow_read" list=4')
                + service_stop(3, "nginx")
            )
        },
    ),
    Case(
        NEW_LOCAL_ADMIN,
        "other-groups",
        {
            "security.json": (
                nxlog(
                    4732,
                    "Security",
                    SECURITY_AUDITING,
                    0,
                    TargetUserName="Remote Desktop Users",
                    TargetSid="S-1-5-32-555",
                    MemberSid="S-1-5-21-1-2-3-1001",
                )
                + nxlog(
                    4733,
                    "Security",
                    SECURITY_AUDITING,
                    5,
                    TargetUserName="Administrators",
                    TargetSid="S-1-5-32-544",
                    MemberSid="S-1-5-21-1-2-3-1001",
                )
                + nxlog(
                    4728,
                    "Security",
                    SECURITY_AUDITING,
                    9,
                    TargetUserName="Domain Admins",
                    TargetSid="S-1-5-21-1-2-3-512",
                    MemberSid="S-1-5-21-1-2-3-1001",
                )
            )
        },
    ),
    Case(
        NET_LOCALGROUP_ADD,
        "group-listing-and-other-groups",
        {
            "sysmon.json": (
                process(0, f"{SYS32}\\net.exe", "net localgroup administrators")
                + process(5, f"{SYS32}\\net.exe", 'net localgroup "Remote Desktop Users" eve /add')
                + process(9, f"{SYS32}\\net.exe", "net user eve Winter2026! /add")
                + process(
                    12, POWERSHELL, "powershell -c Get-LocalGroupMember -Group Administrators"
                )
            )
        },
    ),
    Case(
        RDP_PUBLIC,
        "rdp-private-and-network-logons",
        {
            "security.xml": event_xml(
                logon(0, 10, "192.168.1.20"),
                logon(5, 10, "10.1.2.3"),
                logon(9, 10, "172.20.0.5"),
                logon(12, 10, "127.0.0.1"),
                logon(15, 10, "::1"),
                logon(18, 10, "fe80::1c2d:3e4f"),
                logon(21, 10, "-"),
                logon(24, 3, "203.0.113.80"),
                logon(27, 2, "203.0.113.80"),
            )
        },
    ),
    Case(
        PASSWORD_SPRAY,
        "one-account-or-slow-or-spread",
        {
            "dc01.json": "".join(
                [logon_failure(i * 5, "carol", "10.0.0.66") for i in range(15)]
                + [logon_failure(100 + i * 5, f"user{i:02d}", "10.0.0.67") for i in range(9)]
                + [
                    logon_failure(200 + i * 5, f"user{i:02d}", f"10.0.0.{100 + i}")
                    for i in range(12)
                ]
                + [logon_failure(1000 + i * 900, f"user{i:02d}", "10.0.0.68") for i in range(12)]
                + [logon_failure(300 + i * 5, f"user{i:02d}", "-") for i in range(12)]
            )
        },
    ),
    Case(
        OFFICE_SHELL,
        "office-printing-and-browsing",
        {
            "sysmon.json": (
                process(
                    0, "C:\\Windows\\splwow64.exe", "splwow64.exe 12288", f"{OFFICE16}\\WINWORD.EXE"
                )
                + process(
                    5,
                    "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
                    "msedge.exe https://example.org/",
                    f"{OFFICE16}\\OUTLOOK.EXE",
                )
                + process(9, POWERSHELL, "powershell.exe")
            )
        },
    ),
    Case(
        SYSMON_STATE,
        "sysmon-started",
        {
            "sysmon.json": nxlog(
                4, SYSMON, "Microsoft-Windows-Sysmon", 0, State="Started", Version="15.15"
            )
        },
    ),
    Case(
        SYSMON_SERVICE,
        "other-services-and-sysmon-running",
        {
            "system.json": (
                nxlog(7036, "System", SCM, 0, param1="Sysmon64", param2="running")
                + nxlog(7036, "System", SCM, 5, param1="Windows Update", param2="stopped")
                + nxlog(
                    7040,
                    "System",
                    SCM,
                    9,
                    param1="Sysmon64",
                    param2="demand start",
                    param3="auto start",
                    param4="Sysmon64",
                )
            )
        },
    ),
    Case(
        SYSMON_COMMAND,
        "sysmon-query-install-and-other-services",
        {
            "sysmon.json": (
                process(0, f"{SYS32}\\sc.exe", "sc query Sysmon64")
                + process(
                    5, "C:\\Windows\\Sysmon64.exe", "Sysmon64.exe -accepteula -i sysmonconfig.xml"
                )
                + process(
                    9, "C:\\Windows\\Sysmon64.exe", "Sysmon64.exe -c C:\\Users\\Public\\config.xml"
                )
                + process(12, f"{SYS32}\\sc.exe", "sc stop Spooler")
            )
        },
    ),
    Case(
        REMOTE_TOOL_SERVICE,
        "ordinary-services",
        {
            "system.json": (
                nxlog(
                    7045,
                    "System",
                    SCM,
                    0,
                    ServiceName="Google Update Service (gupdate)",
                    ImagePath='"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe" /svc',
                )
                + nxlog(7036, "System", SCM, 5, param1="AnyDesk Service", param2="running")
            )
        },
    ),
    Case(
        ADB_SHELL,
        "no-adb",
        {
            "phones.jsonl": (
                phone(0, "SEC_TAG_APP_PROCESS_START", process="com.android.shell", uid=2000)
                + phone(5, "SEC_TAG_KEYGUARD_SECURED")
            )
        },
    ),
    Case(
        UNLOCK_FAILURES,
        "few-slow-spread-or-successful",
        {
            "phones.jsonl": (
                "".join(unlock(i * 20, 0) for i in range(4))
                + "".join(unlock(600 + i * 900, 0, "Pixel-6-carol") for i in range(6))
                + "".join(
                    unlock(i * 10, 0, device)
                    for i in range(2)
                    for device in ("Pixel-7-alice", "Pixel-7-dave", "Pixel-7-emma")
                )
                + "".join(unlock(i * 10, 1, "Pixel-7-frank") for i in range(6))
            )
        },
    ),
]


def run(store: Store, ruleset: RuleSet, folder: Path, files: dict[str, str]) -> None:
    """Import the files into the store and run the pack over them; every rule must run."""
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    imported = import_paths(store, [folder])
    assert imported.count("imported") == len(files), [(f.name, f.message) for f in imported.files]
    report = detect(store, ruleset)
    assert [f"{f.title}: {f.reason}" for f in report.failures] == []


def hit_events(store: Store, rule_id: str) -> list[dict[str, Any]]:
    """The events a rule hit, as the explorer's `rule:<id>` filter finds them."""
    compiled = compile_filter(f"rule:{rule_id}", store)
    result = search(store, compiled.where, compiled.params, limit=100_000)
    assert len(result.rows) == result.total == len(hits.hit_event_ids(store, rule_id))
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


# -- the tests ---------------------------------------------------------------------------------


def test_every_shipped_rule_file_loads_without_problems() -> None:
    ruleset = service.load()
    shipped = rule_files([paths.rules_dir()])
    assert ruleset.problems == []
    assert len(shipped) >= 15
    assert {Path(rule.path).resolve() for rule in ruleset.rules} >= {p.resolve() for p in shipped}


def test_every_rule_has_a_hit_case_and_a_quiet_case(pack: RuleSet) -> None:
    ids = {rule.rule_id for rule in pack.rules}
    assert ids == {case.rule for case in HIT_CASES} | set(FEEDERS)
    assert {case.rule for case in QUIET_CASES} == {case.rule for case in HIT_CASES}
    for feeder, correlation in FEEDERS.items():
        fed, rule = pack.find(feeder), pack.find(correlation)
        assert fed is not None and rule is not None and rule.kind == "correlation"
        assert fed.name in rule.correlation["rules"]


def test_rules_say_what_they_catch_and_why(pack: RuleSet) -> None:
    for rule in pack.rules:
        assert rule.author == "Watchkeeper" and rule.date.startswith("2026-11-23"), rule.title
        assert rule.status in ("stable", "test"), rule.title
        assert rule.level in ("informational", "low", "medium", "high", "critical"), rule.title
        assert rule.tactics and rule.techniques, rule.title
        assert len(rule.description) > 60 and rule.falsepositives and rule.references, rule.title
        assert all(r.startswith("https://") for r in rule.references), rule.title


def test_readme_lists_every_rule(pack: RuleSet) -> None:
    readme = (paths.rules_dir() / "README.md").read_text(encoding="utf-8")
    for rule in pack.rules:
        if rule.rule_id not in FEEDERS:
            assert rule.title in readme, rule.title


@pytest.mark.parametrize("case", [c.param for c in HIT_CASES])
def test_rule_hits_the_attack(case: Case, store: Store, pack: RuleSet, tmp_path: Path) -> None:
    run(store, pack, tmp_path / "logs", case.files)
    found = hit_events(store, case.rule)
    texts = [f"{event['command_line']} {event['raw']}" for event in found]
    assert len(found) == case.hits, texts
    assert all(any(marker in text for marker in case.markers) for text in texts), texts
    assert all(any(marker in text for text in texts) for marker in case.markers), texts


@pytest.mark.parametrize("case", [c.param for c in QUIET_CASES])
def test_rule_stays_quiet_on_near_misses(
    case: Case, store: Store, pack: RuleSet, tmp_path: Path
) -> None:
    run(store, pack, tmp_path / "logs", case.files)
    assert hit_events(store, case.rule) == []


def test_feeder_rules_only_hit_through_their_correlation(
    store: Store, pack: RuleSet, tmp_path: Path
) -> None:
    run(
        store,
        pack,
        tmp_path / "logs",
        {
            "auth.log": syslog([failed(0, "203.0.113.45")]),
            "phones.jsonl": unlock(0, 0),
            "dc01.json": logon_failure(0, "carol", "10.0.0.20"),
        },
    )
    assert all(hit_events(store, feeder) == [] for feeder in FEEDERS)


def test_the_step_of_the_ssh_login_rule_is_not_shown_on_its_own(
    store: Store, pack: RuleSet, tmp_path: Path
) -> None:
    run(store, pack, tmp_path / "logs", {"auth.log": syslog(guessing(0, "203.0.113.45", 12))})
    assert len(hit_events(store, SSH_GUESSING)) == 12
    assert hit_events(store, SSH_GUESSING_STEP) == []


# -- the demo office's attack stories ------------------------------------------------------------

STORY_RULES = {
    "password_spray": (PASSWORD_SPRAY, NEW_LOCAL_ADMIN, NET_LOCALGROUP_ADD),
    "office_macro": (OFFICE_SHELL,),
    "ssh_brute_force": (SSH_GUESSING, SSH_GUESSED_LOGIN, SUDO_ROOT, LINUX_ADMIN_GROUP),
    "remote_tool": (REMOTE_TOOL_SERVICE, SYSMON_COMMAND, SYSMON_STATE, SYSMON_SERVICE),
}


@pytest.fixture(scope="module")
def office(
    tmp_path_factory: pytest.TempPathFactory, pack: RuleSet
) -> Iterator[tuple[Store, ScenarioSummary]]:
    work = tmp_path_factory.mktemp("office")
    with Store(work / "office.duckdb") as opened:
        scenario, _ = load_demo(opened, events=20_000, seed=3)
        report = detect(opened, pack)
        assert report.failures == []
        yield opened, scenario


@pytest.mark.parametrize(
    ("story", "rule"), [(story, rule) for story, rules in STORY_RULES.items() for rule in rules]
)
def test_story_is_caught_on_its_host_at_its_time(
    story: str, rule: str, office: tuple[Store, ScenarioSummary]
) -> None:
    store, scenario = office
    told = scenario.story(story)
    start, end = told.start.replace(tzinfo=None), told.end.replace(tzinfo=None)
    inside = [
        event
        for event in hit_events(store, rule)
        if str(event["host"]).split(".")[0] in told.hosts and start <= event["time"] <= end
    ]
    assert inside, f"{story}: no hit of {rule} on {told.hosts} between {start} and {end}"


def test_brute_force_hit_includes_the_login_that_worked(
    office: tuple[Store, ScenarioSummary],
) -> None:
    store, scenario = office
    attacker = scenario.story("ssh_brute_force").source_ips[0]
    found = hit_events(store, SSH_GUESSED_LOGIN)
    logins = [e for e in found if e["message"].startswith("Accepted password for deploy")]
    assert [e["src_ip"] for e in logins] == [attacker]
    assert {e["src_ip"] for e in found} == {attacker}


def test_each_story_is_caught_by_a_high_or_critical_rule(
    office: tuple[Store, ScenarioSummary], pack: RuleSet
) -> None:
    store, scenario = office
    shown = {item.rule_id for item in hits.rule_hits(store, hits.WHAT_MATTERS)}
    for story in scenario.stories:
        assert shown & set(STORY_RULES[story.key]), story.key
