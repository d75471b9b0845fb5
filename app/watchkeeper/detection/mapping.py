"""Sigma's taxonomy to the store: which events a log source means, and which column a field is.

A log source becomes the table of one family of sources plus a condition on channel, event id
or source type. Field names become columns at run time (see `resolve`), since the columns a
store has grow with what is imported.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sigma.pipelines.common import windows_logsource_mapping

from watchkeeper.core.fields import column_for_field, quote_ident, quote_text
from watchkeeper.detection.backend import FIELD_TOKEN, RAW_FIELD, field_token

SYSMON = "Microsoft-Windows-Sysmon/Operational"
SECURITY = "Security"
DEFENDER = "Microsoft-Windows-Windows Defender/Operational"
_POWERSHELL = ("Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational")

# Services SigmaHQ uses that pySigma's table lacks.
EXTRA_SERVICES: dict[str, str] = {
    "smbserver-connectivity": "Microsoft-Windows-SMBServer/Connectivity",
    "smbclient-connectivity": "Microsoft-Windows-SmbClient/Connectivity",
}

# Sigma's generic Windows categories and the Sysmon events that carry them.
SYSMON_CATEGORIES: dict[str, tuple[int, ...]] = {
    "process_creation": (1,),
    "file_change": (2,),
    "network_connection": (3,),
    "sysmon_status": (4, 16),
    "process_termination": (5,),
    "driver_load": (6,),
    "image_load": (7,),
    "create_remote_thread": (8,),
    "raw_access_thread": (9,),
    "process_access": (10,),
    "file_event": (11,),
    "registry_add": (12,),
    "registry_delete": (12,),
    "registry_set": (13,),
    "registry_rename": (14,),
    "registry_event": (12, 13, 14),
    "create_stream_hash": (15,),
    "pipe_created": (17, 18),
    "wmi_event": (19, 20, 21),
    "dns_query": (22,),
    "file_delete": (23, 26),
    "clipboard_capture": (24,),
    "process_tampering": (25,),
    "file_executable_detected": (29,),
    "file_block_executable": (27,),
    "file_block_shredding": (28,),
    "sysmon_error": (255,),
}
# Categories read from other channels: (channels, event ids).
CHANNEL_CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "ps_script": (_POWERSHELL, (4104,)),
    "ps_module": (_POWERSHELL, (4103,)),
    "ps_classic_start": (("Windows PowerShell",), (400,)),
    "ps_classic_provider_start": (("Windows PowerShell",), (600,)),
    "ps_classic_script_start": (("Windows PowerShell",), (800,)),
    "antivirus": ((DEFENDER,), (1006, 1015, 1116, 1117)),
}
# process_creation also comes from Security 4688; these fields are read from the columns both
# fill (Image from NewProcessName, ParentImage from ParentProcessName, ...).
PROCESS_FIELDS = {
    "image": "process",
    "parentimage": "parent_process",
    "commandline": "command_line",
    "user": "username",
}
# What Security 4688 holds of the rest of Sigma's process_creation fields, as SQL over its own
# fields ({Name} is the column of field Name). Sysmon writes process ids in decimal and 4688 in
# hex; User and LogonId are the new process's (Target, when 4688 names one) and ParentUser
# the creator's, spelled as Sysmon spells accounts (DOMAIN\name, NT AUTHORITY\SYSTEM).
_ACCOUNT = (
    "CASE {{{0}UserSid}} WHEN 'S-1-5-18' THEN 'NT AUTHORITY\\SYSTEM' "
    "WHEN 'S-1-5-19' THEN 'NT AUTHORITY\\LOCAL SERVICE' "
    "WHEN 'S-1-5-20' THEN 'NT AUTHORITY\\NETWORK SERVICE' "
    "ELSE nullif(concat_ws('\\', nullif(nullif({{{0}DomainName}}, '-'), ''), "
    "nullif(nullif({{{0}UserName}}, '-'), '')), '') END"
)
_HAS_TARGET = "nullif(nullif({TargetLogonId}, '0x0'), '-') IS NOT NULL"
SECURITY_PROCESS_FIELDS: dict[str, str] = {
    "processid": "CAST(TRY_CAST({NewProcessId} AS BIGINT) AS VARCHAR)",
    "parentprocessid": "CAST(TRY_CAST({ProcessId} AS BIGINT) AS VARCHAR)",
    "logonid": f"CASE WHEN {_HAS_TARGET} THEN {{TargetLogonId}} ELSE {{SubjectLogonId}} END",
    "user": f"CASE WHEN {_HAS_TARGET} THEN {_ACCOUNT.format('Target')} "
    f"ELSE {_ACCOUNT.format('Subject')} END",
    "parentuser": _ACCOUNT.format("Subject"),
    "integritylevel": "{MandatoryLabel}",
}
WINDOWS_FIELDS = {
    "eventid": "event_id",
    "channel": "channel",
    "computer": "host",
    "computername": "host",
    "provider_name": "provider",
}

# Linux services written by one program, found by its process name.
_LINUX_PROGRAMS = {
    "sshd": ("sshd",),
    "sudo": ("sudo",),
    "su": ("su",),
    "cron": ("cron", "crond", "CRON"),
    "vsftpd": ("vsftpd",),
    "clamav": ("clamd", "freshclam"),
    "guacamole": ("guacd",),
    "sshd-session": ("sshd-session",),
}
_SYSLOG_SOURCES = ("syslog", "journald")
# auditd records are stored as <record type>.<key>; a Sigma field with no prefix is looked
# up in these record types, in this order.
_AUDIT_RECORDS = (
    "syscall",
    "execve",
    "path",
    "path.0",
    "path.1",
    "cwd",
    "proctitle",
    "user_cmd",
    "user_acct",
    "user_auth",
    "service_start",
    "service_stop",
)


@dataclass(frozen=True)
class Target:
    """Where a log source's events are: a table family and a condition (with field tokens)."""

    family: str
    condition: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    # fields that Security 4688 events in the target carry differently (SECURITY_PROCESS_FIELDS)
    security_process: bool = False

    def describe(self) -> str:
        plain = FIELD_TOKEN.sub(lambda m: m.group(1).lstrip("@"), self.condition)
        return f"{self.family} where {plain}" if plain else self.family


def _text_list(values: tuple[str, ...]) -> str:
    return ", ".join(map(quote_text, values))


def _in(name: str, values: tuple[str, ...]) -> str:
    return f"{field_token(name)} IN ({_text_list(values)})"


def _events(channels: tuple[str, ...], ids: tuple[int, ...]) -> str:
    numbers = ", ".join(str(i) for i in ids)
    return f"({_in('Channel', channels)} AND {field_token('EventID')} IN ({numbers}))"


def targets(product: str | None, category: str | None, service: str | None) -> list[Target]:
    """The events a log source names; empty when no events of it can be in the store."""
    product = (product or "").lower() or None
    category = (category or "").lower() or None
    service = (service or "").lower() or None
    if product == "windows" or (
        product is None and category in SYSMON_CATEGORIES | CHANNEL_CATEGORIES
    ):
        return _windows(category, service)
    if product == "linux":
        return _linux(category, service)
    if product == "macos":
        return [Target("unix", _in("@source", ("macos",)), PROCESS_FIELDS)]
    if product == "android":
        return [Target("other", f"{field_token('tag')} ILIKE 'SEC\\_TAG\\_%' ESCAPE '\\'")]
    return []


def _windows(category: str | None, service: str | None) -> list[Target]:
    conditions: list[str] = []
    fields: dict[str, str] = dict(WINDOWS_FIELDS)
    security_process = False
    if service is not None:
        channels = windows_logsource_mapping.get(service) or EXTRA_SERVICES.get(service)
        if channels is None:
            return []
        conditions.append(
            _in("Channel", (channels,) if isinstance(channels, str) else tuple(channels))
        )
    if category is not None:
        if category in SYSMON_CATEGORIES:
            branch = _events((SYSMON,), SYSMON_CATEGORIES[category])
            if category == "process_creation":
                branch = f"({branch} OR {_events((SECURITY,), (4688,))})"
                fields.update(PROCESS_FIELDS)
                security_process = True
            conditions.append(branch)
        elif category in CHANNEL_CATEGORIES:
            conditions.append(_events(*CHANNEL_CATEGORIES[category]))
        else:
            return []
    return [Target("windows", " AND ".join(conditions), fields, security_process)]


def _linux(category: str | None, service: str | None) -> list[Target]:
    if service == "auditd":
        return [Target("unix", _in("@source", ("auditd",)), {"type": "@auditd_type"})]
    if service in ("syslog", "auth"):
        return [Target("unix", _in("@source", _SYSLOG_SOURCES))]
    if service is not None:
        programs = _LINUX_PROGRAMS.get(service, (service,))
        return [
            Target("unix", f"{_in('@source', _SYSLOG_SOURCES)} AND {_in('@process', programs)}")
        ]
    if category in ("process_creation", "network_connection", "file_event", "file_create"):
        return [Target("unix", "", PROCESS_FIELDS)]
    if category is None:
        return [Target("unix")]
    return []


MAPPING_VERSION = hashlib.sha256(
    repr(
        (
            sorted(windows_logsource_mapping.items()),
            EXTRA_SERVICES,
            SYSMON_CATEGORIES,
            CHANNEL_CATEGORIES,
            PROCESS_FIELDS,
            SECURITY_PROCESS_FIELDS,
            WINDOWS_FIELDS,
            _LINUX_PROGRAMS,
            _AUDIT_RECORDS,
            2,
        )
    ).encode()
).hexdigest()[:16]


_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_AUDIT_TYPE = re.compile(
    "(?:CAST\\()?\x00(?:type|@auditd_type)\x01(?: AS VARCHAR\\))? "
    "I?LIKE '((?:[^']|'')*)' ESCAPE '\\\\'",
    re.IGNORECASE,
)


def resolve(
    predicate: str, target: Target, columns: Mapping[str, str], memo: dict[str, str] | None = None
) -> str:
    """A compiled predicate with each field token replaced by a column of the table.

    `columns` maps lower-case column names to the table's spelling. A field the table has no
    column for reads as NULL, which Sigma treats as absent. `memo` keeps the columns found
    for one target and table across many rules.
    """
    found = {} if memo is None else memo

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        sql = found.get(name)
        if sql is None:
            sql = found[name] = column(name, target, columns)
        return sql

    # auditd's record types of one event are a list: `type: EXECVE` asks whether it is in it.
    if target.fields.get("type") == "@auditd_type":
        predicate = _AUDIT_TYPE.sub(
            lambda m: (
                f"{quote_ident(columns['types'])} ILIKE '%\"{m.group(1)}\"%' ESCAPE '\\'"
                if "types" in columns
                else "NULL"
            ),
            predicate,
        )
    return FIELD_TOKEN.sub(lookup, predicate)


def column(name: str, target: Target, columns: Mapping[str, str]) -> str:
    """The SQL that reads Sigma field `name` in the target's table."""
    own = _column(name, target, columns)
    security = SECURITY_PROCESS_FIELDS.get(name.lower()) if target.security_process else None
    if security is None or "channel" not in columns or "event_id" not in columns:
        return own

    def field_sql(match: re.Match[str]) -> str:
        found = columns.get(column_for_field(match.group(1)).lower())
        return quote_ident(found) if found is not None else "NULL"

    is_4688 = (
        f"{quote_ident(columns['event_id'])} = 4688 AND "
        f"{quote_ident(columns['channel'])} = {quote_text(SECURITY)}"
    )
    return f"(CASE WHEN {is_4688} THEN {_PLACEHOLDER.sub(field_sql, security)} ELSE {own} END)"


def _column(name: str, target: Target, columns: Mapping[str, str]) -> str:
    lower = name.lower()
    if name == RAW_FIELD:
        return quote_ident("raw")
    if name.startswith("@"):  # the store's own columns, named by the mapping
        lower = lower[1:]
        return quote_ident(columns[lower]) if lower in columns else "NULL"
    mapped = target.fields.get(lower)
    if mapped == "@auditd_type":
        return quote_ident(columns["types"]) if "types" in columns else "NULL"
    if mapped is not None and not mapped.startswith("@") and mapped.lower() in columns:
        return quote_ident(columns[mapped.lower()])
    own = column_for_field(name).lower()
    if own in columns:
        return quote_ident(columns[own])
    if lower in columns:  # a field named like a common column the source had no field for
        return quote_ident(columns[lower])
    if target.family == "unix":
        records = ("execve", *_AUDIT_RECORDS) if re.fullmatch(r"a\d+", lower) else _AUDIT_RECORDS
        found = [
            columns[f"{record}.{lower}"]
            for record in dict.fromkeys(records)
            if f"{record}.{lower}" in columns
        ]
        if len(found) == 1:
            return quote_ident(found[0])
        if found:
            return f"coalesce({', '.join(quote_ident(c) for c in found)})"
    return "NULL"
