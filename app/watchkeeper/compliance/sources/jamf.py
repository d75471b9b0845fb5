"""Jamf Pro inventory exports (advanced searches saved as CSV), computers and mobile devices.

Computers give the Mac's name, serial number, macOS version, user, last check-in, FileVault
state, firewall and secure boot level. Mobile devices give the display name, serial
number, iOS version, user, last inventory update, data protection (encryption), whether a
passcode is set and whether a jailbreak was detected. Jamf manages Apple devices only, so
computers are Macs, and mobile devices are iPhones and iPads unless the model says not.
"""

from __future__ import annotations

from watchkeeper.compliance.model import (
    ALIAS_IMEI,
    ALIAS_MAC,
    ALIAS_MDM_DEVICE_ID,
    ALIAS_MEID,
    ALIAS_UDID,
    ENCRYPTED,
    FIREWALL,
    PLATFORM_IOS,
    PLATFORM_MACOS,
    PLATFORM_OTHER,
    ROOTED,
    SCREEN_LOCK_MINUTES,
    SECURE_BOOT,
    SOURCE_JAMF,
    Alias,
    DeviceRecord,
)
from watchkeeper.compliance.sources.export import Column, ExportProfile, Row
from watchkeeper.compliance.sources.values import (
    NO,
    UNKNOWN,
    YES,
    platform_of,
    words,
)

_SHARED: dict[str, tuple[str, ...]] = {
    "serial": ("Serial Number",),
    "model": ("Model",),
    "email": ("Email Address", "Email"),
    "username": ("Username", "User Name"),
    "last_inventory": ("Last Inventory Update",),
    "udid": ("UDID",),
}
_COMPUTER_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("Computer Name",),
    **_SHARED,
    "os_name": ("Operating System", "Operating System Name"),
    "os_version": ("Operating System Version",),
    "last_checkin": ("Last Check-in",),
    "filevault": (
        "FileVault 2 Status",
        "FileVault 2 - Status",
        "FileVault Status",
        "FileVault 2 Partition Encryption State",
        "FileVault 2 State",
    ),
    "firewall": ("Firewall Enabled", "Firewall Status", "Firewall"),
    "secure_boot": ("Secure Boot Level", "Secure Boot"),
    "jamf_id": ("Jamf Pro Computer ID", "Computer ID"),
    "mac": ("MAC Address",),
    "alt_mac": ("Alternate MAC Address",),
}
_MOBILE_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("Display Name", "Mobile Device Name", "Device Name"),
    **_SHARED,
    "ios_version": ("iOS Version", "iPadOS Version"),
    "os_version": ("OS Version",),
    "data_protection": ("Data Protection",),
    "passcode": ("Passcode Status", "Passcode Present", "Passcode Is Present"),
    "jailbreak": ("Jailbreak Detected", "Jailbroken", "Jailbreak Status"),
    "jamf_id": ("Jamf Pro Mobile Device ID", "Mobile Device ID"),
    "imei": ("IMEI",),
    "meid": ("MEID",),
    "wifi_mac": ("Wi-Fi MAC Address",),
}

# FileVault: "Boot Partitions Encrypted" covers the system volume; a disk still encrypting
# is not encrypted yet.
FILEVAULT_ON = YES | {
    "all partitions encrypted",
    "boot partitions encrypted",
    "encrypted",
    "fully encrypted",
    "filevault enabled",
}
FILEVAULT_OFF = NO | {
    "not encrypted",
    "no partitions encrypted",
    "unencrypted",
    "encrypting",
    "decrypting",
    "not enabled",
}
FILEVAULT_UNKNOWN = UNKNOWN | {"some partitions encrypted", "not applicable"}
# Apple's "reduced" (Jamf: medium) security still checks the OS's signature at boot.
SECURE_BOOT_ON = YES | {"full", "full security", "medium", "medium security", "reduced security"}
SECURE_BOOT_OFF = NO | {"no security", "permissive", "permissive security"}
SECURE_BOOT_UNKNOWN = UNKNOWN | {"not supported", "unsupported"}
JAILBROKEN = YES | {"jailbroken", "detected", "jailbreak detected"}
NOT_JAILBROKEN = NO | {"not jailbroken", "not detected", "no jailbreak detected"}
PASSCODE_SET = YES | {"present", "set", "passcode present", "compliant"}
NO_PASSCODE = NO | {"not present", "not set", "no passcode", "passcode not present"}


def _aliases(row: Row, columns: tuple[tuple[str, str], ...]) -> tuple[Alias, ...]:
    return tuple(
        Alias(kind, value.strip())
        for key, kind in columns
        if (value := row.text(key)) is not None and words(value) not in UNKNOWN
    )


def _computer(row: Row) -> DeviceRecord | None:
    identity = row.identity()
    if identity is None:
        return None
    row.check_in("last_checkin", "last_inventory")
    row.put_flag(ENCRYPTED, "filevault", FILEVAULT_ON, FILEVAULT_OFF, FILEVAULT_UNKNOWN)
    row.put_flag(FIREWALL, "firewall")
    row.put_flag(SECURE_BOOT, "secure_boot", SECURE_BOOT_ON, SECURE_BOOT_OFF, SECURE_BOOT_UNKNOWN)
    aliases = _aliases(
        row,
        (
            ("jamf_id", ALIAS_MDM_DEVICE_ID),
            ("udid", ALIAS_UDID),
            ("mac", ALIAS_MAC),
            ("alt_mac", ALIAS_MAC),
        ),
    )
    return DeviceRecord(
        source=SOURCE_JAMF,
        source_label=row.file.label,
        location=row.location,
        observed=row.observed,
        name=identity[0],
        serial=identity[1],
        aliases=aliases,
        platform=PLATFORM_MACOS,
        os_name=row.text("os_name"),
        os_version=row.text("os_version"),
        owner=row.first_text("email", "username"),
        model=row.text("model"),
        facts=row.facts,
    )


def _mobile(row: Row) -> DeviceRecord | None:
    identity = row.identity()
    if identity is None:
        return None
    row.check_in("last_inventory")
    row.put_flag(ENCRYPTED, "data_protection")
    row.put_flag(ROOTED, "jailbreak", JAILBROKEN, NOT_JAILBROKEN)
    if row.flag("passcode", PASSCODE_SET, NO_PASSCODE) is False:
        row.put(SCREEN_LOCK_MINUTES, 0, "passcode", "no passcode")
    model = row.text("model")
    platform = platform_of(model)
    if platform == PLATFORM_OTHER and model is None and "ios_version" in row.file.match.indexes:
        platform = PLATFORM_IOS  # the export's own "iOS Version" column says so
    aliases = _aliases(
        row,
        (
            ("jamf_id", ALIAS_MDM_DEVICE_ID),
            ("udid", ALIAS_UDID),
            ("imei", ALIAS_IMEI),
            ("meid", ALIAS_MEID),
            ("wifi_mac", ALIAS_MAC),
        ),
    )
    os_name = None
    if platform == PLATFORM_IOS:
        os_name = "iPadOS" if model is not None and "ipad" in words(model) else "iOS"
    return DeviceRecord(
        source=SOURCE_JAMF,
        source_label=row.file.label,
        location=row.location,
        observed=row.observed,
        name=identity[0],
        serial=identity[1],
        aliases=aliases,
        platform=platform,
        os_name=os_name,
        os_version=row.first_text("ios_version", "os_version"),
        owner=row.first_text("email", "username"),
        model=model,
        facts=row.facts,
    )


JAMF_COMPUTERS = ExportProfile(
    source=SOURCE_JAMF,
    label="Jamf Pro computer export",
    tool="Jamf Pro computers",
    columns=tuple(Column(key, {"en": aliases}) for key, aliases in _COMPUTER_HEADERS.items()),
    signature=("filevault", "name", "secure_boot", "firewall", "jamf_id"),
    build=_computer,
    dates=frozenset({"last_checkin", "last_inventory"}),
)

JAMF_MOBILE = ExportProfile(
    source=SOURCE_JAMF,
    label="Jamf Pro mobile device export",
    tool="Jamf Pro mobile devices",
    columns=tuple(Column(key, {"en": aliases}) for key, aliases in _MOBILE_HEADERS.items()),
    signature=("data_protection", "passcode", "jailbreak", "ios_version", "jamf_id"),
    build=_mobile,
    dates=frozenset({"last_inventory"}),
)
