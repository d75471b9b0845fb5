"""The Watchkeeper pack's query results, per host, as one device record with its facts.

Each fact says which query and log line it came from and the columns it read. A fact
whose rows were removed, or whose query never answered, is absent.
"""

from __future__ import annotations

from watchkeeper.compliance.model import (
    ALIAS_HARDWARE_UUID,
    ALIAS_HOSTNAME,
    ALIAS_OSQUERY_HOST,
    ENCRYPTED,
    FIREWALL,
    PLATFORM_LINUX,
    PLATFORM_MACOS,
    PLATFORM_OTHER,
    PLATFORM_WINDOWS,
    SCREEN_LOCK_MINUTES,
    SECURE_BOOT,
    SOURCE_OSQUERY,
    Alias,
    DeviceRecord,
)
from watchkeeper.compliance.sources import osquery_windows
from watchkeeper.compliance.sources.osquery_log import HostFacts, HostResults
from watchkeeper.compliance.sources.values import platform_of, serial_or_none, shown

# The queries of resources/osquery/watchkeeper-pack.conf, all of which are read here.
QUERIES = (
    "system_info",
    "os_version",
    "secureboot",
    "bitlocker",
    "filevault",
    "luks",
    "windows_security_center",
    "windows_firewall_profiles",
    "windows_security_products",
    "windows_defender",
    "windows_screen_lock",
    "macos_firewall",
    "macos_screenlock",
    "macos_screensaver_idle",
    "linux_firewall_rules",
    "linux_firewall_services",
)
_PLATFORM_QUERIES = {
    PLATFORM_WINDOWS: "windows_",
    PLATFORM_MACOS: "macos_",
    PLATFORM_LINUX: "linux_",
}
_BLOCKING = {"DROP", "REJECT"}


def host_record(host: HostResults, label: str) -> DeviceRecord:
    found = HostFacts(host, label)
    _encryption(found)
    _firewall(found)
    _macos_screen_lock(found)
    osquery_windows.screen_lock(found)
    osquery_windows.antivirus(found)
    _secure_boot(found)
    system = next(iter(found.rows("system_info")), None)
    os_row = next(iter(found.rows("os_version")), None)
    info = system.columns if system else {}
    os_info = os_row.columns if os_row else {}
    hostname = info.get("hostname") or host.decorations.get("hostname") or ""
    name = (
        info.get("computer_name")
        or hostname.split(".")[0]
        or info.get("local_hostname")
        or host.identifier
    )
    aliases = [Alias(ALIAS_OSQUERY_HOST, host.identifier)]
    for text in (hostname, info.get("local_hostname", "")):
        if text and text != name and Alias(ALIAS_HOSTNAME, text) not in aliases:
            aliases.append(Alias(ALIAS_HOSTNAME, text))
    uuid = info.get("uuid") or host.decorations.get("host_uuid")
    if uuid:
        aliases.append(Alias(ALIAS_HARDWARE_UUID, uuid))
    assert host.last_seen is not None  # a host exists because a line about it was read
    return DeviceRecord(
        source=SOURCE_OSQUERY,
        source_label=label,
        location=f"host {shown(host.identifier)}",
        observed=host.last_seen,
        name=name,
        serial=serial_or_none(info.get("hardware_serial")),
        aliases=tuple(aliases),
        platform=_platform(host, os_info),
        os_name=os_info.get("name") or None,
        os_version=os_info.get("version") or None,
        model=info.get("hardware_model") or None,
        manufacturer=info.get("hardware_vendor") or None,
        facts=found.facts,
    )


def _platform(host: HostResults, os_info: dict[str, str]) -> str:
    platform = platform_of(
        os_info.get("platform"), os_info.get("platform_like"), os_info.get("name")
    )
    if platform != PLATFORM_OTHER:
        return platform
    for candidate, prefix in _PLATFORM_QUERIES.items():  # which platform's queries answered
        if any(query.startswith(prefix) and rows for query, rows in host.queries.items()):
            return candidate
    return PLATFORM_OTHER


def _encryption(found: HostFacts) -> None:
    bitlocker = found.rows("bitlocker")
    system = [
        row for row in bitlocker if row.columns.get("drive_letter", "").upper().startswith("C")
    ] or bitlocker
    states = [row.columns.get("protection_status") for row in system]
    columns = ("drive_letter", "protection_status", "percentage_encrypted")
    if "0" in states:
        found.put(
            ENCRYPTED,
            False,
            "bitlocker",
            [r for r in system if r.columns.get("protection_status") == "0"],
            columns,
            "BitLocker protection off",
        )
    elif states and all(state == "1" for state in states):
        found.put(ENCRYPTED, True, "bitlocker", system, columns, "BitLocker protection on")
    filevault = found.rows("filevault")
    on = [row for row in filevault if row.columns.get("filevault_status") == "on"]
    if on:
        found.put(ENCRYPTED, True, "filevault", on[:1], ("name", "filevault_status"))
    elif filevault and all(row.columns.get("filevault_status") == "off" for row in filevault):
        found.put(ENCRYPTED, False, "filevault", filevault[:3], ("name", "filevault_status"))
    for row in found.rows("luks")[:1]:
        flag = row.columns.get("encrypted")
        if flag in ("0", "1"):
            found.put(
                ENCRYPTED,
                flag == "1",
                "luks",
                [row],
                ("path", "name", "encrypted"),
                "the root file system's device",
            )


def _firewall(found: HostFacts) -> None:
    osquery_windows.firewall(found)
    for row in found.rows("macos_firewall")[:1]:
        state = row.columns.get("global_state")
        if state in ("0", "1", "2"):
            found.put(FIREWALL, state != "0", "macos_firewall", [row], ("global_state",))
    rules = [
        row
        for row in found.rows("linux_firewall_rules")
        if {row.columns.get("policy", "").upper(), row.columns.get("target", "").upper()}
        & _BLOCKING
    ]
    if rules:
        found.put(
            FIREWALL,
            True,
            "linux_firewall_rules",
            rules[:3],
            ("chain", "policy", "target"),
            "the INPUT chain drops or rejects traffic",
        )
        return
    active = [
        row
        for row in found.rows("linux_firewall_services")
        if row.columns.get("active_state") == "active"
    ]
    if active:
        found.put(FIREWALL, True, "linux_firewall_services", active[:1], ("id", "active_state"))


def _macos_screen_lock(found: HostFacts) -> None:
    lock = next(iter(found.rows("macos_screenlock")), None)
    if lock is None:
        return
    enabled, grace = lock.columns.get("enabled"), lock.columns.get("grace_period", "")
    if enabled == "0" or grace == "-1":
        found.put(
            SCREEN_LOCK_MINUTES,
            0,
            "macos_screenlock",
            [lock],
            ("enabled", "grace_period"),
            "no password is asked on wake",
        )
        return
    idle = next(iter(found.rows("macos_screensaver_idle")), None)
    if enabled != "1" or idle is None or not grace.isdigit():
        return
    seconds = idle.columns.get("value", "")
    if not seconds.isdigit():
        return
    if int(seconds) == 0:
        found.put(
            SCREEN_LOCK_MINUTES,
            0,
            "macos_screensaver_idle",
            [idle],
            ("name", "value"),
            "the screen saver never starts",
        )
        return
    minutes = -(-(int(seconds) + int(grace)) // 60)
    found.put(
        SCREEN_LOCK_MINUTES,
        minutes,
        "macos_screensaver_idle",
        [idle],
        ("name", "value"),
        f"screen saver after {seconds} s, password {grace} s later "
        f"(query macos_screenlock, line {lock.line})",
    )


def _secure_boot(found: HostFacts) -> None:
    for row in found.rows("secureboot")[:1]:
        flag = row.columns.get("secure_boot")
        if flag in ("0", "1"):
            found.put(SECURE_BOOT, flag == "1", "secureboot", [row], ("secure_boot",))
