"""A writer of real Windows EVTX files, so tests, scenarios and benchmarks need no committed binaries."""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO
from uuid import UUID

from watchkeeper.scenarios.evtx_values import TemplateKey, filetime, substitutions

FILE_HEADER_SIZE = 4096
CHUNK_SIZE = 65536
CHUNK_HEADER_SIZE = 512
EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"

_MAX_RECORD = CHUNK_SIZE - CHUNK_HEADER_SIZE
_FRAGMENT_HEADER = b"\x0f\x01\x01\x00"  # BinXML 1.1

_U16, _U32 = struct.Struct("<H"), struct.Struct("<I")
_SUBSTITUTION = struct.Struct("<BHB")  # token 0x0d, index, value type
_ELEMENT_START = struct.Struct("<BHI")  # token, dependency id (0xFFFF: none), data size
_RECORD_HEADER = struct.Struct("<IIQQ")
_CHUNK_HEADER = struct.Struct("<8sQQQQIIII")
_FILE_HEADER = struct.Struct("<8sQQQIHHHH")

_REQUIRED = frozenset(("Provider", "EventID", "TimeCreated", "Channel", "Computer"))
_OPTIONAL = (
    "Qualifiers",
    "Version",
    "Level",
    "Task",
    "Opcode",
    "Keywords",
    "EventRecordID",
    "Correlation",
    "Execution",
    "Security",
)

Value = str | int | UUID  # text, a number (UInt32, UInt64 or Int64) or a GUID
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

    def element(
        self,
        at: int,
        tag: str,
        attrs: list[tuple[str, bytes]],
        content: bytes | Callable[[int], bytes] | None,
    ) -> bytes:
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
        system: list[Node] = [
            (tag, [(name, slot()) for name in attrs], slot() if has_text else None)
            for tag, attrs, has_text in system_shape
        ]
        body: list[Node] = [("System", [], lambda p: self.children(p, system))]
        if data_shape[:1] == ("EventData",):
            data: list[Node] = [
                ("Data", [("Name", _literal(name))], slot()) for name in data_shape[1:]
            ]
            body.append(("EventData", [], (lambda p: self.children(p, data)) if data else None))
        elif data_shape:
            namespace, _, tag = data_shape[1].rpartition("}")
            attrs = [("xmlns", _literal(namespace[1:]))] if namespace else []
            leaves: list[Node] = [(name, [], slot()) for name in data_shape[2:]]
            inner: list[Node] = [
                (tag, attrs, (lambda p: self.children(p, leaves)) if leaves else None)
            ]
            body.append(("UserData", [], lambda p: self.children(p, inner)))
        definition_at = at + 10 + 24  # after the instance header and the definition header
        event = self.element(
            definition_at + 4,
            "Event",
            [("xmlns", _literal(EVENT_NS))],
            lambda p: self.children(p, body),
        )
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
        _CHUNK_HEADER.pack_into(
            data,
            0,
            b"ElfChnk\x00",
            self.first_id,
            self.last_id,
            self.first_id,
            self.last_id,
            128,
            self.last_offset,
            self.free,
            zlib.crc32(data[CHUNK_HEADER_SIZE : self.free]),
        )
        _U32.pack_into(data, 124, zlib.crc32(data[:120] + data[128:CHUNK_HEADER_SIZE]))
        return bytes(data)

    def add(self, record: EvtxRecord, record_id: int, ticks: int) -> bytes:
        """The record encoded at the end of this chunk (added only if the caller keeps it)."""
        shape, descriptors, values = substitutions(record, record_id, ticks)
        instance = self.instance(self.free + 28, shape)
        size = 28 + len(instance) + 4 + len(descriptors) + len(values) + 1 + 4
        padding = -size % 8  # Windows keeps records 8-byte aligned
        size += padding
        return b"".join(
            (
                _RECORD_HEADER.pack(0x2A2A, size, record_id, ticks),
                _FRAGMENT_HEADER,
                instance,
                _U32.pack(len(descriptors) // 4),
                descriptors,
                values,
                bytes(padding + 1),
                _U32.pack(size),
            )
        )  # EndOfStream, then padding

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
            raise ValueError(
                f"record {number}: unknown System fields {sorted(unknown)}, "
                f"missing {sorted(missing)}"
            )
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
        ticks = filetime(record.system["TimeCreated"])
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
            raise ValueError(
                f"record {number}: a value is out of range or too long ({error})"
            ) from error
        if len(encoded) > _MAX_RECORD:
            raise ValueError(
                f"record {number} takes {len(encoded)} bytes; a chunk holds {_MAX_RECORD}"
            )
        chunk.keep(encoded, last_id)
        written += 1
    if chunk.records:
        stream.write(chunk.close())
        chunks += 1
    if chunks > 0xFFFF:
        raise ValueError(f"{chunks} chunks: an EVTX file holds at most 65535")
    header = bytearray(FILE_HEADER_SIZE)
    _FILE_HEADER.pack_into(
        header,
        0,
        b"ElfFile\x00",
        0,
        max(chunks - 1, 0),
        last_id + 1,
        128,
        1,
        3,
        FILE_HEADER_SIZE,
        chunks,
    )
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
