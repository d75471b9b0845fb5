"""The logs as a device source: hosts, when they were last heard from, their platform and
Windows version, Sysmon's version and whether it stopped, and Defender's detections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import shared
from tests.unit.compliance.building import (
    DAY,
    HOUR,
    NOW,
    import_events,
    import_text,
    rows,
    windows_event,
)

from watchkeeper.compliance.logs import HostLogs, read_log_devices
from watchkeeper.compliance.model import AV_REALTIME, AV_SIGNATURE_UPDATED
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.store import Store

SYSMON = "Microsoft-Windows-Sysmon/Operational"
DEFENDER = "Microsoft-Windows-Windows Defender/Operational"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def hosts(store: Store) -> dict[str, HostLogs]:
    return {host.record.name: host for host in read_log_devices(store)}


def test_a_windows_host_its_version_sysmon_and_defender(store: Store, tmp_path: Path) -> None:
    import_events(
        store,
        tmp_path,
        [
            windows_event(
                "PC-07.oakfield.local",
                NOW - 3 * DAY,
                "System",
                6009,
                "EventLog",
                "Microsoft (R) Windows (R) 10.00. 19045  Multiprocessor Free.",
            ),
            windows_event(
                "PC-07.oakfield.local",
                NOW - 2 * DAY,
                SYSMON,
                4,
                "Microsoft-Windows-Sysmon",
                "Sysmon service state changed:\r\nUtcTime: x\r\nState: Started\r\n"
                "Version: 15.15\r\nSchemaVersion: 4.90",
                State="Started",
            ),
            windows_event(
                "PC-07.oakfield.local",
                NOW - 2 * DAY + HOUR,
                SYSMON,
                1,
                "Microsoft-Windows-Sysmon",
                "Process Create",
            ),
            windows_event(
                "PC-07.oakfield.local",
                NOW - DAY,
                "System",
                7036,
                "Service Control Manager",
                "The Sysmon64 service entered the stopped state.",
                param1="Sysmon64",
                param2="stopped",
            ),
            windows_event(
                "PC-07.oakfield.local",
                NOW - 20 * HOUR,
                DEFENDER,
                1116,
                "Microsoft-Windows-Windows Defender",
                "Malware detected",
                **{
                    "Threat Name": "Trojan:PowerShell/Powersploit.M",
                    "Severity Name": "Severe",
                    "Path": "file:_C:\\temp\\x.ps1",
                },
            ),
            windows_event(
                "PC-07.oakfield.local",
                NOW - 19 * HOUR,
                DEFENDER,
                1117,
                "Microsoft-Windows-Windows Defender",
                "Action taken",
                **{"Threat Name": "Trojan:PowerShell/Powersploit.M"},
            ),
            windows_event(
                "PC-07.oakfield.local",
                NOW - 10 * HOUR,
                DEFENDER,
                2000,
                "Microsoft-Windows-Windows Defender",
                "Signatures updated",
            ),
            windows_event(
                "PC-07.oakfield.local",
                NOW - 2 * HOUR,
                DEFENDER,
                5001,
                "Microsoft-Windows-Windows Defender",
                "Real-time Protection is disabled",
            ),
        ],
    )
    pc = hosts(store)["PC-07.oakfield.local"]
    assert (pc.record.source, pc.record.platform, pc.record.os_version) == (
        "logs",
        "windows",
        "10.0.19045",
    )
    assert pc.record.observed == pc.last_seen == NOW - 2 * HOUR and pc.events == 8
    assert pc.last_seen_evidence.startswith(
        'Newest event from host "PC-07.oakfield.local": event #8 ("nxlog Microsoft-Windows-'
        'Windows Defender/Operational 5001") at 2026-11-23 13:00:00 UTC'
    )
    sysmon = pc.sysmon
    assert sysmon is not None
    assert (sysmon.version, sysmon.running, sysmon.events) == ("15.15", False, 2)
    assert sysmon.reason == (
        'Stopped at 2026-11-22 15:00 UTC (System event 7036 #4: service "Sysmon64" entered '
        'the "stopped" state) and nothing came from it after'
    )
    assert [(d.event_id, d.threat) for d in pc.detections] == [
        (1116, "Trojan:PowerShell/Powersploit.M"),
        (1117, "Trojan:PowerShell/Powersploit.M"),
    ]
    assert pc.record.value(AV_REALTIME) is False
    assert pc.record.value(AV_SIGNATURE_UPDATED) == NOW - 10 * HOUR
    assert pc.record.facts[AV_REALTIME].evidence == (
        'Defender event 5001 #8 from host "PC-07.oakfield.local": real-time protection disabled'
    )


def test_sysmon_that_stopped_and_came_back_is_running(store: Store, tmp_path: Path) -> None:
    import_events(
        store,
        tmp_path,
        [
            windows_event(
                "PC-1",
                NOW - DAY,
                SYSMON,
                4,
                "Microsoft-Windows-Sysmon",
                "State: Stopped",
                State="Stopped",
            ),
            windows_event("PC-1", NOW - HOUR, SYSMON, 3, "Microsoft-Windows-Sysmon", "Network"),
            windows_event(
                "PC-2",
                NOW - HOUR,
                SYSMON,
                16,
                "Microsoft-Windows-Sysmon",
                "Config changed",
                Configuration="C:\\sysmon.xml",
            ),
        ],
    )
    found = hosts(store)
    one, two = found["PC-1"].sysmon, found["PC-2"].sysmon
    assert one is not None and one.running is True and "but its events continued" in one.reason
    assert two is not None and two.running is None and two.version is None
    assert two.changes[0].evidence == (
        'Sysmon event 16 #3: configuration changed to "C:\\sysmon.xml"'
    )


def test_the_platform_comes_from_what_the_events_are(store: Store, tmp_path: Path) -> None:
    import_paths(
        store,
        [
            FIXTURES / "syslog" / "auth.log",
            FIXTURES / "journald",
            FIXTURES / "json" / "android-security.jsonl",
        ],
    )
    import_text(
        store,
        tmp_path,
        "Nov 23 09:00:55 studio-mac kernel[0]: Thunderbolt unplug\n"
        "Nov 23 09:01:05 studio-mac com.apple.CDScheduler[43]: Thermal state: 1\n"
        "Nov 23 09:02:00 asa-edge %ASA-6-302013: Built outbound TCP connection\n",
        "mixed.log",
    )
    platforms = {name: host.record.platform for name, host in hosts(store).items()}
    assert platforms["web1"] == "linux"
    assert platforms["Pixel-7-alice"] == "android"
    assert platforms["studio-mac"] == "macos"  # a Mac's kernel is no Linux kernel
    assert platforms["asa-edge"] == "other"  # an appliance that only speaks syslog
    journald_hosts = [
        name
        for name, host in hosts(store).items()
        if host.platform_evidence and "journald" in host.platform_evidence
    ]
    assert journald_hosts and all(platforms[name] == "linux" for name in journald_hosts)


def test_hostile_host_names_are_kept_as_data(store: Store, tmp_path: Path) -> None:
    name = "<img src=x onerror=alert(1)>'; DROP TABLE events;--"
    import_events(
        store,
        tmp_path,
        [windows_event(name, NOW - HOUR, "Security", 4624, "Microsoft-Windows-Security-Auditing")],
    )
    host = hosts(store)[name]
    assert host.record.location == 'host "<img src=x onerror=alert(1)>\'; DROP TABLE events;--"'
    assert rows(store)[name].host_names == (name,)


def test_devices_of_the_demo_office(store: Store) -> None:
    from watchkeeper.scenarios.demo import load_demo
    from watchkeeper.scenarios.office import DC, PCS, PHONES

    scenario, _summary = load_demo(store, events=3000)
    found = rows(store, scenario.end + timedelta(hours=1))
    for pc in (*PCS, DC):
        row = found[pc.fqdn]
        assert row.platform == "windows" and row.sources == ("logs",), pc.name
    for phone in PHONES:
        assert found[phone.device].platform == "android"
    for server in ("web01", "files01"):
        assert found[server].platform == "linux"
    # the remote access tool story stops Sysmon on one PC; its history says so
    story = scenario.story("remote_tool")
    victim = next(row for row in found.values() if row.name.startswith(story.hosts[0] + "."))
    sysmon = next(host.sysmon for host in victim.device.logs if host.sysmon)
    assert sysmon is not None and sysmon.version == "15.15"
    assert [change.running for change in sysmon.changes if change.running is not None][:2] == [
        False,
        False,
    ]  # Sysmon's own event 4, then the service's 7036
    # the demo's logs are imported files: history, which the Logs check does not judge
    logs = {name: row.checks["logs_received"] for name, row in found.items()}
    assert {result.status for result in logs.values()} == {"n/a"}
    assert all(
        result.reason.startswith("History only")
        for name, result in logs.items()
        if found[name].platform != "android"
    ), logs  # phones: not checked by default
    later = rows(store, scenario.end + timedelta(days=200))
    assert all(row.checks["logs_received"].status == "n/a" for row in later.values())


def test_devices_from_the_evtx_samples(store: Store) -> None:
    folder = shared("evtx-attack-samples")
    import_paths(store, [folder])
    found = hosts(store)
    assert len(found) >= 20 and all(h.record.platform == "windows" for h in found.values())
    edge = found["MSEDGEWIN10"]
    assert edge.sysmon is not None and edge.sysmon.version == "10.42"
    detected = [d for d in edge.detections if d.event_id == 1116]
    assert len(detected) == 6
    assert "Trojan:PowerShell/Powersploit.M" in {d.threat for d in detected}
    iewin7 = found["IEWIN7"].sysmon
    assert iewin7 is not None and iewin7.version == "9.01" and iewin7.running is True
    judged = rows(store, datetime(2026, 11, 23, tzinfo=UTC))
    assert all(row.checks["logs_received"].status == "n/a" for row in judged.values())
    assert any(
        note.startswith('Defender on "MSEDGEWIN10": 6 detections')
        for note in judged["MSEDGEWIN10"].notes
    )


def test_macs_from_loghub_syslog(store: Store) -> None:
    import_paths(store, [shared("loghub", "Mac", "Mac_2k.log")])
    found = read_log_devices(store)
    platforms = [host.record.platform for host in found]
    # a host heard only through its kernel could be anything; none is taken for Linux
    assert set(platforms) == {"macos", "other"} and platforms.count("macos") > 25
    assert all(host.platform_evidence is None for host in found if host.record.platform == "other")
