"""The Windows files, checked against Microsoft's and NXLog's published names.

The tables below are transcribed from the documentation named beside each, as data: a
GUID, element or directive the generator uses that is not in them fails the test.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from watchkeeper.detection.rules import Rule
from watchkeeper.setup.configs import ConfigError, generator, windows, write_configs, zip_configs
from watchkeeper.setup.configs.sysmon import EVENT_TYPES, NEVER, sysmon_config
from watchkeeper.setup.configs.windows_audit import SUBCATEGORIES, subcategories_set
from watchkeeper.setup.endpoint import Endpoint
from watchkeeper.setup.plan import LoggingPlan, PlannedSource, PlatformPlan

# https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-gpac/77878370-0712-47cd-997d-b07053429f6d
# ([MS-GPAC] 2.2.1.2 Subcategory and SubcategoryGUID): the rows this project uses.
MS_GPAC_SUBCATEGORIES = {
    "{0CCE9210-69AE-11D9-BED3-505054503030}": "Security State Change",
    "{0CCE9211-69AE-11D9-BED3-505054503030}": "Security System Extension",
    "{0CCE9212-69AE-11D9-BED3-505054503030}": "System Integrity",
    "{0CCE9215-69AE-11D9-BED3-505054503030}": "Logon",
    "{0CCE9216-69AE-11D9-BED3-505054503030}": "Logoff",
    "{0CCE9217-69AE-11D9-BED3-505054503030}": "Account Lockout",
    "{0CCE921B-69AE-11D9-BED3-505054503030}": "Special Logon",
    "{0CCE921C-69AE-11D9-BED3-505054503030}": "Other Logon/Logoff Events",
    "{0CCE9224-69AE-11D9-BED3-505054503030}": "File Share",
    "{0CCE9227-69AE-11D9-BED3-505054503030}": "Other Object Access Events",
    "{0CCE9228-69AE-11D9-BED3-505054503030}": "Sensitive Privilege Use",
    "{0CCE922B-69AE-11D9-BED3-505054503030}": "Process Creation",
    "{0CCE922F-69AE-11D9-BED3-505054503030}": "Audit Policy Change",
    "{0CCE9230-69AE-11D9-BED3-505054503030}": "Authentication Policy Change",
    "{0CCE9235-69AE-11D9-BED3-505054503030}": "User Account Management",
    "{0CCE9236-69AE-11D9-BED3-505054503030}": "Computer Account Management",
    "{0CCE9237-69AE-11D9-BED3-505054503030}": "Security Group Management",
    "{0CCE923A-69AE-11D9-BED3-505054503030}": "Other Account Management Events",
    "{0CCE923C-69AE-11D9-BED3-505054503030}": "Directory Service Changes",
    "{0CCE923F-69AE-11D9-BED3-505054503030}": "Credential Validation",
    "{0CCE9240-69AE-11D9-BED3-505054503030}": "Kerberos Service Ticket Operations",
    "{0CCE9242-69AE-11D9-BED3-505054503030}": "Kerberos Authentication Service",
    "{0CCE9245-69AE-11D9-BED3-505054503030}": "Removable Storage",
    "{0cce9248-69ae-11d9-bed3-505054503030}": "PNP Activity",
    "{0cce9249-69ae-11d9-bed3-505054503030}": "Group Membership",
}

# https://learn.microsoft.com/en-us/sysinternals/downloads/sysmon (Events; Event filtering
# entries): the filter element of each event, the fields this project filters on, and
# the conditions Sysmon accepts.
SYSMON_ELEMENTS = {
    "ProcessCreate": 1,
    "FileCreateTime": 2,
    "NetworkConnect": 3,
    "ProcessTerminate": 5,
    "DriverLoad": 6,
    "ImageLoad": 7,
    "CreateRemoteThread": 8,
    "RawAccessRead": 9,
    "ProcessAccess": 10,
    "FileCreate": 11,
    "RegistryEvent": 12,
    "FileCreateStreamHash": 15,
    "PipeEvent": 17,
    "WmiEvent": 19,
    "DnsQuery": 22,
    "FileDelete": 23,
    "ClipboardChange": 24,
    "ProcessTampering": 25,
    "FileDeleteDetected": 26,
    "FileBlockExecutable": 27,
    "FileBlockShredding": 28,
    "FileExecutableDetected": 29,
}
SYSMON_FIELDS = {
    "NetworkConnect": {"Image", "DestinationIp", "DestinationPort", "DestinationHostname"},
    "DnsQuery": {"Image", "QueryName"},
    "FileCreate": {"Image", "TargetFilename"},
    "ProcessAccess": {"SourceImage", "TargetImage", "GrantedAccess"},
    "ImageLoad": {"Image", "ImageLoaded", "Signed", "Signature"},
    "RegistryEvent": {"Image", "TargetObject", "EventType"},
    "FileDeleteDetected": {"Image", "TargetFilename"},
}
SYSMON_CONDITIONS = {
    "is", "is any", "is not", "contains", "contains any", "contains all", "excludes",
    "excludes any", "excludes all", "begin with", "not begin with", "end with",
    "not end with", "less than", "more than", "image",
}  # fmt: skip

# NXLog Community Edition Reference Manual (the CE 2.x manual's source, doc/reference-manual/
# en/configuration.xml and modules/*.xml; https://nxlog.co/documentation/nxlog-ce-reference-
# manual); QueryXML from https://docs.nxlog.co/refman/current/im/msvistalog.html.
NXLOG_GLOBAL = {
    "define", "ModuleDir", "PidFile", "LogFile", "LogLevel", "CacheDir", "SpoolDir", "RootDir",
    "User", "Group", "Threads", "FlowControl", "NoCache", "NoFreeOnExit", "Panic",
    "SuppressRepeatingLogs", "IgnoreErrors",
}  # fmt: skip
NXLOG_COMMON = {"Module", "Exec", "FlowControl", "Schedule", "InputType", "OutputType", "Path"}
NXLOG_MODULES = {
    "xm_json": set(),
    "im_msvistalog": {"Query", "QueryXML", "Channel", "PollInterval", "ReadFromLast", "SavePos"},
    "pm_buffer": {"MaxSize", "WarnLimit", "Type", "Directory"},
    "om_ssl": {
        "Host", "Port", "CertFile", "CertKeyFile", "KeyPass", "CAFile", "CADir", "CRLFile",
        "CRLDir", "AllowUntrusted", "OutputType",
    },
    "om_tcp": {"Host", "Port", "OutputType"},
}  # fmt: skip
NXLOG_BLOCKS = {"Extension", "Input", "Processor", "Output", "Route"}

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
ALL_WINDOWS = ["windows-security", "sysmon", "powershell", "defender", "windows-system"]


def plan(*logs: str, dc: bool = False) -> LoggingPlan:
    platforms = {"windows": PlatformPlan(12, list(logs))}
    if dc:
        platforms["domain_controller"] = PlatformPlan(1, ["dc-security"])
    return LoggingPlan(platforms=platforms)  # type: ignore[arg-type]


def endpoint(address: str = "wk01.office.lan", tls: bool = True) -> Endpoint:
    ports = {"json-tls": 6171} if tls else {"json-tcp": 6170}
    return Endpoint(address, ports, ca_pem=PEM if tls else "", fingerprint="ab" * 32)


def rule(category: str, product: str = "windows") -> Rule:
    return Rule(
        f"id-{category}", category, "test.yml", logsource={"product": product, "category": category}
    )


RULES = [
    rule(category)
    for category in ("process_creation", "network_connection", "image_load", "process_access")
] + [rule("registry_set"), rule("dns_query"), rule("file_delete"), rule("clipboard_capture")]


def files_of(the_plan: LoggingPlan, the_endpoint: Endpoint | None = None) -> dict[str, str]:
    return windows.generate(the_plan, the_endpoint or endpoint(), rules=RULES)


# -- the audit policy ------------------------------------------------------------------


def test_every_subcategory_guid_is_microsofts_and_named_as_microsoft_names_it() -> None:
    published = {guid.strip("{}").upper(): name for guid, name in MS_GPAC_SUBCATEGORIES.items()}
    for guid, name in SUBCATEGORIES.items():
        assert published.get(guid) == name, guid


def test_the_script_sets_the_subcategories_by_guid_and_makes_them_win() -> None:
    script = files_of(plan(*ALL_WINDOWS))["audit-policy.ps1"]
    guids = subcategories_set(script)
    assert set(guids) <= set(SUBCATEGORIES)
    names = {SUBCATEGORIES[guid] for guid in guids}
    # what 4624/4625, 4688, 4720 and 4732 need
    assert {"Logon", "Process Creation", "User Account Management"} <= names
    assert "Security Group Management" in names
    assert "Kerberos Authentication Service" not in names  # no domain controller planned
    assert "/success:enable /failure:enable" in script
    assert "'SCENoApplyLegacyAuditPolicy' 1" in script
    assert "'ProcessCreationIncludeCmdLine_Enabled' 1" in script
    assert "'EnableScriptBlockLogging' 1" in script and "'EnableModuleLogging' 1" in script
    assert "Set-LogSize 'Security' 1073741824" in script
    assert not re.search(r"/subcategory:\"?[A-Za-z]", script)  # never by name


def test_domain_controllers_add_kerberos_ntlm_and_directory_auditing_on_a_dc_only() -> None:
    script = files_of(plan(*ALL_WINDOWS, dc=True))["audit-policy.ps1"]
    dc_block = script[script.index("if ($role -ge 4) {") :].split("}\n", 1)[0]
    in_block = {SUBCATEGORIES[guid] for guid in subcategories_set(dc_block)}
    assert in_block == {
        "Kerberos Authentication Service",
        "Kerberos Service Ticket Operations",
        "Credential Validation",
        "Directory Service Changes",
    }


def test_only_the_chosen_logs_are_configured() -> None:
    files = files_of(plan("sysmon", "defender"))
    assert "audit-policy.ps1" not in files  # nothing for the Security log or PowerShell
    assert 'Select Path="Security"' not in files["nxlog.conf"]
    assert 'Path="Microsoft-Windows-Sysmon/Operational"' in files["nxlog.conf"]
    only_security = files_of(plan("windows-security"))
    assert "sysmon-config.xml" not in only_security
    assert "Sysmon" not in only_security["nxlog.conf"]
    assert "ScriptBlockLogging" not in only_security["audit-policy.ps1"]
    # a planned source's own logs count too
    sourced = LoggingPlan(sources=[PlannedSource("fs01", "windows", ["powershell"])])
    assert "EnableScriptBlockLogging" in files_of(sourced)["audit-policy.ps1"]


def test_a_plan_without_windows_logs_is_refused_in_one_sentence() -> None:
    with pytest.raises(ConfigError) as raised:
        windows.generate(LoggingPlan(), endpoint(), rules=[])
    assert raised.value.message.count(".") == 1 and "Windows logs" in raised.value.message


# -- Sysmon ------------------------------------------------------------------------------


def test_sysmon_turns_on_every_event_type_the_rules_read_with_valid_names() -> None:
    text = files_of(plan(*ALL_WINDOWS))["sysmon-config.xml"]
    root = ET.fromstring(text)
    assert root.tag == "Sysmon"
    assert re.fullmatch(r"4\.\d{1,2}", root.attrib["schemaversion"])
    assert root.findtext("HashAlgorithms")
    groups = root.find("EventFiltering")
    assert groups is not None
    on: dict[str, ET.Element] = {}
    for group in groups:
        assert group.tag == "RuleGroup" and group.attrib["groupRelation"] in ("or", "and")
        for element in group:
            assert element.tag in SYSMON_ELEMENTS, element.tag
            assert element.attrib["onmatch"] in ("include", "exclude")
            if group.attrib["name"] != "off":
                on[element.tag] = element
            for entry in element:
                assert entry.tag in SYSMON_FIELDS[element.tag], (element.tag, entry.tag)
                assert entry.attrib["condition"] in SYSMON_CONDITIONS
    assert set(on) == {
        "ProcessCreate",
        "NetworkConnect",
        "ImageLoad",
        "ProcessAccess",
        "RegistryEvent",
        "DnsQuery",
        "FileDeleteDetected",
    }
    assert {"ClipboardChange", "FileDelete"}.isdisjoint(on)  # never, whatever rules read
    targets = [e.text for e in on["ProcessAccess"]]
    assert targets == ["\\lsass.exe"]
    assert [e.text for e in on["NetworkConnect"]] == ["C:\\Program Files\\nxlog\\nxlog.exe"]
    assert set(EVENT_TYPES) == set(SYSMON_ELEMENTS) and set(NEVER) <= set(EVENT_TYPES)


def test_sysmon_types_no_rule_reads_are_turned_off_explicitly() -> None:
    root = ET.fromstring(sysmon_config(["ProcessCreate"]))
    off = next(g for g in root.iter("RuleGroup") if g.attrib["name"] == "off")
    assert {e.tag for e in off} == set(SYSMON_ELEMENTS) - {"ProcessCreate"}
    assert all(e.attrib["onmatch"] == "include" and len(e) == 0 for e in off)


def test_rules_of_other_products_turn_nothing_on() -> None:
    linux = [rule("process_creation", product="linux"), rule("network_connection", "macos")]
    files = windows.generate(plan("sysmon"), endpoint(), rules=linux)
    root = ET.fromstring(files["sysmon-config.xml"])
    assert [g.attrib["name"] for g in root.iter("RuleGroup")] == ["off"]


# -- NXLog -------------------------------------------------------------------------------


def nxlog_directives(text: str) -> list[tuple[str, str, str]]:
    """(block kind, module, directive) for every directive line; sections must balance."""
    found: list[tuple[str, str, str]] = []
    stack: list[str] = []
    module = ""
    in_xml = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line == "<QueryXML>":
            in_xml = True
            found.append((stack[-1], module, "QueryXML"))
            continue
        if line == "</QueryXML>":
            in_xml = False
            continue
        if in_xml:
            continue
        opening = re.fullmatch(r"<(\w+) (\w+)>", line)
        closing = re.fullmatch(r"</(\w+)>", line)
        if opening:
            assert not stack, f"{line} inside {stack}"
            stack.append(opening.group(1))
            module = ""
        elif closing:
            assert stack and stack.pop() == closing.group(1), line
        else:
            name, _, value = line.partition(" ")
            if name == "Module":
                module = value.strip()
            found.append((stack[-1] if stack else "", module, name))
    assert not stack and not in_xml
    return found


def test_nxlog_uses_only_documented_names_and_sends_tls_to_the_collector() -> None:
    text = files_of(plan(*ALL_WINDOWS))["nxlog.conf"]
    for block, module, name in nxlog_directives(text):
        if not block:
            assert name in NXLOG_GLOBAL, name
        else:
            assert block in NXLOG_BLOCKS
            if name == "Module":
                continue
            allowed = NXLOG_COMMON | NXLOG_MODULES.get(module, set())
            assert name in allowed, (block, module, name)
    for module in re.findall(r"Module\s+(\w+)", text):
        assert module in NXLOG_MODULES
    assert "Exec            to_json();" in text
    assert re.search(r"^\s+Host\s+wk01\.office\.lan$", text, re.M)
    assert re.search(r"^\s+Port\s+6171$", text, re.M)
    assert "AllowUntrusted  FALSE" in text and "collector-certificate.pem" in text
    assert "eventlog => buffer => collector" in text
    query = text[text.index("<QueryXML>") + 10 : text.index("</QueryXML>")]
    paths = [s.attrib["Path"] for s in ET.fromstring(query.strip()).iter("Select")]
    assert paths == [
        "Security",
        "Microsoft-Windows-Sysmon/Operational",
        "Microsoft-Windows-PowerShell/Operational",
        "Windows PowerShell",
        "Microsoft-Windows-Windows Defender/Operational",
        "System",
    ]


def test_without_json_tls_nxlog_falls_back_to_plain_tcp_and_says_so() -> None:
    files = files_of(plan("windows-security"), endpoint(tls=False))
    text = files["nxlog.conf"]
    assert "om_tcp" in text and "om_ssl" not in text
    assert re.search(r"^\s+Port\s+6170$", text, re.M)
    assert "UNENCRYPTED" in text
    assert "collector-certificate.pem" not in files
    assert "unencrypted" in files["README.txt"]


def test_written_files_are_crlf_with_the_certificate_and_a_readme(tmp_path: Path) -> None:
    the_plan, the_endpoint = plan(*ALL_WINDOWS), endpoint()
    assert generator("windows")(the_plan, the_endpoint)  # the dispatcher knows Windows
    written = write_configs(the_plan, "windows", tmp_path, the_endpoint)
    names = {path.name for path in written}
    assert names == {
        "README.txt",
        "audit-policy.ps1",
        "sysmon-config.xml",
        "nxlog.conf",
        "collector-certificate.pem",
    }
    for name in ("nxlog.conf", "audit-policy.ps1"):
        data = (tmp_path / "windows" / name).read_bytes()
        assert data.count(b"\r\n") == data.count(b"\n") > 10
    assert (tmp_path / "windows" / "collector-certificate.pem").read_text() == PEM
    # without rules given, the loaded rule set decides: the shipped rules read process starts
    assert (
        '<RuleGroup name="ProcessCreate"'
        in (tmp_path / "windows" / "sysmon-config.xml").read_text()
    )
    readme = (tmp_path / "windows" / "README.txt").read_text()
    for one_liner in (
        "powershell -ExecutionPolicy Bypass -File .\\audit-policy.ps1",
        "sysmon64.exe -accepteula -i sysmon-config.xml",
        "msiexec /i",
        "Restart-Service nxlog",
        "ab" * 32,
    ):
        assert one_liner in readme
    assert max(len(line) for line in readme.splitlines()) <= 90
    zip_configs(tmp_path / "windows", tmp_path / "windows.zip")
    assert (tmp_path / "windows.zip").stat().st_size > 0


@pytest.mark.parametrize(
    "address",
    [
        'wk01"; Remove-Item C:\\',
        "wk01 office",
        "wk01\nPort 1",
        "<Output evil>",
        "wk01>",
        "",
        "é" * 300,
        "a" * 300,
        "wk01'",
    ],
)
def test_an_address_that_would_break_a_file_is_refused(address: str) -> None:
    with pytest.raises(ConfigError) as raised:
        windows.generate(plan(*ALL_WINDOWS), endpoint(address), rules=RULES)
    message = raised.value.message
    assert "\n" not in message and message.endswith(".") and len(message) < 240


@pytest.mark.parametrize("address", ["192.168.1.20", "fe80::1", "wk01", "wk-01.office.lan"])
def test_ordinary_addresses_are_written_as_they_are(address: str) -> None:
    text = files_of(plan("windows-security"), endpoint(address))["nxlog.conf"]
    assert re.search(rf"^\s+Host\s+{re.escape(address)}$", text, re.M)
