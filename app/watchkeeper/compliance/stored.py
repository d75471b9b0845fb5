"""Device records as the store keeps them, and the key that says which record is which.

A record key names one device in one source across imports: the same laptop in Monday's
and Friday's Intune export has one key, so its history lines up and a manual merge or split
of it still holds next week.
"""

from __future__ import annotations

from datetime import UTC, datetime

from watchkeeper.compliance.model import (
    ALIAS_MDM_DEVICE_ID,
    ALIAS_OSQUERY_HOST,
    FACT_TYPES,
    PLATFORM_ANDROID,
    PLATFORM_IOS,
    PLATFORM_OTHER,
    PLATFORMS,
    SOURCE_LOGS,
    SOURCE_OSQUERY,
    Alias,
    DeviceRecord,
    Fact,
    FactValue,
)
from watchkeeper.core.identity import host_key
from watchkeeper.storage.inventory import FactRow, RecordRow


def utc(value: datetime) -> datetime:
    """A store time (naive UTC) as an aware UTC time."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def naive(value: datetime) -> datetime:
    """An aware time as the store keeps it: naive UTC."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def serial_key(serial: str) -> str:
    """A serial number as compared: case and spaces do not matter."""
    return "".join(serial.split()).casefold()


def name_key(name: str) -> str:
    """A device name as compared: the same comparison the Hosts view makes (see host_key)."""
    return host_key(name)


def record_key(record: DeviceRecord) -> str:
    """Which device in which source: its serial, else the source's own id, else its name."""
    if record.source == SOURCE_LOGS:
        return f"logs:host:{record.name.strip().casefold()}"
    if record.source == SOURCE_OSQUERY:
        identifiers = record.alias_values(ALIAS_OSQUERY_HOST)
        if identifiers:
            return f"osquery:host:{identifiers[0].strip().casefold()}"
    if record.serial:
        return f"{record.source}:serial:{serial_key(record.serial)}"
    ids = record.alias_values(ALIAS_MDM_DEVICE_ID)
    if ids:
        # Jamf numbers computers and mobile devices separately: computer 12 is not phone 12.
        kind = "mobile" if record.platform in (PLATFORM_IOS, PLATFORM_ANDROID) else "computer"
        return f"{record.source}:id:{kind}:{ids[0].strip().casefold()}"
    return f"{record.source}:name:{' '.join(record.name.split()).casefold()}"


def encode_value(value: FactValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return naive(value).isoformat()
    return str(value)


def decode_value(name: str, text: str) -> FactValue | None:
    """A stored fact's value, typed by its name; None for a name or value this version does
    not know (a store written by a newer Watchkeeper)."""
    kind = FACT_TYPES.get(name)
    try:
        if kind is bool and text in ("true", "false"):
            return text == "true"
        if kind is int:
            return int(text)
        if kind is datetime:
            return utc(datetime.fromisoformat(text))
        if kind is str:
            return text
    except ValueError:
        return None
    return None


def to_row(record: DeviceRecord) -> RecordRow:
    facts = tuple(
        FactRow(name, encode_value(fact.value), fact.evidence, naive(fact.observed))
        for name, fact in sorted(record.facts.items())
    )
    return RecordRow(
        record_key(record),
        record.source,
        record.source_label,
        record.location,
        naive(record.observed),
        record.name,
        record.serial,
        tuple((alias.kind, alias.value) for alias in record.aliases),
        record.platform,
        record.os_name,
        record.os_version,
        record.owner,
        record.model,
        record.manufacturer,
        facts,
    )


def from_row(row: RecordRow) -> DeviceRecord:
    facts: dict[str, Fact] = {}
    for fact in row.facts:
        value = decode_value(fact.fact, fact.value)
        if value is not None:
            facts[fact.fact] = Fact(value, fact.evidence, utc(fact.observed))
    return DeviceRecord(
        source=row.source,
        source_label=row.source_label,
        location=row.location,
        observed=utc(row.observed),
        name=row.name,
        serial=row.serial,
        aliases=tuple(Alias(kind, value) for kind, value in row.aliases),
        platform=row.platform if row.platform in PLATFORMS else PLATFORM_OTHER,
        os_name=row.os_name,
        os_version=row.os_version,
        owner=row.owner,
        model=row.model,
        manufacturer=row.manufacturer,
        facts=facts,
    )
