"""macOS unified log exports: `log show --style ndjson` (one object a line) or `--style json`."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from watchkeeper.core.event import Event, Parsed, Rejected
from watchkeeper.core.timeparse import parse_iso
from watchkeeper.ingest.authlog import extract_message_fields
from watchkeeper.ingest.base import MAX_LINE, ParseContext, Source, decode, is_binary, iter_lines

_LEVELS = {
    "Default": "information",
    "Info": "information",
    "Debug": "verbose",
    "Error": "error",
    "Fault": "critical",
}
# What `log` prints around the entries when its stderr went into the file too.
_CHATTER = (b"Filtering the log data", b"Skipping info and debug", b"Skipping debug", b"Timestamp ")
_MARKERS = (b'"eventMessage"', b'"machTimestamp"', b'"processImagePath"', b'"messageType"')
_CHUNK = 1 << 20


class MacosLogParser:
    format = "macos"
    label = "macOS unified log (log show --style ndjson / json)"

    def sniff(self, head: bytes) -> int:
        body = _skip_chatter(head).lstrip()
        if body[:1] not in (b"{", b"[") or is_binary(head):
            return 0
        window = body[:16384] if body[:1] == b"[" else body.split(b"\n", 1)[0]
        found = sum(marker in window for marker in _MARKERS)
        if found >= 2:
            return 95 if body[:1] == b"{" else 90
        return 0

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        with source.open() as stream:
            head = stream.read(64 * 1024)
        notes = _Notes(source.name)
        try:
            with source.open() as stream:
                if _skip_chatter(head).lstrip()[:1] == b"[":
                    yield from _parse_array(stream, source.name, notes)
                else:
                    yield from _parse_lines(stream, source.name, notes)
        finally:
            context.notes.extend(notes.lines())


class _Notes:
    """A file's notes, each said once with how often it came: `log show` run again and
    again into one file repeats its chatter and its closing count every time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._said: dict[str, int] = {}
        self._reported = 0  # entries, over every closing count record
        self._counts = 0

    def add(self, text: str) -> None:
        self._said[text] = self._said.get(text, 0) + 1

    def reported(self, entries: int) -> None:
        if not self._counts:
            self._said["reported"] = 1  # keeps its place among the others
        self._counts += 1
        self._reported += entries

    def lines(self) -> list[str]:
        lines = []
        for text, count in self._said.items():
            if text == "reported":
                text = f"log show reported {self._reported:,} entries" + (
                    f" over {self._counts:,} runs" if self._counts > 1 else ""
                )
            elif count > 1:
                text += f" ({count:,} times)"
            lines.append(f"{self.name}: {text}")
        return lines


def _skip_chatter(head: bytes) -> bytes:
    while head.startswith(_CHATTER):
        head = head.partition(b"\n")[2]
    return head


def _parse_lines(stream: BinaryIO, name: str, notes: _Notes) -> Iterator[Parsed]:
    for number, line in iter_lines(stream):
        if isinstance(line, Rejected):
            yield line
            continue
        if line.startswith(_CHATTER):
            notes.add(f"log said: {decode(line)[0]}")
            continue
        text, encoding = decode(line)
        try:
            entry = orjson.loads(line if encoding == "utf-8" else text)
        except orjson.JSONDecodeError as error:
            yield Rejected(number, line, f"line {number}: not JSON ({error})")
            continue
        parsed = _entry(entry, number, text, f"line {number}", notes)
        if isinstance(parsed, str):
            yield Rejected(number, line, parsed)
        elif parsed is not None:
            if encoding != "utf-8":
                parsed.fields["encoding"] = encoding
            yield parsed


def _parse_array(stream: BinaryIO, name: str, notes: _Notes) -> Iterator[Parsed]:
    """The entries of a `--style json` array, read a piece at a time."""
    decoder = json.JSONDecoder()
    text_of = codecs.getincrementaldecoder("utf-8")(errors="replace")
    buffer = text_of.decode(_skip_chatter(stream.read(_CHUNK)))
    position = buffer.find("[") + 1
    at_end = False
    number = 0
    while True:
        while position < len(buffer) and buffer[position] in " \t\r\n,":
            position += 1
        if position < len(buffer) and buffer[position] == "]":
            return
        entry: Any = None
        error: ValueError | None = None
        if position < len(buffer):
            try:
                entry, end = decoder.raw_decode(buffer, position)
            except ValueError as problem:  # cut by the chunk's end, or not JSON
                error = problem
        if position >= len(buffer) or error is not None:
            pending = len(buffer) - position
            if at_end and not pending:
                notes.add("the JSON array has no closing ']' (file cut short?)")
                return
            if at_end or pending > MAX_LINE:
                number += 1
                yield Rejected(
                    number,
                    buffer[position : position + MAX_LINE].encode(),
                    f"entry {number}: not valid JSON ({error}); the remaining "
                    f"{pending:,} characters of the file were not read",
                )
                return
            more = stream.read(_CHUNK)
            at_end = not more
            buffer = buffer[position:] + text_of.decode(more, final=at_end)
            position = 0
            continue
        number += 1
        raw = buffer[position:end]
        position = end
        parsed = _entry(entry, number, raw, f"entry {number}", notes)
        if isinstance(parsed, str):
            yield Rejected(number, raw.encode(), parsed)
        elif parsed is not None:
            yield parsed


_ENTRY_KEYS = ("eventMessage", "machTimestamp", "processImagePath", "messageType")


def is_unified_log_entry(value: dict[str, Any]) -> bool:
    """One entry of `log stream/show --style ndjson`, as a Mac's forwarder posts it."""
    return "timestamp" in value and sum(key in value for key in _ENTRY_KEYS) >= 2


def forwarded_entry(value: dict[str, Any], number: int, raw: str) -> Event | str:
    """A forwarded unified log entry as an Event (the Mac's name in `host`, when it sent
    one), or the reason it is not one."""
    parsed = _entry(value, number, raw, f"line {number}", _Notes("forwarded"))
    if parsed is None:
        return f"line {number}: a closing count, not a log entry"
    if isinstance(parsed, str):
        return parsed
    host = value.get("host")
    if isinstance(host, str) and host:
        parsed.common["host"] = host
    return parsed


def _entry(entry: Any, number: int, raw: str, where: str, notes: _Notes) -> Event | str | None:
    """An Event, the reason the entry is not one, or None for the closing count record."""
    if not isinstance(entry, dict):
        return f"{where}: not a log entry (JSON but not an object)"
    stamp_text = entry.get("timestamp")
    if stamp_text is None:
        if "finished" in entry and "count" in entry:  # ndjson's closing {"count":N,"finished":1}
            count = entry["count"]
            if isinstance(count, int) and not isinstance(count, bool):
                notes.reported(count)
            else:
                notes.add(f"log show reported {count!r} entries")
            return None
        return f"{where}: not a log entry (no timestamp)"
    stamp = parse_iso(stamp_text) if isinstance(stamp_text, str) else None
    if stamp is None:
        return f"{where}: bad timestamp {stamp_text!r}"
    fields: dict[str, Any] = {}
    _flatten(entry, "", fields)
    common: dict[str, Any] = {
        "time": stamp,
        "source": "macos",
        "message": entry.get("eventMessage"),
    }
    level = _LEVELS.get(entry.get("messageType") or "")
    if level:
        common["level"] = level
    for column, key in (
        ("process", "processImagePath"),
        ("provider", "subsystem"),
        ("channel", "category"),
    ):
        value = entry.get(key)
        if isinstance(value, str) and value:
            common[column] = value
    pid = entry.get("processID")
    if isinstance(pid, int) and not isinstance(pid, bool):
        common["pid"] = pid
    message = common["message"]
    if isinstance(message, str) and "process" in common:
        # sudo, su and sshd log to the unified log too, in their syslog words.
        extract_message_fields(common["process"].rsplit("/", 1)[-1], message, common, fields)
    return Event(number, raw, common, fields)


def _flatten(node: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in node.items():
        if isinstance(value, dict):
            _flatten(value, f"{prefix}{key}.", out)
        elif isinstance(value, list):
            out[prefix + key] = orjson.dumps(value).decode()
        elif value is not None:
            out[prefix + key] = value
