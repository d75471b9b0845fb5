"""Finding the common columns in a record's fields by their usual names (JSON, CSV)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

import orjson

from watchkeeper.core.fields import normalise_level
from watchkeeper.ingest.times import TimeOutOfRange, parse_time

# Column -> the field names that carry it, most specific first. Matched case-insensitively
# against the flat field name ('.' between nested keys).
NAMES: dict[str, tuple[str, ...]] = {
    "time": (
        "@timestamp",
        "timestamp",
        "time",
        "ts",
        "eventtime",
        "event_time",
        "datetime",
        "date (utc)",
        "date_time",
        "date and time",
        "created_at",
        "createddatetime",
        "activitydatetime",
        "creationtime",
        "timegenerated",
        "time_generated",
        "published",
        "@t",
        "logged_at",
        "date",
    ),
    "host": (
        "host",
        "hostname",
        "host.name",
        "host.hostname",
        "computer",
        "computername",
        "computer_name",
        "device",
        "devicename",
        "device_name",
        "device.name",
        "machinename",
        "machine",
        "source_host",
        "sourcehost",
    ),
    "username": (
        "username",
        "user.name",
        "user_name",
        "userprincipalname",
        "user",
        "account",
        "accountname",
        "account_name",
        "actor",
        "actor.alternateid",
        "actor.name",
        "userid",
    ),
    "message": (
        "message",
        "msg",
        "log",
        "text",
        "short_message",
        "@m",
        "full_message",
        "description",
        "data",
    ),
    "level": (
        "level",
        "severity",
        "loglevel",
        "log_level",
        "log.level",
        "levelname",
        "@l",
        "priority",
    ),
    "src_ip": (
        "src_ip",
        "source.ip",
        "srcip",
        "source_ip",
        "sourceip",
        "sourceipaddress",
        "src",
        "client_ip",
        "clientip",
        "client.ip",
        "client.ipaddress",
        "clientipaddress",
        "c-ip",
        "remote_addr",
        "remote_ip",
        "remoteip",
        "ipaddress",
        "ip_address",
        "ip address",
        "calleripaddress",
        "id.orig_h",
        "src_addr",
        "ip",
    ),
    "dst_ip": (
        "dst_ip",
        "destination.ip",
        "dstip",
        "destination_ip",
        "dest_ip",
        "destip",
        "dst",
        "server_ip",
        "server.ip",
        "s-ip",
        "id.resp_h",
        "dst_addr",
    ),
    "src_port": (
        "src_port",
        "source.port",
        "srcport",
        "source_port",
        "sport",
        "client_port",
        "client.port",
        "remote_port",
        "id.orig_p",
    ),
    "dst_port": (
        "dst_port",
        "destination.port",
        "dstport",
        "destination_port",
        "dest_port",
        "dport",
        "server_port",
        "server.port",
        "s-port",
        "id.resp_p",
    ),
    "process": (
        "process",
        "process.name",
        "program",
        "app",
        "application",
        "process_name",
        "processname",
        "proc",
        "comm",
        "image",
        "process.executable",
        "exe",
    ),
    "pid": ("pid", "process.pid", "process_id", "processid"),
    "event_id": (
        "event_id",
        "eventid",
        "event.code",
        "eventcode",
        "event_code",
        "event id",
        "winlog.event_id",
    ),
    "command_line": ("command_line", "commandline", "process.command_line", "cmdline", "cmd"),
    "parent_process": (
        "parent_process",
        "parentimage",
        "parent_image",
        "process.parent.name",
        "process.parent.executable",
    ),
    "channel": ("channel", "logname", "log_name", "winlog.channel"),
    "provider": (
        "provider",
        "providername",
        "provider_name",
        "source_name",
        "sourcename",
        "event.provider",
        "winlog.provider_name",
        "tag",
    ),
}

_TABLE: dict[str, tuple[str, int]] = {
    name: (column, rank) for column, names in NAMES.items() for rank, name in enumerate(names)
}
_PORT_COLUMNS = frozenset({"src_port", "dst_port"})
_EMPTY = frozenset({"", "-", "{}", "[]"})  # an empty JSON object or list says nothing
_MISS = object()
_CACHE_LIMIT = 4096


class FieldMapper:
    """The common columns of a record, found among its fields by the names in NAMES.

    Field names repeat from record to record, so each name's lookup is remembered.
    """

    def __init__(self, zone: tzinfo, *, day_first: bool = True) -> None:
        self.zone = zone
        self.day_first = day_first
        self._cache: dict[str, tuple[str, int] | None] = {}
        self._plans: dict[tuple[str, ...], list[tuple[str, list[str]]]] = {}

    def column_of(self, name: str) -> tuple[str, int] | None:
        """(column, rank) a field name maps to; a lower rank is a better match."""
        hit = self._cache.get(name, _MISS)
        if hit is _MISS:
            hit = _TABLE.get(name.strip().lower())
            if len(self._cache) < _CACHE_LIMIT:
                self._cache[name] = hit
        return hit  # type: ignore[return-value]

    def time_fields(self, names: list[str]) -> list[str]:
        """The names among `names` that may hold the time, best first."""
        found = [
            (hit[1], name)
            for name in names
            if (hit := self.column_of(name)) is not None and hit[0] == "time"
        ]
        return [name for _, name in sorted(found)]

    def common(
        self, fields: Mapping[str, Any], source: str, lists: frozenset[str] | set[str] = frozenset()
    ) -> dict[str, Any]:
        """The common columns found in `fields`, with `source` set.

        Raises TimeOutOfRange when the record's only time is one that cannot be stored.

        `lists` names the fields that were JSON lists: in a text column their items are
        joined with spaces (an Android security event's `data`, say).
        """
        names = tuple(fields)
        plan = self._plans.get(names)
        if plan is None:
            plan = self._plan(names)
            if len(self._plans) < _CACHE_LIMIT:
                self._plans[names] = plan
        common: dict[str, Any] = {"source": source}
        impossible: TimeOutOfRange | None = None
        for column, candidates in plan:
            for name in candidates:
                try:
                    if self._fill(column, fields[name], common, name in lists):
                        break
                except TimeOutOfRange as error:
                    impossible = impossible or error
        if "time" not in common:
            if impossible is not None:  # a record whose only time cannot be: quarantined
                raise impossible
            common["time_inferred"] = "missing"
        return common

    def _plan(self, names: tuple[str, ...]) -> list[tuple[str, list[str]]]:
        """For a set of field names: each column found, with its candidate names best first.

        Records of one source share their names, so the plan is made once per shape.
        """
        candidates: dict[str, list[tuple[int, str]]] = {}
        for name in names:
            hit = self.column_of(name)
            if hit is not None:
                candidates.setdefault(hit[0], []).append((hit[1], name))
        return [
            (column, [name for _, name in sorted(found)]) for column, found in candidates.items()
        ]

    def _fill(self, column: str, value: Any, common: dict[str, Any], is_list: bool) -> bool:
        if value is None or isinstance(value, bool):
            return False
        if column == "time":
            stamp, inferred = parse_time(value, self.zone, day_first=self.day_first)
            if stamp is None:
                return False
            common["time"] = stamp
            if inferred:
                common["time_inferred"] = "zone"
            return True
        if column in ("pid", "event_id") or column in _PORT_COLUMNS:
            number = _as_int(value)
            if number is None or number < 0:
                return False
            if column in _PORT_COLUMNS and number > 65535:
                return False
            if column == "event_id" and number >= 1 << 31:
                return False
            common[column] = number
            return True
        if column == "level":
            level = normalise_level(str(value))
            if level is None:
                return False
            common["level"] = level
            return True
        text = _joined_list(value) if is_list else _text(value)
        if text is None:
            return False
        common[column] = text
        return True


def _as_int(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        return int(text)
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        text = value.strip()
        return None if text in _EMPTY else text
    return str(value)


def _joined_list(value: Any) -> str | None:
    """A JSON list of plain values as its items joined with spaces; other lists as they are."""
    try:
        items = orjson.loads(value)
    except (orjson.JSONDecodeError, TypeError):
        return _text(value)
    if not items:
        return None
    if isinstance(items, list) and all(isinstance(item, str | int | float) for item in items):
        return " ".join(str(item) for item in items)
    return _text(value)
