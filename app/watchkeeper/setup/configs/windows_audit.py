"""The Windows audit policy a plan needs, as a PowerShell script run once as administrator.

Subcategories are set by GUID: their names change with the display language, so
`auditpol /set /subcategory:"Logon"` fails on a French or German Windows. The script also
makes subcategories win over the nine legacy categories, puts command lines into 4688,
turns on PowerShell script-block and module logging, and makes the logs big enough that
events are not overwritten before they are forwarded.
"""

from __future__ import annotations

from collections.abc import Collection

# Every subcategory this module sets: GUID -> its English name (Microsoft's MS-GPAC table).
SUBCATEGORIES: dict[str, str] = {
    "0CCE9210-69AE-11D9-BED3-505054503030": "Security State Change",
    "0CCE9211-69AE-11D9-BED3-505054503030": "Security System Extension",
    "0CCE9212-69AE-11D9-BED3-505054503030": "System Integrity",
    "0CCE9215-69AE-11D9-BED3-505054503030": "Logon",
    "0CCE9216-69AE-11D9-BED3-505054503030": "Logoff",
    "0CCE9217-69AE-11D9-BED3-505054503030": "Account Lockout",
    "0CCE921B-69AE-11D9-BED3-505054503030": "Special Logon",
    "0CCE921C-69AE-11D9-BED3-505054503030": "Other Logon/Logoff Events",
    "0CCE9224-69AE-11D9-BED3-505054503030": "File Share",
    "0CCE9227-69AE-11D9-BED3-505054503030": "Other Object Access Events",
    "0CCE9228-69AE-11D9-BED3-505054503030": "Sensitive Privilege Use",
    "0CCE922B-69AE-11D9-BED3-505054503030": "Process Creation",
    "0CCE922F-69AE-11D9-BED3-505054503030": "Audit Policy Change",
    "0CCE9230-69AE-11D9-BED3-505054503030": "Authentication Policy Change",
    "0CCE9235-69AE-11D9-BED3-505054503030": "User Account Management",
    "0CCE9236-69AE-11D9-BED3-505054503030": "Computer Account Management",
    "0CCE9237-69AE-11D9-BED3-505054503030": "Security Group Management",
    "0CCE923A-69AE-11D9-BED3-505054503030": "Other Account Management Events",
    "0CCE923C-69AE-11D9-BED3-505054503030": "Directory Service Changes",
    "0CCE923F-69AE-11D9-BED3-505054503030": "Credential Validation",
    "0CCE9240-69AE-11D9-BED3-505054503030": "Kerberos Service Ticket Operations",
    "0CCE9242-69AE-11D9-BED3-505054503030": "Kerberos Authentication Service",
    "0CCE9245-69AE-11D9-BED3-505054503030": "Removable Storage",
    "0CCE9248-69AE-11D9-BED3-505054503030": "PNP Activity",
    "0CCE9249-69AE-11D9-BED3-505054503030": "Group Membership",
}
_BY_NAME = {name: guid for guid, name in SUBCATEGORIES.items()}

# What each planned log needs, and what each subcategory is for (the script says so).
WORKSTATION: tuple[tuple[str, str], ...] = (
    ("Logon", "sign-ins and failed sign-ins (4624, 4625)"),
    ("Logoff", "sign-outs (4634, 4647)"),
    ("Account Lockout", "accounts locked after failed sign-ins (4625)"),
    ("Special Logon", "administrators signing in (4672)"),
    ("Other Logon/Logoff Events", "remote desktop reconnects and screen unlocks"),
    ("Group Membership", "the groups of each sign-in (4627)"),
    ("Process Creation", "programs started, with their command lines (4688)"),
    ("User Account Management", "accounts created, enabled, reset (4720, 4722, 4724)"),
    ("Computer Account Management", "computer accounts created or changed"),
    ("Security Group Management", "members added to groups (4728, 4732)"),
    ("Other Account Management Events", "password policy and account database reads"),
    ("Audit Policy Change", "the audit policy changed (4719)"),
    ("Authentication Policy Change", "trusts and sign-in rights changed"),
    ("Security State Change", "Windows starting and the clock changed"),
    ("Security System Extension", "services installed (4697)"),
    ("System Integrity", "tampering with the security subsystem"),
    ("Other Object Access Events", "scheduled tasks created or changed (4698, 4702)"),
    ("Sensitive Privilege Use", "powerful rights used, such as debugging programs"),
    ("File Share", "shared folders opened (5140)"),
    ("Removable Storage", "files read or written on USB drives"),
    ("PNP Activity", "devices plugged in (6416)"),
)
DOMAIN_CONTROLLER: tuple[tuple[str, str], ...] = (
    ("Kerberos Authentication Service", "Kerberos sign-ins (4768, 4771)"),
    ("Kerberos Service Ticket Operations", "service tickets, as Kerberoasting asks (4769)"),
    ("Credential Validation", "NTLM password checks (4776)"),
    ("Directory Service Changes", "objects in the directory changed (5136)"),
)

SECURITY_LOG_BYTES = 1024**3  # 1 GB: about a week of a busy server's Security log
OTHER_LOG_BYTES = 256 * 1024**2
_LSA = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa"
_AUDIT = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\Audit"
_POWERSHELL = r"HKLM\SOFTWARE\Policies\Microsoft\Windows\PowerShell"

_PROLOGUE = r"""#Requires -RunAsAdministrator
# Watchkeeper: the Windows audit policy of your logging plan.
# Run it once on each computer, in PowerShell opened as administrator:
#   powershell -ExecutionPolicy Bypass -File .\audit-policy.ps1
# Subcategories are set by GUID, so it works whatever the display language.
$ErrorActionPreference = 'Stop'

function Set-Subcategory([string]$Guid, [string]$Name, [string]$Why) {
    auditpol.exe /set "/subcategory:{$Guid}" /success:enable /failure:enable | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "auditpol could not turn on the $Name audit." }
    Write-Output "Auditing ${Name}: $Why"
}

function Set-Dword([string]$Key, [string]$Name, [int]$Value) {
    reg.exe add $Key /v $Name /t REG_DWORD /d $Value /f | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "Could not set $Name in $Key." }
}

function Set-LogSize([string]$Log, [long]$Bytes) {
    wevtutil.exe sl $Log "/ms:$Bytes"
    if ($LASTEXITCODE -ne 0) { throw "Could not resize the $Log log." }
    Write-Output "The $Log log keeps up to $([math]::Round($Bytes / 1MB)) MB."
}
"""


def audit_policy_script(logs: Collection[str]) -> str:
    """The script for these planned logs (catalogue keys); empty when none needs it."""
    workstation = "windows-security" in logs
    controller = "dc-security" in logs
    powershell = "powershell" in logs
    if not (workstation or controller or powershell):
        return ""
    lines = [_PROLOGUE]
    chosen = workstation or controller
    if chosen:
        lines += [
            "# Subcategories win over the nine legacy categories (the security option",
            '# "Audit: Force audit policy subcategory settings ... to override ...").',
            f"Set-Dword '{_LSA}' 'SCENoApplyLegacyAuditPolicy' 1",
            "",
        ]
    if workstation:
        lines += [_subcategory(name, why) for name, why in WORKSTATION]
        lines.append("")
    if controller:
        lines += [
            "# Domain controllers only (domain role 4 or 5): Kerberos, NTLM and directory.",
            "$role = (Get-CimInstance -ClassName Win32_ComputerSystem).DomainRole",
            "if ($role -ge 4) {",
            *(f"    {_subcategory(name, why)}" for name, why in DOMAIN_CONTROLLER),
            "}",
            "",
        ]
    if workstation:
        lines += [
            "# Command lines in 4688 (Include command line in process creation events).",
            f"Set-Dword '{_AUDIT}' 'ProcessCreationIncludeCmdLine_Enabled' 1",
            "",
        ]
    if chosen:
        lines += [
            "# Big enough that events wait for the forwarder instead of being overwritten.",
            f"Set-LogSize 'Security' {SECURITY_LOG_BYTES}",
            "",
        ]
    if powershell:
        lines += [
            "# PowerShell: every script block (4104) and module call (4103) is logged.",
            f"Set-Dword '{_POWERSHELL}\\ScriptBlockLogging' 'EnableScriptBlockLogging' 1",
            f"Set-Dword '{_POWERSHELL}\\ModuleLogging' 'EnableModuleLogging' 1",
            f"reg.exe add '{_POWERSHELL}\\ModuleLogging\\ModuleNames' /v '*' /t REG_SZ /d '*' /f"
            " | Out-Null",
            "if ($LASTEXITCODE -ne 0) { throw 'Could not turn on PowerShell module logging.' }",
            f"Set-LogSize 'Microsoft-Windows-PowerShell/Operational' {OTHER_LOG_BYTES}",
            "",
        ]
    lines += [
        "Write-Output 'Done: the audit policy is set. Check it with: auditpol /get /category:*'",
        "",
    ]
    return "\n".join(lines)


def _subcategory(name: str, why: str) -> str:
    return f"Set-Subcategory '{_BY_NAME[name]}' '{name}' '{why}'"


def subcategories_set(script: str) -> list[str]:
    """The GUIDs a generated script sets, in order (for tests and the README)."""
    found = []
    for line in script.splitlines():
        if line.strip().startswith("Set-Subcategory '"):
            found.append(line.split("'")[1])
    return found
