"""The common columns every event has, and how original field names become columns."""

from __future__ import annotations

import hashlib
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
    "time",
    "time_offset",
    "time_inferred",
    "host",
    "username",
    "source",
    "channel",
    "provider",
    "event_id",
    "level",
    "process",
    "pid",
    "command_line",
    "parent_process",
    "src_ip",
    "src_port",
    "dst_ip",
    "dst_port",
    "message",
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
WINDOWS_LEVELS = {
    0: "information",
    1: "critical",
    2: "error",
    3: "warning",
    4: "information",
    5: "verbose",
}
SYSLOG_SEVERITIES = {
    0: "critical",
    1: "critical",
    2: "critical",
    3: "error",
    4: "warning",
    5: "information",
    6: "information",
    7: "verbose",
}
_LEVEL_WORDS = {
    "emerg": "critical",
    "emergency": "critical",
    "alert": "critical",
    "crit": "critical",
    "critical": "critical",
    "fatal": "critical",
    "panic": "critical",
    "err": "error",
    "error": "error",
    "failure": "error",
    "warn": "warning",
    "warning": "warning",
    "notice": "information",
    "info": "information",
    "information": "information",
    "informational": "information",
    "default": "information",
    "debug": "verbose",
    "verbose": "verbose",
    "trace": "verbose",
}

MAX_FIELD_NAME = 120
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ORIG = "orig."


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
    """A field name fit to be a column name: no control characters, bounded length.

    A name that is already fit is kept as it is. Any other (empty, blank, too long, with
    control characters, lone surrogates, spaces around it or in decomposed Unicode) is
    cleaned and marked with "~" and a hash of the original, so names that clean alike still
    get columns of their own. A cleaned name is fit: cleaning it again changes nothing.
    """
    text = str(name)
    if text and len(text) <= MAX_FIELD_NAME and _fit(text):
        return text
    cleaned = unicodedata.normalize("NFC", text.encode("utf-8", "replace").decode("utf-8"))
    cleaned = _CONTROL.sub("", cleaned).strip()[: MAX_FIELD_NAME - 9].rstrip() or "field"
    digest = hashlib.blake2s(text.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    return f"{cleaned}~{digest}"


def _fit(text: str) -> bool:
    if _CONTROL.search(text) or text != text.strip():
        return False
    if text[: len(_ORIG)].lower() == _ORIG and _shadows(text[len(_ORIG) :]):
        return False  # would share a column with the original field of that common name
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return unicodedata.is_normalized("NFC", text)


def _shadows(name: str) -> bool:
    return name.lower() in COMMON_COLUMNS or name.lower() in ALIASES


def column_for_field(name: str) -> str:
    """The column an original field is stored in.

    Original fields keep their own names; one that collides (case-insensitively, as
    DuckDB compares column names) with a common column or one of its aliases is stored as
    `orig.<name>`, so both stay reachable by name. Any text is a field name: an empty,
    hostile or over-long one gets a cleaned column of its own (see clean_field_name).
    Applied to its own result, it gives the same column.
    """
    cleaned = clean_field_name(name)
    return _ORIG + cleaned if _shadows(cleaned) else cleaned


def shadowed_column(name: str) -> str | None:
    """The common column a field of this name would collide with, if any."""
    key = clean_field_name(name).lower()
    if key in COMMON_COLUMNS or key in ALIASES:
        return ALIASES.get(key, key)
    return None


def quote_ident(name: str) -> str:
    """A DuckDB identifier, quoted so any text is safe as a column name."""
    return '"' + name.replace('"', '""') + '"'


def quote_text(text: str) -> str:
    """A DuckDB string literal holding `text`, for SQL built from rules, never from events."""
    return "'" + text.replace("'", "''") + "'"
