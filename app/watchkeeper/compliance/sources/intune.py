"""Microsoft Intune device exports (All devices, compliance reports, Graph exports) as records.

Intune gives, per device: its name, serial number, OS and version, primary user, last
check-in, whether it is encrypted and whether it is jailbroken or rooted, and its own
compliance verdict. It says nothing of firewalls, screen locks or antivirus in these
exports, so those facts stay unknown here.
"""

from __future__ import annotations

from watchkeeper.compliance.model import (
    ALIAS_AZURE_AD_DEVICE_ID,
    ALIAS_IMEI,
    ALIAS_MAC,
    ALIAS_MDM_DEVICE_ID,
    ALIAS_MEID,
    COMPLIANCE_STATE_REPORTED,
    ENCRYPTED,
    ROOTED,
    SOURCE_INTUNE,
    Alias,
    DeviceRecord,
)
from watchkeeper.compliance.sources.export import Column, ExportProfile, Row
from watchkeeper.compliance.sources.intune_headers import (
    INTUNE_COMPLIANCE,
    INTUNE_HEADERS,
    INTUNE_NO,
    INTUNE_YES,
)
from watchkeeper.compliance.sources.values import (
    UNKNOWN,
    platform_of,
    split_os,
    words,
)

_ALIAS_COLUMNS = (
    ("device_id", ALIAS_MDM_DEVICE_ID),
    ("aad_device_id", ALIAS_AZURE_AD_DEVICE_ID),
    ("imei", ALIAS_IMEI),
    ("meid", ALIAS_MEID),
    ("wifi_mac", ALIAS_MAC),
    ("ethernet_mac", ALIAS_MAC),
)
# Intune writes these where an id or address is not known.
_NO_ID = frozenset({"00000000-0000-0000-0000-000000000000", "000000000000"})


def _record(row: Row) -> DeviceRecord | None:
    identity = row.identity()
    if identity is None:
        return None
    name, serial = identity
    row.check_in("last_checkin")
    row.put_flag(ENCRYPTED, "encrypted", INTUNE_YES, INTUNE_NO)
    row.put_flag(ROOTED, "jailbroken", INTUNE_YES, INTUNE_NO)
    _compliance(row)
    os_text = row.text("os")
    os_name, embedded_version = split_os(os_text) if os_text else (None, None)
    aliases = tuple(
        Alias(kind, value.strip())
        for key, kind in _ALIAS_COLUMNS
        if (value := row.text(key)) is not None
        and words(value) not in UNKNOWN
        and value.strip() not in _NO_ID
    )
    return DeviceRecord(
        source=SOURCE_INTUNE,
        source_label=row.file.label,
        location=row.location,
        observed=row.observed,
        name=name,
        serial=serial,
        aliases=aliases,
        platform=platform_of(os_text, row.text("model")),
        os_name=os_name,
        os_version=row.text("os_version") or embedded_version,
        owner=row.first_text("owner_upn", "owner_email"),
        model=row.text("model"),
        manufacturer=row.text("manufacturer"),
        facts=row.facts,
    )


def _compliance(row: Row) -> None:
    text = row.text("compliance")
    if text is None or words(text) in UNKNOWN:
        return
    # A state Intune adds later is kept as written: it is shown, never judged.
    state = INTUNE_COMPLIANCE.get(words(text), text.strip())
    row.put(COMPLIANCE_STATE_REPORTED, state, "compliance")


INTUNE = ExportProfile(
    source=SOURCE_INTUNE,
    label="Intune export",
    tool="Intune",
    columns=tuple(Column(key, aliases) for key, aliases in INTUNE_HEADERS.items()),
    signature=("managed_by", "aad_device_id", "compliance", "jailbroken", "owner_upn", "encrypted"),
    build=_record,
    dates=frozenset({"last_checkin"}),
)
