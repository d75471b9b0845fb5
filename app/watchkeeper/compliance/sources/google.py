"""Google Workspace / Android Enterprise device exports (Admin console > Devices > Download).

The export gives, per device: a name, the user's email, the OS with its version, the serial
number, the last sync, whether the device is compromised (rooted or jailbroken), whether it
is encrypted, whether a screen lock password is set and, where the console shows it, the
Play Integrity verdict. A password being set does not say after how long the screen locks,
so only "no password" becomes a screen lock fact (0 minutes).
"""

from __future__ import annotations

from watchkeeper.compliance.model import (
    ALIAS_IMEI,
    ALIAS_MAC,
    ALIAS_MDM_DEVICE_ID,
    ALIAS_MEID,
    ATTESTATION,
    ENCRYPTED,
    ROOTED,
    SCREEN_LOCK_MINUTES,
    SOURCE_GOOGLE,
    Alias,
    DeviceRecord,
)
from watchkeeper.compliance.sources.export import Column, ExportProfile, Row
from watchkeeper.compliance.sources.values import (
    NO,
    UNKNOWN,
    YES,
    platform_of,
    split_os,
    words,
)

_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("Name", "Device name", "Host name"),
    "owner": ("Email", "User email", "Email address", "Owner email"),
    "os": ("OS", "Operating system"),
    "os_version": ("OS version", "Release version"),
    "serial": ("Serial Number", "Serial"),
    "last_sync": ("Last Sync", "Last synced", "Last sync time"),
    "first_sync": ("First Sync", "First synced"),
    "compromised": (
        "Compromised status",
        "Device compromised status",
        "Compromised state",
        "Compromised",
    ),
    "encryption": ("Encryption status", "Encryption state"),
    "password": ("Password status", "Device password status", "Password state", "Screen lock"),
    "device_type": ("Device type", "Type"),
    "integrity": (
        "Play Integrity",
        "Device integrity",
        "Basic integrity",
        "CTS profile match",
        "Integrity verdict",
    ),
    "model": ("Model",),
    "manufacturer": ("Manufacturer", "Brand"),
    "device_id": ("Device Id", "Resource Id", "Hardware Id"),
    "imei": ("IMEI",),
    "meid": ("MEID",),
    "wifi_mac": ("WiFi MAC Address", "Wi-Fi MAC address", "MAC address"),
}

COMPROMISED = YES | {
    "compromised",
    "compromise detected",
    "device compromised",
    "rooted",
    "jailbroken",
    "detected",
}
NOT_COMPROMISED = NO | {
    "not compromised",
    "no compromise detected",
    "undetected",
    "not detected",
    "uncompromised",
    "no compromise",
}
# A device that cannot encrypt is not encrypted: that is a fact, not a guess.
ENCRYPTED_WORDS = YES | {"encrypted", "encryption on"}
NOT_ENCRYPTED_WORDS = NO | {
    "not encrypted",
    "unencrypted",
    "unsupported",
    "unsupported by device",
    "not supported",
    "encryption off",
}
PASSWORD_SET = YES | {"set", "password set", "enabled", "present"}
NO_PASSWORD = NO | {"not set", "password not set", "no password", "not present"}
INTEGRITY_PASSED = YES | {
    "pass",
    "passed",
    "meets integrity",
    "meets device integrity",
    "meets basic integrity",
    "meets strong integrity",
}
INTEGRITY_FAILED = NO | {
    "fail",
    "failed",
    "fails integrity",
    "fails basic integrity",
    "fails device integrity",
    "does not meet integrity",
    "not met",
}

_ALIAS_COLUMNS = (
    ("device_id", ALIAS_MDM_DEVICE_ID),
    ("imei", ALIAS_IMEI),
    ("meid", ALIAS_MEID),
    ("wifi_mac", ALIAS_MAC),
)


def _record(row: Row) -> DeviceRecord | None:
    identity = row.identity()
    if identity is None:
        return None
    name, serial = identity
    row.check_in("last_sync")
    row.put_flag(ROOTED, "compromised", COMPROMISED, NOT_COMPROMISED)
    row.put_flag(ENCRYPTED, "encryption", ENCRYPTED_WORDS, NOT_ENCRYPTED_WORDS)
    row.put_flag(ATTESTATION, "integrity", INTEGRITY_PASSED, INTEGRITY_FAILED)
    if row.flag("password", PASSWORD_SET, NO_PASSWORD) is False:
        row.put(SCREEN_LOCK_MINUTES, 0, "password", "no screen lock password")
    os_text = row.text("os")
    os_name, embedded_version = split_os(os_text) if os_text else (None, None)
    aliases = tuple(
        Alias(kind, value.strip())
        for key, kind in _ALIAS_COLUMNS
        if (value := row.text(key)) is not None and words(value) not in UNKNOWN
    )
    return DeviceRecord(
        source=SOURCE_GOOGLE,
        source_label=row.file.label,
        location=row.location,
        observed=row.observed,
        name=name,
        serial=serial,
        aliases=aliases,
        platform=platform_of(row.text("device_type"), os_text),
        os_name=os_name,
        os_version=row.text("os_version") or embedded_version,
        owner=row.text("owner"),
        model=row.text("model"),
        manufacturer=row.text("manufacturer"),
        facts=row.facts,
    )


GOOGLE = ExportProfile(
    source=SOURCE_GOOGLE,
    label="Google Workspace export",
    tool="Google Workspace",
    columns=tuple(Column(key, {"en": aliases}) for key, aliases in _HEADERS.items()),
    signature=("compromised", "encryption", "first_sync", "password", "device_type"),
    build=_record,
    dates=frozenset({"last_sync", "first_sync"}),
)
