"""Windows events as JSON written by `evtx_dump` and the `evtx` Python package.

Each event is an object {"Event": {"System": ..., "EventData": ...}}, the shape the EVTX
parser gives, either one a line (`evtx_dump -o jsonl`) or pretty-printed one after another,
each object maybe after a "Record 123" line (`evtx_dump -o json`). SigmaHQ keeps its
regression events this way. They are the same events as in the EVTX file, so they become
the same rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from watchkeeper.core.event import Parsed, Rejected, WindowsEvent
from watchkeeper.ingest.base import (
    MAX_LINE,
    ParseContext,
    Source,
    head_text,
    iter_lines,
    utf8_stream,
)
from watchkeeper.ingest.jsonlines import json_kind, json_text, load_object

MAX_EVENT = MAX_LINE
_RECORD_LINE = re.compile(rb"Record\s+(\d{1,18})\s*")  # a record number fits in 63 bits
# {"Event": {"#attributes": {...}, "System": {, after a "Record N" line or not
_SNIFF = re.compile(
    r'\A\s*(?:Record\s+\d+\s*)?\{\s*"Event"\s*:\s*\{\s*'
    r'(?:"#attributes"\s*:\s*\{[^{}]*\}\s*,\s*)?"System"\s*:\s*\{'
)


class EvtxJsonParser:
    format = "evtxjson"
    label = "Windows events as JSON (evtx_dump)"

    def sniff(self, head: bytes) -> int:
        text = head_text(head)
        return 92 if text is not None and _SNIFF.match(text) else 0

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        with source.open() as opened:
            stream, _ = utf8_stream(opened)
            yield from _objects(stream_lines=iter_lines(stream, MAX_EVENT))


def _objects(stream_lines: Iterator[tuple[int, bytes | Rejected]]) -> Iterator[Parsed]:
    """Groups lines into objects: each starts at a line that begins with '{' (nested lines of
    pretty-printed JSON are indented) or follows a "Record N" line."""
    lines: list[bytes] = []
    first = 0  # line number where the open object starts
    size = 0
    record_no: int | None = None  # from a "Record N" line: the EVTX record's number
    for number, line in stream_lines:
        if isinstance(line, Rejected):
            if lines:
                yield _event(lines, first, size, record_no)
                lines, size, record_no = [], 0, None
            yield line
            continue
        header = _RECORD_LINE.fullmatch(line)
        if header is not None or line.startswith(b"{"):
            if lines:
                yield _event(lines, first, size, record_no)
                lines, size, record_no = [], 0, None
            if header is not None:
                record_no = int(header.group(1))
                continue
        if not lines:
            first = number
        size += len(line) + 1
        if size <= MAX_EVENT:
            lines.append(line)
        elif size - len(line) - 1 <= MAX_EVENT:  # the first line over: keep what fits
            lines.append(line[: MAX_EVENT - (size - len(line) - 1)])
    if lines:
        yield _event(lines, first, size, record_no)


def _event(
    lines: list[bytes], first: int, size: int, record_no: int | None
) -> WindowsEvent | Rejected:
    """One object; its record number is the "Record N" line's, else its EventRecordID."""
    data = b"\n".join(lines)
    where = f"object at line {first}"
    if size > MAX_EVENT:
        return Rejected(
            first,
            data,
            f"{where} is {size:,} bytes, over the {MAX_EVENT:,}-byte "
            f"limit (first {len(data):,} bytes kept)",
        )
    loaded = load_object(data, first)
    if isinstance(loaded, Rejected):
        loaded.reason = loaded.reason.replace(f"line {first}", where, 1)
        return loaded
    _, _, value, text, _ = loaded
    event = value.get("Event")
    if not isinstance(event, dict) or not isinstance(event.get("System"), dict):
        found = (
            "no Event object"
            if event is None
            else f"Event is a JSON {json_kind(event)}"
            if not isinstance(event, dict)
            else "no System object in Event"
        )
        return Rejected(first, data, f"{where}: not a Windows event ({found})")
    if record_no is None:
        record_no = _record_id(event["System"])
    return WindowsEvent(
        first if record_no is None else record_no, text, json_text({"Event": event}), source="evtx"
    )


def _record_id(system: dict[str, Any]) -> int | None:
    number = system.get("EventRecordID")
    if isinstance(number, int) and not isinstance(number, bool) and 0 <= number < 1 << 63:
        return number
    return None
