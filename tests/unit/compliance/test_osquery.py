"""osquery results logs of the Watchkeeper pack: snapshots, differentials, and the pack itself."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from tests.unit.compliance.reading import devices, messages, read, read_bytes

from watchkeeper.compliance.model import (
    ALIAS_HARDWARE_UUID,
    ALIAS_HOSTNAME,
    ALIAS_OSQUERY_HOST,
    AV_REALTIME,
    AV_SIGNATURE_UPDATED,
    ENCRYPTED,
    FIREWALL,
    PLATFORM_LINUX,
    PLATFORM_MACOS,
    PLATFORM_WINDOWS,
    SCREEN_LOCK_MINUTES,
    SECURE_BOOT,
    SOURCE_OSQUERY,
    DeviceRecord,
)
from watchkeeper.compliance.sources.osquery_facts import QUERIES
from watchkeeper.compliance.sources.osquery_log import query_of
from watchkeeper.compliance.sources.osquery_windows import filetime
from watchkeeper.core.paths import resources_dir

PACK = resources_dir() / "osquery" / "watchkeeper-pack.conf"
# Tables the pack reads, and the systems osquery has them on (from osquery's specs/).
TABLES = {
    "system_info": {"windows", "darwin", "linux"},
    "os_version": {"windows", "darwin", "linux"},
    "secureboot": {"windows", "darwin", "linux"},
    "bitlocker_info": {"windows"},
    "disk_encryption": {"darwin", "linux"},
    "mounts": {"darwin", "linux"},
    "windows_security_center": {"windows"},
    "windows_security_products": {"windows"},
    "registry": {"windows"},
    "alf": {"darwin"},
    "screenlock": {"darwin"},
    "managed_policies": {"darwin"},
    "iptables": {"linux"},
    "systemd_units": {"linux"},
}


def test_snapshot_log_windows_host() -> None:
    result = read("osquery-snapshot.log")
    assert result.source == SOURCE_OSQUERY
    assert result.notes == ["Read as an osquery results log: 3 hosts"]
    pc = devices(result)["PC-07"]
    assert (pc.serial, pc.platform, pc.os_name, pc.os_version) == (
        "5NBR4K3",
        PLATFORM_WINDOWS,
        "Microsoft Windows 11 Pro",
        "10.0.22631",
    )
    assert (pc.model, pc.manufacturer) == ("Latitude 5440", "Dell Inc.")
    assert pc.alias_values(ALIAS_OSQUERY_HOST) == ["PC-07.oakfield.local"]
    assert pc.alias_values(ALIAS_HOSTNAME) == ["PC-07.oakfield.local"]
    assert pc.alias_values(ALIAS_HARDWARE_UUID) == ["4C4C4544-0042-3510-8052-B4C04F4E4B32"]
    assert pc.observed == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert pc.value(ENCRYPTED) is True  # C: is protected; the data drive D: is not the system
    assert pc.facts[ENCRYPTED].evidence == (
        'osquery log osquery-snapshot.log, host "PC-07.oakfield.local", query bitlocker, line 4: '
        'drive_letter = "C:", protection_status = "1", percentage_encrypted = "100" '
        "(BitLocker protection on)"
    )
    # Group Policy turns the public profile off, whatever the local setting says.
    assert pc.value(FIREWALL) is False
    assert pc.facts[FIREWALL].evidence.endswith("(off for the public profile)")
    assert (
        "SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\PublicProfile"
        in pc.facts[FIREWALL].evidence
    )
    assert pc.value(SCREEN_LOCK_MINUTES) == 10  # screen saver at 10 min, inside the 15 min limit
    assert pc.value(AV_REALTIME) is True
    assert pc.value(AV_SIGNATURE_UPDATED) == datetime(2026, 11, 22, 3, 10, tzinfo=UTC)
    assert pc.value(SECURE_BOOT) is True


def test_snapshot_log_mac_and_linux_hosts() -> None:
    found = devices(read("osquery-snapshot.log"))
    mac = found["MAC-LISA"]
    assert (mac.platform, mac.os_version, mac.serial) == (PLATFORM_MACOS, "14.6.1", "C02FK1ABQ6L4")
    assert (mac.value(ENCRYPTED), mac.value(FIREWALL), mac.value(SECURE_BOOT)) == (
        True,
        False,
        True,
    )
    assert mac.value(SCREEN_LOCK_MINUTES) == 11  # 600 s idle + 5 s grace, rounded up
    assert mac.value(AV_REALTIME) is None  # not collected on macOS
    server = found["srv-files"]
    assert (server.platform, server.os_name) == (PLATFORM_LINUX, "Ubuntu")
    assert server.serial is None  # "To Be Filled By O.E.M." names no device
    assert (server.value(ENCRYPTED), server.value(SECURE_BOOT)) == (False, False)
    # An ACCEPT policy and ufw stopped do not prove there is no firewall (nftables): unknown.
    assert server.value(FIREWALL) is None
    assert server.value(SCREEN_LOCK_MINUTES) is None


def test_differential_log_replays_added_and_removed_rows() -> None:
    result = read("osquery-differential.log")
    found = devices(result)
    pc = found["PC-12"]
    assert pc.platform == PLATFORM_WINDOWS
    assert pc.value(ENCRYPTED) is None  # BitLocker's row was removed and nothing replaced it
    assert pc.value(AV_REALTIME) is False  # DisableRealtimeMonitoring = 1
    assert pc.value(AV_SIGNATURE_UPDATED) == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    assert pc.value(SCREEN_LOCK_MINUTES) == 0  # no password-protected screen saver, no limit
    assert pc.value(SECURE_BOOT) is True  # logged with numerics: 1, not "1"
    assert pc.observed == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    mac = found["MAC-02"]
    assert mac.value(FIREWALL) is False  # a batch removed global_state 1 and added 0
    assert mac.facts[FIREWALL].observed == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert mac.value(ENCRYPTED) is None  # FileVault's row was removed


def test_differential_log_reports_what_it_skipped() -> None:
    result = read("osquery-differential.log")
    assert messages(result) == [
        "osquery-differential.log: line 17 is not complete JSON (the log was probably still "
        "being written); it was skipped"
    ]
    assert (
        "Results of 1 query outside the Watchkeeper pack were skipped: "
        "pack_incident-response_listening_ports"
    ) in result.notes
    assert "Skipped 1 line that is not a query result" in result.notes


def test_hostile_host_names_are_kept_as_data() -> None:
    hostile = "<img src=x onerror=alert(1)>'; DROP TABLE hosts;--\x1b[2J"
    record = devices(read("osquery-differential.log"))[hostile]
    assert record.alias_values(ALIAS_OSQUERY_HOST) == [hostile]
    assert record.location == 'host "<img src=x onerror=alert(1)>\'; DROP TABLE hosts;--\\x1b[2J"'


def _log(*lines: dict[str, object]) -> bytes:
    return "\n".join(json.dumps(line) for line in lines).encode()


def _screen_lock(rows: list[dict[str, str]]) -> DeviceRecord:
    line = {
        "name": "pack_watchkeeper_windows_screen_lock",
        "hostIdentifier": "pc",
        "unixTime": 1795442400,
        "snapshot": rows,
        "action": "snapshot",
    }
    return read_bytes("screen.log", _log(line)).records[0]


USER = "HKEY_USERS\\S-1-5-21-1-2-3-1001"
OTHER = "HKEY_USERS\\S-1-5-21-1-2-3-1002"
LIMIT = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System"


def _saver(
    user: str, active: str, secure: str, timeout: str, policy: bool = False
) -> list[dict[str, str]]:
    key = user + (
        "\\Software\\Policies\\Microsoft\\Windows\\Control Panel\\Desktop"
        if policy
        else "\\Control Panel\\Desktop"
    )
    return [
        {"key": key, "name": name, "data": data}
        for name, data in (
            ("ScreenSaveActive", active),
            ("ScreenSaverIsSecure", secure),
            ("ScreenSaveTimeOut", timeout),
        )
    ]


MACHINE_LIMIT = {"key": LIMIT, "name": "InactivityTimeoutSecs", "data": "900"}


@pytest.mark.parametrize(
    ("rows", "minutes"),
    [
        (_saver(USER, "1", "1", "300"), 5),
        (_saver(USER, "1", "0", "300"), 0),  # a screen saver without a password does not lock
        ([*_saver(USER, "1", "0", "300"), *_saver(USER, "1", "1", "600", policy=True)], 10),
        ([*_saver(USER, "1", "1", "300"), *_saver(OTHER, "1", "1", "1800")], 30),  # the worst user
        ([MACHINE_LIMIT, *_saver(USER, "0", "0", "0")], 15),  # the limit locks without a saver
        ([MACHINE_LIMIT, *_saver(USER, "1", "1", "3600")], 15),
        ([MACHINE_LIMIT], 15),
        (
            [
                {
                    "key": USER + "\\Control Panel\\Desktop",
                    "name": "ScreenSaveTimeOut",
                    "data": "300",
                }
            ],
            None,
        ),  # whether it is active and secure is not known: unknown
    ],
)
def test_windows_screen_lock_rules(rows: list[dict[str, str]], minutes: int | None) -> None:
    assert _screen_lock(rows).value(SCREEN_LOCK_MINUTES) == minutes


def test_logged_query_names_with_any_pack_name_and_delimiter() -> None:
    assert query_of("os_version", QUERIES) == "os_version"
    assert query_of("pack_watchkeeper_os_version", QUERIES) == "os_version"
    assert query_of("pack/compliance/windows_security_center", QUERIES) == "windows_security_center"
    assert query_of("pack_incident-response_listening_ports", QUERIES) is None
    assert query_of("my_os_version", QUERIES) is None


def test_filetime_as_osquery_shows_registry_binary() -> None:
    assert filetime("00B4AFF52E7ADD010000000000000000") == datetime(2026, 11, 22, 3, 10, tzinfo=UTC)
    assert filetime("0000000000000000") is None
    assert filetime("not hex") is None


def test_the_shipped_pack_is_what_the_reader_reads() -> None:
    pack = json.loads(PACK.read_text())
    queries = pack["queries"]
    assert tuple(queries) == QUERIES
    for name, query in queries.items():
        assert query["platform"] in ("all", "windows", "darwin", "linux"), name
        assert isinstance(query["interval"], int) and query["interval"] > 0
        assert query["description"]
        platforms = (
            {"windows", "darwin", "linux"} if query["platform"] == "all" else {query["platform"]}
        )
        for table in re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", query["query"]):
            assert table in TABLES, f"{name} reads {table}, not checked against osquery's specs"
            assert platforms <= TABLES[table], f"{name} runs where {table} does not exist"
