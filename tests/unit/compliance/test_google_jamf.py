"""Google Workspace and Jamf Pro exports: every fact each gives, passing, failing and unknown."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.unit.compliance.reading import devices, messages, read

from watchkeeper.compliance.model import (
    ALIAS_IMEI,
    ALIAS_MDM_DEVICE_ID,
    ALIAS_UDID,
    ATTESTATION,
    ENCRYPTED,
    FIREWALL,
    MDM_LAST_CHECKIN,
    PLATFORM_ANDROID,
    PLATFORM_IOS,
    PLATFORM_MACOS,
    PLATFORM_WINDOWS,
    ROOTED,
    SCREEN_LOCK_MINUTES,
    SECURE_BOOT,
    SOURCE_GOOGLE,
    SOURCE_JAMF,
)


def test_google_device_export_passing_device() -> None:
    result = read("google-devices.csv")
    assert result.source == SOURCE_GOOGLE
    pixel = devices(result)["Pixel 8 Pro"]
    assert (pixel.platform, pixel.os_name, pixel.os_version) == (PLATFORM_ANDROID, "Android", "15")
    assert (pixel.serial, pixel.owner) == ("39031FDJH00ABC", "jsmith@oakfield.co.uk")
    assert pixel.alias_values(ALIAS_IMEI) == ["356938035643810"]
    assert pixel.alias_values(ALIAS_MDM_DEVICE_ID) == ["a9c1f1b2d3e4"]
    assert pixel.value(MDM_LAST_CHECKIN) == datetime(2026, 11, 23, 14, 5, 17, tzinfo=UTC)
    assert (pixel.value(ROOTED), pixel.value(ENCRYPTED), pixel.value(ATTESTATION)) == (
        False,
        True,
        True,
    )
    assert pixel.value(SCREEN_LOCK_MINUTES) is None  # a password, but no timeout given
    assert pixel.facts[ROOTED].evidence == (
        'Google Workspace export google-devices.csv, row 2, column "Compromised status" = '
        '"No compromise detected"'
    )


def test_google_device_export_failing_and_unknown_devices() -> None:
    result = read("google-devices.csv")
    found = devices(result)
    galaxy = found["Galaxy A54"]
    assert (galaxy.value(ROOTED), galaxy.value(ENCRYPTED), galaxy.value(ATTESTATION)) == (
        True,
        False,
        False,
    )
    assert galaxy.value(SCREEN_LOCK_MINUTES) == 0
    assert galaxy.facts[SCREEN_LOCK_MINUTES].evidence.endswith(
        'column "Password status" = "Off" (no screen lock password)'
    )
    iphone = found["Tom's iPhone"]
    assert iphone.platform == PLATFORM_IOS
    assert all(
        iphone.value(fact) is None for fact in (ROOTED, ENCRYPTED, ATTESTATION, SCREEN_LOCK_MINUTES)
    )
    desktop = found["DESKTOP-4F7Q2"]
    assert (desktop.platform, desktop.os_version, desktop.value(ENCRYPTED)) == (
        PLATFORM_WINDOWS,
        "11",
        True,
    )
    assert not result.problems


def test_jamf_computers_pass_fail_and_unknown() -> None:
    result = read("jamf-computers.csv")
    assert result.source == SOURCE_JAMF
    found = devices(result)
    lisa = found["MAC-LISA"]
    assert (lisa.platform, lisa.os_name, lisa.os_version, lisa.owner) == (
        PLATFORM_MACOS,
        "macOS",
        "14.6.1",
        "lisa.brown@oakfield.co.uk",
    )
    assert lisa.alias_values(ALIAS_UDID) == ["1A2B3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D"]
    assert lisa.value(MDM_LAST_CHECKIN) == datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
    assert (lisa.value(ENCRYPTED), lisa.value(FIREWALL), lisa.value(SECURE_BOOT)) == (
        True,
        True,
        True,
    )
    studio = found["MAC-STUDIO"]
    assert studio.owner == "design"  # no email: the username
    assert (studio.value(ENCRYPTED), studio.value(FIREWALL), studio.value(SECURE_BOOT)) == (
        False,
        False,
        True,
    )  # "medium" security still checks the OS at boot
    old = found["MAC-OLD"]
    assert old.value(ENCRYPTED) is False  # still encrypting: not encrypted yet
    assert old.facts[ENCRYPTED].evidence.endswith('column "FileVault 2 Status" = "Encrypting"')
    assert old.value(SECURE_BOOT) is None  # "not supported" on an Intel Mac without T2
    assert not result.problems


def test_jamf_computer_search_with_other_columns() -> None:
    result = read("jamf-computers-filevault-status.csv")
    found = devices(result)
    assert found["MAC-LISA"].value(ENCRYPTED) is True  # "Boot Partitions Encrypted"
    assert (
        found["MAC-LISA"]
        .facts[ENCRYPTED]
        .evidence.endswith('column "FileVault 2 - Status" = "Boot Partitions Encrypted"')
    )
    temp = found["MAC-TEMP"]
    assert (temp.value(ENCRYPTED), temp.value(FIREWALL), temp.value(SECURE_BOOT)) == (
        False,
        False,
        False,
    )
    assert temp.value(MDM_LAST_CHECKIN) == datetime(2026, 9, 30, 9, 15, tzinfo=UTC)


def test_jamf_mobile_devices() -> None:
    result = read("jamf-mobile-devices.csv")
    found = devices(result)
    iphone = found["Tom's iPhone"]
    assert (iphone.platform, iphone.os_name, iphone.os_version) == (PLATFORM_IOS, "iOS", "17.5.1")
    assert (iphone.value(ENCRYPTED), iphone.value(ROOTED)) == (True, False)
    assert iphone.value(SCREEN_LOCK_MINUTES) is None  # a passcode, but no auto-lock time
    assert iphone.value(MDM_LAST_CHECKIN) == datetime(2026, 11, 23, 6, 12, tzinfo=UTC)
    assert "Last Inventory Update" in iphone.facts[MDM_LAST_CHECKIN].evidence
    warehouse = found["Warehouse iPad"]
    assert warehouse.os_name == "iPadOS"
    assert (
        warehouse.value(ENCRYPTED),
        warehouse.value(ROOTED),
        warehouse.value(SCREEN_LOCK_MINUTES),
    ) == (False, True, 0)
    lobby = found["Lobby iPad"]
    assert set(lobby.facts) == {MDM_LAST_CHECKIN}  # empty cells and "Unknown": unknown
    assert messages(result) == []
