"""A writer of real Windows EVTX files, so tests, scenarios and benchmarks need no committed binaries."""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import BinaryIO
from uuid import UUID

FILE_HEADER_SIZE = 4096
CHUNK_SIZE = 65536
CHUNK_HEADER_SIZE = 512
EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"

_MAX_RECORD = CHUNK_SIZE - CHUNK_HEADER_SIZE
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_FRAGMENT_HEADER = b"\x0f\x01\x01\x00"  # BinXML 1.1

_U16, _U32, _U64, _I64 = (struct.Struct(f) for f in ("<H", "<I", "<Q", "<q"))
_DESCRIPTOR = struct.Struct("<HBx")  # a substitution's size and value type
_SUBSTITUTION = struct.Struct("<BHB")  # token 0x0d, index, value type
_ELEMENT_START = struct.Struct("<BHI")  # token, dependency id (0xFFFF: none), data size
_RECORD_HEADER = struct.Struct("<IIQQ")
_CHUNK_HEADER = struct.Struct("<8sQQQQIIII")
_FILE_HEADER = struct.Struct("<8sQQQIHHHH")

# BinXML value types
_STRING, _UINT8, _UINT16, _UINT32, _INT64, _UINT64 = 0x01, 0x04, 0x06, 0x08, 0x09, 0x0A
_GUID, _FILETIME, _SID, _HEX64 = 0x0F, 0x11, 0x13, 0x15

_REQUIRED = frozenset(("Provider", "EventID", "TimeCreated", "Channel", "Computer"))
_OPTIONAL = ("Qualifiers", "Version", "Level", "Task", "Opcode", "Keywords", "EventRecordID",
             "Correlation", "Execution", "Security")
_SMALL_LEAVES = (("Version", _UINT8), ("Level", _UINT8), ("Task", _UINT16), ("Opcode", _UINT8),
                 ("Keywords", _HEX64))
_TIME_AND_ID_SHAPE = (("TimeCreated", ("SystemTime",), False), ("EventRecordID", (), True))
_TIME_AND_ID = _DESCRIPTOR.pack(8, _FILETIME) + _DESCRIPTOR.pack(8, _UINT64)

Value = str | int | UUID  # text, a number (UInt32, UInt64 or Int64) or a GUID
Typed = tuple[int, bytes]  # value type, value
Element = tuple[str, list[tuple[str, Typed]], Typed | None]  # tag, attributes, text
Shape = tuple[tuple[str, tuple[str, ...], bool], ...]  # tag, attribute names, has text
Key = tuple[object, ...]
DataShape = tuple[str, ...]  # ("EventData", *names), ("UserData", name, *children) or ()
TemplateKey = tuple[Shape, DataShape, bytes]  # System, EventData or UserData, value types
Node = tuple[str, list[tuple[str, bytes]], bytes | Callable[[int], bytes] | None]


@dataclass
class EvtxRecord:
    """One event: System fields under their XML names, then EventData or UserData.

    system: Provider {Name, Guid?, EventSourceName?}, EventID, Qualifiers?, Version?, Level?,
    Task?, Opcode?, Keywords? ("0x8020000000000000" or an int), TimeCreated (aware datetime),
    EventRecordID? (assigned in order when absent), Correlation? {ActivityID, ...},
    Execution? {ProcessID, ThreadID}, Channel, Computer, Security? {UserID: "S-1-5-18"}.
    An attribute given as a UUID is written as a GUID, a str stays text exactly as given.
    Absent optional elements are left out, except Correlation and Security: Windows always
    writes those, empty when there is nothing to say.
    user_data: (element name, children); "{namespace}LogFileCleared" adds the xmlns attribute.
    """

    system: dict[str, object]
    event_data: dict[str, Value] | None = None
    user_data: tuple[str, Mapping[str, Value]] | None = None


def _ticks(moment: object) -> int:
    """FILETIME: 100 ns ticks since 1601-01-01 UTC."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError(f"TimeCreated must be an aware datetime, not {moment!r}")
    return (moment - _FILETIME_EPOCH) // _MICROSECOND * 10


def _sid(text: object) -> bytes:
    parts = str(text).split("-")
    if len(parts) < 3 or parts[0] != "S" or not all(part.isdigit() for part in parts[1:]):
        raise ValueError(f"{text!r} is not a SID")
    subs = [int(part) for part in parts[3:]]
    return (bytes((int(parts[1]), len(subs))) + int(parts[2]).to_bytes(6, "big")
            + struct.pack(f"<{len(subs)}I", *subs))


def _raw(value: object) -> Typed:
    """A substitution value typed by the Python value, as Windows types EventData."""
    if isinstance(value, str):
        return _STRING, value.encode("utf-16-le", "surrogatepass")
    if isinstance(value, int):
        if 0 <= value <= 0xFFFFFFFF:
            return _UINT32, _U32.pack(value)
        return (_UINT64, _U64.pack(value)) if value > 0 else (_INT64, _I64.pack(value))
    if isinstance(value, UUID):
        return _GUID, value.bytes_le
    if isinstance(value, datetime):
        return _FILETIME, _U64.pack(_ticks(value))
    raise TypeError(f"cannot write a {type(value).__name__} value to EVTX")


def _fixed(kind: int, value: object) -> Typed:
    if kind == _HEX64:
        return kind, _U64.pack(int(value, 16) if isinstance(value, str) else value)
    return kind, struct.pack("<B" if kind == _UINT8 else "<H", value)


def _pack(typed: Iterable[Typed]) -> tuple[bytes, bytes]:
    """Substitution descriptors and values."""
    pairs = list(typed)
    return (b"".join(_DESCRIPTOR.pack(len(raw), kind) for kind, raw in pairs),
            b"".join(raw for _, raw in pairs))


def _items(mapping: object) -> tuple[tuple[str, object], ...] | None:
    """A hashable copy of an optional mapping; None when absent."""
    return None if mapping is None else tuple(mapping.items())  # type: ignore[attr-defined]


def _attributes(mapping: object) -> list[tuple[str, Typed]]:
    return [(name, _raw(value)) for name, value in _items(mapping) or ()]


def _head(system: Mapping[str, object]) -> list[Element]:
    """Provider to Keywords, the part of System that one kind of event repeats."""
    provider = system["Provider"]
    if not isinstance(provider, Mapping) or "Name" not in provider:
        raise ValueError("Provider must be a mapping with a Name")
    qualifiers = system.get("Qualifiers")
    event_id_attrs = [] if qualifiers is None else [("Qualifiers", _fixed(_UINT16, qualifiers))]
    elements: list[Element] = [("Provider", _attributes(provider), None),
                               ("EventID", event_id_attrs, _fixed(_UINT16, system["EventID"]))]
    elements += [(tag, [], _fixed(kind, system[tag]))
                 for tag, kind in _SMALL_LEAVES if system.get(tag) is not None]
    return elements


def _tail(system: Mapping[str, object]) -> list[Element]:
    """Correlation to Security, the part of System that one host or process repeats."""
    elements: list[Element] = [("Correlation", _attributes(system.get("Correlation")), None)]
    if system.get("Execution") is not None:
        elements.append(("Execution", _attributes(system["Execution"]), None))
    elements += [(tag, [], (_STRING, str(system[tag]).encode("utf-16-le", "surrogatepass")))
                 for tag in ("Channel", "Computer")]
    security = system.get("Security")
    user_id = security.get("UserID") if isinstance(security, Mapping) else None
    elements.append(("Security", [] if user_id is None else [("UserID", (_SID, _sid(user_id)))], None))
    return elements


def _encoded(elements: list[Element]) -> tuple[Shape, bytes, bytes]:
    """The elements' shape, and their values in document order: attributes, then text."""
    shape = tuple((tag, tuple(name for name, _ in attrs), text is not None)
                  for tag, attrs, text in elements)
    typed = [value for _, attrs, text in elements
             for value in [*(value for _, value in attrs), *([text] if text else [])]]
    return (shape, *_pack(typed))


# System parts repeat across records and chunks (one provider, one host): keep them encoded.
_heads: dict[Key, tuple[Shape, bytes, bytes]] = {}
_tails: dict[Key, tuple[Shape, bytes, bytes]] = {}


def _cached(parts: dict[Key, tuple[Shape, bytes, bytes]], key: Key,
            build: Callable[[Mapping[str, object]], list[Element]],
            system: Mapping[str, object]) -> tuple[Shape, bytes, bytes]:
    part = parts.get(key)
    if part is None:
        if len(parts) > 100_000:
            parts.clear()
        part = parts[key] = _encoded(build(system))
    return part


class _TextDescriptors(dict[int, bytes]):
    """Descriptors of text substitutions by length in characters, made on first use."""

    def __missing__(self, length: int) -> bytes:
        descriptor = self[length] = _DESCRIPTOR.pack(2 * length, _STRING)
        return descriptor


_TEXT_DESCRIPTORS = _TextDescriptors()


def _values(values: Mapping[str, Value]) -> tuple[bytes, bytes]:
    """Descriptors and values of EventData or UserData.

    Consecutive texts are encoded in one call: one call per value took most of the time.
    """
    items = list(values.values())
    texts = [value for value in items if value.__class__ is str]
    joined = "".join(texts)
    if len(texts) == len(items):
        encoded = joined.encode("utf-16-le", "surrogatepass")
        if len(encoded) == 2 * len(joined):
            return b"".join(map(_TEXT_DESCRIPTORS.__getitem__, map(len, texts))), encoded
        return _pack(map(_raw, items))
    descriptors: list[bytes] = []
    raws: list[bytes] = []
    run: list[str] = []
    text_bytes = 0
    for value in [*items, None]:  # None: the end, which closes the last run of texts
        if value.__class__ is str:
            run.append(value)
            descriptors.append(_TEXT_DESCRIPTORS[len(value)])
            continue
        if run:
            raws.append("".join(run).encode("utf-16-le", "surrogatepass"))
            text_bytes += len(raws[-1])
            run = []
        if value is not None:
            kind, raw = _raw(value)
            descriptors.append(_DESCRIPTOR.pack(len(raw), kind))
            raws.append(raw)
    if text_bytes != 2 * len(joined):  # a surrogate pair: more UTF-16 units than characters
        return _pack(map(_raw, items))
    return b"".join(descriptors), b"".join(raws)


def _substitutions(record: EvtxRecord, record_id: int, ticks: int) -> tuple[TemplateKey, bytes, bytes]:
    """The record's template shape, then its substitution descriptors and values."""
    system = record.system
    get = system.get
    head = _cached(_heads, (_items(system["Provider"]), system["EventID"], get("Qualifiers"),
                            get("Version"), get("Level"), get("Task"), get("Opcode"),
                            get("Keywords")), _head, system)
    tail = _cached(_tails, (_items(get("Correlation")), _items(get("Execution")),
                            system["Channel"], system["Computer"], _items(get("Security"))),
                   _tail, system)
    data_shape: DataShape = ()
    data_descriptors = data_values = b""
    if record.event_data is not None:
        data_shape = ("EventData", *record.event_data)
        data_descriptors, data_values = _values(record.event_data)
    elif record.user_data is not None:
        name, children = record.user_data
        data_shape = ("UserData", name, *children)
        data_descriptors, data_values = _values(children)
    descriptors = b"".join((head[1], _TIME_AND_ID, tail[1], data_descriptors))
    values = b"".join((head[2], _U64.pack(ticks), _U64.pack(record_id), tail[2], data_values))
    # Every value's type is in the shape, so that a template's declared types are the real ones.
    shape = (head[0] + _TIME_AND_ID_SHAPE + tail[0], data_shape, descriptors[2::4])
    return shape, descriptors, values


@lru_cache(maxsize=4096)
def _name_struct(name: str) -> bytes:
    """A name as a chunk stores it: next in hash chain (set on closing), hash, count, UTF-16, NUL."""
    units = name.encode("utf-16-le")
    return struct.pack("<IHH", 0, _name_hash(name), len(units) // 2) + units + b"\x00\x00"


@lru_cache(maxsize=4096)
def _name_hash(name: str) -> int:
    """The EVTX name hash: h = h * 65599 + unit over the UTF-16 units, low 16 bits kept."""
    units = name.encode("utf-16-le")
    h = 0
    for unit in struct.unpack(f"<{len(units) // 2}H", units):
        h = (h * 65599 + unit) & 0xFFFFFFFF
    return h & 0xFFFF


def _literal(text: str) -> bytes:
    """A Value token holding text, for what a template fixes (xmlns, Data Name)."""
    units = text.encode("utf-16-le", "surrogatepass")
    return b"\x05\x01" + _U16.pack(len(units) // 2) + units


class _Slots:
    """Hands out substitution tokens in document order, typed like the record's values."""

    def __init__(self, types: bytes) -> None:
        self.types = types
        self.index = 0

    def __call__(self) -> bytes:
        self.index += 1
        return _SUBSTITUTION.pack(0x0D, self.index - 1, self.types[self.index - 1])


class _Chunk:
    """One 64 KiB chunk being filled: names and templates are defined once, then referenced.

    As Windows does, each record is a TemplateInstance: the first record of a shape in a
    chunk carries the template's definition, the others only their substitution values.
    """

    def __init__(self) -> None:
        self.records: list[bytes] = []
        self.free = CHUNK_HEADER_SIZE
        self.last_offset = CHUNK_HEADER_SIZE
        self.first_id = self.last_id = 0
        self.name_refs: dict[str, bytes] = {}
        self.name_offsets: dict[str, int] = {}
        self.instances: dict[TemplateKey, bytes] = {}  # -> TemplateInstance header

    def name(self, name: str, field_at: int) -> bytes:
        """The name's offset; on first use the name itself follows, at field_at + 4."""
        ref = self.name_refs.get(name)
        if ref is not None:
            return ref
        ref = self.name_refs[name] = _U32.pack(field_at + 4)
        self.name_offsets[name] = field_at + 4
        return ref + _name_struct(name)

    def element(self, at: int, tag: str, attrs: list[tuple[str, bytes]],
                content: bytes | Callable[[int], bytes] | None) -> bytes:
        """<tag attrs>content</tag> at chunk offset `at`; callable content gets its offset."""
        rest = self.name(tag, at + 7)
        if attrs:
            attr_list = bytearray()
            list_at = at + 7 + len(rest) + 4
            for index, (attr_name, value) in enumerate(attrs):
                attr_list += b"\x46" if index < len(attrs) - 1 else b"\x06"  # 0x40: more follow
                attr_list += self.name(attr_name, list_at + len(attr_list))
                attr_list += value
            rest += _U32.pack(len(attr_list)) + attr_list
        if content is None:
            rest += b"\x03"
        else:
            if not isinstance(content, bytes):
                content = content(at + 7 + len(rest) + 1)
            rest += b"\x02" + content + b"\x04"
        return _ELEMENT_START.pack(0x41 if attrs else 0x01, 0xFFFF, len(rest)) + rest

    def children(self, at: int, nodes: list[Node]) -> bytes:
        out = b""
        for tag, attrs, content in nodes:
            out += self.element(at + len(out), tag, attrs, content)
        return out

    def instance(self, at: int, shape: TemplateKey) -> bytes:
        """A TemplateInstance header at `at`, with the definition inline on its first use here."""
        header = self.instances.get(shape)
        if header is not None:
            return header
        guid = hashlib.md5(repr(shape).encode(), usedforsecurity=False).digest()
        header = b"\x0c\x01" + guid[:4] + _U32.pack(at + 10)
        system_shape, data_shape, types = shape
        slot = _Slots(types)
        system: list[Node] = [(tag, [(name, slot()) for name in attrs], slot() if has_text else None)
                              for tag, attrs, has_text in system_shape]
        body: list[Node] = [("System", [], lambda p: self.children(p, system))]
        if data_shape[:1] == ("EventData",):
            data: list[Node] = [("Data", [("Name", _literal(name))], slot()) for name in data_shape[1:]]
            body.append(("EventData", [], (lambda p: self.children(p, data)) if data else None))
        elif data_shape:
            namespace, _, tag = data_shape[1].rpartition("}")
            attrs = [("xmlns", _literal(namespace[1:]))] if namespace else []
            leaves: list[Node] = [(name, [], slot()) for name in data_shape[2:]]
            inner: list[Node] = [(tag, attrs, (lambda p: self.children(p, leaves)) if leaves else None)]
            body.append(("UserData", [], lambda p: self.children(p, inner)))
        definition_at = at + 10 + 24  # after the instance header and the definition header
        event = self.element(definition_at + 4, "Event", [("xmlns", _literal(EVENT_NS))],
                             lambda p: self.children(p, body))
        fragment = _FRAGMENT_HEADER + event + b"\x00"
        self.instances[shape] = header
        return header + _U32.pack(0) + guid + _U32.pack(len(fragment)) + fragment

    def close(self) -> bytes:
        data = bytearray(CHUNK_SIZE)
        data[CHUNK_HEADER_SIZE : self.free] = b"".join(self.records)
        buckets = [0] * 64
        for name, offset in self.name_offsets.items():
            if offset < self.free:  # the names of a record that did not fit were never written
                bucket = _name_hash(name) % 64
                _U32.pack_into(data, offset, buckets[bucket])
                buckets[bucket] = offset
        struct.pack_into("<64I", data, 128, *buckets)
        # The 32 template pointers stay zero: each instance carries its definition's offset.
        _CHUNK_HEADER.pack_into(data, 0, b"ElfChnk\x00", self.first_id, self.last_id,
                                self.first_id, self.last_id, 128, self.last_offset, self.free,
                                zlib.crc32(data[CHUNK_HEADER_SIZE : self.free]))
        _U32.pack_into(data, 124, zlib.crc32(data[:120] + data[128:CHUNK_HEADER_SIZE]))
        return bytes(data)

    def add(self, record: EvtxRecord, record_id: int, ticks: int) -> bytes:
        """The record encoded at the end of this chunk (added only if the caller keeps it)."""
        shape, descriptors, values = _substitutions(record, record_id, ticks)
        instance = self.instance(self.free + 28, shape)
        size = 28 + len(instance) + 4 + len(descriptors) + len(values) + 1 + 4
        padding = -size % 8  # Windows keeps records 8-byte aligned
        size += padding
        return b"".join((_RECORD_HEADER.pack(0x2A2A, size, record_id, ticks), _FRAGMENT_HEADER,
                         instance, _U32.pack(len(descriptors) // 4), descriptors, values,
                         bytes(padding + 1), _U32.pack(size)))  # EndOfStream, then padding

    def keep(self, encoded: bytes, record_id: int) -> None:
        if not self.records:
            self.first_id = record_id
        self.records.append(encoded)
        self.last_id = record_id
        self.last_offset = self.free
        self.free += len(encoded)


_valid_layouts: set[tuple[str, ...]] = set()


def _record_id(record: EvtxRecord, number: int, last_id: int) -> int:
    """The record's EventRecordID, once its fields are known to make a record."""
    system = record.system
    if tuple(system) not in _valid_layouts:
        unknown = system.keys() - _REQUIRED - set(_OPTIONAL)
        missing = _REQUIRED - system.keys()
        if unknown or missing:
            raise ValueError(f"record {number}: unknown System fields {sorted(unknown)}, "
                             f"missing {sorted(missing)}")
        _valid_layouts.add(tuple(system))
    for tag in ("Provider", "Correlation", "Execution", "Security"):
        if not isinstance(system.get(tag, {}), Mapping):
            raise TypeError(f"record {number}: {tag} must be a mapping of attributes")
    if record.event_data is not None and record.user_data is not None:
        raise ValueError(f"record {number} has both EventData and UserData")
    record_id = system.get("EventRecordID", last_id + 1)
    if not isinstance(record_id, int) or record_id <= last_id:
        raise ValueError(f"record {number}: EventRecordID {record_id!r} does not follow {last_id}")
    return record_id


def _write(stream: BinaryIO, records: Iterable[EvtxRecord], chunk_records: int | None) -> int:
    start = stream.tell()
    stream.write(bytes(FILE_HEADER_SIZE))  # rewritten at the end, once the counts are known
    chunk, chunks, written, last_id = _Chunk(), 0, 0, 0
    for number, record in enumerate(records, 1):
        last_id = _record_id(record, number, last_id)
        ticks = _ticks(record.system["TimeCreated"])
        if chunk_records is not None and len(chunk.records) >= chunk_records:
            stream.write(chunk.close())
            chunk, chunks = _Chunk(), chunks + 1
        try:
            encoded = chunk.add(record, last_id, ticks)
            if chunk.free + len(encoded) > CHUNK_SIZE and chunk.records:
                stream.write(chunk.close())
                chunk, chunks = _Chunk(), chunks + 1
                encoded = chunk.add(record, last_id, ticks)
        except (struct.error, OverflowError) as error:
            raise ValueError(f"record {number}: a value is out of range or too long ({error})") from error
        if len(encoded) > _MAX_RECORD:
            raise ValueError(f"record {number} takes {len(encoded)} bytes; a chunk holds {_MAX_RECORD}")
        chunk.keep(encoded, last_id)
        written += 1
    if chunk.records:
        stream.write(chunk.close())
        chunks += 1
    if chunks > 0xFFFF:
        raise ValueError(f"{chunks} chunks: an EVTX file holds at most 65535")
    header = bytearray(FILE_HEADER_SIZE)
    _FILE_HEADER.pack_into(header, 0, b"ElfFile\x00", 0, max(chunks - 1, 0), last_id + 1, 128,
                           1, 3, FILE_HEADER_SIZE, chunks)
    _U32.pack_into(header, 124, zlib.crc32(header[:120]))
    end = stream.tell()
    stream.seek(start)
    stream.write(header)
    stream.seek(end)
    return written


def write_evtx(
    target: str | os.PathLike[str] | BinaryIO,
    records: Iterable[EvtxRecord],
    *,
    chunk_records: int | None = None,
) -> int:
    """Write records to an EVTX file or seekable binary stream; return how many were written.

    chunk_records caps the records per chunk (to make many chunks from few records);
    otherwise each 64 KiB chunk is filled.
    """
    if isinstance(target, str | os.PathLike):
        with open(target, "wb") as stream:
            return _write(stream, records, chunk_records)
    if not target.seekable():
        raise ValueError("the stream must be seekable: the file header is written last")
    return _write(target, records, chunk_records)
