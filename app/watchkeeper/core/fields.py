"""The common columns every event has, and how original field names become columns."""

from __future__ import annotations

import re
import unicodedata

# name -> DuckDB type. Order is the table's column order.
COMMON_COLUMNS: dict[str, str] = {
    "id": "BIGINT",
    "time": "TIMESTAMP",  # event time in UTC
    "time_offset": "SMALLINT",  # the original UTC offset in minutes, when the source gave one
    "time_inferred": "VARCHAR",  # what was guessed: 'year', 'zone', 'year,zone', 'missing'
    "received": "TIMESTAMP",  # when Watchkeeper read or received it, UTC
    "host": "VARCHAR",
    "username": "VARCHAR",
    "source": "VARCHAR",  # source type: evtx, syslog, journald, auditd, ...
    "channel": "VARCHAR",
    "provider": "VARCHAR",
    "event_id": "INTEGER",
    "level": "VARCHAR",
    "process": "VARCHAR",
    "pid": "BIGINT",
    "command_line": "VARCHAR",
    "parent_process": "VARCHAR",
    "src_ip": "VARCHAR",
    "src_port": "INTEGER",
    "dst_ip": "VARCHAR",
    "dst_port": "INTEGER",
    "message": "VARCHAR",
    "import_id": "INTEGER",  # the import ledger row (file) or sender the event came from
    "record_no": "BIGINT",  # record number or line number within that file
    "dedup_key": "UHUGEINT",  # content hash for sources whose exact copies are one event
    "raw": "VARCHAR",  # the original record
}

# Columns a parser may fill; the rest are the store's own bookkeeping.
PARSED_COLUMNS: tuple[str, ...] = (
    "time", "time_offset", "time_inferred", "host", "username", "source", "channel",
    "provider", "event_id", "level", "process", "pid", "command_line", "parent_process",
    "src_ip", "src_port", "dst_ip", "dst_port", "message",
)

INTEGER_COLUMNS = frozenset(
    name for name, kind in COMMON_COLUMNS.items() if kind in {"INTEGER", "BIGINT", "SMALLINT"}
)

# Names people type in filters for the common columns. Original field names such as
# Image or CommandLine are not aliases: they name the original fields.
ALIASES: dict[str, str] = {
    "user": "username",
    "computer": "host",
    "hostname": "host",
    "eventid": "event_id",
    "event.code": "event_id",
    "msg": "message",
    "src": "src_ip",
    "dst": "dst_ip",
    "timestamp": "time",
    "provider_name": "provider",
    "sourcename": "provider",
}

LEVELS = ("critical", "error", "warning", "information", "verbose")

# Windows Level numbers and syslog severities to our level names.
WINDOWS_LEVELS = {0: "information", 1: "critical", 2: "error", 3: "warning", 4: "information", 5: "verbose"}
SYSLOG_SEVERITIES = {
    0: "critical", 1: "critical", 2: "critical", 3: "error",
    4: "warning", 5: "information", 6: "information", 7: "verbose",
}
_LEVEL_WORDS = {
    "emerg": "critical", "emergency": "critical", "alert": "critical", "crit": "critical",
    "critical": "critical", "fatal": "critical", "panic": "critical",
    "err": "error", "error": "error", "failure": "error",
    "warn": "warning", "warning": "warning",
    "notice": "information", "info": "information", "information": "information",
    "informational": "information", "default": "information",
    "debug": "verbose", "verbose": "verbose", "trace": "verbose",
}

MAX_FIELD_NAME = 120
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalise_level(value: object) -> str | None:
    """Map a level word, syslog severity or Windows level number to one of LEVELS."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return WINDOWS_LEVELS.get(value)
    text = str(value).strip().lower()
    if text.isdigit():
        return SYSLOG_SEVERITIES.get(int(text))
    return _LEVEL_WORDS.get(text)


def clean_field_name(name: str) -> str:
    """A field name fit to be a column name: no control characters, bounded length."""
    cleaned = _CONTROL.sub("", unicodedata.normalize("NFC", str(name))).strip()
    return cleaned[:MAX_FIELD_NAME] or "field"


def column_for_field(name: str) -> str:
    """The column an original field is stored in.

    Original fields keep their own names; one that collides (case-insensitively, as
    DuckDB compares column names) with a common column or one of its aliases is stored as
    `orig.<name>`, so both stay reachable by name.
    """
    cleaned = clean_field_name(name)
    if cleaned.lower() in COMMON_COLUMNS or cleaned.lower() in ALIASES:
        return f"orig.{cleaned}"
    return cleaned


def quote_ident(name: str) -> str:
    """A DuckDB identifier, quoted so any text is safe as a column name."""
    return '"' + name.replace('"', '""') + '"'


def quote_text(text: str) -> str:
    """A DuckDB string literal holding `text`, for SQL built from rules, never from events."""
    return "'" + text.replace("'", "''") + "'"
