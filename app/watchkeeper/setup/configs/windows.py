"""Windows: the audit policy, Sysmon and NXLog files for the logs the plan chose.

Only the logs chosen for Windows PCs and domain controllers are configured: no Sysmon file
without Sysmon, no domain controller auditing without a domain controller. Every file is
explained in README.txt with the one line that applies it, run as administrator.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable

from watchkeeper.detection.rules import Rule
from watchkeeper.setup.catalogue import LOGS, PlatformKind
from watchkeeper.setup.configs import ConfigError, NothingChosen
from watchkeeper.setup.configs.nxlog import CERTIFICATE, nxlog_conf, uses_tls
from watchkeeper.setup.configs.sysmon import NEVER, event_types_read, sysmon_config
from watchkeeper.setup.configs.windows_audit import audit_policy_script
from watchkeeper.setup.endpoint import Endpoint
from watchkeeper.setup.plan import LoggingPlan

PLATFORMS: tuple[PlatformKind, ...] = ("windows", "domain_controller")
# A host name, IPv4 or IPv6 address: nothing that could end a quoted string, a line or an
# XML element in a generated file.
_ADDRESS = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,252}$")
# Channels read besides the catalogue's own: PowerShell 5.1 writes its engine start (400)
# and provider (600) events to the classic log.
_EXTRA_CHANNELS = {"powershell": ("Windows PowerShell",)}
NXLOG_MSI = "nxlog-ce-3.2.2329.msi"  # the current NXLog CE installer's name; any 3.x works


def windows_logs(plan: LoggingPlan) -> list[str]:
    """The Windows logs the plan chose, for its platforms and its planned sources."""
    chosen: set[str] = set()
    for kind in PLATFORMS:
        planned = plan.platforms.get(kind)
        if planned is not None:
            chosen.update(planned.logs)
    for source in plan.sources:
        if source.platform in PLATFORMS:
            chosen.update(source.logs)
    return [key for key in LOGS if key in chosen and LOGS[key].platform in PLATFORMS]


def channels_for(logs: Iterable[str]) -> list[str]:
    """The event log channels the chosen logs arrive in, each once, in the catalogue's order."""
    channels: list[str] = []
    for key in logs:
        named = [c.channel for c in LOGS[key].channels if c.channel]
        for channel in (*named, *_EXTRA_CHANNELS.get(key, ())):
            if channel not in channels:
                channels.append(channel)
    return channels


def checked_address(address: str) -> str:
    """The collector's address, or ConfigError when it would break a generated file."""
    if not _ADDRESS.match(address):
        shown = "".join(c if c.isprintable() else "?" for c in address)[:60]
        raise ConfigError(
            f"“{shown}” cannot be used as the collector's address in the Windows files: "
            "use a host name or IP address (letters, digits, dots, dashes and colons only)."
        )
    return address


def generate(
    plan: LoggingPlan, endpoint: Endpoint, *, rules: Iterable[Rule] | None = None
) -> dict[str, str]:
    """README.txt, audit-policy.ps1, sysmon-config.xml, nxlog.conf and the certificate.

    `rules` decide which Sysmon events are turned on; by default the loaded rule set.
    """
    checked_address(endpoint.address)
    logs = windows_logs(plan)
    if not logs:
        raise NothingChosen(
            "The logging plan chooses no Windows logs: choose them in the wizard's first step."
        )
    files: dict[str, str] = {}
    script = audit_policy_script(logs)
    if script:
        files["audit-policy.ps1"] = script
    sysmon_types: list[str] = []
    if "sysmon" in logs:
        if rules is None:
            from watchkeeper.detection import service

            rules = service.load().rules
        sysmon_types = event_types_read(rules)
        files["sysmon-config.xml"] = sysmon_config(sysmon_types)
    files["nxlog.conf"] = nxlog_conf(endpoint, channels_for(logs))
    if uses_tls(endpoint):
        files[CERTIFICATE] = endpoint.ca_pem
    files["README.txt"] = readme(plan, endpoint, logs, files, sysmon_types)
    return files


def readme(
    plan: LoggingPlan,
    endpoint: Endpoint,
    logs: list[str],
    files: dict[str, str],
    sysmon_types: list[str],
) -> str:
    """What each file is for and the one line that applies it, in the order to run them."""
    lines = [
        "Sending Windows event logs to Watchkeeper",
        "=========================================",
        "",
        *_wrapped("The logs your plan chose: " + "; ".join(LOGS[key].title for key in logs) + "."),
        "Copy this folder to each computer, open PowerShell as administrator in it, and run",
        "the steps below in order.",
        "",
    ]
    step = 1
    if "audit-policy.ps1" in files:
        lines += [
            f"{step}. audit-policy.ps1: turns on the auditing the logs need (set by GUID, so it",
            "   works in any display language), command lines in 4688, PowerShell logging,",
            "   and a Security log big enough to wait for the forwarder.",
            "     powershell -ExecutionPolicy Bypass -File .\\audit-policy.ps1",
            "",
        ]
        step += 1
    if "sysmon-config.xml" in files:
        lines += [
            *_wrapped(
                f"{step}. sysmon-config.xml: Sysmon (from Microsoft Sysinternals) with the "
                f"events your detection rules read: {', '.join(sysmon_types) or 'none'}.",
                "   ",
            ),
            "   Download Sysmon, then install it with this configuration:",
            "     sysmon64.exe -accepteula -i sysmon-config.xml",
            "   After generating the file again (new rules), update it with:",
            "     sysmon64.exe -c sysmon-config.xml",
            *_wrapped(
                "   Never turned on: "
                + "; ".join(f"{name} ({why})" for name, why in NEVER.items())
                + ".",
                "   ",
            ),
            "",
        ]
        step += 1
    lines += _nxlog_step(step, endpoint, with_certificate=CERTIFICATE in files)
    lines.append("")
    if not plan.receiving.listen_on_network:
        lines += [
            "Network listening is off, so the collector only hears its own computer: turn it",
            "on in Settings > Receiving before other computers can send.",
            "",
        ]
    lines += [
        "To check it: sign out and in again on the computer, then open Watchkeeper's Sources",
        "view or run `watchkeeper setup check`.",
        "",
    ]
    return "\n".join(lines)


def _wrapped(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, 86, subsequent_indent=indent, break_on_hyphens=False)


def _nxlog_step(step: int, endpoint: Endpoint, *, with_certificate: bool) -> list[str]:
    """The README's NXLog step: install, copy the files, restart; and the certificate."""
    lines = [
        f"{step}. nxlog.conf: NXLog Community Edition sends the event logs as JSON to",
        f"   {endpoint.address}, keeping up to 1 GB on disk while the collector is away.",
        "   Install NXLog CE (use the name of the installer you downloaded from nxlog.co),",
        "   copy the files into place, and restart it:",
        f"     msiexec /i {NXLOG_MSI} /quiet",
        "     Copy-Item .\\nxlog.conf 'C:\\Program Files\\nxlog\\conf\\nxlog.conf'",
    ]
    if with_certificate:
        return [
            *lines,
            f"     Copy-Item .\\{CERTIFICATE} 'C:\\Program Files\\nxlog\\cert\\'",
            "     Restart-Service nxlog",
            "",
            f"{CERTIFICATE}: the collector's certificate; NXLog trusts only it.",
            "   Its SHA-256 fingerprint (compare it with the one in Settings > Receiving):",
            f"     {endpoint.fingerprint or 'not known yet'}",
        ]
    return [
        *lines,
        "     Restart-Service nxlog",
        "",
        "   Warning: the collector has no JSON-over-TLS listener, so these events cross",
        "   the network unencrypted. Turn on json-tls in Settings > Receiving and generate",
        "   the files again.",
    ]
