"""Windows events stored so that Sigma rules written for them match as their authors expect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import shared
from watchkeeper.detection.engine import detect
from watchkeeper.detection.rules import RuleCache, RuleSet, load_rules
from watchkeeper.ingest.importer import import_paths
from watchkeeper.scenarios.evtx_writer import EvtxRecord, write_evtx
from watchkeeper.storage.store import Store

WHEN = datetime(2026, 11, 3, 9, 15, 30, tzinfo=UTC)
DEFENDER = "Microsoft-Windows-Windows Defender/Operational"
DEFENDER_RULES = ("win_defender_asr_lsass_access.yml", "win_defender_asr_psexec_wmi.yml",
                  "win_defender_config_change_exclusion_added.yml",
                  "win_defender_config_change_exploit_guard_tamper.yml",
                  "win_defender_config_change_sample_submission_consent.yml",
                  "win_defender_malware_detected_amsi_source.yml",
                  "win_defender_suspicious_features_tampering.yml")
_KEY = "HKLM\\SOFTWARE\\Microsoft\\Windows Defender"


def _rules(tmp_path: Path, texts: dict[str, str]) -> RuleSet:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return load_rules([folder], cache=RuleCache(None))


def _rule(rule_id: str, logsource: str, detection: str) -> str:
    return (f"title: Test {rule_id}\nid: {rule_id}\nlevel: high\nlogsource: {logsource}\n"
            f"detection:\n{detection}")


def _defender(number: int, event_id: int, data: dict[str, str | int]) -> EvtxRecord:
    return EvtxRecord(
        system={"Provider": {"Name": "Microsoft-Windows-Windows Defender",
                             "Guid": "{11CD958A-C507-4EF3-B3F2-5FD9DFBD2C78}"},
                "EventID": event_id, "Version": 0, "Level": 3, "Task": 0, "Opcode": 0,
                "Keywords": "0x8000000000000000", "TimeCreated": WHEN + timedelta(seconds=number),
                "Channel": DEFENDER, "Computer": "PC-ACCT-01"},
        event_data={"Product Name": "%%827", **data})


def _defender_events() -> list[EvtxRecord]:
    """One event for each of SigmaHQ's Defender rules that name a field Defender spells with
    a space."""
    config = "C:\\ProgramData\\Microsoft\\Windows Defender"
    return [
        _defender(0, 1116, {"Threat Name": "Trojan:PowerShell/Powersploit.M",
                            "Source Name": "AMSI", "Process Name": "C:\\Windows\\System32\\"
                            "WindowsPowerShell\\v1.0\\powershell.exe",
                            "Path": "amsi:_C:\\Users\\ann\\Get-Keystrokes.ps1"}),
        _defender(1, 1121, {"Process Name": "C:\\Users\\ann\\Desktop\\procdump.exe",
                            "Path": "C:\\Windows\\System32\\lsass.exe"}),
        _defender(2, 1121, {"Process Name": "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
                            "Path": "C:\\Users\\ann\\AppData\\Local\\Temp\\run.exe"}),
        _defender(3, 5007, {"Old Value": "", "New Value": f"{_KEY}\\Exclusions\\Paths\\"
                            "C:\\Users\\Public = 0x0"}),
        _defender(4, 5007, {"Old Value": f"{_KEY}\\Windows Defender Exploit Guard\\Controlled "
                            "Folder Access\\ProtectedFolders\\D:\\Finance = 0x0",
                            "New Value": ""}),
        _defender(5, 5007, {"Old Value": "", "New Value": f"{_KEY}\\Real-Time Protection\\"
                            "SubmitSamplesConsent = 0x0"}),
        _defender(6, 5007, {"Old Value": "", "New Value": f"{_KEY}\\DisableAntiSpyware = 0x1"}),
        _defender(7, 1013, {"Source Name": "Scheduled scan", "Path": config}),
    ]


def test_defender_names_with_spaces_match_sigma_names_and_keep_theirs(store: Store,
                                                                      tmp_path: Path) -> None:
    log = tmp_path / "Defender.evtx"
    write_evtx(log, _defender_events())
    import_paths(store, [log])
    rules = _rules(tmp_path, {
        "amsi.yml": _rule("6b2c1d3e-0001-4c1a-9e0a-000000000001", "{product: windows, "
                          "service: windefend}", "    selection:\n        EventID: 1116\n"
                          "        SourceName: AMSI\n        ThreatName|contains: Powersploit\n"
                          "    condition: selection\n"),
        "exclusion.yml": _rule("6b2c1d3e-0001-4c1a-9e0a-000000000002", "{product: windows, "
                               "service: windefend}", "    selection:\n        EventID: 5007\n"
                               "        NewValue|contains: '\\Windows Defender\\Exclusions'\n"
                               "    condition: selection\n"),
    })
    report = detect(store, rules)
    assert report.hits_by_rule == {"6b2c1d3e-0001-4c1a-9e0a-000000000001": 1,
                                   "6b2c1d3e-0001-4c1a-9e0a-000000000002": 1}
    row = store.cursor().execute(
        'SELECT "Threat Name", "ThreatName", "Source Name", "Process Name", process FROM events '
        "WHERE event_id = 1116").fetchone()
    assert row == ("Trojan:PowerShell/Powersploit.M", "Trojan:PowerShell/Powersploit.M", "AMSI",
                   "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                   "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe")


@pytest.mark.shared
def test_every_sigmahq_defender_rule_on_a_spaced_name_can_fire(store: Store,
                                                               tmp_path: Path) -> None:
    folder = shared("sigma", "rules", "windows", "builtin", "windefend")
    chosen = tmp_path / "windefend"
    chosen.mkdir()
    for name in DEFENDER_RULES:
        (chosen / name).write_bytes((folder / name).read_bytes())
    rules = load_rules([chosen], cache=RuleCache(None))
    assert rules.problems == [] and len(rules.rules) == 7
    log = tmp_path / "Defender.evtx"
    write_evtx(log, _defender_events())
    import_paths(store, [log])
    report = detect(store, rules)
    assert report.failures == []
    assert sorted(report.hits_by_rule) == sorted(rule.rule_id for rule in rules.rules)


def _event_xml(record: int, provider: str, event_id: int, channel: str, data: list[str]) -> str:
    values = "".join(f"<Data>{text}</Data>" for text in data)
    return (
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        f'<Provider Name="{provider}"/><EventID Qualifiers="0">{event_id}</EventID>'
        "<Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode>"
        "<Keywords>0x80000000000000</Keywords>"
        f'<TimeCreated SystemTime="2026-11-03T09:{record:02d}:00.000000Z"/>'
        f"<EventRecordID>{record}</EventRecordID><Correlation/><Execution ProcessID=\"0\" "
        f'ThreadID="0"/><Channel>{channel}</Channel><Computer>PC-ACCT-01</Computer>'
        f"<Security/></System><EventData>{values}<Binary></Binary></EventData></Event>")


def _msi_installs(tmp_path: Path) -> Path:
    path = tmp_path / "Application.xml"
    events = [
        _event_xml(1, "MsiInstaller", 1040, "Application",
                   ["C:\\Windows\\Installer\\6f1a2.msi", "2128", "(NULL)", "(NULL)", ""]),
        _event_xml(2, "MsiInstaller", 1040, "Application",
                   ["C:\\Users\\Public\\Downloads\\update.msi", "4410", "(NULL)", "(NULL)", ""]),
        _event_xml(3, "MsiInstaller", 1042, "Application", ["\\\\fs01\\share\\tool.msi", "4412"]),
        _event_xml(4, "Application Error", 1000, "Application", ["winword.exe"]),
    ]
    path.write_text("<Events>" + "".join(events) + "</Events>", encoding="utf-8")
    return path


def test_unnamed_data_is_its_text_so_rules_on_data_neither_miss_nor_misfire(
        store: Store, tmp_path: Path) -> None:
    import_paths(store, [_msi_installs(tmp_path)])
    rows = store.cursor().execute(
        'SELECT record_no, "Data" FROM events ORDER BY record_no').fetchall()
    assert rows == [
        (1, "C:\\Windows\\Installer\\6f1a2.msi\n2128\n(NULL)\n(NULL)\n"),
        (2, "C:\\Users\\Public\\Downloads\\update.msi\n4410\n(NULL)\n(NULL)\n"),
        (3, "\\\\fs01\\share\\tool.msi\n4412"),
        (4, "winword.exe"),
    ]
    rules = _rules(tmp_path, {"msi.yml": _rule(
        "6b2c1d3e-0002-4c1a-9e0a-000000000001", "{product: windows, service: application}",
        "    selection:\n        Provider_Name: MsiInstaller\n        EventID: [1040, 1042]\n"
        "        Data|contains: ['\\Users\\Public\\', '\\\\\\\\']\n    condition: selection\n")})
    detect(store, rules)
    hit = store.cursor().execute(
        "SELECT e.record_no FROM hits h JOIN events e ON e.id = h.event ORDER BY 1").fetchall()
    assert hit == [(2,), (3,)]


@pytest.mark.shared
def test_sigmahq_msi_rule_on_data_misses_nothing_and_spares_the_installer_folder(
        store: Store, tmp_path: Path) -> None:
    rule = shared("sigma", "rules", "windows", "builtin", "application", "msiinstaller",
                  "win_msi_install_from_susp_locations.yml")
    rules = _rules(tmp_path, {rule.name: rule.read_text(encoding="utf-8")})
    import_paths(store, [_msi_installs(tmp_path)])
    report = detect(store, rules)
    assert report.failures == []
    hit = store.cursor().execute(
        "SELECT e.record_no FROM hits h JOIN events e ON e.id = h.event ORDER BY 1").fetchall()
    assert hit == [(2,), (3,)]
