"""Windows events in EVTX JSON shape to common columns plus every original field."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from watchkeeper.core.event import Event, WindowsEvent
from watchkeeper.core.fields import WINDOWS_LEVELS
from watchkeeper.core.timeparse import parse_iso

_ATTR = "#attributes"
_TEXT = "#text"
_EMPTY = {"", "-", None}

# First non-empty EventData field wins, in this order.
_USER_FIELDS = ("TargetUserName", "User", "SubjectUserName", "AccountName", "UserName", "UserID")
_PROCESS_FIELDS = ("Image", "NewProcessName", "ProcessName", "Application", "HostApplication")
_COMMAND_FIELDS = ("CommandLine", "ProcessCommandLine")
_PARENT_FIELDS = ("ParentImage", "ParentProcessName")
_PID_FIELDS = ("ProcessId", "NewProcessId", "ProcessID")
_SRC_IP_FIELDS = ("IpAddress", "SourceIp", "SourceAddress", "ClientAddress", "Address")
_SRC_PORT_FIELDS = ("IpPort", "SourcePort")
_DST_IP_FIELDS = ("DestinationIp", "DestAddress", "DestinationAddress")
_DST_PORT_FIELDS = ("DestinationPort", "DestPort")
_MESSAGE_FIELDS = ("Message", "ScriptBlockText", "Payload")


def _scalar(value: Any) -> Any:
    """A field value as stored: text or number; #text of an element; lists as JSON."""
    if isinstance(value, dict):
        if _TEXT in value and len(value) <= 2:
            return _scalar(value[_TEXT])
        return orjson.dumps(value).decode()
    if isinstance(value, list):
        return orjson.dumps(value).decode()
    return value


def _first(data: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = data.get(name)
        if value not in _EMPTY:
            return value
    return None


def _as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def _flatten_user_data(node: Any, out: dict[str, Any]) -> None:
    """UserData leaves under their own names, as Sigma tools flatten them."""
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == _ATTR:
            continue
        if isinstance(value, dict) and not (_TEXT in value and len(value) <= 2):
            _flatten_user_data(value, out)
        else:
            out[key] = _scalar(value)


def _system_fields(system: dict[str, Any], out: dict[str, Any]) -> None:
    for key, value in system.items():
        if key in ("Channel", "Computer", "EventID", "TimeCreated"):
            continue  # these are the channel, host, event_id and time columns
        if isinstance(value, dict):
            attributes = value.get(_ATTR)
            if isinstance(attributes, dict):
                for name, inner in attributes.items():
                    if key == "Provider" and name == "Name":
                        continue  # the provider column
                    out[f"{key}_{name}"] = _scalar(inner)
            if _TEXT in value:
                out[key] = _scalar(value[_TEXT])
        elif value is not None:
            out[key] = value


def windows_to_event(item: WindowsEvent) -> Event:
    """The common columns and original fields of one Windows event."""
    document = orjson.loads(item.event_json)
    event = document.get("Event", document) if isinstance(document, dict) else {}
    system = event.get("System") or {}
    fields: dict[str, Any] = {}
    event_data = event.get("EventData")
    if isinstance(event_data, dict):
        for key, value in event_data.items():
            if key != _ATTR:
                fields[key] = _scalar(value)
    elif event_data is not None:
        fields["Data"] = _scalar(event_data)
    user_data = event.get("UserData")
    if user_data is not None:
        _flatten_user_data(user_data, fields)
    data = fields.copy()  # EventData and UserData only, for the common columns below
    _system_fields(system, fields)

    provider = system.get("Provider")
    time_created = system.get("TimeCreated")
    stamp = None
    if isinstance(time_created, dict):
        attributes = time_created.get(_ATTR) or {}
        if isinstance(attributes.get("SystemTime"), str):
            stamp = parse_iso(attributes["SystemTime"])
    level = system.get("Level")
    common: dict[str, Any] = {
        "time": stamp,
        "host": system.get("Computer"),
        "channel": system.get("Channel"),
        "provider": (provider.get(_ATTR) or {}).get("Name") if isinstance(provider, dict) else None,
        "event_id": _as_int(_scalar(system.get("EventID"))),
        "level": WINDOWS_LEVELS.get(level) if isinstance(level, int) else None,
        "source": item.source,
        "username": _first(data, _USER_FIELDS),
        "process": _first(data, _PROCESS_FIELDS),
        "command_line": _first(data, _COMMAND_FIELDS),
        "parent_process": _first(data, _PARENT_FIELDS),
        "pid": _as_int(_first(data, _PID_FIELDS)),
        "src_ip": _first(data, _SRC_IP_FIELDS),
        "src_port": _as_int(_first(data, _SRC_PORT_FIELDS)),
        "dst_ip": _first(data, _DST_IP_FIELDS),
        "dst_port": _as_int(_first(data, _DST_PORT_FIELDS)),
        "message": _first(data, _MESSAGE_FIELDS),
    }
    if stamp is None:
        common["time_inferred"] = "missing"
    elif fields.pop("EventTimeZoneInferred", None) == "true":  # NXLog sends local time, no zone
        common["time_inferred"] = "zone"
    dedup = int.from_bytes(hashlib.blake2b(item.event_json.encode(), digest_size=16).digest())
    return Event(item.record_no, item.raw, common, fields, dedup_key=dedup)
