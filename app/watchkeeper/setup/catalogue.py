"""What can be logged: the platforms a small office has, and the logs recommended for each.

Each log says which Sigma log sources it feeds (so the wizard can count the loaded rules it
lets fire), which channels prove it arrives (step 4's checklist), and roughly how many events
one device sends a day (the sizing). The daily figures are rough on purpose: they are for an
estimate of disk space, measured on the generated office and on the EVTX samples' machines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PlatformKind = Literal["windows", "domain_controller", "linux", "macos", "mdm", "network"]
PLATFORM_KINDS: tuple[PlatformKind, ...] = (
    "windows",
    "domain_controller",
    "linux",
    "macos",
    "mdm",
    "network",
)

SECURITY = "Security"
SYSMON = "Microsoft-Windows-Sysmon/Operational"
POWERSHELL = "Microsoft-Windows-PowerShell/Operational"
DEFENDER = "Microsoft-Windows-Windows Defender/Operational"
SYSTEM = "System"


@dataclass(frozen=True)
class LogSource:
    """A Sigma log source pattern: a rule matches when every non-empty part is equal."""

    product: str = ""
    service: str = ""
    category: str = ""

    def matches(self, logsource: dict[str, str]) -> bool:
        for part in ("product", "service", "category"):
            wanted = getattr(self, part)
            if wanted and (logsource.get(part) or "").lower() != wanted:
                return False
        return True


@dataclass(frozen=True)
class Channel:
    """Events that prove a log arrives: a channel (Windows) or programs (syslog), and ids.

    `field` names an original field the events must carry (4688 with a command line).
    """

    label: str  # what the checklist row says: "4688 with a command line"
    fix: str  # one sentence: what to do when it has not been seen in 24 hours
    channel: str = ""
    event_ids: tuple[int, ...] = ()
    processes: tuple[str, ...] = ()  # syslog: the programs, any of them
    source: str = ""  # the store's source type (auditd, macos, journald, syslog)
    field: str = ""


@dataclass(frozen=True)
class LogChoice:
    """One log a platform can send, and what it is for."""

    key: str
    platform: PlatformKind
    title: str
    why: str  # one sentence: what it shows
    events_per_day: int  # per device, roughly
    recommended: bool = True
    feeds: tuple[LogSource, ...] = ()
    channels: tuple[Channel, ...] = ()


@dataclass(frozen=True)
class Platform:
    kind: PlatformKind
    title: str  # "Windows PCs and servers"
    unit: str  # what the count counts: "computers"
    logs: tuple[str, ...] = field(default_factory=tuple)  # LogChoice keys, in order


_SYSMON_CATEGORIES = (
    "process_creation",
    "file_change",
    "network_connection",
    "process_termination",
    "driver_load",
    "image_load",
    "create_remote_thread",
    "raw_access_thread",
    "process_access",
    "file_event",
    "registry_add",
    "registry_delete",
    "registry_set",
    "registry_rename",
    "registry_event",
    "create_stream_hash",
    "pipe_created",
    "wmi_event",
    "dns_query",
    "file_delete",
    "clipboard_capture",
    "process_tampering",
    "file_executable_detected",
    "file_block_executable",
    "file_block_shredding",
)

LOGS: dict[str, LogChoice] = {
    choice.key: choice
    for choice in (
        LogChoice(
            "windows-security",
            "windows",
            "Windows Security log, with the recommended audit policy",
            "Sign-ins and failed sign-ins, new processes with their command lines, accounts "
            "and groups changed, and the log being cleared.",
            4_000,
            feeds=(
                LogSource("windows", "security"),
                LogSource("windows", category="process_creation"),
            ),
            channels=(
                Channel(
                    "4624 sign-ins", "Set the audit policy (Logon: Success).", SECURITY, (4624,)
                ),
                Channel(
                    "4688 with a command line",
                    "Run the audit-policy script: it turns on Process Creation and command lines.",
                    SECURITY,
                    (4688,),
                    field="CommandLine",
                ),
            ),
        ),
        LogChoice(
            "sysmon",
            "windows",
            "Sysmon",
            "Processes, network connections, registry and file changes in detail: what most "
            "detection rules for Windows read.",
            8_000,
            feeds=(
                LogSource("windows", "sysmon"),
                *(LogSource("windows", category=c) for c in _SYSMON_CATEGORIES),
            ),
            channels=(
                Channel(
                    "Sysmon 1 (process created)",
                    "Install Sysmon with the generated configuration.",
                    SYSMON,
                    (1,),
                ),
            ),
        ),
        LogChoice(
            "powershell",
            "windows",
            "PowerShell script blocks and modules",
            "The scripts PowerShell runs, decoded: how most attacks on Windows run their code.",
            500,
            feeds=(
                LogSource("windows", "powershell"),
                LogSource("windows", "powershell-classic"),
                LogSource("windows", category="ps_script"),
                LogSource("windows", category="ps_module"),
                LogSource("windows", category="ps_classic_start"),
                LogSource("windows", category="ps_classic_provider_start"),
                LogSource("windows", category="ps_classic_script"),
            ),
            channels=(
                Channel(
                    "PowerShell 4104 (script block)",
                    "Run the audit-policy script: it turns on script-block logging.",
                    POWERSHELL,
                    (4104,),
                ),
            ),
        ),
        LogChoice(
            "defender",
            "windows",
            "Microsoft Defender",
            "Malware found, and Defender switched off or its settings changed.",
            30,
            feeds=(LogSource("windows", "windefend"),),
            channels=(
                Channel(
                    "Defender events",
                    "Forward the Defender event log (the NXLog configuration does).",
                    DEFENDER,
                ),
            ),
        ),
        LogChoice(
            "windows-system",
            "windows",
            "Windows System log",
            "Services installed, the event log service stopped, and drivers loaded.",
            200,
            feeds=(LogSource("windows", "system"),),
            channels=(
                Channel(
                    "System events",
                    "Forward the System event log (the NXLog configuration does).",
                    SYSTEM,
                ),
            ),
        ),
        LogChoice(
            "dc-security",
            "domain_controller",
            "Domain controller: Kerberos, directory and account changes",
            "Kerberos tickets (4768/4769), NTLM checks (4776) and changes to groups and the "
            "directory (4728, 4756, 5136): how an attacker moves between computers.",
            40_000,
            feeds=(
                LogSource("windows", "security"),
                LogSource("windows", "ldap_debug"),
                LogSource("windows", "ntlm"),
            ),
            channels=(
                Channel(
                    "4768 or 4769 Kerberos",
                    "Run the audit-policy script on the domain controller (Kerberos auditing).",
                    SECURITY,
                    (4768, 4769),
                ),
            ),
        ),
        LogChoice(
            "linux-auth",
            "linux",
            "Sign-ins and sudo (auth log)",
            "SSH sign-ins and failures, sudo and su: who got in and who became root.",
            1_000,
            feeds=(
                LogSource("linux", "auth"),
                LogSource("linux", "sshd"),
                LogSource("linux", "sudo"),
                LogSource("linux", "su"),
            ),
            channels=(
                Channel(
                    "sshd or sudo",
                    "Forward the authpriv facility (the generated rsyslog configuration does).",
                    processes=("sshd", "sudo", "su", "login", "systemd-logind"),
                ),
            ),
        ),
        LogChoice(
            "journald",
            "linux",
            "The system journal (syslog)",
            "Services, cron, the kernel and package changes.",
            5_000,
            feeds=(
                LogSource("linux", "syslog"),
                LogSource("linux", "cron"),
                LogSource("linux", "systemd"),
                LogSource("linux", "vsftpd"),
                LogSource("linux", "clamav"),
            ),
            channels=(
                Channel(
                    "syslog messages",
                    "Forward everything (*.*) from rsyslog or syslog-ng.",
                    processes=("systemd", "cron", "CRON", "kernel", "rsyslogd"),
                ),
            ),
        ),
        LogChoice(
            "auditd",
            "linux",
            "auditd",
            "Commands run, files watched and changed, and privileges used, from the kernel.",
            20_000,
            feeds=(
                LogSource("linux", "auditd"),
                LogSource("linux", category="process_creation"),
                LogSource("linux", category="file_event"),
                LogSource("linux", category="network_connection"),
            ),
            channels=(
                Channel(
                    "auditd records",
                    "Install the generated audit rules and forward /var/log/audit/audit.log.",
                    # forwarded by rsyslog's imfile (tag auditd) or auditd's syslog plugin
                    processes=("auditd", "audispd", "audisp-syslog"),
                ),
            ),
        ),
        LogChoice(
            "macos-unified",
            "macos",
            "The macOS unified log",
            "Sign-ins, sudo, processes and security settings changed on Macs.",
            10_000,
            feeds=(LogSource("macos"),),
            channels=(
                Channel(
                    "unified log entries",
                    "Load the generated launchd agent (launchctl bootstrap).",
                    source="macos",
                ),
            ),
        ),
        LogChoice(
            "mdm-export",
            "mdm",
            "An export from your device management (Intune, Google Workspace, Jamf Pro)",
            "Whether phones, tablets and laptops are encrypted, locked and up to date: the "
            "Devices view.",
            0,
        ),
        LogChoice(
            "network-syslog",
            "network",
            "The device's syslog (firewall, router, Wi-Fi, VPN)",
            "Connections allowed and blocked, VPN sign-ins and configuration changes.",
            20_000,
            feeds=(
                LogSource(category="firewall"),
                LogSource(category="proxy"),
                LogSource(category="dns"),
                LogSource(category="webserver"),
            ),
            channels=(
                Channel(
                    "syslog messages",
                    "Set the device's syslog server (see its page).",
                    source="syslog",
                ),
            ),
        ),
    )
}

PLATFORMS: dict[PlatformKind, Platform] = {
    "windows": Platform(
        "windows",
        "Windows PCs and servers",
        "computers",
        ("windows-security", "sysmon", "powershell", "defender", "windows-system"),
    ),
    "domain_controller": Platform(
        "domain_controller", "Windows domain controllers", "domain controllers", ("dc-security",)
    ),
    "linux": Platform("linux", "Linux servers", "servers", ("linux-auth", "journald", "auditd")),
    "macos": Platform("macos", "Macs", "Macs", ("macos-unified",)),
    "mdm": Platform("mdm", "Phones and tablets under an MDM", "devices", ("mdm-export",)),
    "network": Platform(
        "network", "Network devices (firewall, router, Wi-Fi, VPN)", "devices", ("network-syslog",)
    ),
}


def logs_of(kind: PlatformKind) -> list[LogChoice]:
    return [LOGS[key] for key in PLATFORMS[kind].logs]


def recommended(kind: PlatformKind) -> list[str]:
    return [choice.key for choice in logs_of(kind) if choice.recommended]
