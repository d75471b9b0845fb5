"""Winlogbeat JSON lines (Elastic's Windows shipper, file or Logstash output)."""

from __future__ import annotations

from collections.abc import Iterator
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
from watchkeeper.ingest.times import checked_iso
from watchkeeper.ingest.windows_shape import (
    build_system,
    keyword_names_hex,
    normalise_system_time,
    windows_event_json,
    windows_level,
)


class WinlogbeatParser:
    format = "winlogbeat"
    label = "Winlogbeat JSON lines"

    def sniff(self, head: bytes) -> int:
        return sniff_objects(head, '"winlog"', lambda value: _is_windows(value.get("winlog")), 90)

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        mapper = FieldMapper(context.years.zone)
        others = 0
        for record in json_records(source):
            if isinstance(record, Rejected):
                yield record
                continue
            number, _, value, text, encoding = record
            winlog = value.get("winlog")
            if not isinstance(winlog, dict) or not _is_windows(winlog):
                # Another Beat's line in the same file: still an event, as generic JSON.
                others += 1
                yield event_from_object(number, text, value, encoding, mapper)
                continue
            try:
                event_json = winlogbeat_json(value, winlog)
            except (TypeError, ValueError) as error:
                yield not_understood(record, error, "Winlogbeat event")
                continue
            yield WindowsEvent(number, text, event_json, source="winlogbeat")
        if others:
            context.notes.append(
                f"{source.name}: {others} line(s) without a 'winlog' object "
                "were read as generic JSON"
            )


def _is_windows(winlog: Any) -> bool:
    return isinstance(winlog, dict) and ("event_id" in winlog or "channel" in winlog)


def is_winlogbeat(document: dict[str, Any]) -> bool:
    """A Winlogbeat document of a Windows event, not another Beat's."""
    return _is_windows(document.get("winlog"))


def winlogbeat_json(document: dict[str, Any], winlog: dict[str, Any]) -> str:
    """The evtx-shaped JSON of one Winlogbeat document."""
    process = winlog.get("process")
    process = process if isinstance(process, dict) else {}
    thread = process.get("thread")
    thread = thread if isinstance(thread, dict) else {}
    user = winlog.get("user")
    user = user if isinstance(user, dict) else {}
    event = document.get("event")
    event = event if isinstance(event, dict) else {}
    log = document.get("log")
    log = log if isinstance(log, dict) else {}
    stamp = document.get("@timestamp")
    if isinstance(stamp, str):
        checked_iso(stamp)  # raises for a time off the calendar
    event_id = winlog.get("event_id", event.get("code"))
    system = build_system(
        provider_name=winlog.get("provider_name", event.get("provider")),
        provider_guid=winlog.get("provider_guid"),
        event_id=event_id,
        version=winlog.get("version"),
        level=windows_level(log.get("level")),
        task=winlog.get("task"),
        opcode=winlog.get("opcode"),
        keywords=keyword_names_hex(winlog.get("keywords")),
        time_created=normalise_system_time(stamp) if isinstance(stamp, str) else None,
        record_id=winlog.get("record_id"),
        activity_id=winlog.get("activity_id"),
        related_activity_id=winlog.get("related_activity_id"),
        process_id=process.get("pid"),
        thread_id=thread.get("id"),
        channel=winlog.get("channel"),
        computer=winlog.get("computer_name"),
        user_id=user.get("identifier"),
    )
    event_data = winlog.get("event_data")
    if not isinstance(event_data, dict):
        event_data = None
    user_data = _user_data(winlog.get("user_data"))
    message = document.get("message")
    if isinstance(message, str) and message:
        # Winlogbeat renders the message on the sender; XML exports keep it the same way.
        event_data = dict(event_data or {})
        event_data.setdefault("Message", message)
    return windows_event_json(system, event_data, user_data)


def _user_data(value: Any) -> dict[str, Any] | None:
    """Winlogbeat flattens UserData and names its element in `xml_name`; nest it back."""
    if not isinstance(value, dict):
        return None
    inner = {key: item for key, item in value.items() if key != "xml_name"}
    name = value.get("xml_name")
    return {name: inner} if isinstance(name, str) and name else inner
