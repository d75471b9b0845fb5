"""Windows logs besides Sysmon, by host: the day's logons and tickets, services, tasks, PowerShell."""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchkeeper.scenarios import catalog
from watchkeeper.scenarios.clock import time_of_day
from watchkeeper.scenarios.kerberos import kerberos
from watchkeeper.scenarios.logon_sessions import SYSTEM_WHO, Who, computer, session, who_of
from watchkeeper.scenarios.nxlog import SYSTEM_ACCOUNT, Slot
from watchkeeper.scenarios.office import (
    DOMAIN,
    DOMAIN_SID,
    PC_BY_OWNER,
    PCS,
    SERVICE_ACCOUNT,
    USER_BY_NAME,
    USERS,
)
from watchkeeper.scenarios.sources import Action, Activity

if TYPE_CHECKING:
    from watchkeeper.scenarios.windows import WindowsSource


def service_state(src: WindowsSource) -> Action:
    """System 7036: a service entered the running or stopped state."""
    template = src.template(
        "7036",
        "The «svc» service entered the «state» state.",
        (("param1", Slot("svc")), ("param2", Slot("state"))),
        account=SYSTEM_ACCOUNT,
    )
    p = template.expect("time", "rec", "tid", "svc", "state", "svc", "state", "time")
    write, rec, tids = src.write, src.record_counter("7036"), src.tids("7036")
    days, seconds = src.clock.windows, time_of_day()
    bits, rand, join = src.rng.getrandbits, src.rng.random, "".join
    names = catalog.SERVICES
    count = len(names)
    states = ("running", "stopped")

    def state_change(t: int) -> int:
        s = t // 1000
        et = days[s // 86400] + seconds[s % 86400]
        svc, state = names[int(rand() * count)], states[bits(1)]
        write(
            join(
                (
                    p[0],
                    et,
                    p[1],
                    str(rec()),
                    p[2],
                    tids[bits(3)],
                    p[3],
                    svc,
                    p[4],
                    state,
                    p[5],
                    svc,
                    p[6],
                    state,
                    p[7],
                    et,
                    p[8],
                )
            )
        )
        return 1

    return state_change


def _task(src: WindowsSource, kind: str, name: str) -> Action:
    verb = "created" if kind == "4698" else "updated"
    content = (
        '<?xml version="1.0" encoding="UTF-16"?>\r\n<Task version="1.4" '
        'xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">\r\n  <Triggers>\r\n'
        "    <TimeTrigger>\r\n      <StartBoundary>2026-01-01T03:00:00</StartBoundary>\r\n"
        "      <Enabled>true</Enabled>\r\n    </TimeTrigger>\r\n  </Triggers>\r\n"
        '  <Principals>\r\n    <Principal id="Author">\r\n      <UserId>S-1-5-18</UserId>\r\n'
        "    </Principal>\r\n  </Principals>\r\n</Task>"
    )
    template = src.template(
        kind,
        (
            f"A scheduled task was {verb}.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-5-18\r\n"
            f"\tAccount Name:\t\t{src.host.account}\r\n\tAccount Domain:\t\t{DOMAIN}\r\n"
            f"\tLogon ID:\t\t0x3E7\r\n\r\nTask Information:\r\n\tTask Name: \t\t{name}"
        ),
        (
            ("SubjectUserSid", "S-1-5-18"),
            ("SubjectUserName", src.host.account),
            ("SubjectDomainName", DOMAIN),
            ("SubjectLogonId", "0x3e7"),
            ("TaskName", name),
            ("TaskContentNew" if kind == "4702" else "TaskContent", content),
            ("ClientProcessStartKey", "844424930131969"),
            ("ClientProcessId", "1337"),
            ("ParentProcessId", "1084"),
            ("RpcCallClientLocality", "0"),
            ("FQDN", src.host.fqdn),
        ),
    )
    return src.stamped(template, kind)


def pc_people(src: WindowsSource) -> list[Activity]:
    assert src.owner is not None
    me = Who.user(src.owner, "127.0.0.1", src.host.name)
    it_staff = [who_of(user) for user in USERS if user.admin and user.name != src.owner.name]
    failed = src.template(
        "4625",
        (
            "An account failed to log on.\r\n\r\nAccount For Which Logon Failed:\r\n"
            f"\tSecurity ID:\t\tS-1-0-0\r\n\tAccount Name:\t\t{me.name}\r\n\tAccount Domain:\t\t{DOMAIN}\r\n\r\n"
            "Failure Information:\r\n\tFailure Reason:\t\tUnknown user name or bad password.\r\n"
            "\tStatus:\t\t\t0xC000006D\r\n\tSub Status:\t\t0xC000006A"
        ),
        (
            ("SubjectUserSid", "S-1-5-18"),
            ("SubjectUserName", src.host.account),
            ("SubjectDomainName", DOMAIN),
            ("SubjectLogonId", "0x3e7"),
            ("TargetUserSid", "S-1-0-0"),
            ("TargetUserName", me.name),
            ("TargetDomainName", DOMAIN),
            ("Status", "0xc000006d"),
            ("FailureReason", "%%2313"),
            ("SubStatus", "0xc000006a"),
            ("LogonType", "7"),
            ("LogonProcessName", "User32 "),
            ("AuthenticationPackageName", "Negotiate"),
            ("WorkstationName", src.host.name),
            ("TransmittedServices", "-"),
            ("LmPackageName", "-"),
            ("KeyLength", "0"),
            ("ProcessId", "0x3f0"),
            ("ProcessName", "C:\\Windows\\System32\\lsass.exe"),
            ("IpAddress", "127.0.0.1"),
            ("IpPort", "0"),
        ),
    )
    return [
        session(
            src,
            4.0,
            [me],
            logon_type=7,
            logon_process="User32 ",
            package="Negotiate",
            process=("0x3f0", "C:\\Windows\\System32\\lsass.exe"),
            network=False,
        ),
        session(
            src,
            0.6,
            [me],
            logon_type=2,
            logon_process="User32 ",
            package="Negotiate",
            process=("0x2a8", "C:\\Windows\\System32\\svchost.exe"),
            network=False,
        ),
        session(
            src,
            0.4,
            it_staff,
            logon_type=3,
            logon_process="Kerberos",
            package="Kerberos",
            process=("0x0", "-"),
            network=True,
        ),
        session(
            src,
            0.05,
            it_staff,
            logon_type=10,
            logon_process="User32 ",
            package="Negotiate",
            process=("0x2a8", "C:\\Windows\\System32\\svchost.exe"),
            network=True,
        ),
        Activity(0.12, src.stamped(failed, "4625")),
    ]


def pc_background(src: WindowsSource) -> list[Activity]:
    activities = [
        session(
            src,
            3.0,
            [SYSTEM_WHO],
            logon_type=5,
            logon_process="Advapi  ",
            package="Negotiate",
            process=("0x2c4", "C:\\Windows\\System32\\services.exe"),
            network=False,
            logoff=False,
        )
    ]
    for index, name in enumerate(catalog.SCHEDULED_TASKS):
        activities.append(Activity(0.25, _task(src, "4702", name)))
        if index >= 2:  # the updaters re-register their tasks now and then
            activities.append(Activity(0.01, _task(src, "4698", name)))
    return activities


def dc_people(src: WindowsSource) -> list[Activity]:
    people = [who_of(user) for user in USERS if user.name in PC_BY_OWNER]
    validate = src.template(
        "4776",
        (
            "The computer attempted to validate the credentials for an account.\r\n\r\n"
            "Authentication Package:\tMICROSOFT_AUTHENTICATION_PACKAGE_V1_0\r\n"
            f"Logon Account:\t{USER_BY_NAME['alice'].name}\r\nSource Workstation:\tPC-IT-01\r\nError Code:\t0x0"
        ),
        (
            ("PackageName", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0"),
            ("TargetUserName", "alice"),
            ("Workstation", "PC-IT-01"),
            ("Status", "0x0"),
        ),
    )
    return [
        session(
            src,
            6.0,
            people,
            logon_type=3,
            logon_process="Kerberos",
            package="Kerberos",
            process=("0x0", "-"),
            network=True,
        ),
        kerberos(src, 2.0, people, service=False),
        kerberos(src, 8.0, people, service=True),
        Activity(0.3, src.stamped(validate, "4776")),
    ]


def dc_background(src: WindowsSource) -> list[Activity]:
    computers = [computer(pc.name, pc.rid, pc.ip) for pc in PCS]
    dc = Who(f"{DOMAIN_SID}-1000", "DC01$", DOMAIN, "-", "::1", True)
    backup = Who(SERVICE_ACCOUNT.sid, SERVICE_ACCOUNT.name, DOMAIN, "-", "10.10.1.20", True)
    return [
        session(
            src,
            6.0,
            computers,
            logon_type=3,
            logon_process="Kerberos",
            package="Kerberos",
            process=("0x0", "-"),
            network=True,
        ),
        session(
            src,
            1.0,
            [dc],
            logon_type=3,
            logon_process="Kerberos",
            package="Kerberos",
            process=("0x0", "-"),
            network=True,
        ),
        session(
            src,
            0.3,
            [backup],
            logon_type=3,
            logon_process="Kerberos",
            package="Kerberos",
            process=("0x0", "-"),
            network=True,
        ),
        kerberos(src, 1.5, computers, service=False),
        kerberos(src, 5.0, computers, service=True),
    ]


def system_activity(src: WindowsSource) -> list[Activity]:
    """Services starting and stopping, and now and then one installed or changed."""
    activities = [Activity(4.0, service_state(src))]
    for name, path, kind, start, account in catalog.INSTALLED_SERVICES:
        template = src.template(
            "7045",
            (
                f"A service was installed in the system.\r\n\r\nService Name:  {name}\r\n"
                f"Service File Name:  {path}\r\nService Type:  {kind}\r\nService Start Type:  {start}\r\n"
                f"Service Account:  {account}"
            ),
            (
                ("ServiceName", name),
                ("ImagePath", path),
                ("ServiceType", kind),
                ("StartType", start),
                ("AccountName", account),
            ),
            account=SYSTEM_ACCOUNT,
        )
        activities.append(Activity(0.01, src.stamped(template, "7045")))
    template = src.template(
        "7040",
        (
            "The start type of the Background Intelligent Transfer Service service was changed from "
            "auto start to demand start."
        ),
        (
            ("param1", "Background Intelligent Transfer Service"),
            ("param2", "auto start"),
            ("param3", "demand start"),
            ("param4", "BITS"),
        ),
        account=SYSTEM_ACCOUNT,
    )
    activities.append(Activity(0.15, src.stamped(template, "7040")))
    return activities


def admin_scripts(src: WindowsSource) -> list[Activity]:
    """An IT person's PowerShell: script blocks logged at verbose level."""
    assert src.owner is not None
    _, pid = src.instance("powershell_user")
    activities = []
    for script in catalog.ADMIN_SCRIPTS:
        block_id = src.guid().replace(src.guid_prefix, f"{src.rng.getrandbits(32):08x}")
        template = src.template(
            "4104",
            (
                f"Creating Scriptblock text (1 of 1):\r\n{script}\r\n\r\nScriptBlock ID: {block_id}\r\n"
                "Path: "
            ),
            (
                ("MessageNumber", "1"),
                ("MessageTotal", "1"),
                ("ScriptBlockText", script),
                ("ScriptBlockId", block_id),
                ("Path", ""),
            ),
            process_id=int(pid),
            account=src.account(src.owner),
        )
        activities.append(Activity(0.3, src.stamped(template, "4104")))
    return activities
