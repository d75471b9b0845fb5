"""The values of an EVTX record as BinXML substitutions: each value's type and bytes, and the
shape of the template that holds them (the chunks and files are in scenarios/evtx_writer.py).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from watchkeeper.scenarios.evtx_writer import EvtxRecord, Value

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

_U32, _U64, _I64 = (struct.Struct(f) for f in ("<I", "<Q", "<q"))
_DESCRIPTOR = struct.Struct("<HBx")  # a substitution's size and value type

# BinXML value types
_STRING, _UINT8, _UINT16, _UINT32, _INT64, _UINT64 = 0x01, 0x04, 0x06, 0x08, 0x09, 0x0A
_GUID, _FILETIME, _SID, _HEX64 = 0x0F, 0x11, 0x13, 0x15

_SMALL_LEAVES = (
    ("Version", _UINT8),
    ("Level", _UINT8),
    ("Task", _UINT16),
    ("Opcode", _UINT8),
    ("Keywords", _HEX64),
)
_TIME_AND_ID_SHAPE = (("TimeCreated", ("SystemTime",), False), ("EventRecordID", (), True))
_TIME_AND_ID = _DESCRIPTOR.pack(8, _FILETIME) + _DESCRIPTOR.pack(8, _UINT64)

Typed = tuple[int, bytes]  # value type, value
Element = tuple[str, list[tuple[str, Typed]], Typed | None]  # tag, attributes, text
Shape = tuple[tuple[str, tuple[str, ...], bool], ...]  # tag, attribute names, has text
Key = tuple[object, ...]
DataShape = tuple[str, ...]  # ("EventData", *names), ("UserData", name, *children) or ()
TemplateKey = tuple[Shape, DataShape, bytes]  # System, EventData or UserData, value types


def filetime(moment: object) -> int:
    """FILETIME: 100 ns ticks since 1601-01-01 UTC."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError(f"TimeCreated must be an aware datetime, not {moment!r}")
    return (moment - _FILETIME_EPOCH) // _MICROSECOND * 10


def _sid(text: object) -> bytes:
    parts = str(text).split("-")
    if len(parts) < 3 or parts[0] != "S" or not all(part.isdigit() for part in parts[1:]):
        raise ValueError(f"{text!r} is not a SID")
    subs = [int(part) for part in parts[3:]]
    return (
        bytes((int(parts[1]), len(subs)))
        + int(parts[2]).to_bytes(6, "big")
        + struct.pack(f"<{len(subs)}I", *subs)
    )


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
        return _FILETIME, _U64.pack(filetime(value))
    raise TypeError(f"cannot write a {type(value).__name__} value to EVTX")


def _fixed(kind: int, value: object) -> Typed:
    if kind == _HEX64:
        return kind, _U64.pack(int(value, 16) if isinstance(value, str) else value)
    return kind, struct.pack("<B" if kind == _UINT8 else "<H", value)


def _pack(typed: Iterable[Typed]) -> tuple[bytes, bytes]:
    """Substitution descriptors and values."""
    pairs = list(typed)
    return (
        b"".join(_DESCRIPTOR.pack(len(raw), kind) for kind, raw in pairs),
        b"".join(raw for _, raw in pairs),
    )


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
    elements: list[Element] = [
        ("Provider", _attributes(provider), None),
        ("EventID", event_id_attrs, _fixed(_UINT16, system["EventID"])),
    ]
    elements += [
        (tag, [], _fixed(kind, system[tag]))
        for tag, kind in _SMALL_LEAVES
        if system.get(tag) is not None
    ]
    return elements


def _tail(system: Mapping[str, object]) -> list[Element]:
    """Correlation to Security, the part of System that one host or process repeats."""
    elements: list[Element] = [("Correlation", _attributes(system.get("Correlation")), None)]
    if system.get("Execution") is not None:
        elements.append(("Execution", _attributes(system["Execution"]), None))
    elements += [
        (tag, [], (_STRING, str(system[tag]).encode("utf-16-le", "surrogatepass")))
        for tag in ("Channel", "Computer")
    ]
    security = system.get("Security")
    user_id = security.get("UserID") if isinstance(security, Mapping) else None
    elements.append(
        ("Security", [] if user_id is None else [("UserID", (_SID, _sid(user_id)))], None)
    )
    return elements


def _encoded(elements: list[Element]) -> tuple[Shape, bytes, bytes]:
    """The elements' shape, and their values in document order: attributes, then text."""
    shape = tuple(
        (tag, tuple(name for name, _ in attrs), text is not None) for tag, attrs, text in elements
    )
    typed = [
        value
        for _, attrs, text in elements
        for value in [*(value for _, value in attrs), *([text] if text else [])]
    ]
    return (shape, *_pack(typed))


# System parts repeat across records and chunks (one provider, one host): keep them encoded.
_heads: dict[Key, tuple[Shape, bytes, bytes]] = {}
_tails: dict[Key, tuple[Shape, bytes, bytes]] = {}


def _cached(
    parts: dict[Key, tuple[Shape, bytes, bytes]],
    key: Key,
    build: Callable[[Mapping[str, object]], list[Element]],
    system: Mapping[str, object],
) -> tuple[Shape, bytes, bytes]:
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


def substitutions(
    record: EvtxRecord, record_id: int, ticks: int
) -> tuple[TemplateKey, bytes, bytes]:
    """The record's template shape, then its substitution descriptors and values."""
    system = record.system
    get = system.get
    head = _cached(
        _heads,
        (
            _items(system["Provider"]),
            system["EventID"],
            get("Qualifiers"),
            get("Version"),
            get("Level"),
            get("Task"),
            get("Opcode"),
            get("Keywords"),
        ),
        _head,
        system,
    )
    tail = _cached(
        _tails,
        (
            _items(get("Correlation")),
            _items(get("Execution")),
            system["Channel"],
            system["Computer"],
            _items(get("Security")),
        ),
        _tail,
        system,
    )
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
