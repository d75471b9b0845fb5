"""Judging devices: every check's pass, fail and unknown, checks that do not apply, the
overall status, exceptions that expire, thresholds from the settings, and history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.unit.compliance.building import (
    DAY,
    HOUR,
    NOW,
    import_events,
    record,
    rows,
    save,
    windows_event,
)

from watchkeeper.compliance.evaluate import CheckResult
from watchkeeper.compliance.exceptions import add_exception, exceptions, remove_exception
from watchkeeper.compliance.history import device_history
from watchkeeper.compliance.model import (
    ATTESTATION,
    AV_REALTIME,
    AV_SIGNATURE_UPDATED,
    ENCRYPTED,
    FIREWALL,
    MDM_LAST_CHECKIN,
    ROOTED,
    SCREEN_LOCK_MINUTES,
    SECURE_BOOT,
)
from watchkeeper.compliance.policy import Policy, load_policy, parse_policy
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.settings import Settings
from watchkeeper.storage.store import Store

SYSMON = "Microsoft-Windows-Sysmon/Operational"
WIN = {"platform": "windows"}
PHONE = {"platform": "android"}
# (check, the record's keyword arguments, status, the start of the reason)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "os_supported",
        {"os_name": "Windows", "os_version": "10.0.26200.7171"},
        "pass",
        "Windows 11 25H2 is supported until 2027-10-12",
    ),
    (
        "os_supported",
        {"os_name": "Windows", "os_version": "10.0.22631.4460"},
        "fail",
        "Windows 11 23H2 reached the end of its support on 2025-11-11",
    ),
    (
        "os_supported",
        {"os_name": "Windows 11 Pro", "os_version": "10.0.26100"},
        "fail",
        "Windows 11 24H2 reached the end of its support on 2026-10-13",
    ),
    (
        "os_supported",
        {"os_name": "Windows Server 2025 Standard", "os_version": "10.0.26100.1"},
        "pass",
        "Windows Server 2025 is supported until 2034-11-14",
    ),
    (
        "os_supported",
        {"os_version": "10.0.27766"},
        "pass",
        "Build 27766 is newer than every release the policy (written 2026-11-23) lists",
    ),
    (
        "os_supported",
        {"os_version": "10.0.22000.2538"},
        "fail",
        "Build 22000 is not a Windows release the policy lists as supported",
    ),
    (
        "os_supported",
        {"os_name": "Windows"},
        "unknown",
        "No source says which version of its operating system it runs",
    ),
    (
        "os_supported",
        {"os_version": "Windows 11"},
        "unknown",
        'The version "Windows 11" gives no Windows build number',
    ),
    (
        "os_supported",
        {"platform": "macos", "os_version": "15.1"},
        "pass",
        "Version 15.1 is supported (the policy accepts 14 or later)",
    ),
    (
        "os_supported",
        {"platform": "macos", "os_version": "13.6.9"},
        "fail",
        "Version 13.6.9 is older than the oldest the policy accepts (14)",
    ),
    (
        "os_supported",
        {"platform": "ios", "os_version": "16.7.10"},
        "fail",
        "Version 16.7.10 is older",
    ),
    ("os_supported", {"platform": "android", "os_version": "14"}, "pass", "Version 14 is"),
    (
        "os_supported",
        {"platform": "linux", "os_name": "Ubuntu", "os_version": "24.04.1 LTS (Noble Numbat)"},
        "pass",
        "Ubuntu 24.04 LTS is supported until 2029-04-30",
    ),
    (
        "os_supported",
        {"platform": "linux", "os_name": "Ubuntu", "os_version": "20.04.6 LTS"},
        "fail",
        "Ubuntu 20.04.6 LTS is not a release the policy lists as supported",
    ),
    (
        "os_supported",
        {"platform": "linux", "os_name": "Rocky Linux", "os_version": "9.3"},
        "unknown",
        'The policy lists no supported versions of "Rocky Linux"',
    ),
    ("encrypted", {"facts": {ENCRYPTED: True}}, "pass", "Its storage is encrypted"),
    ("encrypted", {"facts": {ENCRYPTED: False}}, "fail", "Its storage is not encrypted"),
    ("encrypted", {}, "unknown", "No source says whether its storage is encrypted"),
    ("firewall", {"facts": {FIREWALL: True}}, "pass", "The firewall is on"),
    ("firewall", {"facts": {FIREWALL: False}}, "fail", "The firewall is off"),
    ("firewall", {}, "unknown", "No source says whether the firewall is on"),
    (
        "screen_lock",
        {"facts": {SCREEN_LOCK_MINUTES: 10}},
        "pass",
        "The screen locks after 10 minutes",
    ),
    (
        "screen_lock",
        {"facts": {SCREEN_LOCK_MINUTES: 30}},
        "fail",
        "The screen locks after 30 minutes, more than the policy's 15",
    ),
    (
        "screen_lock",
        {"facts": {SCREEN_LOCK_MINUTES: 0}},
        "fail",
        "The screen never locks with a password",
    ),
    ("screen_lock", {}, "unknown", "No source says after how long the screen locks"),
    (
        "not_rooted",
        {**PHONE, "facts": {ROOTED: False}},
        "pass",
        "The device is not rooted or jailbroken",
    ),
    (
        "not_rooted",
        {**PHONE, "facts": {ROOTED: True}},
        "fail",
        "The device is rooted or jailbroken",
    ),
    ("not_rooted", PHONE, "unknown", "No source says whether the device is rooted"),
    (
        "antivirus",
        {"facts": {AV_REALTIME: True, AV_SIGNATURE_UPDATED: NOW - DAY}},
        "pass",
        "Real-time protection is on and signatures are 1 day old",
    ),
    (
        "antivirus",
        {"facts": {AV_REALTIME: False, AV_SIGNATURE_UPDATED: NOW - DAY}},
        "fail",
        "Antivirus real-time protection is off",
    ),
    (
        "antivirus",
        {"facts": {AV_REALTIME: True, AV_SIGNATURE_UPDATED: NOW - 10 * DAY}},
        "fail",
        "Antivirus signatures are 10 days old, more than the policy's 7 days",
    ),
    (
        "antivirus",
        {"facts": {AV_REALTIME: True}},
        "unknown",
        "No source says when the signatures were updated",
    ),
    ("antivirus", {}, "unknown", "No source says whether real-time protection is on"),
    ("secure_boot", {"facts": {SECURE_BOOT: True}}, "pass", "Secure boot is on"),
    ("secure_boot", {"facts": {SECURE_BOOT: False}}, "fail", "Secure boot is off"),
    ("secure_boot", {}, "unknown", "No source says whether secure boot is on"),
    (
        "attestation",
        {**PHONE, "facts": {ATTESTATION: True}},
        "pass",
        "The device passes attestation",
    ),
    (
        "attestation",
        {**PHONE, "facts": {ATTESTATION: False}},
        "fail",
        "The device fails attestation",
    ),
    ("attestation", PHONE, "unknown", "No source says whether the device passes attestation"),
    (
        "mdm_checkin",
        {"facts": {MDM_LAST_CHECKIN: NOW - 2 * DAY}},
        "pass",
        "Checked in with Intune 2 days ago",
    ),
    (
        "mdm_checkin",
        {"facts": {MDM_LAST_CHECKIN: NOW - 10 * DAY}},
        "fail",
        "Last checked in with Intune 10 days ago, more than the policy's 7 days",
    ),
    ("mdm_checkin", {}, "unknown", "The Intune export gives no check-in time"),
    ("mdm_checkin", {"source": "osquery"}, "unknown", "No MDM export lists this device"),
    ("logs_received", {}, "unknown", "The store holds no events from any named host yet"),
]


def judge(
    store: Store,
    check: str,
    policy: Policy | None = None,
    now: datetime = NOW,
    settings: Settings | None = None,
    **kwargs: Any,
) -> CheckResult:
    kwargs = {**WIN, **kwargs}
    save(store, record(**kwargs))
    found = rows(store, now, policy, settings=settings)
    assert len(found) == 1
    return next(iter(found.values())).checks[check]


@pytest.mark.parametrize(
    ("check", "kwargs", "status", "reason"),
    CASES,
    ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)],
)
def test_every_check_passes_fails_and_says_when_it_cannot_tell(
    store: Store, check: str, kwargs: dict[str, Any], status: str, reason: str
) -> None:
    result = judge(store, check, **kwargs)
    assert (result.status, result.actual) == (status, status), result.reason
    assert result.reason.startswith(reason), result.reason
    if status == "unknown" and check != "os_supported":
        assert result.evidence is None or check == "antivirus"
    if status in ("pass", "fail"):  # the evidence names the file, and the source its date
        assert result.evidence and "row 2" in result.evidence
        assert result.source == kwargs.get("source", "intune") and result.observed is not None


def test_logs_received_passes_fails_or_finds_no_events(store: Store, tmp_path: Path) -> None:
    save(store, record("PC-07", serial="S1"), record("PC-08", serial="S2", row=3))
    import_events(
        store,
        tmp_path,
        [
            windows_event(
                "PC-07.oakfield.local",
                NOW - 2 * HOUR,
                "Security",
                4624,
                "Microsoft-Windows-Security-Auditing",
            ),
            windows_event(
                "PC-09.oakfield.local",
                NOW - 3 * DAY,
                "Security",
                4624,
                "Microsoft-Windows-Security-Auditing",
            ),
        ],
        forwarded=True,
    )
    import_events(
        store,
        tmp_path,
        [
            windows_event(
                "PC-OLD",
                datetime(2024, 3, 3, 9, 0, tzinfo=UTC),
                "Security",
                4624,
                "Microsoft-Windows-Security-Auditing",
            )
        ],
    )
    found = rows(store)
    fresh, silent, never, history = (
        found[name].checks["logs_received"]
        for name in ("PC-07", "PC-09.oakfield.local", "PC-08", "PC-OLD")
    )
    assert (fresh.status, fresh.reason) == ("pass", "Its newest event is 2 hours old")
    assert fresh.source == "logs" and fresh.observed == NOW - 2 * HOUR
    assert fresh.evidence is not None and fresh.evidence.startswith(
        'Newest event from host "PC-07.oakfield.local": event #1 ("nxlog Security 4624") at '
        "2026-11-23 13:00:00 UTC"
    )
    assert (silent.status, silent.reason) == (
        "fail",
        "No events for 3 days, more than the policy's 24 hours",
    )
    assert (never.status, never.reason) == (
        "fail",
        'No events from this device in the store (looked for "PC-08")',
    )
    assert found["PC-07"].host_names == ("PC-07.oakfield.local",)
    # known only from an imported file: history, neither failing nor passing
    assert (history.status, history.reason) == (
        "n/a",
        "History only: its events were imported from files (the newest 3 Mar 2024); "
        "it does not forward its logs",
    )
    assert history.evidence is not None and "PC-OLD" in history.evidence
    assert found["PC-OLD"].overall != "fail"


def test_sysmon_check_when_the_policy_turns_it_on(store: Store, tmp_path: Path) -> None:
    policy = parse_policy("written: 2026-11-23\nchecks:\n  sysmon: {}\n", "sysmon.yml")
    import_events(
        store,
        tmp_path,
        [
            windows_event(
                "PC-RUN",
                NOW - DAY,
                SYSMON,
                4,
                "Microsoft-Windows-Sysmon",
                "Sysmon service state changed:\r\nState: Started\r\nVersion: 15.15",
                State="Started",
            ),
            windows_event("PC-RUN", NOW - HOUR, SYSMON, 1, "Microsoft-Windows-Sysmon"),
            windows_event("PC-STOP", NOW - DAY, SYSMON, 1, "Microsoft-Windows-Sysmon"),
            windows_event(
                "PC-STOP",
                NOW - 2 * HOUR,
                SYSMON,
                4,
                "Microsoft-Windows-Sysmon",
                "Sysmon service state changed:\r\nState: Stopped\r\nVersion: 15.15",
                State="Stopped",
            ),
            windows_event(
                "PC-NONE", NOW - HOUR, "Security", 4624, "Microsoft-Windows-Security-Auditing"
            ),
        ],
    )
    save(store, record("MAC-01", platform="windows", serial="M1"))
    found = {name: row.checks["sysmon"] for name, row in rows(store, policy=policy).items()}
    assert found["PC-RUN"].status == "pass" and found["PC-RUN"].reason.startswith(
        "Sysmon 15.15 is running: Started at 2026-11-22 15:00 UTC"
    )
    assert found["PC-STOP"].status == "fail" and found["PC-STOP"].reason.startswith(
        "Sysmon 15.15 stopped: Stopped at 2026-11-23 13:00 UTC"
    )
    assert found["PC-NONE"].status == "fail" and found["PC-NONE"].reason.startswith(
        "None of its 1 Windows events is from Sysmon"
    )
    assert (found["MAC-01"].status, found["MAC-01"].reason) == (
        "unknown",
        "No Windows events from this device in the store",
    )


def test_a_check_that_does_not_apply_says_so(store: Store) -> None:
    save(store, record("Pixel 8", platform="android", facts={ENCRYPTED: True}))
    row = rows(store)["Pixel 8"]
    boot = row.checks["secure_boot"]
    assert (boot.status, boot.reason) == ("n/a", "Secure boot is not checked on android devices")
    assert row.checks["firewall"].status == "n/a" and row.checks["encrypted"].status == "pass"


def test_overall_is_fail_then_unknown_then_pass(store: Store) -> None:
    policy = parse_policy(
        "written: 2026-11-23\nchecks:\n  encrypted: {}\n  firewall: {}\n  not_rooted: {}\n",
        "two.yml",
    )
    save(
        store,
        record("A", serial="1", facts={ENCRYPTED: True, FIREWALL: True}),
        record("B", serial="2", facts={ENCRYPTED: True}, row=3),
        record("C", serial="3", facts={ENCRYPTED: False}, row=4),
    )
    found = rows(store, policy=policy)
    assert {name: row.overall for name, row in found.items()} == {
        "A": "pass",
        "B": "unknown",
        "C": "fail",
    }
    assert found["C"].failing == ("encrypted",)
    assert list(found["A"].checks) == ["encrypted", "firewall", "not_rooted"]
    assert found["A"].checks["not_rooted"].status == "n/a"  # n/a counts as passing


def test_an_exception_holds_until_it_expires(store: Store) -> None:
    save(store, record("PC-07", facts={ENCRYPTED: False}))
    device = rows(store)["PC-07"].device
    exception = add_exception(
        store,
        device,
        "encrypted",
        "Encrypting this week (ticket 4411)",
        NOW + 7 * DAY,
        who="admin",
        now=NOW,
    )
    policy = parse_policy("written: 2026-11-23\nchecks:\n  encrypted: {}\n", "enc.yml")
    during = rows(store, NOW + DAY, policy)["PC-07"]
    result = during.checks["encrypted"]
    assert (result.status, result.actual) == ("excepted", "fail")
    assert result.reason == "Its storage is not encrypted"
    assert result.exception == exception and exception.created_by == "admin"
    assert during.overall == "pass"  # excepted counts as passing, and stays visible
    after = rows(store, NOW + 8 * DAY, policy)["PC-07"]
    assert (after.checks["encrypted"].status, after.overall) == ("fail", "fail")
    assert exceptions(store, device.device_id) == [exception]  # expired, still listed
    assert remove_exception(store, exception.id) and exceptions(store) == []


def test_an_exception_needs_a_known_check_a_reason_and_an_expiry(store: Store) -> None:
    save(store, record("PC-07"))
    device = rows(store)["PC-07"].device
    with pytest.raises(WatchkeeperError, match="Say why"):
        add_exception(store, device, "encrypted", "  ", NOW + DAY, now=NOW)
    with pytest.raises(WatchkeeperError, match="Give the date the exception ends"):
        add_exception(store, device, "encrypted", "new laptop on order", None, now=NOW)
    with pytest.raises(WatchkeeperError, match="before it starts"):
        add_exception(store, device, "encrypted", "new laptop on order", NOW - DAY, now=NOW)
    with pytest.raises(WatchkeeperError, match="'encryption' is not a check"):
        add_exception(store, device, "encryption", "new laptop on order", NOW + DAY, now=NOW)
    assert exceptions(store) == []


def test_a_threshold_from_the_settings_changes_the_verdict(store: Store) -> None:
    result = judge(store, "screen_lock", facts={SCREEN_LOCK_MINUTES: 10})
    assert result.status == "pass"
    stricter = rows(store, settings=Settings(compliance_thresholds={"screen_lock.max_minutes": 5}))[
        "PC-07"
    ].checks["screen_lock"]
    assert (stricter.status, stricter.reason) == (
        "fail",
        "The screen locks after 10 minutes, more than the policy's 5",
    )


def test_the_row_says_what_else_its_sources_say(store: Store, tmp_path: Path) -> None:
    save(
        store,
        record(
            "PC-07",
            serial="S1",
            os_name="Windows",
            os_version="10.0.26200.7171",
            owner="jsmith@oakfield.co.uk",
        ),
    )
    import_events(
        store,
        tmp_path,
        [
            windows_event(
                "PC-07",
                NOW - HOUR,
                "Microsoft-Windows-Windows Defender/Operational",
                1116,
                "Microsoft-Windows-Windows Defender",
                "Threat detected",
                **{"Threat Name": "Trojan:Win32/Example", "Severity Name": "Severe"},
            )
        ],
    )
    row = rows(store)["PC-07"]
    assert (row.os, row.owner, row.sources) == (
        "Windows 10.0.26200.7171",
        "jsmith@oakfield.co.uk",
        ("intune", "logs"),
    )
    assert row.notes == (
        'Defender on "PC-07": 1 detection, the latest "Trojan:Win32/Example" on 2026-11-23',
    )


def test_history_says_what_changed_when_and_from_where(store: Store, tmp_path: Path) -> None:
    save(
        store,
        record(
            "PC-07",
            serial="S1",
            os_version="10.0.26100.100",
            facts={ENCRYPTED: False, MDM_LAST_CHECKIN: NOW - 5 * DAY},
            observed=NOW - 5 * DAY,
            label="monday.csv",
        ),
    )
    save(
        store,
        record(
            "PC-07",
            serial="S1",
            os_version="10.0.26200.7171",
            facts={ENCRYPTED: True, MDM_LAST_CHECKIN: NOW - DAY, FIREWALL: True},
            observed=NOW - DAY,
            label="friday.csv",
        ),
    )
    import_events(
        store,
        tmp_path,
        [
            windows_event(
                "PC-07",
                NOW - 3 * HOUR,
                SYSMON,
                4,
                "Microsoft-Windows-Sysmon",
                "State: Stopped\r\nVersion: 15.15",
                State="Stopped",
            ),
            windows_event(
                "PC-07",
                NOW - 2 * HOUR,
                "System",
                7036,
                "Service Control Manager",
                "The Sysmon64 service entered the running state.",
                param1="Sysmon64",
                param2="running",
            ),
        ],
    )
    device = rows(store)["PC-07"].device
    history = device_history(store, device.device_id)
    assert [entry.sentence for entry in history] == [
        'Intune monday.csv, row 2: first listed as "PC-07"',
        'Intune friday.csv, row 2: os version changed from "10.0.26100.100" to "10.0.26200.7171"',
        "Intune friday.csv, row 2: encrypted changed from no to yes",
        "Intune friday.csv, row 2: firewall is now yes",
        'Sysmon stopped on "PC-07"',
        'Sysmon started on "PC-07"',
    ]
    assert history[2].evidence == 'friday.csv, row 2, column "encrypted" = True'
    assert (history[4].source, history[4].time) == ("logs", NOW - 3 * HOUR)
    assert history[5].evidence == (
        'System event 7036 #2: service "Sysmon64" entered the "running" state'
    )
    with pytest.raises(WatchkeeperError, match="There is no device 'dev-nothing'"):
        device_history(store, "dev-nothing")


def test_the_shipped_policy_judges_the_fixture_exports(store: Store) -> None:
    from watchkeeper.compliance.importing import import_device_file

    folder = Path(__file__).resolve().parents[2] / "fixtures" / "compliance"
    for name in ("intune-all-devices-en.csv", "osquery-snapshot.log", "jamf-computers.csv"):
        assert import_device_file(store, folder / name, now=NOW).status == "imported"
    found = rows(store, policy=load_policy())
    pc = found["PC-07"]
    assert pc.sources == ("intune", "osquery")
    assert pc.checks["firewall"].status == "fail"  # off for the public profile (osquery)
    assert pc.checks["encrypted"].source == "intune"
    assert pc.checks["os_supported"].reason.startswith("Windows 11 23H2 reached the end")
