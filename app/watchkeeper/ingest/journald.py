"""systemd journal exports (`journalctl -o json`): one JSON object per line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from watchkeeper.core.event import Event, Parsed, Rejected
from watchkeeper.core.fields import SYSLOG_SEVERITIES
from watchkeeper.ingest.authlog import extract_message_fields
from watchkeeper.ingest.base import ParseContext, Source, decode, iter_lines

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIME_FIELDS = ("__REALTIME_TIMESTAMP", "_SOURCE_REALTIME_TIMESTAMP")
_NO_ENTRIES = b"-- No entries --"


class JournaldParser:
    format = "journald"
    label = "systemd journal (journalctl -o json)"

    def sniff(self, head: bytes) -> int:
        if not head.startswith(b"{"):
            return 0
        first = head.split(b"\n", 1)[0]
        if b'"__REALTIME_TIMESTAMP"' in first or b'"__CURSOR"' in first:
            return 95
        return 0

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        with source.open() as stream:
            for number, line in iter_lines(stream):
                if isinstance(line, Rejected):
                    yield line
                    continue
                if line == _NO_ENTRIES:  # what journalctl prints for an empty selection
                    context.notes.append(f"{source.name}: journalctl found no entries")
                    continue
                yield parse_entry(line, number)


def parse_entry(line: bytes, number: int) -> Event | Rejected:
    """One `journalctl -o json` line as an Event, or Rejected with the reason."""
    text, encoding = decode(line)
    try:
        entry = orjson.loads(line if encoding == "utf-8" else text)
    except orjson.JSONDecodeError as error:
        return Rejected(number, line, f"line {number}: not JSON ({error})")
    if not isinstance(entry, dict):
        return Rejected(
            number, line, f"line {number}: not a journal entry (JSON but not an object)"
        )
    stamp = None
    for name in _TIME_FIELDS:
        stamp = _from_microseconds(entry.get(name))
        if stamp is not None:
            break
    if stamp is None:
        return Rejected(number, line, f"line {number}: no usable __REALTIME_TIMESTAMP in the entry")

    fields: dict[str, Any] = {}
    for key, value in entry.items():
        if value is not None:
            fields[key] = _field_value(value)
    if encoding != "utf-8":
        fields["encoding"] = encoding
    message = fields.get("MESSAGE")
    identifier = fields.get("SYSLOG_IDENTIFIER") or fields.get("_COMM")
    common: dict[str, Any] = {"time": stamp, "source": "journald", "message": message}
    if "_HOSTNAME" in fields:
        common["host"] = fields["_HOSTNAME"]
    if identifier:
        common["process"] = identifier
    pid = _as_int(fields.get("_PID") or fields.get("SYSLOG_PID"))
    if pid is not None:
        common["pid"] = pid
    priority = _as_int(fields.get("PRIORITY"))
    if priority is not None and priority in SYSLOG_SEVERITIES:
        common["level"] = SYSLOG_SEVERITIES[priority]
    unit = fields.get("_SYSTEMD_UNIT") or fields.get("_SYSTEMD_USER_UNIT")
    if unit:
        common["channel"] = unit
    if "_CMDLINE" in fields:
        common["command_line"] = fields["_CMDLINE"]
    if isinstance(identifier, str) and isinstance(message, str):
        extract_message_fields(identifier, message, common, fields)
    return Event(number, text, common, fields)


def _field_value(value: Any) -> Any:
    """A journal field as stored: text; byte arrays decoded; repeated fields as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if all(isinstance(item, int) and 0 <= item < 256 for item in value):
            return decode(bytes(value))[0]  # a binary value: journalctl writes its bytes
        # A field set more than once: a list of its values, each text or bytes.
        return orjson.dumps([_field_value(item) for item in value]).decode()
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return value


def _from_microseconds(value: Any) -> datetime | None:
    number = _as_int(value)
    if number is None:
        return None
    try:
        return _EPOCH + timedelta(microseconds=number)
    except OverflowError:
        return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None
