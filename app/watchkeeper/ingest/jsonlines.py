"""Generic JSON lines (one object per line, or one array of objects): every key a field."""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from watchkeeper.core.event import Event, Parsed, Rejected
from watchkeeper.ingest.base import (
    HEAD_SIZE,
    MAX_LINE,
    ParseContext,
    Source,
    decode,
    is_binary,
    iter_lines,
)
from watchkeeper.ingest.mapping import FieldMapper, TimeOutOfRange

_UTF8_BOM = b"\xef\xbb\xbf"
_INT64 = range(-(1 << 63), 1 << 63)
_SNIFF_LINES = 5
MAX_DEPTH = 32
_CHUNK = 1 << 16


class _Recoded(io.RawIOBase):
    """A byte stream as UTF-8: the bytes already read first, then the rest, re-encoded if needed."""

    def __init__(self, stream: BinaryIO, first: bytes, encoding: str | None) -> None:
        self._stream = stream
        self._decoder = (codecs.getincrementaldecoder(encoding)(errors="replace")
                         if encoding else None)
        self._pending = self._recode(first) if first else b""
        self._eof = False

    def _recode(self, data: bytes, final: bool = False) -> bytes:
        if self._decoder is None:
            return data
        return self._decoder.decode(data, final).encode("utf-8", "surrogatepass")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._eof:
            chunk = self._stream.read(_CHUNK)
            if not chunk:
                self._eof = True
                self._pending = self._recode(b"", final=True)
            else:
                self._pending = self._recode(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def text_encoding(head: bytes) -> tuple[str | None, int]:
    """(encoding other than UTF-8, or None; length of its byte-order mark) from a file's start.

    Windows tools write UTF-16 (PowerShell 5 redirection, Excel's "Unicode text"), with a
    byte-order mark, or without one, recognisable by NUL bytes next to ASCII.
    """
    if head.startswith(_UTF8_BOM):
        return None, 3
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and (len(head) <= 4 or b"\x00" in head[2:]):
        # the utf-16 codec reads and drops the mark itself; a "mark" followed by no NUL at
        # all starts bytes that are not UTF-16 (ASCII punctuation of JSON or CSV has NULs)
        return "utf-16", 0
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] and head[2]:
        return "utf-16-le", 0
    if len(head) >= 4 and head[0] == 0 and head[2] == 0 and head[1] and head[3]:
        return "utf-16-be", 0
    return None, 0


def utf8_stream(stream: BinaryIO) -> tuple[BinaryIO, str]:
    """The stream as UTF-8 bytes with any byte-order mark dropped, and the file's encoding."""
    first = stream.read(256)  # enough to tell UTF-16 by its NULs
    encoding, mark = text_encoding(first)
    raw = _Recoded(stream, first[mark:], encoding)
    return io.BufferedReader(raw, buffer_size=_CHUNK), encoding or "utf-8"


def head_text(head: bytes) -> str | None:
    """A sniffer's head as text (UTF-8 or UTF-16); None when it is binary."""
    encoding, mark = text_encoding(head)
    if encoding is not None:
        return head[mark:].decode(encoding, "replace")
    if is_binary(head):
        return None
    return head[mark:].decode("utf-8", "replace")


def complete_lines(text: str, limit: int, whole: bool) -> list[str]:
    """Up to `limit` non-empty lines of a head; the last is dropped when it may be cut off."""
    lines = text.splitlines()
    if not whole and lines and not text.endswith(("\n", "\r")):
        lines.pop()
    return [line for line in lines if line.strip()][:limit]


def load_object(line: bytes, number: int) -> tuple[dict[str, Any], str, str] | Rejected:
    """(object, text, encoding) of one JSON line, or Rejected saying why not."""
    text, encoding = decode(line)
    try:
        value = orjson.loads(line if encoding == "utf-8" else text)
    except orjson.JSONDecodeError as error:
        return Rejected(number, line, f"line {number}: not valid JSON: {error}")
    if not isinstance(value, dict):
        return Rejected(number, line, f"line {number}: JSON {json_kind(value)}, not an object")
    return value, text, encoding


def json_kind(value: Any) -> str:
    """What a JSON value is, in JSON's words."""
    if isinstance(value, bool):
        return "true/false value"
    kinds = {list: "array", str: "string", int: "number", float: "number", type(None): "null"}
    return kinds.get(type(value), "value")


def json_text(value: Any) -> str:
    """Compact JSON text of a value, even one holding integers past 64 bits."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def flatten(value: dict[str, Any], fields: dict[str, Any], lists: set[str],
            prefix: str = "", depth: int = 0) -> None:
    """Every key of `value` into `fields`, nested keys joined with '.'; lists as JSON text.

    Past MAX_DEPTH levels an object is kept whole as JSON text: no log nests that deep,
    and a hostile one must not exhaust the stack.
    """
    for key, item in value.items():
        name = prefix + key
        if isinstance(item, str):
            fields[name] = item
        elif isinstance(item, dict):
            if not item:
                fields[name] = "{}"
            elif depth >= MAX_DEPTH:
                fields[name] = _deep_text(item)
            else:
                flatten(item, fields, lists, name + ".", depth + 1)
        elif isinstance(item, list):
            fields[name] = json_text(item)
            lists.add(name)
        elif item is None:
            continue
        elif isinstance(item, int) and not isinstance(item, bool) and item not in _INT64:
            fields[name] = str(item)  # no column type holds it as a number
        elif isinstance(item, float) and item != item:
            fields[name] = "NaN"
        else:
            fields[name] = item


def _deep_text(value: Any) -> str:
    try:
        return json_text(value)
    except (RecursionError, TypeError, ValueError):
        return "(nested too deep to show; the raw record has it all)"


def event_from_object(number: int, text: str, value: dict[str, Any], encoding: str,
                      mapper: FieldMapper) -> Event | Rejected:
    """An Event of a JSON object: its keys flattened into fields, common columns by name.

    A record whose time cannot be stored comes back Rejected, saying why.
    """
    fields: dict[str, Any] = {}
    lists: set[str] = set()
    flatten(value, fields, lists)
    try:
        common = mapper.common(fields, "json", lists)
    except TimeOutOfRange as error:
        return Rejected(number, text.encode("utf-8", "surrogatepass"), f"line {number}: {error}")
    if "message" not in common:
        summary = _data_summary(value, common.get("provider"))
        if summary:
            common["message"] = summary
    if encoding != "utf-8":
        fields["encoding"] = encoding
    return Event(number, text, common, fields)


def _data_summary(value: dict[str, Any], tag: Any) -> str | None:
    """A message for a record that is a tag and its data (Android's security log as MDM
    exports write it): the tag, then the data's values as key=value."""
    data = next((item for key, item in value.items() if key.lower() == "data"), None)
    if not isinstance(data, dict | list):
        return None
    pairs = data.items() if isinstance(data, dict) else enumerate(data)
    shown = " ".join(f"{key}={_short(item)}" for key, item in pairs
                     if item is not None and item != "" and item != {} and item != [])
    parts = [part for part in (tag if isinstance(tag, str) else None, shown) if part]
    return ": ".join(parts)[:_SUMMARY_LIMIT] or None


_SUMMARY_LIMIT = 1000


def _short(item: Any) -> str:
    return item if isinstance(item, str) else _deep_text(item)


class JsonLinesParser:
    format = "json"
    label = "JSON lines (one object per line)"

    def sniff(self, head: bytes) -> int:
        text = head_text(head)
        if text is None:
            return 0
        start = text.lstrip()[:1]
        if start == "[":
            return 40 if text.lstrip()[1:].lstrip()[:1] in ("{", "") else 0
        if start != "{":
            return 0
        lines = complete_lines(text, _SNIFF_LINES, len(head) < HEAD_SIZE)
        if not lines:
            return 20  # one object longer than the head: likely, not certain
        objects = sum(1 for line in lines if isinstance(_loads_or_none(line), dict))
        if objects == 0 or objects < 2 * (len(lines) - objects):
            return 0
        return 40  # the specific JSON formats (journald, Winlogbeat, NXLog, ...) score higher

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        mapper = FieldMapper(context.years.zone)
        with source.open() as probe:
            start = (head_text(probe.read(4096)) or "").lstrip()
        # One array of objects ('[' then '{'); a first line like [1, 2] is a line of its own.
        is_array = start[:1] == "[" and start[1:].lstrip()[:1] in ("{", "]", "")
        with source.open() as opened:
            stream, file_encoding = utf8_stream(opened)
            if is_array:
                yield from _parse_array(stream, mapper, file_encoding)
                return
            for number, line in iter_lines(stream):
                if isinstance(line, Rejected):
                    yield line
                    continue
                loaded = load_object(line, number)
                if isinstance(loaded, Rejected):
                    yield loaded
                    continue
                value, text, encoding = loaded
                yield event_from_object(number, text, value, _encoding(encoding, file_encoding),
                                        mapper)


def _loads_or_none(line: str) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return None


def _encoding(line_encoding: str, file_encoding: str) -> str:
    return file_encoding if file_encoding != "utf-8" else line_encoding


def _parse_array(stream: BinaryIO, mapper: FieldMapper, file_encoding: str) -> Iterator[Parsed]:
    """The elements of one top-level JSON array, read a piece at a time.

    record_no is the element's position in the array. An element that is not valid JSON
    leaves no safe place to resume, so the rest of the file becomes one Rejected record.
    """
    decoder = json.JSONDecoder()
    buffer = ""
    offset = 0  # characters consumed before `buffer`
    pos = 0
    eof = False
    number = 0
    reader = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def more() -> bool:
        nonlocal buffer, pos, offset, eof
        if eof:
            return False
        chunk = stream.read(_CHUNK)
        if not chunk:
            eof = True
            buffer = buffer[pos:] + reader.decode(b"", final=True)
        else:
            buffer = buffer[pos:] + reader.decode(chunk)
        offset += pos
        pos = 0
        return True

    def skip_space() -> None:
        nonlocal pos
        while True:
            while pos < len(buffer) and buffer[pos] in " \t\r\n":
                pos += 1
            if pos < len(buffer) or not more():
                return

    skip_space()
    pos += 1  # the '['
    while True:
        skip_space()
        if pos >= len(buffer):
            return  # the end of the file; an array left open loses nothing
        if buffer[pos:pos + 1] == "]":
            pos += 1
            skip_space()
            if pos < len(buffer):
                yield _rest_rejected(number + 1, buffer[pos:], stream, offset + pos,
                                     "text after the end of the JSON array")
            return
        if number and buffer[pos:pos + 1] == ",":
            pos += 1
            skip_space()
        number += 1
        while True:
            try:
                value, end = decoder.raw_decode(buffer, pos)
                break
            except RecursionError:
                yield _rest_rejected(number, buffer[pos:], stream, offset + pos,
                                     f"element {number}: nested too deep to read")
                return
            except json.JSONDecodeError as error:
                if len(buffer) - pos > MAX_LINE or not more():
                    yield _rest_rejected(number, buffer[pos:], stream, offset + pos,
                                         f"element {number}: not valid JSON: {error.msg}")
                    return
        text = buffer[pos:end]
        pos = end
        if not isinstance(value, dict):
            yield Rejected(number, text.encode(),
                           f"element {number}: JSON {json_kind(value)}, not an object")
            continue
        yield event_from_object(number, text, value, file_encoding, mapper)


def _rest_rejected(number: int, text: str, stream: BinaryIO, offset: int, reason: str) -> Rejected:
    """The rest of a file as one Rejected record: its first MAX_LINE bytes and the reason."""
    kept = text.encode()[:MAX_LINE]
    length = len(text.encode())
    while len(kept) < MAX_LINE:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        kept += chunk[: MAX_LINE - len(kept)]
        length += len(chunk)
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        length += len(chunk)
    return Rejected(number, kept, f"{reason} (at character {offset:,}; the remaining "
                                  f"{length:,} bytes were not read as events)")
