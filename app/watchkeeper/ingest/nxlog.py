"""NXLog JSON lines of Windows events (im_msvistalog with to_json())."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import tzinfo
from typing import Any

from watchkeeper.core.event import Parsed, Rejected, WindowsEvent
from watchkeeper.ingest.base import ParseContext, Source
from watchkeeper.ingest.jsonlines import (
    event_from_object,
    json_records,
    not_understood,
    sniff_objects,
)
from watchkeeper.ingest.mapping import FieldMapper
from watchkeeper.ingest.times import TimeOutOfRange, checked_iso, epoch_time, in_utc
from watchkeeper.ingest.windows_shape import (
    build_system,
    keywords_hex,
    system_time,
    to_int,
    windows_event_json,
    windows_level,
)

_WINDOWS_MODULES = ("im_msvistalog", "im_mseventlog", "im_wseventing")

# NXLog's own keys: they describe the event (System) or the shipping, not the EventData.
# AccountName is not among them: NXLog's SID lookup and the EventData of service installs
# (7045) share the name, the EventData value wins in NXLog, and Sigma rules read it there.
_SYSTEM_KEYS = frozenset(
    {
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
        "TaskValue",
        "OpcodeValue",
        "Opcode",
        "RecordNumber",
        "ActivityID",
        "RelatedActivityID",
        "ProcessID",
        "ThreadID",
        "ExecutionProcessID",
        "ExecutionThreadID",
        "Channel",
        "Domain",
        "UserID",
        "AccountType",
        "Category",
        "EventReceivedTime",
        "SourceModuleName",
        "SourceModuleType",
        "Qualifiers",
        "Level",
        "LevelValue",
        "MessageSourceAddress",
    }
)
# The EventType values NXLog writes; Sysmon's registry events carry an EventType of their
# own (SetValue, CreateKey, ...) that overwrites NXLog's, and that one is EventData.
_NXLOG_EVENT_TYPES = frozenset(
    {
        "AUDIT_SUCCESS",
        "AUDIT_FAILURE",
        "INFO",
        "WARNING",
        "ERROR",
        "CRITICAL",
        "VERBOSE",
    }
)
# NXLog's SeverityValue (1 debug .. 5 critical) to the Windows Level number, for records
# without NXLog's EventType. It cannot tell an audit failure (ERROR) from a Level 2 error.
_SEVERITY_LEVELS = {1: 5, 2: 4, 3: 3, 4: 2, 5: 1}
TIME_INFERRED_FIELD = "EventTimeZoneInferred"


class NxlogParser:
    format = "nxlog"
    label = "NXLog JSON (Windows event log)"

    def sniff(self, head: bytes) -> int:
        return sniff_objects(head, '"EventID"', is_nxlog_windows, 90)

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        mapper = FieldMapper(context.years.zone)
        zone = context.years.zone
        others = 0
        for record in json_records(source):
            if isinstance(record, Rejected):
                yield record
                continue
            number, _, value, text, encoding = record
            if not is_nxlog_windows(value):
                # im_file and other NXLog inputs in the same stream: generic JSON.
                others += 1
                yield event_from_object(number, text, value, encoding, mapper)
                continue
            try:
                event_json = nxlog_json(value, zone)
            except (TypeError, ValueError) as error:
                yield not_understood(record, error, "NXLog event")
                continue
            yield WindowsEvent(number, text, event_json, source="nxlog")
        if others:
            context.notes.append(
                f"{source.name}: {others} line(s) without an EventID and "
                "Channel were read as generic JSON"
            )


def is_nxlog_windows(value: dict[str, Any]) -> bool:
    """An NXLog record of a Windows event, not of a text file or syslog input."""
    if "EventID" not in value:
        return False
    module = value.get("SourceModuleType")
    if isinstance(module, str) and module in _WINDOWS_MODULES:
        return True
    return "Channel" in value and ("EventTime" in value or "SourceName" in value)


def nxlog_json(value: dict[str, Any], zone: tzinfo) -> str:
    """The evtx-shaped JSON of one NXLog record; `zone` is the sender's, for EventTime."""
    time_created, zone_inferred = _event_time(value.get("EventTime"), zone)
    # NXLog 5 and later name the writing process ExecutionProcessID; a ProcessID beside it is
    # then the event's own (5156's application, 4688's creator), as in the EVTX's EventData.
    execution_named = "ExecutionProcessID" in value or "ExecutionThreadID" in value
    system = build_system(
        provider_name=value.get("SourceName"),
        provider_guid=value.get("ProviderGuid"),
        event_id=value.get("EventID"),
        qualifiers=value.get("Qualifiers"),
        version=value.get("Version"),
        level=_level(value),
        task=value.get("Task", value.get("TaskValue")),
        opcode=value.get("OpcodeValue"),
        keywords=keywords_hex(value.get("Keywords")),
        time_created=time_created,
        record_id=value.get("RecordNumber"),
        activity_id=value.get("ActivityID"),
        related_activity_id=value.get("RelatedActivityID"),
        process_id=value.get("ExecutionProcessID" if execution_named else "ProcessID"),
        thread_id=value.get("ExecutionThreadID" if execution_named else "ThreadID"),
        channel=value.get("Channel"),
        computer=value.get("Hostname"),
        user_id=value.get("UserID"),
    )
    event_data: dict[str, Any] = {}
    for key, item in value.items():
        if key in _SYSTEM_KEYS:
            if (key == "EventType" and item not in _NXLOG_EVENT_TYPES) or (
                execution_named and key in ("ProcessID", "ThreadID")
            ):
                event_data[key] = item
            continue
        event_data[key] = item
    if zone_inferred:
        event_data[TIME_INFERRED_FIELD] = "true"
    return windows_event_json(system, event_data or None)


def _level(value: dict[str, Any]) -> int | None:
    """The Windows Level: NXLog's EventType names it exactly (AUDIT_SUCCESS and AUDIT_FAILURE
    are Level 0 events, told apart by their keyword); its Severity is a lossy fallback."""
    level = windows_level(value.get("EventType"))
    if level is None:
        level = windows_level(value.get("Level"))
    if level is None:
        severity = to_int(value.get("SeverityValue"))
        level = _SEVERITY_LEVELS.get(severity) if severity is not None else None
    return level


def _event_time(value: Any, zone: tzinfo) -> tuple[str | None, bool]:
    """SystemTime in UTC, and whether the sender's zone had to be assumed.

    NXLog writes EventTime as the sender's local time with no zone ("2026-11-23 08:43:12")
    unless its configuration formats it as ISO 8601 with an offset.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):  # integer($EventTime)
        if value != value:  # NaN
            return None, False
        stamp = epoch_time(value)
        if stamp is None:
            raise TimeOutOfRange(value)
        return system_time(stamp), False
    if not isinstance(value, str):
        return None, False
    stamp = checked_iso(value)
    if stamp is None:
        return None, False
    if stamp.tzinfo is None:
        return system_time(in_utc(stamp.replace(tzinfo=zone), value)), True
    return system_time(stamp), False
