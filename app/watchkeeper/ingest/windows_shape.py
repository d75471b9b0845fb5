"""The JSON shape the `evtx` package writes for a Windows event, built from other sources."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson

from watchkeeper.core.timeparse import parse_iso

EVENT_NAMESPACE = "http://schemas.microsoft.com/win/2004/08/events/event"
ATTRIBUTES = "#attributes"
TEXT = "#text"
_MASK64 = (1 << 64) - 1
_WINDOWS_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6,7}Z")

# System elements the evtx package writes as numbers (their BinXML types are integers).
SYSTEM_INTEGERS = frozenset({"EventID", "Version", "Level", "Task", "Opcode", "EventRecordID"})

# How each format names a level, to the Windows Level number in System: the names Windows
# renders (Winlogbeat's log.level), NXLog's EventType, and the classic event types. An audit
# success or failure is a keyword, not a level: Windows writes those events at Level 0
# (LogAlways), which reads as information; the keyword stays in Keywords as the outcome.
_LEVEL_NUMBERS = {
    "logalways": 0,
    "log always": 0,
    "audit success": 0,
    "audit failure": 0,
    "success": 0,
    "critical": 1,
    "error": 2,
    "warning": 3,
    "information": 4,
    "informational": 4,
    "info": 4,
    "verbose": 5,
}
_MAX_LEVEL = 255  # providers may define their own levels, 16 to 255

# Keyword names Winlogbeat writes, back to the bits the evtx package shows.
KEYWORD_BITS = {
    "audit success": 0x8020000000000000,
    "audit failure": 0x8010000000000000,
    "classic": 0x0080000000000000,
    "correlation hint": 0x0040000000000000,
    "response time": 0x0001000000000000,
    "sqm": 0x0008000000000000,
    "wdi context": 0x0002000000000000,
    "wdi diagnostic": 0x0004000000000000,
}


def to_int(value: Any) -> int | None:
    """An integer from a number or decimal text; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text[:1] == "-":
            return -int(text[1:]) if text[1:].isascii() and text[1:].isdigit() else None
        if text.isascii() and text.isdigit():
            return int(text)
    return None


def windows_level(value: Any) -> int | None:
    """The Windows Level number of an event from its level as a format writes it.

    Every Windows importer reads its level through this one rule, so an event has the same
    level whichever way it arrived. A number (or its text) is the Level itself; a name is
    looked up; anything else is None: no level rather than a wrong one.
    """
    number = to_int(value)
    if number is not None:
        return number if 0 <= number <= _MAX_LEVEL else None
    if isinstance(value, str):
        return _LEVEL_NUMBERS.get(value.strip().lower().replace("_", " "))
    return None


def system_time(stamp: datetime) -> str:
    """A time as evtx writes SystemTime: UTC, microseconds, a Z."""
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalise_system_time(text: str) -> str:
    """SystemTime text in evtx's form; text that is not a zoned ISO time is kept as it is."""
    if _WINDOWS_TIME.fullmatch(text):  # Windows' own 100 ns form: drop the last digit
        return text[:26] + "Z"
    stamp = parse_iso(text)
    if stamp is None or stamp.tzinfo is None:
        return text
    return system_time(stamp)


def keywords_hex(value: Any) -> str | None:
    """Keywords as evtx writes them ("0x8020000000000000") from a number, or text of one."""
    if isinstance(value, str):
        text = value.strip()
        if text.lower().startswith("0x"):
            try:
                return hex(int(text, 16) & _MASK64)
            except ValueError:
                return text
    number = to_int(value)
    if number is None:
        return None
    return hex(number & _MASK64)  # NXLog writes the 64 bits as a signed number


def keyword_names_hex(names: Any) -> str | None:
    """Winlogbeat's keyword names as the bits evtx shows; names we do not know stay text."""
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not names:
        return None
    bits = 0
    for name in names:
        bit = KEYWORD_BITS.get(str(name).lower())
        if bit is None:
            return ", ".join(str(item) for item in names)
        bits |= bit
    return hex(bits)


def build_system(
    *,
    provider_name: Any,
    provider_guid: Any = None,
    event_id: Any,
    qualifiers: Any = None,
    version: Any = None,
    level: Any = None,
    task: Any = None,
    opcode: Any = None,
    keywords: str | None = None,
    time_created: str | None = None,
    record_id: Any = None,
    activity_id: Any = None,
    related_activity_id: Any = None,
    process_id: Any = None,
    thread_id: Any = None,
    channel: Any = None,
    computer: Any = None,
    user_id: Any = None,
) -> dict[str, Any]:
    """The System object, keys in the order evtx writes them; absent values are left out.

    Numbers given as text become numbers where evtx writes numbers; text that is not a
    number (Winlogbeat's task names) is kept as text rather than dropped.
    """
    provider: dict[str, Any] = {}
    if provider_name is not None:
        provider["Name"] = provider_name
    if provider_guid is not None:
        provider["Guid"] = provider_guid
    system: dict[str, Any] = {"Provider": {ATTRIBUTES: provider} if provider else None}
    number = _int_or_text(event_id)
    if qualifiers is not None:
        system["EventID"] = {ATTRIBUTES: {"Qualifiers": _int_or_text(qualifiers)}, TEXT: number}
    else:
        system["EventID"] = number
    for name, value in (
        ("Version", version),
        ("Level", level),
        ("Task", task),
        ("Opcode", opcode),
        ("Keywords", keywords),
    ):
        if value is not None and value != "":
            system[name] = value if name == "Keywords" else _int_or_text(value)
    if time_created is not None:
        system["TimeCreated"] = {ATTRIBUTES: {"SystemTime": time_created}}
    if record_id is not None:
        system["EventRecordID"] = _int_or_text(record_id)
    correlation = {
        name: value
        for name, value in (("ActivityID", activity_id), ("RelatedActivityID", related_activity_id))
        if value
    }
    system["Correlation"] = {ATTRIBUTES: correlation} if correlation else None
    execution = {
        name: _int_or_text(value)
        for name, value in (("ProcessID", process_id), ("ThreadID", thread_id))
        if value is not None
    }
    system["Execution"] = {ATTRIBUTES: execution} if execution else None
    system["Channel"] = channel
    system["Computer"] = computer
    system["Security"] = {ATTRIBUTES: {"UserID": user_id}} if user_id else None
    return system


def windows_event_json(
    system: dict[str, Any],
    event_data: dict[str, Any] | None,
    user_data: dict[str, Any] | None = None,
    others: dict[str, Any] | None = None,
) -> str:
    """One event as compact JSON, shaped as `PyEvtxParser(...).records_json()` writes it.

    `others` holds the rarer children of <Event> (ProcessingErrorData, DebugData, ...).
    """
    event: dict[str, Any] = {ATTRIBUTES: {"xmlns": EVENT_NAMESPACE}, "System": system}
    if event_data is not None:
        event["EventData"] = event_data
    if user_data is not None:
        event["UserData"] = user_data
    if others:
        event.update(others)
    return orjson.dumps({"Event": event}).decode()


def _int_or_text(value: Any) -> Any:
    number = to_int(value)
    return value if number is None else number
