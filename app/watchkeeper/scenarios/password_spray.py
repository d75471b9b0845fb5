"""The password spray: from grace's PC against the DC, until bob's password works."""

from __future__ import annotations

from watchkeeper.scenarios.clock import from_ms
from watchkeeper.scenarios.local_admin import local_admin
from watchkeeper.scenarios.network_logon import logon_fields, logon_message
from watchkeeper.scenarios.office import DC, DOMAIN, HOST_BY_NAME, USER_BY_NAME, WindowsHost
from watchkeeper.scenarios.programs import POWERSHELL_EXE
from watchkeeper.scenarios.script import MINUTE_MS, Script

SPRAY_GUESSES = (
    "administrator",
    "admin",
    "test",
    "guest",
    "backup",
    "scanner",
    "helpdesk",
    "svc_sql",
    "reception",
    "finance",
    "it.support",
    "training",
)


def password_spray(s: Script, t: int) -> None:
    """From grace's PC: spray the DC, get in as bob, add a local admin on carol's PC, clear logs."""
    source, target = HOST_BY_NAME["PC-SALES-02"], HOST_BY_NAME["PC-ACCT-01"]
    victim = USER_BY_NAME["bob"]
    names = [u.name for u in USER_BY_NAME.values()] + list(SPRAY_GUESSES)
    s.rng.shuffle(names)
    spray_cmd = (
        "Import-Module C:\\Users\\Public\\DomainPasswordSpray.ps1; Invoke-DomainPasswordSpray "
        "-UserList C:\\Users\\Public\\users.txt -Password 'Autumn2026!','Welcome1!' -Force"
    )
    explorer = (
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\Explorer.EXE",
        "{00000000-0000-0000-0000-000000000000}",
        5124,
    )
    guid, pid = s.process(
        t,
        source,
        image=POWERSHELL_EXE,
        user=f"{DOMAIN}\\grace",
        command=f'powershell.exe -nop -ep bypass -c "{spray_cmd}"',
        parent=explorer,
        describe=(
            "10.0.19041.5072",
            "Windows PowerShell",
            "Microsoft® Windows® Operating System",
            "Microsoft Corporation",
            "PowerShell.EXE",
        ),
    )
    s.script_block(t + 2000, source, text=spray_cmd, pid=pid, user="grace")
    s.connect(
        t + 4000,
        source,
        image=POWERSHELL_EXE,
        guid=guid,
        pid=pid,
        user=f"{DOMAIN}\\grace",
        dst=DC.ip,
        port=445,
    )
    t += 6000
    for password in (0, 1):
        for name in names:
            t += s.rng.randrange(2000, 7000)
            if password == 1 and name == victim.name:
                _dc_logon(s, t, victim.name, victim.sid, source)
                success = t
                continue
            known = name in USER_BY_NAME or name == "administrator"
            _dc_failure(s, t, name, source, known)
    lateral = t + s.rng.randrange(5, 9) * MINUTE_MS
    local_admin(s, lateral, target, source, victim.name, victim.sid)
    s.story(
        "password_spray",
        "Password spraying from PC-SALES-02, then a new local admin and cleared logs",
        ("T1110.003", "T1078.002", "T1136.001", "T1098", "T1070.001"),
        users=("grace", victim.name, "svc_update"),
        source_ips=(source.ip,),
        details={
            "sprayed_account": victim.name,
            "source_host": source.name,
            "target_host": target.name,
            "new_account": "svc_update",
            "success_time": from_ms(success).isoformat(),
        },
    )


def _dc_failure(s: Script, t: int, name: str, source: WindowsHost, known: bool) -> None:
    sub = "0xc000006a" if known else "0xc0000064"
    port = s.port()
    s.win(
        t,
        DC,
        "4625",
        (
            "An account failed to log on.\r\n\r\nAccount For Which Logon Failed:\r\n\tSecurity ID:\t\tS-1-0-0\r\n"
            f"\tAccount Name:\t\t{name}\r\n\tAccount Domain:\t\t{DOMAIN}\r\n\r\nFailure Information:\r\n"
            "\tFailure Reason:\t\tUnknown user name or bad password.\r\n\tStatus:\t\t\t0xC000006D\r\n"
            f"\tSub Status:\t\t{sub.upper().replace('0X', '0x')}\r\n\r\nNetwork Information:\r\n"
            f"\tWorkstation Name:\t{source.name}\r\n\tSource Network Address:\t{source.ip}\r\n\tSource Port:\t\t{port}"
        ),
        (
            ("SubjectUserSid", "S-1-0-0"),
            ("SubjectUserName", "-"),
            ("SubjectDomainName", "-"),
            ("SubjectLogonId", "0x0"),
            ("TargetUserSid", "S-1-0-0"),
            ("TargetUserName", name),
            ("TargetDomainName", DOMAIN),
            ("Status", "0xc000006d"),
            ("FailureReason", "%%2313"),
            ("SubStatus", sub),
            ("LogonType", "3"),
            ("LogonProcessName", "NtLmSsp "),
            ("AuthenticationPackageName", "NTLM"),
            ("WorkstationName", source.name),
            ("TransmittedServices", "-"),
            ("LmPackageName", "-"),
            ("KeyLength", "0"),
            ("ProcessId", "0x0"),
            ("ProcessName", "-"),
            ("IpAddress", source.ip),
            ("IpPort", str(port)),
        ),
    )


def _dc_logon(s: Script, t: int, name: str, sid: str, source: WindowsHost) -> None:
    lid, port = hex(s.rng.getrandbits(26) | 0x100000), s.port()
    s.win(
        t,
        DC,
        "4624",
        logon_message(name, sid, lid, source, port),
        logon_fields(name, sid, lid, source, port),
    )
    s.win(
        t,
        DC,
        "4634",
        (
            f"An account was logged off.\r\n\r\nSubject:\r\n\tSecurity ID:\t\t{sid}\r\n\tAccount Name:\t\t{name}\r\n"
            f"\tAccount Domain:\t\t{DOMAIN}\r\n\tLogon ID:\t\t{lid}\r\n\r\nLogon Type:\t\t\t3"
        ),
        (
            ("TargetUserSid", sid),
            ("TargetUserName", name),
            ("TargetDomainName", DOMAIN),
            ("TargetLogonId", lid),
            ("LogonType", "3"),
        ),
    )
