"""osquery results logs (JSON lines) replayed into the rows each host's queries return now.

osqueryd logs a scheduled query's results either as a snapshot (`"action": "snapshot"`
with all rows in `"snapshot"`), as differential events (one line per row, `"action":
"added"` or `"removed"` with the row in `"columns"`), or as batches (`"diffResults":
{"added": [...], "removed": [...]}`). Replaying the lines in order leaves, per host and
query, the rows that were last true; a row removed and not added again is no longer known.
`HostFacts` then turns those rows into facts that name their query, line and columns.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from watchkeeper.compliance.model import Fact, FactValue, ImportProblem, InventoryError
from watchkeeper.compliance.sources.values import shown

RowKey = tuple[tuple[str, str], ...]
_DELIMITERS = ("_", "/", ":", "-")


@dataclass
class ResultRow:
    columns: dict[str, str]
    line: int  # the log line that last added it
    count: int = 1  # identical rows are counted, as osquery's diffs count them


@dataclass
class HostResults:
    """What one host's queries return now, and when each was last logged."""

    identifier: str  # osquery's hostIdentifier
    decorations: dict[str, str] = field(default_factory=dict)
    queries: dict[str, dict[RowKey, ResultRow]] = field(default_factory=dict)
    times: dict[str, datetime] = field(default_factory=dict)  # query -> last logged, UTC
    last_seen: datetime | None = None

    def rows(self, query: str) -> list[ResultRow]:
        return list(self.queries.get(query, {}).values())


class HostFacts:
    """Facts about one host, each with the query, line and columns that say so."""

    def __init__(self, host: HostResults, label: str) -> None:
        self.host = host
        self.label = label
        self.facts: dict[str, Fact] = {}

    def rows(self, query: str) -> list[ResultRow]:
        return self.host.rows(query)

    def evidence(
        self, query: str, rows: Iterable[ResultRow], columns: Iterable[str], reading: str = ""
    ) -> str:
        names = list(columns)
        by_line: dict[int, list[str]] = {}
        for row in rows:
            by_line.setdefault(row.line, []).append(
                ", ".join(
                    f"{name} = {shown(row.columns[name])}" for name in names if name in row.columns
                )
            )
        parts = [f"line {line}: " + "; ".join(values) for line, values in by_line.items()]
        sentence = (
            f"osquery log {self.label}, host {shown(self.host.identifier)}, "
            f"query {query}, {'; '.join(parts)}"
        )
        return f"{sentence} ({reading})" if reading else sentence

    def put(
        self,
        name: str,
        value: FactValue,
        query: str,
        rows: Iterable[ResultRow],
        columns: Iterable[str],
        reading: str = "",
    ) -> None:
        self.facts[name] = Fact(
            value, self.evidence(query, rows, columns, reading), self.host.times[query]
        )

    def has(self, name: str) -> bool:
        return name in self.facts


@dataclass
class LogReading:
    hosts: dict[str, HostResults]
    problems: list[ImportProblem]
    notes: list[str]


def _is_result(value: dict[str, Any]) -> bool:
    return (
        "hostIdentifier" in value
        and "name" in value
        and any(key in value for key in ("columns", "snapshot", "diffResults"))
    )


def query_of(logged: str, known: Collection[str]) -> str | None:
    """Our query behind a logged name: "os_version", "pack_watchkeeper_os_version", ..."""
    if logged in known:
        return logged
    for query in sorted(known, key=len, reverse=True):
        for delimiter in _DELIMITERS:
            if logged.startswith("pack" + delimiter) and logged.endswith(delimiter + query):
                return query
    return None


def read_results_log(
    text: str, label: str, known: Collection[str], fallback_time: datetime
) -> LogReading:
    """Replay a results log; InventoryError when it holds no result of a known query."""
    reading = LogReading({}, [], [])
    lines = text.split("\n")
    last = max((number for number, line in enumerate(lines, 1) if line.strip()), default=0)
    not_json: list[int] = []
    cut_short: int | None = None
    other_queries: dict[str, int] = {}
    results = status_lines = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            if number == last and not line.rstrip().endswith("}"):
                cut_short = number
                reading.problems.append(
                    ImportProblem(
                        "Line cut short",
                        f"{label}: line {number} is not complete JSON (the log was probably still "
                        "being written); it was skipped",
                    )
                )
            else:
                not_json.append(number)
            continue
        if not isinstance(value, dict) or not _is_result(value):
            status_lines += 1
            continue
        results += 1
        query = query_of(str(value["name"]), known)
        if query is None:
            other_queries[str(value["name"])] = other_queries.get(str(value["name"]), 0) + 1
            continue
        _replay(reading, value, query, number, fallback_time)
    if not_json:
        count = _plural(len(not_json), "line is", "lines are")
        reading.problems.append(
            ImportProblem(
                "Lines not read",
                f"{label}: {count} not JSON (the first is line {not_json[0]}); skipped",
            )
        )
    if not reading.hosts:
        if results:
            raise InventoryError(
                f"{label}: holds results of other queries only ({_listed(other_queries)}), "
                "none of the Watchkeeper pack (resources/osquery/watchkeeper-pack.conf)"
            )
        cut = f" (line {cut_short} is cut short)" if cut_short is not None else ""
        raise InventoryError(
            f"{label}: not an osquery results log: no line has "
            f"hostIdentifier, name and columns or snapshot{cut}"
        )
    if other_queries:
        queries = _plural(len(other_queries), "query", "queries")
        reading.notes.append(
            f"Results of {queries} outside the Watchkeeper pack were skipped: "
            f"{_listed(other_queries)}"
        )
    if status_lines:
        reading.notes.append(
            "Skipped "
            + _plural(
                status_lines, "line that is not a query result", "lines that are not query results"
            )
        )
    return reading


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _listed(names: dict[str, int]) -> str:
    shown = sorted(names)[:5]
    return ", ".join(shown) + (", ..." if len(names) > 5 else "")


def _replay(
    reading: LogReading, value: dict[str, Any], query: str, number: int, fallback_time: datetime
) -> None:
    identifier = str(value["hostIdentifier"])
    host = reading.hosts.setdefault(identifier, HostResults(identifier))
    decorations = value.get("decorations")
    if isinstance(decorations, dict):
        host.decorations.update({str(k): _text(v) for k, v in decorations.items()})
    stamp = _logged_time(value) or fallback_time
    rows = host.queries.setdefault(query, {})
    action = value.get("action")
    if "snapshot" in value:
        rows.clear()
        for columns in _row_list(value.get("snapshot")):
            _add(rows, columns, number)
    elif isinstance(value.get("diffResults"), dict):
        diff = value["diffResults"]
        for columns in _row_list(diff.get("removed")):
            _remove(rows, columns)
        for columns in _row_list(diff.get("added")):
            _add(rows, columns, number)
    elif isinstance(value.get("columns"), dict):
        if action == "removed":
            _remove(rows, value["columns"])
        else:
            _add(rows, value["columns"], number)
    host.times[query] = max(stamp, host.times.get(query, stamp))
    host.last_seen = stamp if host.last_seen is None else max(stamp, host.last_seen)


def _row_list(value: Any) -> list[dict[str, Any]]:
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _key(columns: dict[str, Any]) -> tuple[RowKey, dict[str, str]]:
    texts = {str(name): _text(value) for name, value in columns.items()}
    return tuple(sorted(texts.items())), texts


def _add(rows: dict[RowKey, ResultRow], columns: dict[str, Any], line: int) -> None:
    key, texts = _key(columns)
    if key in rows:
        rows[key].count += 1
        rows[key].line = line
    else:
        rows[key] = ResultRow(texts, line)


def _remove(rows: dict[RowKey, ResultRow], columns: dict[str, Any]) -> None:
    key, _ = _key(columns)
    row = rows.get(key)
    if row is None:
        return  # added before this log began
    row.count -= 1
    if row.count <= 0:
        del rows[key]


def _logged_time(value: dict[str, Any]) -> datetime | None:
    unix = value.get("unixTime")
    try:
        if unix is not None and not isinstance(unix, bool):
            return datetime.fromtimestamp(int(unix), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    calendar = value.get("calendarTime")
    if isinstance(calendar, str):
        try:  # "Mon Nov 23 14:05:00 2026 UTC"
            return datetime.strptime(calendar.strip(), "%a %b %d %H:%M:%S %Y UTC").replace(
                tzinfo=UTC
            )
        except ValueError:
            return None
    return None
