"""One stored event as an Elastic Common Schema document, and as the two lines `_bulk` wants.

The mapping is the table below; README's "Taking the archive elsewhere" shows it, and the
tests check every name it writes against the ECS field reference.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from watchkeeper.core.fields import COMMON_COLUMNS, shadowed_column

ECS_VERSION = "8.11.0"

# Sources whose events are Windows event log records: their original fields go under
# `winlog.event_data`, where Winlogbeat puts them, so Elastic's Windows content finds them.
WINDOWS_SOURCES = frozenset(("evtx", "winxml", "winlogbeat", "nxlog"))

# store column -> ECS field, and how the value is written:
#   time: ISO 8601 in UTC with a Z; text: a string; int: a number;
#   ip: an address, else kept as text under `watchkeeper.<column>` (an ip field refuses it);
#   process: `process.name` always, `process.executable` when the value is a path.
MAPPING: tuple[tuple[str, str, str], ...] = (
    ("time", "@timestamp", "time"),
    ("received", "event.created", "time"),
    ("id", "event.id", "text"),
    ("event_id", "event.code", "text"),
    ("provider", "event.provider", "text"),
    ("host", "host.name", "text"),
    ("username", "user.name", "text"),
    ("level", "log.level", "text"),
    ("process", "process.executable", "process"),
    ("pid", "process.pid", "int"),
    ("command_line", "process.command_line", "text"),
    ("parent_process", "process.parent.executable", "text"),
    ("src_ip", "source.ip", "ip"),
    ("src_port", "source.port", "int"),
    ("dst_ip", "destination.ip", "ip"),
    ("dst_port", "destination.port", "int"),
    ("message", "message", "text"),
    ("raw", "event.original", "text"),
)
# The source names the module and, with the channel, the dataset; a Windows channel is
# `winlog.channel`. What ECS has no field for stays under `watchkeeper`: the time's original
# offset and what was inferred of it, the batch (`imports` row) and record it came from.
OWN_COLUMNS = ("time_offset", "time_inferred", "import_id", "record_no")
# the file a batch was read from (the import ledger's path), beside the event's columns
ORIGIN_FIELD = "log.file.path"
FORWARDED_PREFIX = "forwarded/"  # the ledger's path of a collector spool segment
WINDOWS_FIELDS = "winlog.event_data"
OTHER_FIELDS = "watchkeeper.fields"
# Not written: `dedup_key`, the store's own bookkeeping (a 128-bit hash JSON numbers cannot
# hold); the event's identity is `event.id`.

_ORIG = "orig."
_PATH_SEPARATOR = re.compile(r"[\\/]")
_ORIGIN_PATH = tuple(ORIGIN_FIELD.split("."))
_WINDOWS_PATH = tuple(WINDOWS_FIELDS.split("."))
_OTHER_PATH = tuple(OTHER_FIELDS.split("."))
_DATASET_WORD = re.compile(r"[^a-z0-9]+")
# Elasticsearch's rules for an index name (and OpenSearch's): lower case, none of these
# characters, not starting with -, _ or +, not . or .., at most 255 bytes.
_INDEX_FORBIDDEN = re.compile(r'[\\/*?"<>| ,#:A-Z]')


def index_problem(name: str) -> str | None:
    """Why `name` cannot be an Elasticsearch or OpenSearch index, or None when it can."""
    if not name or name in {".", ".."}:
        return "an index needs a name"
    if len(name.encode("utf-8", "surrogatepass")) > 255:
        return "an index name is at most 255 bytes"
    if name[0] in "-_+":
        return "an index name cannot start with -, _ or +"
    bad = _INDEX_FORBIDDEN.search(name)
    if bad or any(not ch.isprintable() for ch in name):
        return 'an index name is lower case, without spaces, \\ / * ? " < > | , # or :'
    return None


def document(columns: Sequence[str], row: Sequence[Any], origin: str | None) -> dict[str, Any]:
    """The ECS document of one event: `columns` and `row` as the events view gives them."""
    return Mapper(columns).document(row, origin)


class Mapper:
    """Makes ECS documents of rows with one list of columns; worked out once per list, since
    an event table has hundreds of field columns and a row fills a few."""

    def __init__(self, columns: Sequence[str]) -> None:
        index = {name: n for n, name in enumerate(columns)}
        self._mapped = [
            (index[column], tuple(ecs_name.split(".")), kind, column)
            for column, ecs_name, kind in MAPPING
            if column in index
        ]
        self._source = index.get("source")
        self._channel = index.get("channel")
        self._own = [
            (index[column], ("watchkeeper", column)) for column in OWN_COLUMNS if column in index
        ]
        self._fields = [
            (n, _field_key(name))
            for n, name in enumerate(columns)
            if name.lower() not in COMMON_COLUMNS
        ]

    def document(self, row: Sequence[Any], origin: str | None) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for n, path, kind, column in self._mapped:
            value = row[n]
            if value is None or value == "":
                continue
            if kind == "time" and isinstance(value, datetime):
                _put(doc, path, value.isoformat() + "Z")
            elif kind == "int":
                _put(doc, path, int(value))
            elif kind == "ip":
                _put_ip(doc, path, column, str(value))
            elif kind == "process":
                _put_process(doc, str(value))
            else:
                _put(doc, path, str(value))
        source = str(_at(row, self._source) or "unknown")
        channel = _at(row, self._channel)
        windows = source in WINDOWS_SOURCES
        event = doc.setdefault("event", {})
        event.update(kind="event", module=source, dataset=_dataset(source, channel))
        if channel:
            _put(doc, ("winlog" if windows else "watchkeeper", "channel"), str(channel))
        if origin:
            # ECS keeps log.file.path for files read; forwarded logs came over the network
            forwarded = origin.startswith(FORWARDED_PREFIX)
            _put(doc, ("watchkeeper", "spool_segment") if forwarded else _ORIGIN_PATH, origin)
        for n, path in self._own:
            if row[n] is not None:
                _put(doc, path, row[n])
        fields = {key: row[n] for n, key in self._fields if row[n] is not None}
        if fields:
            _put(doc, _WINDOWS_PATH if windows else _OTHER_PATH, fields)
        doc["ecs"] = {"version": ECS_VERSION}
        return doc


def _at(row: Sequence[Any], n: int | None) -> Any:
    return None if n is None else row[n]


def bulk_lines(doc: dict[str, Any], index: str) -> bytes:
    """The action line and the document, each a line of JSON, as `_bulk` reads them.

    The action names the event's store id as `_id`, so sending a file twice indexes each
    event once.
    """
    action = {"index": {"_index": index, "_id": doc["event"]["id"]}}
    return orjson.dumps(action) + b"\n" + encode(doc) + b"\n"


def encode(doc: dict[str, Any]) -> bytes:
    """The document as one line of JSON; text that is not valid Unicode has U+FFFD instead."""
    try:
        return orjson.dumps(doc)
    except orjson.JSONEncodeError:
        return orjson.dumps(_valid(doc))


def _valid(value: Any) -> Any:
    if isinstance(value, str):
        # UTF-16 joins a surrogate pair split over two characters; a lone one is replaced
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_valid(key): _valid(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_valid(item) for item in value]
    return value


def _put(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        doc = doc.setdefault(part, {})
    doc[path[-1]] = value


def _put_ip(doc: dict[str, Any], path: tuple[str, ...], column: str, text: str) -> None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        _put(doc, ("watchkeeper", column), text)
        return
    _put(doc, path, str(address))


def _put_process(doc: dict[str, Any], process: str) -> None:
    name = _PATH_SEPARATOR.split(process)[-1] or process
    target = doc.setdefault("process", {})
    if name != process:
        target["executable"] = process
    target["name"] = name


def _dataset(source: str, channel: object) -> str:
    if not channel:
        return source
    word = _DATASET_WORD.sub("_", str(channel).lower()).strip("_")
    return f"{source}.{word}" if word else source


def _field_key(name: str) -> str:
    # under its own namespace a field clashes with no common column: `orig.User` is `User`
    if name[: len(_ORIG)].lower() == _ORIG and shadowed_column(name[len(_ORIG) :]):
        name = name[len(_ORIG) :]
    # Elasticsearch reads a dot in a key as a level of objects: "a.b" beside "a" would
    # clash, so an original field's dots become underscores (its raw record keeps them)
    return name.replace(".", "_")
