"""After the spray: bob's network logon on carol's PC, a new local admin, then both logs cleared."""

from __future__ import annotations

from watchkeeper.scenarios.network_logon import logon_fields, logon_message
from watchkeeper.scenarios.nxlog import Account, guid_prefix
from watchkeeper.scenarios.office import DOMAIN, WindowsHost
from watchkeeper.scenarios.programs import SYS32
from watchkeeper.scenarios.script import Script


def local_admin(
    s: Script, t: int, host: WindowsHost, source: WindowsHost, name: str, sid: str
) -> None:
    """Logon over the network, a new local account in Administrators, then both logs cleared."""
    lid, port = hex(s.rng.getrandbits(26) | 0x100000), s.port()
    s.win(
        t,
        host,
        "4624",
        logon_message(name, sid, lid, source, port),
        logon_fields(name, sid, lid, source, port),
    )
    subject = (
        ("SubjectUserSid", sid),
        ("SubjectUserName", name),
        ("SubjectDomainName", DOMAIN),
        ("SubjectLogonId", lid),
    )
    s.win(
        t,
        host,
        "4672",
        (
            f"Special privileges assigned to new logon.\r\n\r\nSubject:\r\n\tSecurity ID:\t\t{sid}\r\n"
            f"\tAccount Name:\t\t{name}\r\n\tAccount Domain:\t\t{DOMAIN}\r\n\tLogon ID:\t\t{lid}"
        ),
        (
            *subject,
            (
                "PrivilegeList",
                "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeDebugPrivilege",
            ),
        ),
    )
    wmi = (
        f"{SYS32}\\wbem\\WmiPrvSE.exe",
        f"{SYS32}\\wbem\\wmiprvse.exe -secured -Embedding",
        f"{{{guid_prefix(host)}-6a1e-6566-2a01-000000001300}}",
        3312,
    )
    local_sid = "S-1-5-21-1853592014-2209871093-3870115267-1001"
    user = f"{DOMAIN}\\{name}"
    t += 20_000
    for command in (
        "net user svc_update Upd4te!2026 /add",
        "net localgroup administrators svc_update /add",
    ):
        s.process(
            t,
            host,
            image=f"{SYS32}\\cmd.exe",
            user=user,
            parent=wmi,
            integrity="High",
            parent_user="NT AUTHORITY\\NETWORK SERVICE",
            command=f"cmd.exe /Q /c {command} 1> \\\\127.0.0.1\\ADMIN$\\__{t // 1000}.{t % 1000} 2>&1",
        )
        t += 3000
        if "user" in command:
            _account_created(s, t, host, name, subject, local_sid)
        else:
            _added_to_administrators(s, t, host, name, subject, local_sid)
        t += 15_000
    _logs_cleared(s, t, host, wmi, name, sid, lid, subject)


def _account_created(
    s: Script,
    t: int,
    host: WindowsHost,
    name: str,
    subject: tuple[tuple[str, object], ...],
    local_sid: str,
) -> None:
    """The new local account: created (4720), enabled (4722) and its password set (4724)."""
    account = (
        ("TargetUserName", "svc_update"),
        ("TargetDomainName", host.name),
        ("TargetSid", local_sid),
    )
    s.win(
        t,
        host,
        "4720",
        (
            f"A user account was created.\r\n\r\nSubject:\r\n\tAccount Name:\t\t{name}\r\n"
            f"\tAccount Domain:\t\t{DOMAIN}\r\n\r\nNew Account:\r\n\tSecurity ID:\t\t{local_sid}\r\n"
            f"\tAccount Name:\t\tsvc_update\r\n\tAccount Domain:\t\t{host.name}"
        ),
        (
            *account,
            *subject,
            ("PrivilegeList", "-"),
            ("SamAccountName", "svc_update"),
            ("DisplayName", "%%1793"),
            ("UserPrincipalName", "-"),
            ("HomeDirectory", "%%1793"),
            ("UserAccountControl", "\r\n\t\t%%2080\r\n\t\t%%2082\r\n\t\t%%2084"),
            ("PrimaryGroupId", "513"),
        ),
    )
    s.win(
        t,
        host,
        "4722",
        "A user account was enabled.\r\n\r\nTarget Account:\r\n\tAccount Name:\t\tsvc_update",
        (*account, *subject),
    )
    s.win(
        t,
        host,
        "4724",
        "An attempt was made to reset an account's password.\r\n\r\nTarget Account:\r\n"
        "\tAccount Name:\t\tsvc_update",
        (*account, *subject),
    )


def _added_to_administrators(
    s: Script,
    t: int,
    host: WindowsHost,
    name: str,
    subject: tuple[tuple[str, object], ...],
    local_sid: str,
) -> None:
    """The new local account put into the local Administrators group (4732)."""
    s.win(
        t,
        host,
        "4732",
        (
            f"A member was added to a security-enabled local group.\r\n\r\nSubject:\r\n\tAccount Name:\t\t{name}\r\n\r\n"
            f"Member:\r\n\tSecurity ID:\t\t{local_sid}\r\n\tAccount Name:\t\t-\r\n\r\nGroup:\r\n"
            "\tSecurity ID:\t\tS-1-5-32-544\r\n\tGroup Name:\t\tAdministrators\r\n\tGroup Domain:\t\tBuiltin"
        ),
        (
            ("MemberName", "-"),
            ("MemberSid", local_sid),
            ("TargetUserName", "Administrators"),
            ("TargetDomainName", "Builtin"),
            ("TargetSid", "S-1-5-32-544"),
            *subject,
            ("PrivilegeList", "-"),
        ),
    )


def _logs_cleared(
    s: Script,
    t: int,
    host: WindowsHost,
    wmi: tuple[str, str, str, int],
    name: str,
    sid: str,
    lid: str,
    subject: tuple[tuple[str, object], ...],
) -> None:
    """wevtutil clears the Security and System logs; each log records its clearing (1102, 104)."""
    user = f"{DOMAIN}\\{name}"
    for log in ("Security", "System"):
        s.process(
            t,
            host,
            image=f"{SYS32}\\wevtutil.exe",
            user=user,
            parent=wmi,
            integrity="High",
            parent_user="NT AUTHORITY\\NETWORK SERVICE",
            command=f"wevtutil.exe cl {log}",
        )
        t += 1000
    s.win(
        t - 1000,
        host,
        "1102",
        (
            f"The audit log was cleared.\r\nSubject:\r\n\tSecurity ID:\t{sid}\r\n\tAccount Name:\t{name}\r\n"
            f"\tDomain Name:\t{DOMAIN}\r\n\tLogon ID:\t{lid}"
        ),
        subject,
    )
    s.win(
        t,
        host,
        "104",
        "The System log file was cleared.",
        (("SubjectUserName", name), ("SubjectDomainName", DOMAIN), ("BackupPath", "")),
        account=Account(DOMAIN, name, sid),
    )
