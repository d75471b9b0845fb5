"""Generic JSON lines (one object per line, or one array of objects): every key a field."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import orjson

from watchkeeper.core.event import Event, Parsed, Rejected
from watchkeeper.ingest.base import (
    HEAD_SIZE,
    ParseContext,
    Source,
    complete_lines,
    decode,
    head_text,
    iter_lines,
    utf8_stream,
)
from watchkeeper.ingest.json_array import array_elements
from watchkeeper.ingest.mapping import FieldMapper
from watchkeeper.ingest.times import TimeOutOfRange

_INT64 = range(-(1 << 63), 1 << 63)
_SNIFF_LINES = 5
MAX_DEPTH = 32


# One line of a JSON-lines file that holds an object: (line number, the line as read in
# UTF-8, the object, its text, its encoding). A plain tuple: one is made for every record.
JsonRecord = tuple[int, bytes, dict[str, Any], str, str]


def not_understood(record: JsonRecord, error: Exception, what: str) -> Rejected:
    """A record a format could not convert: the reason of a time that cannot be stored,
    else `what` not understood and why."""
    number, line = record[0], record[1]
    reason = str(error) if isinstance(error, TimeOutOfRange) else f"{what} not understood ({error})"
    return Rejected(number, line, f"line {number}: {reason}")


def json_records(source: Source) -> Iterator[JsonRecord | Rejected]:
    """Each line of a JSON-lines file as an object, or Rejected saying why it is not one.

    The JSON formats share this reading and keep only their own classify-and-convert step.
    """
    with source.open() as opened:
        stream, file_encoding = utf8_stream(opened)
        recoded = file_encoding != "utf-8"
        for number, line in iter_lines(stream):
            if isinstance(line, Rejected):
                yield line
                continue
            record = load_object(line, number)
            if recoded and not isinstance(record, Rejected):
                record = (*record[:4], file_encoding)
            yield record


def sniff_objects(
    head: bytes, marker: str, is_kind: Callable[[dict[str, Any]], bool], score: int
) -> int:
    """`score` when a head of JSON lines holds `marker` and one of its first objects is of
    the kind `is_kind` recognises; else 0. For the JSON formats more specific than any JSON."""
    text = head_text(head)
    if text is None or text.lstrip()[:1] != "{" or marker not in text:
        return 0
    for line in complete_lines(text, _SNIFF_LINES, len(head) < HEAD_SIZE):
        value = _loads_or_none(line)
        if isinstance(value, dict) and is_kind(value):
            return score
    return 0


def load_object(line: bytes, number: int) -> JsonRecord | Rejected:
    """One JSON line as an object, or Rejected saying why not."""
    text, encoding = decode(line)
    try:
        value = orjson.loads(line if encoding == "utf-8" else text)
    except orjson.JSONDecodeError as error:
        return Rejected(number, line, f"line {number}: not valid JSON: {error}")
    if not isinstance(value, dict):
        return Rejected(number, line, f"line {number}: JSON {json_kind(value)}, not an object")
    return number, line, value, text, encoding


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


def flatten(
    value: dict[str, Any], fields: dict[str, Any], lists: set[str], prefix: str = "", depth: int = 0
) -> None:
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


def event_from_object(
    number: int, text: str, value: dict[str, Any], encoding: str, mapper: FieldMapper
) -> Event | Rejected:
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
    shown = " ".join(
        f"{key}={_short(item)}"
        for key, item in pairs
        if item is not None and item != "" and item != {} and item != []
    )
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
        if is_array:
            with source.open() as opened:
                stream, file_encoding = utf8_stream(opened)
                yield from _parse_array(stream, mapper, file_encoding)
            return
        for record in json_records(source):
            if isinstance(record, Rejected):
                yield record
                continue
            number, _, value, text, encoding = record
            yield event_from_object(number, text, value, encoding, mapper)


def _loads_or_none(line: str) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return None


def _parse_array(stream: BinaryIO, mapper: FieldMapper, file_encoding: str) -> Iterator[Parsed]:
    """The objects of one top-level JSON array as Events; record_no is an element's position."""
    for element in array_elements(stream):
        if isinstance(element, Rejected):
            yield element
            continue
        number, text, value = element
        if not isinstance(value, dict):
            reason = f"element {number}: JSON {json_kind(value)}, not an object"
            yield Rejected(number, text.encode(), reason)
            continue
        yield event_from_object(number, text, value, file_encoding, mapper)
