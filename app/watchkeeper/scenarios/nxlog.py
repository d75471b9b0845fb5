"""The NXLog CE im_msvistalog + to_json() record shape, as templates filled in per event."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from watchkeeper.scenarios.office import WindowsHost

SECURITY = "Security"
SYSMON = "Microsoft-Windows-Sysmon/Operational"
SYSTEM = "System"
POWERSHELL = "Microsoft-Windows-PowerShell/Operational"
CHANNELS = (SECURITY, SYSMON, SYSTEM, POWERSHELL)

# Keywords as NXLog prints them: the 64-bit mask as a signed integer.
KW_AUDIT_SUCCESS = -9214364837600034816  # 0x8020000000000000
KW_AUDIT_FAILURE = -9218868437227405312  # 0x8010000000000000
KW_SYSMON = -9223372036854775808  # 0x8000000000000000
KW_CLASSIC = -9187343239835811840  # 0x8080000000000000
KW_LOG_CLEARED = 4620693217682128896  # 0x4020000000000000

HEADER_FIELDS = frozenset(
    (
        "EventTime",
        "Hostname",
        "Keywords",
        "EventType",
        "SeverityValue",
        "Severity",
        "EventID",
        "SourceName",
        "ProviderGuid",
        "Version",
        "Task",
        "OpcodeValue",
        "RecordNumber",
        "ProcessID",
        "ThreadID",
        "Channel",
        "Domain",
        "AccountName",
        "UserID",
        "AccountType",
        "Message",
        "Category",
        "Opcode",
        "EventReceivedTime",
        "SourceModuleName",
        "SourceModuleType",
    )
)
_SEVERITY = {
    "AUDIT_SUCCESS": (2, "INFO"),
    "AUDIT_FAILURE": (4, "ERROR"),
    "INFO": (2, "INFO"),
    "WARNING": (3, "WARNING"),
    "ERROR": (4, "ERROR"),
    "VERBOSE": (1, "DEBUG"),
}


@dataclass(frozen=True)
class Provider:
    name: str
    guid: str


SECURITY_AUDITING = Provider(
    "Microsoft-Windows-Security-Auditing", "{54849625-5478-4994-A5BA-3E3B0328C30D}"
)
SYSMON_PROVIDER = Provider("Microsoft-Windows-Sysmon", "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}")
EVENTLOG = Provider("Microsoft-Windows-Eventlog", "{FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148}")
POWERSHELL_PROVIDER = Provider(
    "Microsoft-Windows-PowerShell", "{A0C1853B-5C40-4B15-8766-3CF1C58F985A}"
)
SCM = Provider("Service Control Manager", "{555908D1-A6D7-4695-8E1E-26931D2012F4}")


@dataclass(frozen=True)
class Kind:
    """The constant header of one event type."""

    event_id: int
    provider: Provider
    channel: str
    version: int
    task: int
    category: str
    keywords: int
    event_type: str = "INFO"
    opcode_value: int = 0
    opcode: str = "Info"


def _security(event_id: int, version: int, task: int, category: str, failure: bool = False) -> Kind:
    return Kind(
        event_id,
        SECURITY_AUDITING,
        SECURITY,
        version,
        task,
        category,
        KW_AUDIT_FAILURE if failure else KW_AUDIT_SUCCESS,
        "AUDIT_FAILURE" if failure else "AUDIT_SUCCESS",
    )


def _sysmon(event_id: int, version: int, category: str) -> Kind:
    return Kind(event_id, SYSMON_PROVIDER, SYSMON, version, event_id, category, KW_SYSMON)


KINDS: dict[str, Kind] = {
    "4624": _security(4624, 2, 12544, "Logon"),
    "4625": _security(4625, 0, 12544, "Logon", failure=True),
    "4634": _security(4634, 0, 12545, "Logoff"),
    "4672": _security(4672, 0, 12548, "Special Logon"),
    "4698": _security(4698, 1, 12804, "Other Object Access Events"),
    "4702": _security(4702, 1, 12804, "Other Object Access Events"),
    "4720": _security(4720, 0, 13824, "User Account Management"),
    "4722": _security(4722, 0, 13824, "User Account Management"),
    "4724": _security(4724, 0, 13824, "User Account Management"),
    "4732": _security(4732, 0, 13826, "Security Group Management"),
    "4768": _security(4768, 0, 14339, "Kerberos Authentication Service"),
    "4769": _security(4769, 0, 14337, "Kerberos Service Ticket Operations"),
    "4776": _security(4776, 0, 14336, "Credential Validation"),
    "1102": Kind(1102, EVENTLOG, SECURITY, 0, 104, "Log clear", KW_LOG_CLEARED, "AUDIT_SUCCESS"),
    "104": Kind(104, EVENTLOG, SYSTEM, 0, 104, "Log clear", KW_SYSMON),
    "7036": Kind(7036, SCM, SYSTEM, 0, 0, "None", KW_CLASSIC),
    "7040": Kind(7040, SCM, SYSTEM, 0, 0, "None", KW_CLASSIC),
    "7045": Kind(7045, SCM, SYSTEM, 0, 0, "None", KW_CLASSIC),
    "4104": Kind(
        4104,
        POWERSHELL_PROVIDER,
        POWERSHELL,
        1,
        2,
        "Execute a Remote Command",
        0,
        "VERBOSE",
        15,
        "On create calls",
    ),
    "4104w": Kind(
        4104,
        POWERSHELL_PROVIDER,
        POWERSHELL,
        1,
        2,
        "Execute a Remote Command",
        0,
        "WARNING",
        15,
        "On create calls",
    ),
    "sysmon1": _sysmon(1, 5, "Process Create (rule: ProcessCreate)"),
    "sysmon3": _sysmon(3, 5, "Network connection detected (rule: NetworkConnect)"),
    "sysmon4": Kind(4, SYSMON_PROVIDER, SYSMON, 3, 4, "Sysmon service state changed", KW_SYSMON),
    "sysmon5": _sysmon(5, 3, "Process terminated (rule: ProcessTerminate)"),
    "sysmon11": _sysmon(11, 2, "File created (rule: FileCreate)"),
    "sysmon22": _sysmon(22, 5, "Dns query (rule: DnsQuery)"),
}


@dataclass(frozen=True)
class Account:
    """The user an event's System block names; NXLog adds it as Domain/AccountName/UserID."""

    domain: str
    name: str
    sid: str


SYSTEM_ACCOUNT = Account("NT AUTHORITY", "SYSTEM", "S-1-5-18")


class Slot:
    """A value filled in per event; its text must already be safe inside a JSON string."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


@dataclass(frozen=True)
class Template:
    """Constant text pieces with one slot between each pair: a line is an interleaved join."""

    pieces: tuple[str, ...]
    slots: tuple[str, ...]

    def expect(self, *names: str) -> tuple[str, ...]:
        """The pieces, after checking the slots come in the order the caller will fill them."""
        if names != self.slots:
            raise ValueError(f"template slots are {self.slots}, not {names}")
        return self.pieces

    def fill(self, values: Mapping[str, str]) -> str:
        parts = [self.pieces[0]]
        for name, piece in zip(self.slots, self.pieces[1:], strict=True):
            parts.append(values[name])
            parts.append(piece)
        return "".join(parts)


def guid_prefix(host: WindowsHost) -> str:
    """The first group of a host's Sysmon GUIDs, which Sysmon derives from the machine."""
    return hashlib.md5(host.name.encode()).hexdigest()[:8]


def escape(text: str) -> str:
    """Text as it stands inside a JSON string."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


class _Builder:
    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.slots: list[str] = []
        self.current: list[str] = []

    def text(self, value: str) -> None:
        self.current.append(value)

    def slot(self, name: str) -> None:
        self.pieces.append("".join(self.current))
        self.current = []
        self.slots.append(name)

    def field(self, key: str, value: object) -> None:
        self.text(f',"{key}":')
        if isinstance(value, Slot):
            self.text('"')
            self.slot(value.name)
            self.text('"')
        else:
            self.text(json.dumps(value, ensure_ascii=False))

    def message(self, text: str) -> None:
        """A message with «name» markers for slots."""
        self.text(',"Message":')
        encoded = json.dumps(text, ensure_ascii=False)
        while "«" in encoded:
            before, rest = encoded.split("«", 1)
            name, encoded = rest.split("»", 1)
            self.text(before)
            self.slot(name)
        self.text(encoded)

    def template(self) -> Template:
        self.pieces.append("".join(self.current))
        return Template(tuple(self.pieces), tuple(self.slots))


def build(
    host: WindowsHost,
    kind: Kind,
    *,
    process_id: int | Slot,
    message: str,
    fields: Sequence[tuple[str, object]],
    account: Account | None = None,
) -> Template:
    """A template for one event type on one host; slots: time, rec, tid, then the caller's."""
    severity_value, severity = _SEVERITY[kind.event_type]
    out = _Builder()
    out.text('{"EventTime":"')
    out.slot("time")
    out.text(
        f'","Hostname":"{host.fqdn}","Keywords":{kind.keywords},"EventType":"{kind.event_type}",'
        f'"SeverityValue":{severity_value},"Severity":"{severity}","EventID":{kind.event_id},'
        f'"SourceName":"{kind.provider.name}","ProviderGuid":"{kind.provider.guid}",'
        f'"Version":{kind.version},"Task":{kind.task},"OpcodeValue":{kind.opcode_value},'
        '"RecordNumber":'
    )
    out.slot("rec")
    out.text(',"ProcessID":')
    if isinstance(process_id, Slot):
        out.slot(process_id.name)
    else:
        out.text(str(process_id))
    out.text(',"ThreadID":')
    out.slot("tid")
    out.text(f',"Channel":"{kind.channel}"')
    # NXLog names the event's user in fields that EventData may also use (7045's AccountName);
    # the EventData value then takes the place of the header's, as in NXLog's own output.
    user: dict[str, object] = {}
    if account is not None:
        user = {
            "Domain": account.domain,
            "AccountName": account.name,
            "UserID": account.sid,
            "AccountType": "User",
        }
    data = []
    for key, value in fields:
        if key in user:
            user[key] = value
        elif key in HEADER_FIELDS:
            raise ValueError(f"EventData field {key} would repeat an NXLog header field")
        else:
            data.append((key, value))
    for key, value in user.items():
        out.field(key, value)
    out.message(message)
    out.text(f',"Category":"{kind.category}","Opcode":"{kind.opcode}"')
    for key, value in data:
        out.field(key, value)
    out.text(',"EventReceivedTime":"')
    out.slot("time")
    out.text('","SourceModuleName":"in_eventlog","SourceModuleType":"im_msvistalog"}\n')
    return out.template()
