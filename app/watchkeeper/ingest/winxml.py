"""Windows events as XML: Event Viewer's "Save as XML" and `wevtutil qe ... /f:xml`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO
from xml.parsers import expat

from watchkeeper.core.event import Parsed, Rejected, WindowsEvent
from watchkeeper.ingest.base import MAX_LINE, ParseContext, Source, decode, head_text, utf8_stream
from watchkeeper.ingest.windows_shape import (
    ATTRIBUTES,
    SYSTEM_INTEGERS,
    TEXT,
    normalise_system_time,
    to_int,
    windows_event_json,
    windows_level,
)

_CHUNK = 1 << 16
MAX_EVENT = MAX_LINE  # EVTX caps a record at 64 KiB; rendered messages make XML larger
_START = re.compile(rb"<Event(?=[\s>/])")
_BOUNDARY = re.compile(rb"<Event(?=[\s>/])|</Event\s*>")
_START_TAIL = len(b"<Event ") - 1  # bytes kept when a read may have cut '<Event' in two
_TAG_TAIL = 64  # the same for '</Event   >', which may hold some spaces
# What may stand between events: the XML declaration, comments, the <Events> root.
_PROLOG = re.compile(
    rb"\s+|<\?[^>]*\?>|<!--.*?-->|</?Events(?:\s[^>]*)?>|</?[A-Za-z_][\w.:-]*:Events(?:\s[^>]*)?>",
    re.S,
)
_SNIFF_NAMESPACE = re.compile(
    r"<Event\s[^>]*xmlns\s*=\s*['\"]http://schemas\.microsoft\.com/win/2004/08/events/event"
)
_SNIFF_PLAIN = re.compile(r"<Events\s*>\s*<Event\s*>\s*<System\s*>")
_EXECUTION_INTEGERS = ("ProcessID", "ThreadID")
_MAIN_PARTS = frozenset({"#attributes", "System", "EventData", "UserData", "RenderingInfo"})
# XML 1.0 forbids most control characters, raw or as references, yet event data holds
# them (EVTX keeps any UTF-16). They are parsed as private-use stand-ins and put back.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|&#(?:x0*([0-9a-fA-F]{1,2})|0*([0-9]{1,2}));")
_RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_REFERENCE = re.compile(
    rb"&#(?:x0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));"
)
_STAND_IN = 0xF700
_PUT_BACK = {_STAND_IN + code: f"\\u{code:04x}" for code in range(32)}


class WindowsXmlParser:
    format = "winxml"
    label = "Windows event XML (Event Viewer, wevtutil)"

    def sniff(self, head: bytes) -> int:
        text = head_text(head)
        if text is None or text.lstrip()[:1] != "<":
            return 0
        if _SNIFF_NAMESPACE.search(text[:16384]):
            return 95
        if _SNIFF_PLAIN.search(text[:16384]):
            return 70
        return 0

    def parse(self, source: Source, context: ParseContext) -> Iterator[Parsed]:
        with source.open() as opened:
            stream, _ = utf8_stream(opened)
            yield from _EventReader(stream, source.name, context).records()


class _EventReader:
    """Cuts the byte stream into <Event> elements and parses each one on its own.

    Parsing event by event keeps memory bounded, gives each event its own raw text, and
    lets the events after a broken one still come out. No event can carry a DOCTYPE, so
    no entity is ever declared, let alone expanded.
    """

    def __init__(self, stream: BinaryIO, name: str, context: ParseContext) -> None:
        self._stream = stream
        self._name = name
        self._context = context
        self._record_no = 0
        self._recoded = 0

    def records(self) -> Iterator[Parsed]:
        buffer = b""
        base = 0  # file offset of buffer[0], in UTF-8 bytes
        pos = 0
        start = -1  # where the open event starts in buffer; -1 between events
        skipping = False  # inside an over-long event, looking for its end
        eof = False
        while True:
            if start < 0:
                match = _START.search(buffer, pos)
                if match is None:
                    if eof:
                        yield from self._between(buffer[pos:], base + pos)
                        break
                    keep = max(pos, len(buffer) - _START_TAIL)
                    if keep - pos > MAX_EVENT:
                        yield from self._between(buffer[pos:keep], base + pos)
                        pos = keep
                else:
                    yield from self._between(buffer[pos : match.start()], base + pos)
                    start, pos = match.start(), match.end()
                    continue
            else:
                match = _BOUNDARY.search(buffer, pos)
                if match is not None:
                    closing = match.group().startswith(b"</")
                    if skipping:
                        skipping = False
                    elif closing and match.end() - start > MAX_EVENT:
                        yield self._too_long(buffer[start : start + MAX_EVENT], base + start)
                    elif closing:
                        yield self._event(buffer[start : match.end()], base + start)
                    else:
                        yield self._rejected(
                            buffer[start : match.start()],
                            base + start,
                            "has no closing </Event> tag before the next event",
                        )
                    if closing:
                        start, pos = -1, match.end()
                    else:
                        start, pos = match.start(), match.end()
                    continue
                if eof:
                    if not skipping:
                        yield self._rejected(
                            buffer[start:],
                            base + start,
                            "is cut off: the file ends before its </Event> tag",
                        )
                    break
                if not skipping and len(buffer) - start > MAX_EVENT:
                    yield self._too_long(buffer[start : start + MAX_EVENT], base + start)
                    skipping = True
                # Search only the new bytes next time, from a tail that may hold half a tag.
                pos = max(pos, len(buffer) - _TAG_TAIL)
                if skipping:  # drop what was read
                    start = pos
            # Read more, dropping what is done with.
            cut = pos if start < 0 else start
            buffer, base = buffer[cut:], base + cut
            pos -= cut
            if start >= 0:
                start -= cut
            chunk = self._stream.read(_CHUNK)
            if chunk:
                buffer += chunk
            else:
                eof = True
        if self._recoded:
            self._context.notes.append(
                f"{self._name}: {self._recoded} event(s) were not valid UTF-8 and were read "
                "as Windows-1252"
            )

    def _between(self, data: bytes, offset: int) -> Iterator[Rejected]:
        """What lies between events: nothing but the prolog and the root, or it is rejected."""
        rest = _PROLOG.sub(b"", data)
        if not rest:
            return
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            self._context.notes.append(
                f"{self._name}: a DOCTYPE declaration at byte {offset:,} was refused; Windows "
                "never writes one, and its entities could expand without bound"
            )
            reason = (
                "DOCTYPE/ENTITY declaration refused: Windows event exports never have "
                "one, and entities can be used to exhaust memory"
            )
        else:
            reason = "text outside any <Event> element"
        self._record_no += 1
        yield Rejected(
            self._record_no,
            data[:MAX_EVENT],
            f"record {self._record_no} at byte {offset:,}: {reason}",
        )

    def _rejected(self, data: bytes, offset: int, problem: str) -> Rejected:
        self._record_no += 1
        return Rejected(
            self._record_no, data, f"event {self._record_no} at byte {offset:,} {problem}"
        )

    def _too_long(self, head: bytes, offset: int) -> Rejected:
        return self._rejected(
            head, offset, f"is over {MAX_EVENT:,} bytes long (first {MAX_EVENT:,} bytes kept)"
        )

    def _event(self, data: bytes, offset: int) -> WindowsEvent | Rejected:
        self._record_no += 1
        number = self._record_no
        try:
            text = data.decode("utf-8")
            payload = data
        except UnicodeDecodeError:
            text, _ = decode(data)
            payload = text.encode("utf-8")
            self._recoded += 1
        try:
            event_json = _event_json_of(payload)
        except expat.ExpatError as error:
            return Rejected(
                number, data, f"event {number} at byte {offset:,}: not well-formed XML ({error})"
            )
        except (ValueError, TypeError) as error:
            return Rejected(number, data, f"event {number} at byte {offset:,}: {error}")
        return WindowsEvent(number, text, event_json, source="winxml")


def _event_json_of(data: bytes) -> str:
    """The evtx-shaped JSON of one <Event>'s UTF-8 bytes.

    A conforming XML parser turns carriage returns into newlines; Windows data has CR LF,
    and evtx keeps them, so they are handed to the parser as references instead.
    """
    prepared = data.replace(b"\r", b"&#13;") if b"\r" in data else data
    stood_in = _RAW_CONTROL.search(data) is not None or (
        b"&#" in data and _CONTROL_REFERENCE.search(data) is not None
    )
    if stood_in:
        prepared = _CONTROL.sub(_stand_in, prepared)
    try:
        event = _ShapeBuilder().build(prepared)
    except expat.ExpatError:
        if prepared is data:
            raise
        event = _ShapeBuilder().build(data)  # a CR inside a tag: parse as written
        stood_in = False
    event_json = _event_json(event)
    return event_json.translate(_PUT_BACK) if stood_in else event_json


def _stand_in(match: re.Match[bytes]) -> bytes:
    if match.group(1) is not None or match.group(2) is not None:
        code = int(match.group(1), 16) if match.group(1) is not None else int(match.group(2))
        if code in (9, 10, 13) or code >= 32:
            return match.group()
    else:
        code = match.group()[0]
    return chr(_STAND_IN + code).encode("utf-8")


class _ShapeBuilder:
    """Builds one <Event> as evtx renders it, straight from expat's callbacks.

    An element becomes its text, {"#attributes", "#text"}, or an object of its children;
    a named <Data> becomes a key of its own, unnamed ones gather into {"Data": {"#text"}}.
    Without namespace processing, expat hands over names and xmlns attributes as written,
    which is what evtx shows. ElementTree runs on the same expat; building its tree first
    and converting it after cost four times as much.
    """

    __slots__ = ("_stack",)

    def __init__(self) -> None:
        # A frame: [attributes, children or None, text pieces, unnamed Data or None].
        self._stack: list[list[Any]] = [[{}, None, [], None]]

    def build(self, data: bytes) -> dict[str, Any]:
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.Parse(data, True)
        children = self._stack[0][1]
        if not children:
            raise ValueError("no element")
        event = next(iter(children.values()))
        if not isinstance(event, dict):
            raise ValueError("an empty <Event> element")
        return event

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        self._stack.append([attributes, None, [], None])

    def _text(self, data: str) -> None:
        self._stack[-1][2].append(data)

    def _end(self, name: str) -> None:
        attributes, children, pieces, unnamed = self._stack.pop()
        parent = self._stack[-1]
        text = "".join(pieces) if pieces else None
        if text is not None and "\n" in text and not text.strip():
            text = None  # indentation of a pretty-printed element, not a value
        value: Any
        if children is None and name == "Data":
            key = attributes.get("Name")
            if key is None:
                if parent[3] is None:
                    parent[3] = []
                parent[3].append(text or "")
                return
            name, value = key, text or ""
        elif children is None and unnamed is None:
            if attributes:
                value = (
                    {ATTRIBUTES: attributes, TEXT: text}
                    if text is not None
                    else {ATTRIBUTES: attributes}
                )
            else:
                value = text
        else:
            node: dict[str, Any] = (
                children
                if children is not None
                else ({ATTRIBUTES: attributes} if attributes else {})
            )
            if unnamed:
                node["Data"] = {TEXT: unnamed if len(unnamed) > 1 else unnamed[0]}
            value = node
        siblings = parent[1]
        if siblings is None:
            siblings = parent[1] = {ATTRIBUTES: parent[0]} if parent[0] else {}
        if name in siblings:  # evtx would overwrite a repeated name; keep both instead
            suffix = 1
            while f"{name}_{suffix}" in siblings:
                suffix += 1
            name = f"{name}_{suffix}"
        siblings[name] = value


def _event_json(event: dict[str, Any]) -> str:
    system = event.get("System")
    if not isinstance(system, dict):
        raise ValueError("no <System> element, so not a Windows event")
    _type_system(system)
    rendering = event.get("RenderingInfo")
    message = rendering.get("Message") if isinstance(rendering, dict) else None
    if isinstance(message, dict):
        message = message.get(TEXT)
    event_data = event.get("EventData")
    others = {name: value for name, value in event.items() if name not in _MAIN_PARTS}
    if message:
        event_data = dict(event_data) if isinstance(event_data, dict) else {}
        event_data.setdefault("Message", message)
    elif "EventData" in event and event_data is None:
        others["EventData"] = None  # an empty <EventData/>, which evtx writes as null
    return windows_event_json(system, event_data, event.get("UserData"), others)


def _type_system(system: dict[str, Any]) -> None:
    """Numbers where evtx writes numbers, and SystemTime in evtx's form."""
    for name in SYSTEM_INTEGERS:
        value = system.get(name)
        if isinstance(value, dict):
            _integer_text(value)
            attributes = value.get(ATTRIBUTES)
            if isinstance(attributes, dict) and "Qualifiers" in attributes:
                number = to_int(attributes["Qualifiers"])
                if number is not None:
                    attributes["Qualifiers"] = number
        elif value is not None:
            number = to_int(value)
            if number is not None:
                system[name] = number
    level = windows_level(system.get("Level"))
    if level is not None:  # the same rule as the other Windows formats
        system["Level"] = level
    execution = system.get("Execution")
    if isinstance(execution, dict) and isinstance(execution.get(ATTRIBUTES), dict):
        attributes = execution[ATTRIBUTES]
        for name in _EXECUTION_INTEGERS:
            number = to_int(attributes.get(name))
            if number is not None:
                attributes[name] = number
    created = system.get("TimeCreated")
    if isinstance(created, dict) and isinstance(created.get(ATTRIBUTES), dict):
        attributes = created[ATTRIBUTES]
        if isinstance(attributes.get("SystemTime"), str):
            attributes["SystemTime"] = normalise_system_time(attributes["SystemTime"])


def _integer_text(node: dict[str, Any]) -> None:
    number = to_int(node.get(TEXT))
    if number is not None:
        node[TEXT] = number
