"""Logon sessions on Windows: who logs on from where, and a session's 4624, 4672 and 4634."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from watchkeeper.scenarios.clock import time_of_day
from watchkeeper.scenarios.nxlog import SECURITY, Slot
from watchkeeper.scenarios.office import DOMAIN, DOMAIN_SID, PC_BY_OWNER, User
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


def who_of(user: User) -> Who:
    pc = PC_BY_OWNER.get(user.name)
    return Who.user(user, pc.ip if pc else "-", pc.name if pc else "-")


def computer(name: str, rid: int, ip: str) -> Who:
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
    logon = _logon_pieces(
        src,
        logon_type=logon_type,
        logon_process=logon_process,
        package=package,
        process=process,
        network=network,
    )
    special = _special_pieces(src)
    off = _logoff_pieces(src, logon_type)
    pool = tuple(
        (w.sid, w.name, w.domain, w.workstation, w.ip, "%%1842" if w.admin else "%%1843", w.admin)
        for w in who
    )
    action = _session_action(src, (logon, special, off), pool, network=network, logoff=logoff)
    admins = sum(1 for w in who if w.admin) / len(who)
    return Activity(weight, action, lines=1 + admins + (1 if logoff else 0))


def _session_action(
    src: WindowsSource,
    pieces: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    pool: Sequence[tuple[str, str, str, str, str, str, bool]],
    *,
    network: bool,
    logoff: bool,
) -> Action:
    """Writes one session: a pooled account's 4624, then its 4672 and 4634 when they apply."""
    logon, special, off = pieces
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
                    logon[0],
                    et,
                    logon[1],
                    str(rec()),
                    logon[2],
                    tid,
                    logon[3],
                    sid,
                    logon[4],
                    user,
                    logon[5],
                    domain,
                    logon[6],
                    lid,
                    logon[7],
                    ws,
                    logon[8],
                    ip,
                    logon[9],
                    port,
                    logon[10],
                    sid,
                    logon[11],
                    user,
                    logon[12],
                    domain,
                    logon[13],
                    lid,
                    logon[14],
                    ws,
                    logon[15],
                    ip,
                    logon[16],
                    port,
                    logon[17],
                    elev,
                    logon[18],
                    et,
                    logon[19],
                )
            )
        )
        lines = 1
        if admin:
            write(_subject_line(special, et, str(rec()), tid, sid, user, domain, lid))
            lines += 1
        if logoff:
            write(_subject_line(off, et, str(rec()), tid, sid, user, domain, lid))
            lines += 1
        return lines

    return logon_session


def _logon_pieces(
    src: WindowsSource,
    *,
    logon_type: int,
    logon_process: str,
    package: str,
    process: tuple[str, str],
    network: bool,
) -> tuple[str, ...]:
    """4624's text around its slots: who, from where, with which package, elevated or not."""
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
    return logon.expect(
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


def _special_pieces(src: WindowsSource) -> tuple[str, ...]:
    """4672's text around its slots: the special privileges an admin's logon gets."""
    special = src.template(
        "4672",
        (
            "Special privileges assigned to new logon.\r\n\r\nSubject:\r\n\tSecurity ID:\t\t«sid»\r\n"
            "\tAccount Name:\t\t«user»\r\n\tAccount Domain:\t\t«domain»\r\n\tLogon ID:\t\t«lid»\r\n\r\n"
            f"Privileges:\t\t{PRIVILEGES}"
        ),
        (*SUBJECT_FIELDS, ("PrivilegeList", PRIVILEGES)),
    )
    return special.expect(
        "time", "rec", "tid", "sid", "user", "domain", "lid", "sid", "user", "domain", "lid", "time"
    )


def _logoff_pieces(src: WindowsSource, logon_type: int) -> tuple[str, ...]:
    """4634's text around its slots."""
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
    return off.expect(
        "time", "rec", "tid", "sid", "user", "domain", "lid", "sid", "user", "domain", "lid", "time"
    )


def _subject_line(
    pieces: tuple[str, ...], et: str, rec: str, tid: str, sid: str, user: str, domain: str, lid: str
) -> str:
    """A 4672 or 4634 line: both name the session's account twice, in the same places."""
    return "".join(
        (
            pieces[0],
            et,
            pieces[1],
            rec,
            pieces[2],
            tid,
            pieces[3],
            sid,
            pieces[4],
            user,
            pieces[5],
            domain,
            pieces[6],
            lid,
            pieces[7],
            sid,
            pieces[8],
            user,
            pieces[9],
            domain,
            pieces[10],
            lid,
            pieces[11],
            et,
            pieces[12],
        )
    )
