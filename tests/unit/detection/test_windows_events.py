"""Windows events stored so that Sigma rules written for them match as their authors expect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import shared
from watchkeeper.detection.engine import detect
from watchkeeper.detection.rules import RuleCache, RuleSet, load_rules
from watchkeeper.ingest.importer import import_paths
from watchkeeper.scenarios.evtx_writer import EvtxRecord, Value, write_evtx
from watchkeeper.storage.store import Store

WHEN = datetime(2026, 11, 3, 9, 15, 30, tzinfo=UTC)
DEFENDER = "Microsoft-Windows-Windows Defender/Operational"
DEFENDER_RULES = (
    "win_defender_asr_lsass_access.yml",
    "win_defender_asr_psexec_wmi.yml",
    "win_defender_config_change_exclusion_added.yml",
    "win_defender_config_change_exploit_guard_tamper.yml",
    "win_defender_config_change_sample_submission_consent.yml",
    "win_defender_malware_detected_amsi_source.yml",
    "win_defender_suspicious_features_tampering.yml",
)
_KEY = "HKLM\\SOFTWARE\\Microsoft\\Windows Defender"


def _rules(tmp_path: Path, texts: dict[str, str]) -> RuleSet:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return load_rules([folder], cache=RuleCache(None))


def _rule(rule_id: str, logsource: str, detection: str) -> str:
    return (
        f"title: Test {rule_id}\nid: {rule_id}\nlevel: high\nlogsource: {logsource}\n"
        f"detection:\n{detection}"
    )


def _defender(number: int, event_id: int, data: dict[str, str | int]) -> EvtxRecord:
    return EvtxRecord(
        system={
            "Provider": {
                "Name": "Microsoft-Windows-Windows Defender",
                "Guid": "{11CD958A-C507-4EF3-B3F2-5FD9DFBD2C78}",
            },
            "EventID": event_id,
            "Version": 0,
            "Level": 3,
            "Task": 0,
            "Opcode": 0,
            "Keywords": "0x8000000000000000",
            "TimeCreated": WHEN + timedelta(seconds=number),
            "Channel": DEFENDER,
            "Computer": "PC-ACCT-01",
        },
        event_data={"Product Name": "%%827", **data},
    )


def _defender_events() -> list[EvtxRecord]:
    """One event for each of SigmaHQ's Defender rules that name a field Defender spells with
    a space."""
    config = "C:\\ProgramData\\Microsoft\\Windows Defender"
    return [
        _defender(
            0,
            1116,
            {
                "Threat Name": "Trojan:PowerShell/Powersploit.M",
                "Source Name": "AMSI",
                "Process Name": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "Path": "amsi:_C:\\Users\\ann\\Get-Keystrokes.ps1",
            },
        ),
        _defender(
            1,
            1121,
            {
                "Process Name": "C:\\Users\\ann\\Desktop\\procdump.exe",
                "Path": "C:\\Windows\\System32\\lsass.exe",
            },
        ),
        _defender(
            2,
            1121,
            {
                "Process Name": "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
                "Path": "C:\\Users\\ann\\AppData\\Local\\Temp\\run.exe",
            },
        ),
        _defender(
            3,
            5007,
            {"Old Value": "", "New Value": f"{_KEY}\\Exclusions\\Paths\\C:\\Users\\Public = 0x0"},
        ),
        _defender(
            4,
            5007,
            {
                "Old Value": f"{_KEY}\\Windows Defender Exploit Guard\\Controlled "
                "Folder Access\\ProtectedFolders\\D:\\Finance = 0x0",
                "New Value": "",
            },
        ),
        _defender(
            5,
            5007,
            {
                "Old Value": "",
                "New Value": f"{_KEY}\\Real-Time Protection\\SubmitSamplesConsent = 0x0",
            },
        ),
        _defender(6, 5007, {"Old Value": "", "New Value": f"{_KEY}\\DisableAntiSpyware = 0x1"}),
        _defender(7, 1013, {"Source Name": "Scheduled scan", "Path": config}),
    ]


def test_defender_names_with_spaces_match_sigma_names_and_keep_theirs(
    store: Store, tmp_path: Path
) -> None:
    log = tmp_path / "Defender.evtx"
    write_evtx(log, _defender_events())
    import_paths(store, [log])
    rules = _rules(
        tmp_path,
        {
            "amsi.yml": _rule(
                "6b2c1d3e-0001-4c1a-9e0a-000000000001",
                "{product: windows, service: windefend}",
                "    selection:\n        EventID: 1116\n"
                "        SourceName: AMSI\n        ThreatName|contains: Powersploit\n"
                "    condition: selection\n",
            ),
            "exclusion.yml": _rule(
                "6b2c1d3e-0001-4c1a-9e0a-000000000002",
                "{product: windows, service: windefend}",
                "    selection:\n        EventID: 5007\n"
                "        NewValue|contains: '\\Windows Defender\\Exclusions'\n"
                "    condition: selection\n",
            ),
        },
    )
    report = detect(store, rules)
    assert report.hits_by_rule == {
        "6b2c1d3e-0001-4c1a-9e0a-000000000001": 1,
        "6b2c1d3e-0001-4c1a-9e0a-000000000002": 1,
    }
    row = (
        store.cursor()
        .execute(
            'SELECT "Threat Name", "ThreatName", "Source Name", "Process Name", process FROM events '
            "WHERE event_id = 1116"
        )
        .fetchone()
    )
    assert row == (
        "Trojan:PowerShell/Powersploit.M",
        "Trojan:PowerShell/Powersploit.M",
        "AMSI",
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    )


@pytest.mark.shared
def test_every_sigmahq_defender_rule_on_a_spaced_name_can_fire(
    store: Store, tmp_path: Path
) -> None:
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
        f'<EventRecordID>{record}</EventRecordID><Correlation/><Execution ProcessID="0" '
        f'ThreadID="0"/><Channel>{channel}</Channel><Computer>PC-ACCT-01</Computer>'
        f"<Security/></System><EventData>{values}<Binary></Binary></EventData></Event>"
    )


def _msi_installs(tmp_path: Path) -> Path:
    path = tmp_path / "Application.xml"
    events = [
        _event_xml(
            1,
            "MsiInstaller",
            1040,
            "Application",
            ["C:\\Windows\\Installer\\6f1a2.msi", "2128", "(NULL)", "(NULL)", ""],
        ),
        _event_xml(
            2,
            "MsiInstaller",
            1040,
            "Application",
            ["C:\\Users\\Public\\Downloads\\update.msi", "4410", "(NULL)", "(NULL)", ""],
        ),
        _event_xml(3, "MsiInstaller", 1042, "Application", ["\\\\fs01\\share\\tool.msi", "4412"]),
        _event_xml(4, "Application Error", 1000, "Application", ["winword.exe"]),
    ]
    path.write_text("<Events>" + "".join(events) + "</Events>", encoding="utf-8")
    return path


def test_unnamed_data_is_its_text_so_rules_on_data_neither_miss_nor_misfire(
    store: Store, tmp_path: Path
) -> None:
    import_paths(store, [_msi_installs(tmp_path)])
    rows = (
        store.cursor().execute('SELECT record_no, "Data" FROM events ORDER BY record_no').fetchall()
    )
    assert rows == [
        (1, "C:\\Windows\\Installer\\6f1a2.msi\n2128\n(NULL)\n(NULL)\n"),
        (2, "C:\\Users\\Public\\Downloads\\update.msi\n4410\n(NULL)\n(NULL)\n"),
        (3, "\\\\fs01\\share\\tool.msi\n4412"),
        (4, "winword.exe"),
    ]
    rules = _rules(
        tmp_path,
        {
            "msi.yml": _rule(
                "6b2c1d3e-0002-4c1a-9e0a-000000000001",
                "{product: windows, service: application}",
                "    selection:\n        Provider_Name: MsiInstaller\n        EventID: [1040, 1042]\n"
                "        Data|contains: ['\\Users\\Public\\', '\\\\\\\\']\n    condition: selection\n",
            )
        },
    )
    detect(store, rules)
    hit = (
        store.cursor()
        .execute("SELECT e.record_no FROM hits h JOIN events e ON e.id = h.event ORDER BY 1")
        .fetchall()
    )
    assert hit == [(2,), (3,)]


@pytest.mark.shared
def test_sigmahq_msi_rule_on_data_misses_nothing_and_spares_the_installer_folder(
    store: Store, tmp_path: Path
) -> None:
    rule = shared(
        "sigma",
        "rules",
        "windows",
        "builtin",
        "application",
        "msiinstaller",
        "win_msi_install_from_susp_locations.yml",
    )
    rules = _rules(tmp_path, {rule.name: rule.read_text(encoding="utf-8")})
    import_paths(store, [_msi_installs(tmp_path)])
    report = detect(store, rules)
    assert report.failures == []
    hit = (
        store.cursor()
        .execute("SELECT e.record_no FROM hits h JOIN events e ON e.id = h.event ORDER BY 1")
        .fetchall()
    )
    assert hit == [(2,), (3,)]


def _process_events() -> list[EvtxRecord]:
    """Two process creations in Security (4688) and one in Sysmon (1), for process_creation."""
    security = {
        "Name": "Microsoft-Windows-Security-Auditing",
        "Guid": "{54849625-5478-4994-A5BA-3E3B0328C30D}",
    }
    system = {
        "Provider": security,
        "EventID": 4688,
        "Version": 2,
        "Level": 0,
        "Task": 13312,
        "Opcode": 0,
        "Keywords": "0x8020000000000000",
        "Channel": "Security",
        "Computer": "PC-ACCT-01.contoso.local",
    }
    by_system: dict[str, Value] = {  # run as SYSTEM, so the Target subject is empty
        "SubjectUserSid": "S-1-5-18",
        "SubjectUserName": "PC-ACCT-01$",
        "SubjectDomainName": "CONTOSO",
        "SubjectLogonId": "0x3e7",
        "NewProcessId": "0x1fc",
        "NewProcessName": "C:\\Windows\\System32\\cmd.exe",
        "TokenElevationType": "%%1936",
        "ProcessId": "0x278",
        "CommandLine": "cmd.exe /c whoami",
        "TargetUserSid": "S-1-0-0",
        "TargetUserName": "-",
        "TargetDomainName": "-",
        "TargetLogonId": "0x0",
        "ParentProcessName": "C:\\Users\\Public\\updater.exe",
        "MandatoryLabel": "S-1-16-16384",
    }
    for_ann: dict[str, Value] = {  # WMI, running as NETWORK SERVICE, starts a process as ann
        "SubjectUserSid": "S-1-5-20",
        "SubjectUserName": "PC-ACCT-01$",
        "SubjectDomainName": "CONTOSO",
        "SubjectLogonId": "0x3e4",
        "NewProcessId": "0x1a2c",
        "NewProcessName": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "TokenElevationType": "%%1938",
        "ProcessId": "0x9c4",
        "CommandLine": "powershell -nop",
        "TargetUserSid": "S-1-5-21-1-2-3-1104",
        "TargetUserName": "ann",
        "TargetDomainName": "CONTOSO",
        "TargetLogonId": "0x5a3f1",
        "ParentProcessName": "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
        "MandatoryLabel": "S-1-16-8192",
    }
    sysmon = {
        "Provider": {
            "Name": "Microsoft-Windows-Sysmon",
            "Guid": "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
        },
        "EventID": 1,
        "Version": 5,
        "Level": 4,
        "Task": 1,
        "Opcode": 0,
        "Keywords": "0x8000000000000000",
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Computer": "PC-ACCT-01.contoso.local",
    }
    by_bob: dict[str, Value] = {
        "RuleName": "-",
        "UtcTime": "2026-11-03 09:15:40.000",
        "ProcessId": "7000",
        "Image": "C:\\Windows\\System32\\cmd.exe",
        "CommandLine": "cmd.exe",
        "User": "CONTOSO\\bob",
        "LogonId": "0x77aa1",
        "IntegrityLevel": "Medium",
        "ParentProcessId": "508",
        "ParentImage": "C:\\Windows\\explorer.exe",
    }
    return [
        EvtxRecord({**system, "TimeCreated": WHEN}, by_system),
        EvtxRecord({**system, "TimeCreated": WHEN + timedelta(seconds=5)}, for_ann),
        EvtxRecord({**sysmon, "TimeCreated": WHEN + timedelta(seconds=10)}, by_bob),
    ]


def _process_rule(number: int, selection: str) -> tuple[str, str]:
    rule_id = f"6b2c1d3e-0003-4c1a-9e0a-{number:012d}"
    return f"p{number}.yml", _rule(
        rule_id,
        "{product: windows, category: process_creation}",
        f"    selection:\n{selection}    condition: selection\n",
    )


def test_security_4688_gives_every_process_creation_field_it_holds(
    store: Store, tmp_path: Path
) -> None:
    log = tmp_path / "Processes.evtx"
    write_evtx(log, _process_events())
    import_paths(store, [log])
    rules = _rules(
        tmp_path,
        dict(
            [
                _process_rule(
                    1,
                    "        Image|endswith: '\\cmd.exe'\n        User|contains: AUTHORI\n"
                    "        LogonId: '0x3e7'\n",
                ),
                _process_rule(2, "        ProcessId: 508\n"),
                _process_rule(3, "        ParentProcessId: 508\n"),
                _process_rule(4, "        IntegrityLevel: ['System', 'S-1-16-16384']\n"),
                _process_rule(
                    5,
                    "        ParentUser: 'NT AUTHORITY\\NETWORK SERVICE'\n"
                    "        User: 'CONTOSO\\ann'\n        LogonId: '0x5a3f1'\n",
                ),
                _process_rule(6, "        ParentProcessId: 2500\n        ProcessId: 6700\n"),
                _process_rule(7, "        LogonId: '0x77aa1'\n        User|endswith: '\\bob'\n"),
            ]
        ),
    )
    detect(store, rules)
    found = (
        store.cursor()
        .execute(
            "SELECT right(h.rule_id, 1), e.event_id, e.record_no FROM hits h "
            "JOIN events e ON e.id = h.event ORDER BY 1"
        )
        .fetchall()
    )
    # 1: SYSTEM's shell; 2: 0x1fc is 508 (the 4688's own ProcessId is its parent's, 0x278);
    # 3: only Sysmon's parent is 508; 4: 4688's label; 5: ann's process, started by WMI
    # running as NETWORK SERVICE; 6: 0x9c4 and 0x1a2c; 7: Sysmon keeps its own fields
    assert found == [
        ("1", 4688, 1),
        ("2", 4688, 1),
        ("3", 1, 3),
        ("4", 4688, 1),
        ("5", 4688, 2),
        ("6", 4688, 2),
        ("7", 1, 3),
    ]


@pytest.mark.shared
def test_sigmahq_rules_on_logon_id_read_security_4688(store: Store, tmp_path: Path) -> None:
    folder = shared("sigma", "rules", "windows", "process_creation")
    names = (
        "proc_creation_win_susp_elevated_system_shell_uncommon_parent.yml",
        "proc_creation_win_wmiprvse_spawning_process.yml",
    )
    rules = _rules(tmp_path, {name: (folder / name).read_text(encoding="utf-8") for name in names})
    log = tmp_path / "Security.evtx"
    write_evtx(log, _process_events()[:2])
    import_paths(store, [log])
    report = detect(store, rules)
    assert report.failures == []
    found = dict(
        store.cursor()
        .execute(
            "SELECT r.path, e.record_no FROM hits h JOIN events e ON e.id = h.event "
            "JOIN detection_rules r USING (rule_id)"
        )
        .fetchall()
    )
    assert {Path(path).name: record for path, record in found.items()} == {names[0]: 1, names[1]: 2}


def test_second_spellings_never_collide_with_the_events_own_names(
    store: Store, tmp_path: Path
) -> None:
    names = {
        "Threat Name": "from the spaced name",
        "threatname": "its own field",
        "New  Value": "two spaces",
        "a'b": "q",
        "tab\tkept": "a tab is not a space",
    }
    data = "".join(
        f'<Data Name="{name.replace(chr(39), "&#x27;").replace(chr(9), "&#9;")}">{value}</Data>'
        for name, value in names.items()
    )
    path = tmp_path / "Odd.xml"
    path.write_text(
        _event_xml(1, "Contoso", 7, "Application", []).replace("<EventData>", f"<EventData>{data}"),
        encoding="utf-8",
    )
    result = import_paths(store, [path]).files[0]
    assert (result.status, result.events) == ("imported", 1)
    row = (
        store.cursor()
        .execute('SELECT "ThreatName", "Threat Name", "NewValue", message FROM events')
        .fetchone()
    )
    assert row is not None and row[:3] == ("its own field", "from the spaced name", "two spaces")
    assert row[3].startswith("Threat Name=from the spaced name threatname=its own field")
