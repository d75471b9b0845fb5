"""Batches of parsed records, built on the parsing thread for the writer (storage/writer.py).

A batch holds its events as newline-delimited JSON (orjson writes it in a couple of
microseconds an event); the writer hands the text to DuckDB's JSON reader, which makes the
columns without holding Python's GIL, so parsing and writing run side by side.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from watchkeeper.core.event import Event, Rejected, WindowsEvent
from watchkeeper.core.fields import (
    PARSED_COLUMNS,
    clean_field_name,
    column_for_field,
    shadowed_column,
)
from watchkeeper.storage import schema

# Keys of the common values in a batch's JSON; \x01 cannot begin a field's column name.
MARK = "\x01"
COMMON_KEYS = tuple((name, MARK + name) for name in PARSED_COLUMNS if name != "time")
_COLUMN_CACHE_LIMIT = 100_000
_column_of: dict[str, tuple[str, str | None]] = {}


@dataclass
class LedgerRow:
    """An import ledger row written in the same transaction as the events it accounts for."""

    id: int
    path: str
    size: int | None
    sha256: str | None
    format: str | None
    status: str
    message: str | None = None


def _target(name: str) -> tuple[str, str | None]:
    """The column an original field goes to, and the common column it would shadow."""
    found = _column_of.get(name)
    if found is None:
        found = (column_for_field(name), shadowed_column(name))
        if len(_column_of) < _COLUMN_CACHE_LIMIT:
            _column_of[name] = found
    return found


# An empty key in a Windows event's JSON, which DuckDB's JSON structures cannot carry (other
# names, control characters and all, they can). An empty string value followed by a quoted
# quote can match too; that costs a re-parse of the event, nothing more.
_EMPTY_KEY = re.compile(r'""\s*:')


def _fit_keys(event_json: str) -> str:
    """A Windows event's JSON whose keys can all be columns: an empty key is renamed to its
    column's name (the raw record keeps the original)."""
    if _EMPTY_KEY.search(event_json) is None:
        return event_json
    try:
        document = orjson.loads(event_json)
    except orjson.JSONDecodeError:
        return event_json  # DuckDB's reader says what is wrong with it
    return orjson.dumps(_renamed(document)).decode()


def _renamed(node: Any) -> Any:
    if isinstance(node, list):
        return [_renamed(item) for item in node]
    if not isinstance(node, dict):
        return node
    renamed: dict[str, Any] = {}
    for key, value in node.items():
        fit = key or clean_field_name(key)
        if fit not in renamed and (fit == key or fit not in node):
            renamed[fit] = _renamed(value)
    return renamed


_SYSTEM_TIME = re.compile(r'"SystemTime"\s*:\s*"([^"]{0,80})"')
# A year DuckDB reads but no stored time can be given back as: five digits, 0, or below
_OFF_CALENDAR = re.compile(r"\s*(?:[+-]|\d{5}|0000)")


def _off_calendar(event_json: str) -> str | None:
    """A Windows event's SystemTime when it lies outside the years 1 to 9999, else None."""
    start = event_json.find('"SystemTime"')
    found = _SYSTEM_TIME.match(event_json, start) if start >= 0 else None
    if found is None or _OFF_CALENDAR.match(found.group(1)) is None:
        return None
    return found.group(1)


def _plain(value: Any) -> Any:
    """A value orjson cannot write (huge numbers, lone surrogates, odd types) as text."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -(1 << 63) <= value < (1 << 63) else str(value)
    if isinstance(value, float):
        return value
    return str(value)


@dataclass
class Batch:
    """Records of one or more files, written in one go.

    A file's ledger row goes in with its first records ('running') and is closed with its
    last ones, so a crash leaves either nothing or a 'running' row that the next open
    rolls back.
    """

    received: datetime = field(default_factory=lambda: datetime.now(UTC))
    # per table family: NDJSON (one object an event), its columns by lower-case name, count
    events: dict[str, bytearray] = field(default_factory=dict)
    event_columns: dict[str, dict[str, str]] = field(default_factory=dict)
    event_counts: dict[str, int] = field(default_factory=dict)
    windows: list[str] = field(default_factory=list)  # NDJSON lines, see windows_rows.stage
    windows_offered: dict[int, int] = field(default_factory=dict)
    rejected: list[tuple[int, Rejected]] = field(default_factory=list)
    records: dict[int, int] = field(default_factory=dict)
    opened: list[LedgerRow] = field(default_factory=list)
    closed: list[tuple[int, str, str | None]] = field(default_factory=list)
    count: int = 0

    def add(self, import_id: int, item: Event | WindowsEvent | Rejected) -> None:
        if isinstance(item, WindowsEvent) and _off_calendar(item.event_json):
            item = Rejected(
                item.record_no,
                item.raw.encode("utf-8", "surrogatepass"),
                f"record {item.record_no}: time {_off_calendar(item.event_json)} is "
                "out of range (years 1 to 9999 in UTC)",
            )
        if isinstance(item, WindowsEvent):
            event_json = _fit_keys(item.event_json)
            line = f'{{"i":{import_id},"n":{item.record_no},"s":"{item.source}","e":{event_json}'
            if item.raw is not event_json and item.raw != event_json:
                line += ',"r":' + orjson.dumps(_plain(item.raw)).decode()
            if item.received is not None:  # forwarded: its own receive time and sender
                line += (
                    ',"rc":'
                    + orjson.dumps(item.received.astimezone(UTC).replace(tzinfo=None)).decode()
                )
                line += ',"sd":' + orjson.dumps(item.sender).decode()
                line += ',"tp":' + orjson.dumps(item.transport).decode()
            self.windows.append(line + "}")
            self.windows_offered[import_id] = self.windows_offered.get(import_id, 0) + 1
        elif isinstance(item, Rejected):
            self.rejected.append((import_id, item))
        else:
            self._add_event(import_id, item)
        weight = item.records if isinstance(item, Rejected) else 1
        self.records[import_id] = self.records.get(import_id, 0) + weight
        self.count += 1

    def _add_event(self, import_id: int, event: Event) -> None:
        common = event.common
        stamp: datetime | None = common.get("time")
        offset = None if stamp is None else stamp.utcoffset()
        utc = stamp
        if stamp is not None and offset is not None:
            try:
                utc = (stamp - offset).replace(tzinfo=None)
            except OverflowError:  # a time at the calendar's edge with an offset past it
                self.rejected.append(
                    (
                        import_id,
                        Rejected(
                            event.record_no,
                            event.raw.encode("utf-8", "surrogatepass"),
                            f"record {event.record_no}: time {stamp.isoformat()} is out of range "
                            "(years 1 to 9999 in UTC)",
                        ),
                    )
                )
                return
        family = schema.family_of(common.get("source"))
        out = self.events.get(family)
        if out is None:
            out = self.events[family] = bytearray()
            self.event_columns[family] = {}
        self.event_counts[family] = self.event_counts.get(family, 0) + 1
        row: dict[str, Any] = {
            MARK + "import_id": import_id,
            MARK + "record_no": event.record_no,
            MARK + "raw": event.raw,
        }
        received = common.get("received")
        if received is not None:  # forwarded messages: when the collector received each
            row[MARK + "received"] = received.astimezone(UTC).replace(tzinfo=None)
        if utc is not None:
            row[MARK + "time"] = utc
            if offset is not None:
                row[MARK + "time_offset"] = offset.days * 1440 + offset.seconds // 60
        for name, key in COMMON_KEYS:
            value = common.get(name)
            if value is not None:
                row[key] = value
        columns = self.event_columns[family]
        for name, value in event.fields.items():
            column, shadowed = _target(name)
            if shadowed is not None and str(value) == str(common.get(shadowed)):
                continue  # the same value is already in the common column
            # one spelling a batch: DuckDB's column names ignore case, its JSON keys do not
            row[columns.setdefault(column.lower(), column)] = value
        try:
            out += orjson.dumps(row)
        except (TypeError, orjson.JSONEncodeError):
            out += orjson.dumps({k: _plain(v) for k, v in row.items()})
        out += b"\n"

    def __len__(self) -> int:
        return self.count

    def size(self) -> int:
        """Bytes of the records' text, about the memory the batch holds."""
        return sum(map(len, self.events.values())) + sum(map(len, self.windows))

    def halves(self) -> tuple[Batch, Batch] | None:
        """This batch as two, each with half of its records (None for a single record).

        The ledger rows it opens go with the first half and those it closes with the
        second, so written one after the other the halves account exactly as the whole.
        """
        units = self._units()
        if len(units) < 2:
            return None
        first, second = self._of(units[: len(units) // 2]), self._of(units[len(units) // 2 :])
        first.opened, second.closed = self.opened, self.closed
        return first, second

    def quarantined(self, reason: str) -> Batch:
        """This batch (of one record) with its record quarantined for `reason`."""
        batch = Batch(received=self.received, opened=self.opened, closed=self.closed)
        for unit in self._units():
            batch.add(
                unit[1],
                unit[3] if isinstance(unit[3], Rejected) else _rejected(unit[0], unit[3], reason),
            )
        return batch

    def _units(self) -> list[tuple[str, int, str | None, Rejected | bytes | str]]:
        """(kind, import id, family, record) of every record: events, Windows, rejected."""
        units: list[tuple[str, int, str | None, Rejected | bytes | str]] = []
        for family, data in self.events.items():
            for line in bytes(data).splitlines():
                units.append(("event", orjson.loads(line)[MARK + "import_id"], family, line))
        for text in self.windows:
            match = _WINDOWS_IDS.match(text)
            units.append(("windows", int(match.group(1)) if match else 0, None, text))
        units.extend(("rejected", import_id, None, item) for import_id, item in self.rejected)
        return units

    def _of(self, units: list[tuple[str, int, str | None, Rejected | bytes | str]]) -> Batch:
        batch = Batch(received=self.received)
        for kind, import_id, family, record in units:
            if kind == "event" and family is not None and isinstance(record, bytes):
                batch.events.setdefault(family, bytearray()).extend(record + b"\n")
                batch.event_columns[family] = self.event_columns[family]
                batch.event_counts[family] = batch.event_counts.get(family, 0) + 1
            elif kind == "windows" and isinstance(record, str):
                batch.windows.append(record)
                batch.windows_offered[import_id] = batch.windows_offered.get(import_id, 0) + 1
            elif isinstance(record, Rejected):
                batch.rejected.append((import_id, record))
            batch.records[import_id] = batch.records.get(import_id, 0) + 1
            batch.count += 1
        return batch

    def empty(self) -> bool:
        return not (self.count or self.opened or self.closed)


_WINDOWS_IDS = re.compile(r'\{"i":(-?\d+),"n":(-?\d+),')


def _rejected(kind: str, record: bytes | str, reason: str) -> Rejected:
    """A batch's record that DuckDB would not take, as a quarantined record."""
    try:
        row = json.loads(record)  # the standard library's reader takes lone surrogates
    except ValueError:
        return Rejected(
            0,
            record if isinstance(record, bytes) else record.encode("utf-8", "surrogatepass"),
            reason,
        )
    if kind == "event":
        number, raw = row.get(MARK + "record_no", 0), row.get(MARK + "raw", "")
    else:  # without "r", the raw record is the event's JSON as it came: cut it out
        number, raw = row.get("n", 0), row.get("r")
        if raw is None and isinstance(record, str):
            start = record.index(',"e":') + len(',"e":')
            raw = record[start : json.JSONDecoder().raw_decode(record, start)[1]]
    text = str(raw).encode("utf-8", "surrogatepass")
    return Rejected(number, text, f"record {number}: {reason}")
