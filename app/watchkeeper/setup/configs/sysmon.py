"""A Sysmon configuration written from the rules: every event type they read, noise filtered.

Which Sysmon events to turn on is derived from the loaded rules' log source categories
(detection.mapping.SYSMON_CATEGORIES); the event types no rule reads are turned off, so
Sysmon's own defaults add nothing. The filters are ours: they keep what the sensitive
cases need (lsass.exe opened, credential and dump DLLs loaded, unsigned code) and drop
NXLog's own traffic and file writes, which would otherwise report themselves forever.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

from watchkeeper.detection.mapping import SYSMON_CATEGORIES
from watchkeeper.detection.rules import Rule

SCHEMA_VERSION = "4.90"  # Sysmon 15
HASHES = "md5,sha256,imphash"
NXLOG_IMAGE = r"C:\Program Files\nxlog\nxlog.exe"

# Sysmon's event filter elements and the event ids each one controls.
EVENT_TYPES: dict[str, tuple[int, ...]] = {
    "ProcessCreate": (1,),
    "FileCreateTime": (2,),
    "NetworkConnect": (3,),
    "ProcessTerminate": (5,),
    "DriverLoad": (6,),
    "ImageLoad": (7,),
    "CreateRemoteThread": (8,),
    "RawAccessRead": (9,),
    "ProcessAccess": (10,),
    "FileCreate": (11,),
    "RegistryEvent": (12, 13, 14),
    "FileCreateStreamHash": (15,),
    "PipeEvent": (17, 18),
    "WmiEvent": (19, 20, 21),
    "DnsQuery": (22,),
    "FileDelete": (23,),
    "ClipboardChange": (24,),
    "ProcessTampering": (25,),
    "FileDeleteDetected": (26,),
    "FileBlockExecutable": (27,),
    "FileBlockShredding": (28,),
    "FileExecutableDetected": (29,),
}
# Never turned on, whatever the rules read: FileDelete keeps a copy of every deleted file
# (FileDeleteDetected logs the same deletions without the copies), ClipboardChange keeps
# what people copy, and the FileBlock types stop programs from running.
NEVER: dict[str, str] = {
    "FileDelete": "it keeps a copy of every deleted file; FileDeleteDetected logs deletions",
    "ClipboardChange": "it keeps copies of what people copy, passwords included",
    "FileBlockExecutable": "it stops programs from being written, which is not logging",
    "FileBlockShredding": "it stops files from being shredded, which is not logging",
}

# (condition, field, value): one filter line; a group's lines are alternatives.
Filter = tuple[str, str, str]
# What is kept of each event type when it is on: ("exclude", filters) logs everything but
# the filters' matches; ("include", filters) logs only their matches.
_NOT_NXLOG: tuple[Filter, ...] = (("is", "Image", NXLOG_IMAGE),)
FILTERS: dict[str, tuple[str, tuple[Filter, ...]]] = {
    "NetworkConnect": ("exclude", _NOT_NXLOG),
    "DnsQuery": ("exclude", _NOT_NXLOG),
    "FileCreate": ("exclude", _NOT_NXLOG),
    "ProcessAccess": (
        "include",
        (("end with", "TargetImage", r"\lsass.exe"),),
    ),
    "ImageLoad": (
        "include",
        (
            ("is", "Signed", "false"),
            ("end with", "ImageLoaded", r"\comsvcs.dll"),
            ("end with", "ImageLoaded", r"\dbghelp.dll"),
            ("end with", "ImageLoaded", r"\dbgcore.dll"),
            ("end with", "ImageLoaded", r"\vaultcli.dll"),
            ("end with", "ImageLoaded", r"\samlib.dll"),
            ("end with", "ImageLoaded", r"\System.Management.Automation.dll"),
            ("end with", "ImageLoaded", r"\System.Management.Automation.ni.dll"),
            ("contains", "ImageLoaded", "\\Temp\\"),
            ("contains", "ImageLoaded", "\\Users\\Public\\"),
        ),
    ),
    "RegistryEvent": (
        "include",
        tuple(
            ("contains", "TargetObject", key)
            for key in (
                r"\CurrentVersion\Run",
                "\\CurrentVersion\\Policies\\",
                "\\CurrentVersion\\Image File Execution Options\\",
                "\\CurrentVersion\\Winlogon\\",
                "\\CurrentControlSet\\Services\\",
                r"\CurrentControlSet\Control\Lsa",
                r"\CurrentControlSet\Control\SecurityProviders",
                "\\Microsoft\\Windows Defender\\",
                r"\Policies\Microsoft\Windows Defender",
                "\\Environment\\",
                "\\InprocServer32\\",
                r"\Shell\Open\Command",
                "\\Terminal Server\\",
                "\\Microsoft\\Office\\",
            )
        ),
    ),
    "FileDeleteDetected": (
        "include",
        tuple(
            ("end with", "TargetFilename", suffix)
            for suffix in (
                *(".exe", ".dll", ".sys", ".ps1", ".bat", ".cmd", ".vbs", ".js"),
                *(".evtx", ".pf", "ConsoleHost_history.txt"),
            )
        ),
    ),
}
# Sigma categories whose Sysmon event is spelt otherwise here (see NEVER).
_CATEGORY_TYPES = {"file_delete": ("FileDeleteDetected",)}
_TYPE_OF_ID = {event_id: name for name, ids in EVENT_TYPES.items() for event_id in ids}


def event_types_read(rules: Iterable[Rule]) -> list[str]:
    """The Sysmon event types the Windows rules read, in Sysmon's order."""
    wanted: set[str] = set()
    for rule in rules:
        if (rule.logsource.get("product") or "").lower() != "windows":
            continue
        category = (rule.logsource.get("category") or "").lower()
        if category in _CATEGORY_TYPES:
            wanted.update(_CATEGORY_TYPES[category])
            continue
        for event_id in SYSMON_CATEGORIES.get(category, ()):
            name = _TYPE_OF_ID.get(event_id)  # status and error events (4, 16, 255) are
            if name:  # always logged and cannot be filtered
                wanted.add(name)
    return [name for name in EVENT_TYPES if name in wanted and name not in NEVER]


def sysmon_config(event_types: Iterable[str]) -> str:
    """The configuration XML turning on exactly `event_types`, each with its filters."""
    on = [name for name in EVENT_TYPES if name in set(event_types) and name not in NEVER]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!-- Watchkeeper: a Sysmon configuration for the detection rules you have loaded.",
        "     Install:  sysmon64.exe -accepteula -i sysmon-config.xml",
        "     Update:   sysmon64.exe -c sysmon-config.xml  -->",
        f'<Sysmon schemaversion="{SCHEMA_VERSION}">',
        f"  <HashAlgorithms>{HASHES}</HashAlgorithms>",
        "  <CheckRevocation/>",
        "  <DnsLookup>False</DnsLookup>",
        "  <EventFiltering>",
    ]
    for name in on:
        relation, filters = FILTERS.get(name, ("exclude", ()))
        what = "everything but" if relation == "exclude" else "only"
        lines.append(f'    <RuleGroup name={quoteattr(name)} groupRelation="or">')
        if filters:
            lines.append(f"      <!-- {name}: {what} what these match -->")
            lines.append(f'      <{name} onmatch="{relation}">')
            lines += [
                f'        <{field} condition="{condition}">{escape(value)}</{field}>'
                for condition, field, value in filters
            ]
            lines.append(f"      </{name}>")
        else:
            lines.append(f'      <{name} onmatch="exclude"/>')
        lines.append("    </RuleGroup>")
    off = [name for name in EVENT_TYPES if name not in on]
    lines.append("    <!-- Off: no loaded rule reads these, or they do more than log (see")
    lines.append("         README.txt). An include with nothing to match logs nothing. -->")
    lines.append('    <RuleGroup name="off" groupRelation="or">')
    lines += [f'      <{name} onmatch="include"/>' for name in off]
    lines += ["    </RuleGroup>", "  </EventFiltering>", "</Sysmon>", ""]
    return "\n".join(lines)
