"""Windows logs besides Sysmon: Security (logons, Kerberos, tasks), System services, PowerShell."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from watchkeeper.scenarios import catalog
from watchkeeper.scenarios.clock import time_of_day
from watchkeeper.scenarios.nxlog import SECURITY, SYSTEM_ACCOUNT, Slot
from watchkeeper.scenarios.office import (
    DOMAIN,
    DOMAIN_SID,
    PC_BY_OWNER,
    PCS,
    REALM,
    SERVICE_ACCOUNT,
    USER_BY_NAME,
    USERS,
    User,
)
from watchkeeper.scenarios.sources import EPHEMERAL_PORTS, Action, Activity

if TYPE_CHECKING:
    from watchkeeper.scenarios.windows import WindowsSource

PRIVILEGES = "\r\n\t\t\t".join(
    (
        "SeSecurityPrivilege",
        "SeBackupPrivilege",
        "SeRestorePrivilege",
        "SeTakeOwnershipPrivilege",
        "SeDebugPrivilege",
        "SeSystemEnvironmentPrivilege",
        "SeLoadDriverPrivilege",
        "SeImpersonatePrivilege",
        "SeDelegateSessionUserImpersonatePrivilege",
    )
)
SUBJECT_FIELDS = (
    ("SubjectUserSid", Slot("sid")),
    ("SubjectUserName", Slot("user")),
    ("SubjectDomainName", Slot("domain")),
    ("SubjectLogonId", Slot("lid")),
)


@dataclass(frozen=True)
class Who:
    """Who logs on, from where: the values a logon event names, ready for JSON."""

    sid: str
    name: str
    domain: str
    workstation: str
    ip: str
    admin: bool

    @classmethod
    def user(cls, user: User, ip: str, workstation: str) -> Who:
        return cls(user.sid, user.name, DOMAIN, workstation, ip, user.admin)


SYSTEM_WHO = Who("S-1-5-18", "SYSTEM", "NT AUTHORITY", "-", "-", True)


def _who_of(user: User) -> Who:
    pc = PC_BY_OWNER.get(user.name)
    return Who.user(user, pc.ip if pc else "-", pc.name if pc else "-")


def _computer(name: str, rid: int, ip: str) -> Who:
    return Who(f"{DOMAIN_SID}-{rid}", f"{name}$", DOMAIN, "-", ip, False)


def session(
    src: WindowsSource,
    weight: float,
    who: Sequence[Who],
    *,
    logon_type: int,
    logon_process: str,
    package: str,
    process: tuple[str, str],
    network: bool,
    logoff: bool = True,
) -> Activity:
    """A logon (4624), its special privileges when an admin (4672) and its logoff (4634)."""
    host = src.host
    system_subject = not network
    logon = src.template(
        "4624",
        (
            f"An account was successfully logged on.\r\n\r\nLogon Information:\r\n\tLogon Type:\t\t{logon_type}"
            "\r\n\r\nNew Logon:\r\n\tSecurity ID:\t\t«sid»\r\n\tAccount Name:\t\t«user»\r\n"
            "\tAccount Domain:\t\t«domain»\r\n\tLogon ID:\t\t«lid»\r\n\r\nNetwork Information:\r\n"
            "\tWorkstation Name:\t«ws»\r\n\tSource Network Address:\t«ip»\r\n\tSource Port:\t\t«port»"
        ),
        (
            ("SubjectUserSid", "S-1-5-18" if system_subject else "S-1-0-0"),
            ("SubjectUserName", host.account if system_subject else "-"),
            ("SubjectDomainName", DOMAIN if system_subject else "-"),
            ("SubjectLogonId", "0x3e7" if system_subject else "0x0"),
            ("TargetUserSid", Slot("sid")),
            ("TargetUserName", Slot("user")),
            ("TargetDomainName", Slot("domain")),
            ("TargetLogonId", Slot("lid")),
            ("LogonType", str(logon_type)),
            ("LogonProcessName", logon_process),
            ("AuthenticationPackageName", package),
            ("WorkstationName", Slot("ws")),
            (
                "LogonGuid",
                src.guid() if package == "Kerberos" else "{00000000-0000-0000-0000-000000000000}",
            ),
            ("TransmittedServices", "-"),
            ("LmPackageName", "NTLM V2" if package == "NTLM" else "-"),
            ("KeyLength", "128" if package == "NTLM" else "0"),
            ("ProcessId", process[0]),
            ("ProcessName", process[1]),
            ("IpAddress", Slot("ip")),
            ("IpPort", Slot("port")),
            ("ImpersonationLevel", "%%1833"),
            ("RestrictedAdminMode", "-"),
            ("TargetOutboundUserName", "-"),
            ("TargetOutboundDomainName", "-"),
            ("VirtualAccount", "%%1843"),
            ("TargetLinkedLogonId", "0x0"),
            ("ElevatedToken", Slot("elev")),
        ),
    )
    a = logon.expect(
        "time",
        "rec",
        "tid",
        "sid",
        "user",
        "domain",
        "lid",
        "ws",
        "ip",
        "port",
        "sid",
        "user",
        "domain",
        "lid",
        "ws",
        "ip",
        "port",
        "elev",
        "time",
    )
    special = src.template(
        "4672",
        (
            "Special privileges assigned to new logon.\r\n\r\nSubject:\r\n\tSecurity ID:\t\t«sid»\r\n"
            "\tAccount Name:\t\t«user»\r\n\tAccount Domain:\t\t«domain»\r\n\tLogon ID:\t\t«lid»\r\n\r\n"
            f"Privileges:\t\t{PRIVILEGES}"
        ),
        (*SUBJECT_FIELDS, ("PrivilegeList", PRIVILEGES)),
    )
    b = special.expect(
        "time", "rec", "tid", "sid", "user", "domain", "lid", "sid", "user", "domain", "lid", "time"
    )
    off = src.template(
        "4634",
        (
            "An account was logged off.\r\n\r\nSubject:\r\n\tSecurity ID:\t\t«sid»\r\n"
            "\tAccount Name:\t\t«user»\r\n\tAccount Domain:\t\t«domain»\r\n\tLogon ID:\t\t«lid»\r\n\r\n"
            f"Logon Type:\t\t\t{logon_type}"
        ),
        (
            ("TargetUserSid", Slot("sid")),
            ("TargetUserName", Slot("user")),
            ("TargetDomainName", Slot("domain")),
            ("TargetLogonId", Slot("lid")),
            ("LogonType", str(logon_type)),
        ),
    )
    c = off.expect(
        "time", "rec", "tid", "sid", "user", "domain", "lid", "sid", "user", "domain", "lid", "time"
    )
    pool = tuple(
        (w.sid, w.name, w.domain, w.workstation, w.ip, "%%1842" if w.admin else "%%1843", w.admin)
        for w in who
    )
    write, rec, tids = src.write, src.records[SECURITY], src.tids("4624")
    days, seconds = src.clock.windows, time_of_day()
    bits, rand, join = src.rng.getrandbits, src.rng.random, "".join
    count = len(pool)

    def logon_session(t: int) -> int:
        s = t // 1000
        et = days[s // 86400] + seconds[s % 86400]
        sid, user, domain, ws, ip, elev, admin = pool[int(rand() * count)]
        lid = hex(bits(26) | 0x100000)
        port = EPHEMERAL_PORTS[bits(14)] if network else ("0" if ip != "-" else "-")
        tid = tids[bits(3)]
        write(
            join(
                (
                    a[0],
                    et,
                    a[1],
                    str(rec()),
                    a[2],
                    tid,
                    a[3],
                    sid,
                    a[4],
                    user,
                    a[5],
                    domain,
                    a[6],
                    lid,
                    a[7],
                    ws,
                    a[8],
                    ip,
                    a[9],
                    port,
                    a[10],
                    sid,
                    a[11],
                    user,
                    a[12],
                    domain,
                    a[13],
                    lid,
                    a[14],
                    ws,
                    a[15],
                    ip,
                    a[16],
                    port,
                    a[17],
                    elev,
                    a[18],
                    et,
                    a[19],
                )
            )
        )
        lines = 1
        if admin:
            write(
                join(
                    (
                        b[0],
                        et,
                        b[1],
                        str(rec()),
                        b[2],
                        tid,
                        b[3],
                        sid,
                        b[4],
                        user,
                        b[5],
                        domain,
                        b[6],
                        lid,
                        b[7],
                        sid,
                        b[8],
                        user,
                        b[9],
                        domain,
                        b[10],
                        lid,
                        b[11],
                        et,
                        b[12],
                    )
                )
            )
            lines += 1
        if logoff:
            write(
                join(
                    (
                        c[0],
                        et,
                        c[1],
                        str(rec()),
                        c[2],
                        tid,
                        c[3],
                        sid,
                        c[4],
                        user,
                        c[5],
                        domain,
                        c[6],
                        lid,
                        c[7],
                        sid,
                        c[8],
                        user,
                        c[9],
                        domain,
                        c[10],
                        lid,
                        c[11],
                        et,
                        c[12],
                    )
                )
            )
            lines += 1
        return lines

    admins = sum(1 for w in who if w.admin) / len(who)
    return Activity(weight, logon_session, lines=1 + admins + (1 if logoff else 0))


def kerberos(src: WindowsSource, weight: float, who: Sequence[Who], *, service: bool) -> Activity:
    """A TGT request (4768), or a service ticket (4769) for the DC or the file server."""
    if service:
        template = src.template(
            "4769",
            (
                "A Kerberos service ticket was requested.\r\n\r\nAccount Information:\r\n"
                f"\tAccount Name:\t\t«user»@{REALM}\r\n\tAccount Domain:\t\t{REALM}\r\n\r\n"
                "Service Information:\r\n\tService Name:\t\t«svc»\r\n\r\nNetwork Information:\r\n"
                "\tClient Address:\t\t::ffff:«ip»\r\n\tClient Port:\t\t«port»"
            ),
            (
                ("TargetUserName", Slot("upn")),
                ("TargetDomainName", REALM),
                ("ServiceName", Slot("svc")),
                ("ServiceSid", Slot("svcsid")),
                ("TicketOptions", "0x40810000"),
                ("TicketEncryptionType", "0x12"),
                ("IpAddress", Slot("kip")),
                ("IpPort", Slot("port")),
                ("Status", "0x0"),
                ("LogonGuid", src.guid()),
                ("TransmittedServices", "-"),
            ),
        )
        p = template.expect(
            "time",
            "rec",
            "tid",
            "user",
            "svc",
            "ip",
            "port",
            "upn",
            "svc",
            "svcsid",
            "kip",
            "port",
            "time",
        )
    else:
        template = src.template(
            "4768",
            (
                "A Kerberos authentication ticket (TGT) was requested.\r\n\r\nAccount Information:\r\n"
                f"\tAccount Name:\t\t«user»\r\n\tSupplied Realm Name:\t{DOMAIN}\r\n\tUser ID:\t\t\t«sid»\r\n\r\n"
                "Service Information:\r\n\tService Name:\t\tkrbtgt\r\n\r\nNetwork Information:\r\n"
                "\tClient Address:\t\t::ffff:«ip»\r\n\tClient Port:\t\t«port»"
            ),
            (
                ("TargetUserName", Slot("user")),
                ("TargetDomainName", DOMAIN),
                ("TargetSid", Slot("sid")),
                ("ServiceName", "krbtgt"),
                ("ServiceSid", f"{DOMAIN_SID}-502"),
                ("TicketOptions", "0x40810010"),
                ("Status", "0x0"),
                ("TicketEncryptionType", "0x12"),
                ("PreAuthType", "2"),
                ("IpAddress", Slot("kip")),
                ("IpPort", Slot("port")),
                ("CertIssuerName", ""),
                ("CertSerialNumber", ""),
                ("CertThumbprint", ""),
            ),
        )
        p = template.expect(
            "time", "rec", "tid", "user", "sid", "ip", "port", "user", "sid", "kip", "port", "time"
        )
    services = (
        ("DC01$", f"{DOMAIN_SID}-1000"),
        ("FILES01$", f"{DOMAIN_SID}-1301"),
        ("krbtgt", f"{DOMAIN_SID}-502"),
    )
    pool = tuple((w.name, w.sid, w.ip, f"{w.name}@{REALM}", f"::ffff:{w.ip}") for w in who)
    write, rec, tids = src.write, src.records[SECURITY], src.tids("4768")
    days, seconds = src.clock.windows, time_of_day()
    bits, rand, join = src.rng.getrandbits, src.rng.random, "".join
    count = len(pool)

    def ticket(t: int) -> int:
        s = t // 1000
        et = days[s // 86400] + seconds[s % 86400]
        user, sid, ip, upn, kip = pool[int(rand() * count)]
        port = EPHEMERAL_PORTS[bits(14)]
        if service:
            svc, svcsid = services[bits(2) % 3]
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
                        user,
                        p[4],
                        svc,
                        p[5],
                        ip,
                        p[6],
                        port,
                        p[7],
                        upn,
                        p[8],
                        svc,
                        p[9],
                        svcsid,
                        p[10],
                        kip,
                        p[11],
                        port,
                        p[12],
                        et,
                        p[13],
                    )
                )
            )
        else:
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
                        user,
                        p[4],
                        sid,
                        p[5],
                        ip,
                        p[6],
                        port,
                        p[7],
                        user,
                        p[8],
                        sid,
                        p[9],
                        kip,
                        p[10],
                        port,
                        p[11],
                        et,
                        p[12],
                    )
                )
            )
        return 1

    return Activity(weight, ticket)


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
    it_staff = [_who_of(user) for user in USERS if user.admin and user.name != src.owner.name]
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
    people = [_who_of(user) for user in USERS if user.name in PC_BY_OWNER]
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
    computers = [_computer(pc.name, pc.rid, pc.ip) for pc in PCS]
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
