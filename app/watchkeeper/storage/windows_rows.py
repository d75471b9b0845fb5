"""Windows events in EVTX JSON shape turned into rows by one SQL projection.

EVTX files, Event Viewer XML, evtx_dump JSON, Winlogbeat and NXLog all arrive in the JSON
shape the `evtx` parser writes. DuckDB reads a batch of them, finds the EventData and
UserData names it holds, and fills the common columns and one column per original field,
without the rows passing through Python one by one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from watchkeeper.core.fields import WINDOWS_LEVELS, column_for_field, quote_ident, quote_text
from watchkeeper.storage import archive
from watchkeeper.storage.schema import event_table
from watchkeeper.storage.store import Store
from watchkeeper.storage.windows_messages import message_sql, templated_sql

STAGE = "wk_windows"
TABLE = event_table("windows")

# The first non-empty EventData or UserData field of each list fills the common column.
COMMON_FROM_DATA: dict[str, tuple[str, ...]] = {
    "username": ("TargetUserName", "User", "SubjectUserName", "AccountName", "UserName", "UserID"),
    "process": ("Image", "NewProcessName", "ProcessName", "Application", "HostApplication"),
    "command_line": ("CommandLine", "ProcessCommandLine"),
    "parent_process": ("ParentImage", "ParentProcessName"),
    "pid": ("ProcessId", "NewProcessId", "ProcessID"),
    "src_ip": ("IpAddress", "SourceIp", "SourceAddress", "ClientAddress", "Address"),
    "src_port": ("IpPort", "SourcePort"),
    "dst_ip": ("DestinationIp", "DestAddress", "DestinationAddress"),
    "dst_port": ("DestinationPort", "DestPort"),
    "message": ("Message", "ScriptBlockText", "Payload"),
}
_NUMBERS = {"pid": "BIGINT", "src_port": "INTEGER", "dst_port": "INTEGER"}
# The level column from System/Level, by the one table of Windows level names.
_LEVEL_SQL = (
    "CASE trim(ev0.System.Level) "
    + " ".join(f"WHEN '{number}' THEN '{name}'" for number, name in WINDOWS_LEVELS.items())
    + " END"
)

# System fields kept under the names Sigma tools give them; Channel, Computer, EventID,
# Provider Name and TimeCreated fill the channel, host, event_id, provider and time columns.
SYSTEM_FIELDS: dict[str, tuple[str, ...]] = {
    "Version": ("Version",),
    "Level": ("Level",),
    "Task": ("Task",),
    "Opcode": ("Opcode",),
    "Keywords": ("Keywords",),
    "EventRecordID": ("EventRecordID",),
    "Provider_Guid": ("Provider", "#attributes", "Guid"),
    "Provider_EventSourceName": ("Provider", "#attributes", "EventSourceName"),
    "Correlation_ActivityID": ("Correlation", "#attributes", "ActivityID"),
    "Correlation_RelatedActivityID": ("Correlation", "#attributes", "RelatedActivityID"),
    "Execution_ProcessID": ("Execution", "#attributes", "ProcessID"),
    "Execution_ThreadID": ("Execution", "#attributes", "ThreadID"),
    "Execution_ProcessorID": ("Execution", "#attributes", "ProcessorID"),
    "Execution_SessionID": ("Execution", "#attributes", "SessionID"),
    "Execution_KernelTime": ("Execution", "#attributes", "KernelTime"),
    "Execution_UserTime": ("Execution", "#attributes", "UserTime"),
    "Security_UserID": ("Security", "#attributes", "UserID"),
}
_ZONE_FLAG = "EventTimeZoneInferred"  # set by the NXLog parser: its times carry no zone
_NOT_SHOWN = {"data", "binary", _ZONE_FLAG.lower()}  # in messages: Data is shown as its text

# Every DuckDB JSON function in a query keeps a working area of its own, so a few hundred
# of them exhaust memory; all fields therefore come out of one json_transform per spelling.


def stage(con: duckdb.DuckDBPyConnection, batch_file: Path) -> None:
    """Read a batch file of lines {"i": import id, "n": record no, "s": source, "e": event,
    "r": raw when it is not the event itself; for forwarded events "rc" received, "sd" sender,
    "tp" transport} into a temporary table."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT *, md5_number(e::VARCHAR) AS k "
        "FROM read_json(?, "
        "format = 'newline_delimited', maximum_object_size = 16777216, "
        "columns = {'i': 'INTEGER', 'n': 'BIGINT', 's': 'VARCHAR', 'r': 'VARCHAR', 'e': 'JSON', "
        "'rc': 'TIMESTAMP', 'sd': 'VARCHAR', 'tp': 'VARCHAR'})",
        [str(batch_file)],
    )


def _names(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[str, str]]]:
    """The EventData names, and the (element, name) pairs under UserData, in this batch.

    Names come in the order events list them (by their earliest place in any event), which
    is the order the composed messages show them in.
    """
    in_order = (
        "SELECT k FROM (SELECT unnest(keys) AS k, unnest(range(len(keys))) AS place "
        f"FROM (SELECT json_keys(e, ?) AS keys FROM {STAGE})) "
        "GROUP BY k ORDER BY min(place), k"
    )
    data = [row[0] for row in con.execute(in_order, ["$.Event.EventData"]).fetchall()]
    elements = [
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT unnest(json_keys(e, '$.Event.UserData')) FROM {STAGE}"
        ).fetchall()
    ]
    user: list[tuple[str, str]] = []
    for element in elements:
        path = "$.Event.UserData." + json.dumps(element)
        user.extend((element, row[0]) for row in con.execute(in_order, [path]).fetchall())
    return [n for n in data if n != "#attributes"], [p for p in user if p[1] != "#attributes"]


def _kinds(con: duckdb.DuckDBPyConnection) -> set[tuple[str, int]]:
    """The (channel, event id) pairs of the staged events."""
    rows = con.execute(
        "SELECT DISTINCT p[1], coalesce(p[3], p[2]) FROM (SELECT json_extract_string(e, "
        "['$.Event.System.Channel', '$.Event.System.EventID', '$.Event.System.EventID.\"#text\"'])"
        f" AS p FROM {STAGE})"
    ).fetchall()
    return {
        (channel, int(number))
        for channel, number in rows
        if channel is not None and number is not None and number.isdigit()
    }


class _Layout:
    """The json_transform structures for a batch, and the SQL for each field's text."""

    def __init__(self, data: list[str], user: list[tuple[str, str]]) -> None:
        # spellings[k] holds the k-th spelling of each name (DuckDB's struct fields ignore
        # case, so two spellings of one name need two structures)
        spellings: list[dict[str, str]] = [{}]
        for name in data:
            for level in spellings:
                if name.lower() not in level:
                    level[name.lower()] = name
                    break
            else:
                spellings.append({name.lower(): name})
        self.spellings = spellings
        self.user = user
        fields: dict[str, list[str]] = {}
        for index, level in enumerate(spellings):
            for lower, name in level.items():
                first = spellings[0][lower]
                fields.setdefault(first, []).append(f"ev{index}.EventData.{quote_ident(name)}")
        elements: dict[str, list[str]] = {}
        for element, name in user:
            elements.setdefault(element, []).append(name)
        for element, names in elements.items():
            for name in dict.fromkeys(n.lower() for n in names):
                spelled = next(n for n in names if n.lower() == name)
                key = next((k for k in fields if k.lower() == name), spelled)
                fields.setdefault(key, []).append(
                    f"ev0.UserData.{quote_ident(element)}.{quote_ident(spelled)}"
                )
        # Unnamed <Data> elements come as {"#text": text or [texts]}: Data is their text, one
        # value a line, as Event Viewer lists them (and not that object as JSON text)
        for parts in fields.values():
            parts[:] = [
                _data_text(part) if part.lower().endswith('eventdata."data"') else part
                for part in parts
            ]
        # EventData that is not an object (bare text or a list of unnamed Data) is kept as Data
        bare = (
            "CASE WHEN json_type(w.e, '$.Event.EventData') NOT IN ('OBJECT', 'NULL') "
            "THEN json_extract_string(w.e, '$.Event.EventData') END"
        )
        key = next((k for k in fields if k.lower() == "data"), "Data")
        fields.setdefault(key, []).append(bare)
        # the event's own fields, in order, for composed messages: no second spellings
        self.own = [name for name in fields if name.lower() not in _NOT_SHOWN]
        # Some providers (Windows Defender) name their data "Threat Name", "New Value"; Sigma
        # rules and other tools spell those ThreatName, NewValue: store both spellings
        known = {column_for_field(name).lower() for name in fields}
        for name in list(fields):
            joined = name.replace(" ", "")
            if joined != name and joined and column_for_field(joined).lower() not in known:
                known.add(column_for_field(joined).lower())
                fields[joined] = fields[name]
        self.fields = {
            name: parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
            for name, parts in fields.items()
        }
        self._user_shape: dict[str, dict[str, str]] = {}
        for element, names in elements.items():
            shape = self._user_shape.setdefault(element, {})
            for name in names:
                shape.setdefault(name.lower(), name)

    def structures(self) -> list[str]:
        """One json_transform structure per spelling level; the first has System, UserData."""
        system: dict[str, Any] = {
            "Provider": {
                "#attributes": {"Name": "VARCHAR", "Guid": "VARCHAR", "EventSourceName": "VARCHAR"}
            },
            "EventID": "JSON",
            "Channel": "VARCHAR",
            "Computer": "VARCHAR",
            "TimeCreated": {"#attributes": {"SystemTime": "VARCHAR"}},
        }
        for keys in SYSTEM_FIELDS.values():
            node = system
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node.setdefault(keys[-1], "VARCHAR")
        result = []
        for index, level in enumerate(self.spellings):
            # DuckDB refuses an empty object in a structure: a batch without EventData names
            # (System 6005/6006 only) leaves it out
            event: dict[str, Any] = {}
            if level:
                event["EventData"] = {
                    name: "JSON" if name.lower() == "data" else "VARCHAR" for name in level.values()
                }
            if index == 0:
                event["System"] = system
                user = {
                    element: {name: "VARCHAR" for name in names.values()}
                    for element, names in self._user_shape.items()
                    if names
                }
                if user:
                    event["UserData"] = user
            result.append(json.dumps({"Event": event}))
        return result

    def system(self, name: str) -> str:
        return "ev0.System." + ".".join(quote_ident(k) for k in SYSTEM_FIELDS[name])


def _data_text(value: str) -> str:
    """SQL for the text of Data (typed JSON): its text, or its texts one a line."""
    text = f"json_extract_string({value}, '$.\"#text\"')"
    texts = f"array_to_string(json_extract_string({value}, '$.\"#text\"[*]'), chr(10))"
    return (
        f"CASE WHEN json_type({value}) <> 'OBJECT' THEN json_extract_string({value}, '$') "
        f"WHEN json_type({value}, '$.\"#text\"') = 'ARRAY' THEN {texts} ELSE {text} END"
    )


def _first_of(fields: dict[str, str], names: Iterable[str]) -> str | None:
    lower = {k.lower(): v for k, v in fields.items()}
    parts = [f"nullif(nullif({lower[n.lower()]}, '-'), '')" for n in names if n.lower() in lower]
    return f"coalesce({', '.join(parts)})" if parts else None


def _number(expression: str, kind: str) -> str:
    """Decimal or 0x-hex text to a number; anything else NULL."""
    return f"TRY_CAST(trim({expression}) AS {kind})"


def insert(
    store: Store, con: duckdb.DuckDBPyConnection, first_id: int, received: datetime
) -> tuple[dict[int, int], list[str]]:
    """Insert the staged events, each exact copy once; returns rows stored per import id and
    the field names over the column limit."""
    layout = _Layout(*_names(con))
    fields = dict(layout.fields)
    zone = fields.pop(_ZONE_FLAG, None)
    merged = _original_fields(con, layout, fields)
    columns = {name: column_for_field(name) for name in merged}
    over = store.add_columns(con, TABLE, list(dict.fromkeys(columns.values())))
    select = _common_columns(layout, fields, zone)
    targets = [quote_ident(name) for name in select]
    values = list(select.values())
    last = {column.lower(): name for name, column in columns.items()}  # one name a column
    for name, expression in merged.items():
        column = columns[name]
        if column in over or last[column.lower()] != name:
            continue
        targets.append(quote_ident(store.table_columns(TABLE)[column.lower()]))
        values.append(expression)
    transforms = ", ".join(
        f"struct_extract(json_transform(e, {quote_text(structure)}), 'Event') AS ev{index}"
        for index, structure in enumerate(layout.structures())
    )
    # Exact copies (same JSON, so same computer, channel, record id and content) are stored
    # once, archived ones included; a stored copy can only have the same record number, so
    # the check reads only that range of the table.
    bounds = con.execute(f"SELECT min(n), max(n) FROM {STAGE}").fetchall()[0]
    stored = archive.relation(store, TABLE)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE}_keep AS SELECT rowid AS row FROM {STAGE} "
        "QUALIFY row_number() OVER (PARTITION BY k ORDER BY i, n) = 1 AND k NOT IN ("
        f"SELECT dedup_key FROM {stored} WHERE dedup_key IS NOT NULL AND record_no BETWEEN ? AND ?)",
        list(bounds),
    )
    con.execute(
        f"INSERT INTO {TABLE} ({', '.join(targets)}) SELECT {', '.join(values)} FROM ("
        f"SELECT *, {_templated_message(con, fields, select)} AS wk_message FROM "
        f"(SELECT *, {transforms} FROM {STAGE} "
        f"WHERE rowid IN (SELECT row FROM {STAGE}_keep)) AS w) AS w",
        [first_id, received],
    )
    con.execute(f"DROP TABLE {STAGE}_keep")
    con.execute(f"DROP TABLE {STAGE}")
    return stored_since(con, first_id), sorted(over)


def _original_fields(
    con: duckdb.DuckDBPyConnection, layout: _Layout, fields: dict[str, str]
) -> dict[str, str]:
    """Every original field (EventData first, then System) with the SQL that reads it."""
    merged = dict(fields)
    lower = {name.lower(): name for name in fields}
    for name in SYSTEM_FIELDS:
        system = layout.system(name)
        if name.lower() in lower:  # EventData has a field of the same name: it comes first
            own = lower[name.lower()]
            merged[own] = f"coalesce({merged[own]}, {system})"
        else:
            merged[name] = system
    forwarded = con.execute(f"SELECT count(sd) FROM {STAGE}").fetchall()[0][0]
    if forwarded:  # the sender and transport of forwarded events, as original fields
        merged.setdefault("sender", "w.sd")
        merged.setdefault("transport", "w.tp")
    return merged


def _common_columns(layout: _Layout, fields: dict[str, str], zone: str | None) -> dict[str, str]:
    """The common columns of a Windows event, each with the SQL that fills it."""
    select: dict[str, str] = {
        "id": "? + row_number() OVER ()",
        "time": "TRY_CAST(rtrim(ev0.System.TimeCreated.\"#attributes\".SystemTime, 'Zz') AS TIMESTAMP)",
        "time_offset": 'CASE WHEN ev0.System.TimeCreated."#attributes".SystemTime IS NOT NULL '
        "THEN 0 END",
        "received": "coalesce(w.rc, ?::TIMESTAMP)",
        "host": "ev0.System.Computer",
        "source": "w.s",
        "channel": "ev0.System.Channel",
        "provider": 'ev0.System.Provider."#attributes".Name',
        "event_id": "coalesce(TRY_CAST(json_extract_string(ev0.System.EventID, '$') AS INTEGER), "
        "TRY_CAST(json_extract_string(ev0.System.EventID, '$.\"#text\"') AS INTEGER))",
        "level": _LEVEL_SQL,
        "import_id": "w.i",
        "record_no": "w.n",
        "dedup_key": "w.k",
        "raw": "coalesce(w.r, w.e::VARCHAR)",
    }
    inferred = "CASE WHEN ev0.System.TimeCreated.\"#attributes\".SystemTime IS NULL THEN 'missing'"
    if zone:
        inferred += f" WHEN {zone} = 'true' THEN 'zone'"
    select["time_inferred"] = inferred + " END"
    for common, names in COMMON_FROM_DATA.items():
        expression = _first_of(fields, names)
        if expression is not None:
            select[common] = (
                _number(expression, _NUMBERS[common]) if common in _NUMBERS else expression
            )
    by_name = {name.lower(): expression for name, expression in fields.items()}
    composed = message_sql(
        "w.wk_message",
        select["provider"],
        select["event_id"],
        [(name, layout.fields[name]) for name in layout.own],
        by_name.get("data"),
    )
    select["message"] = (
        f"coalesce({select['message']}, {composed})" if "message" in select else composed
    )
    return select


def _templated_message(
    con: duckdb.DuckDBPyConnection, fields: dict[str, str], select: dict[str, str]
) -> str:
    """The SQL of the message templates this batch's channels and event ids need."""
    by_name = {name.lower(): expression for name, expression in fields.items()}
    return templated_sql(
        select["channel"], select["event_id"], lambda name: by_name.get(name.lower()), _kinds(con)
    )


def stored_since(con: duckdb.DuckDBPyConnection, first_id: int) -> dict[int, int]:
    """Rows stored per import id with ids above `first_id`."""
    rows = con.execute(
        f"SELECT import_id, count(*) FROM {TABLE} WHERE id > ? GROUP BY 1", [first_id]
    ).fetchall()
    return {int(r[0]): int(r[1]) for r in rows}
