"""One device as one source saw it: the record every inventory reader produces.

A reader turns an MDM export or an osquery log into `DeviceRecord`s. A record says who
saw the device (`source`, `source_label`, `location`), when (`observed`), what the device
is called (`name`, `serial`, `aliases`) and what it is (`platform`, `os_name`,
`os_version`, `owner`, `model`, `manufacturer`). Its security state is in `facts`: one
`Fact` per name from `FACT_TYPES`, each with its value, a sentence of evidence and the
time it was true. A fact the source does not give, or gives in a form Watchkeeper does not
understand, is absent: nothing is guessed, and absent means unknown.

Records from several sources are merged, and facts judged against a policy, elsewhere;
this module only says what one source said.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from watchkeeper.core.errors import WatchkeeperError

# Sources: which tool saw the device.
SOURCE_INTUNE = "intune"  # Microsoft Intune device exports
SOURCE_GOOGLE = "google"  # Google Workspace / Android Enterprise device exports
SOURCE_JAMF = "jamf"  # Jamf Pro computer and mobile-device inventory exports
SOURCE_OSQUERY = "osquery"  # osquery results logs of the Watchkeeper pack
SOURCE_LOGS = "logs"  # the events already in the store
SOURCES = (SOURCE_INTUNE, SOURCE_GOOGLE, SOURCE_JAMF, SOURCE_OSQUERY, SOURCE_LOGS)

PLATFORM_WINDOWS = "windows"
PLATFORM_MACOS = "macos"
PLATFORM_LINUX = "linux"
PLATFORM_IOS = "ios"  # iPhone and iPad (iPadOS)
PLATFORM_ANDROID = "android"
PLATFORM_CHROMEOS = "chromeos"
PLATFORM_OTHER = "other"  # anything else, or not said
PLATFORMS = (
    PLATFORM_WINDOWS,
    PLATFORM_MACOS,
    PLATFORM_LINUX,
    PLATFORM_IOS,
    PLATFORM_ANDROID,
    PLATFORM_CHROMEOS,
    PLATFORM_OTHER,
)

# Facts. Each name has one value type, listed in FACT_TYPES.
ENCRYPTED = "encrypted"
"""bool: the system disk (BitLocker, FileVault, LUKS) or the phone's storage is encrypted."""
FIREWALL = "firewall"
"""bool: the host firewall is on (on Windows, on every network profile)."""
SCREEN_LOCK_MINUTES = "screen_lock_minutes"
"""int: idle minutes before the screen locks and asks for a password; 0 = it never does."""
ROOTED = "rooted"
"""bool: the device is rooted (Android) or jailbroken (iOS)."""
AV_REALTIME = "av_realtime"
"""bool: antivirus real-time protection is on."""
AV_SIGNATURE_UPDATED = "av_signature_updated"
"""datetime (UTC): when the antivirus signatures were last updated."""
SECURE_BOOT = "secure_boot"
"""bool: UEFI Secure Boot (or Apple's secure boot at full or medium security) is on."""
ATTESTATION = "attestation"
"""bool: the device passes attestation (Play Integrity, Windows device health attestation)."""
MDM_LAST_CHECKIN = "mdm_last_checkin"
"""datetime (UTC): when the device last checked in with its MDM."""
COMPLIANCE_STATE_REPORTED = "compliance_state_reported"
"""str: the MDM's own verdict ("compliant", "noncompliant", ...); shown, never judged."""

FACT_TYPES: Mapping[str, type] = {
    ENCRYPTED: bool,
    FIREWALL: bool,
    SCREEN_LOCK_MINUTES: int,
    ROOTED: bool,
    AV_REALTIME: bool,
    AV_SIGNATURE_UPDATED: datetime,
    SECURE_BOOT: bool,
    ATTESTATION: bool,
    MDM_LAST_CHECKIN: datetime,
    COMPLIANCE_STATE_REPORTED: str,
}

# Alias kinds: other names a device goes by, for recognising it in other sources.
ALIAS_HOSTNAME = "hostname"  # a host or DNS name, e.g. "pc-07.oakfield.local"
ALIAS_AZURE_AD_DEVICE_ID = "azure_ad_device_id"  # Microsoft Entra (Azure AD) device id
ALIAS_MDM_DEVICE_ID = "mdm_device_id"  # the MDM's own id (Intune, Jamf, Google)
ALIAS_HARDWARE_UUID = "hardware_uuid"  # SMBIOS / Apple hardware UUID
ALIAS_UDID = "udid"  # Apple's device identifier
ALIAS_OSQUERY_HOST = "osquery_host"  # osquery's hostIdentifier
ALIAS_MAC = "mac"  # a network adapter's MAC address
ALIAS_IMEI = "imei"
ALIAS_MEID = "meid"

FactValue = bool | int | str | datetime


@dataclass(frozen=True, slots=True)
class Fact:
    """One thing a source said about a device, with the evidence a user can check.

    `evidence` is one sentence naming the source, the file and row (or log line and
    query), the original column and its raw value, e.g. 'Intune export devices.csv,
    row 4, column "Encrypted" = "False"'.
    """

    value: FactValue
    evidence: str
    observed: datetime  # when the source saw this, UTC


@dataclass(frozen=True, slots=True)
class Alias:
    kind: str  # one of the ALIAS_ kinds
    value: str


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """One device as one source saw it at one time.

    Text fields hold what the source wrote, untouched (hostile text included: escape it
    wherever it meets markup). None means the source did not say.
    """

    source: str  # one of SOURCES
    source_label: str  # the file it came from, e.g. "intune-devices.csv"
    location: str  # where in that file: "row 4", 'host "pc-07"'
    observed: datetime  # UTC: the source's own check-in/sync time, else the file's time
    name: str  # the device name; the serial number when the source gives no name
    serial: str | None = None
    aliases: tuple[Alias, ...] = ()
    platform: str = PLATFORM_OTHER  # one of PLATFORMS
    os_name: str | None = None  # as the source says it: "Windows", "macOS", "Android"
    os_version: str | None = None  # "10.0.22631.4460", "14.6.1", "14"
    owner: str | None = None  # the primary user's UPN or email
    model: str | None = None
    manufacturer: str | None = None
    facts: Mapping[str, Fact] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}")
        if self.platform not in PLATFORMS:
            raise ValueError(f"unknown platform {self.platform!r}")
        _check_utc(self.observed, "observed")
        for name, fact in self.facts.items():
            _check_fact(name, fact)

    def value(self, name: str) -> FactValue | None:
        """The value of fact `name`, or None when the source did not say."""
        fact = self.facts.get(name)
        return None if fact is None else fact.value

    def alias_values(self, kind: str) -> list[str]:
        return [alias.value for alias in self.aliases if alias.kind == kind]


def _check_utc(value: datetime, what: str) -> None:
    if value.utcoffset() != timedelta(0):
        raise ValueError(f"{what} must be an aware UTC datetime, not {value!r}")


def _check_fact(name: str, fact: Fact) -> None:
    expected = FACT_TYPES.get(name)
    if expected is None:
        raise ValueError(f"unknown fact {name!r}")
    # bool is an int to Python; a minute count must not be a bool, nor a flag a number.
    if type(fact.value) is not expected and not (
        expected is datetime and isinstance(fact.value, datetime)
    ):
        raise ValueError(f"fact {name!r} must be {expected.__name__}, not {fact.value!r}")
    if isinstance(fact.value, datetime):
        _check_utc(fact.value, name)
    _check_utc(fact.observed, f"{name}.observed")


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """Something in an inventory file that could not be read; the rest was read."""

    title: str
    message: str  # one sentence naming the file, the row or line, and what was wrong


class InventoryError(WatchkeeperError):
    """An inventory file that could not be read at all."""

    title = "Device list not imported"


@dataclass
class InventoryResult:
    """What one inventory file gave: its devices, what could not be read, and remarks."""

    records: list[DeviceRecord]
    source: str  # one of SOURCES
    problems: list[ImportProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the file was read
