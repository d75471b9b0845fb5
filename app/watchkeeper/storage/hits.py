"""Rule hits in the store: saving them once, reading them grouped by rule, and suppressions.

A hit is one rule matching one event (a correlation rule's hit is each event of the group
that met its condition, sharing a group key). Suppressions hide hits without deleting them,
so undoing one brings its hits back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watchkeeper.core.attack import tactic_tags, tactics, techniques
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.fields import quote_ident
from watchkeeper.core.progress import Progress
from watchkeeper.storage import schema
from watchkeeper.storage.detections import group_hits
from watchkeeper.storage.store import Store

SUPPRESSION_KINDS = ("rule", "host", "user", "field")
# In the meta table: the highest event id detection has run over. It is committed in the same
# transaction as the hits of that run, so a run stopped at any point leaves its events unseen.
DETECTED_UP_TO = "detect_last_id"
SAVE_SLICE = 5_000
# What a new user sees first: rules that are stable or being tested, of high or critical level.
DEFAULT_LEVELS = ("high", "critical")
DEFAULT_STATUSES = ("stable", "test")


@dataclass
class RuleHits:
    rule_id: str
    title: str
    level: str
    status: str
    tags: list[str]
    count: int
    hosts: list[str]
    users: list[str]
    first: datetime | None
    last: datetime | None
    groups: int = 0  # correlation rules: groups that met the condition

    @property
    def tactics(self) -> list[str]:
        return tactics(self.tags)

    @property
    def techniques(self) -> list[str]:
        return techniques(self.tags)


@dataclass
class HitFilter:
    levels: Sequence[str] = ()  # empty: every level
    statuses: Sequence[str] = ()
    tactic: str = ""
    host: str = ""
    show_suppressed: bool = False


WHAT_MATTERS = HitFilter(levels=DEFAULT_LEVELS, statuses=DEFAULT_STATUSES)


@dataclass
class Suppression:
    id: int
    rule_id: str
    kind: str
    field: str | None
    value: str | None
    reason: str
    created: datetime
    title: str = ""

    def describe(self) -> str:
        if self.kind == "rule":
            return "rule disabled"
        if self.kind == "field":
            return f"{self.field} = {self.value}"
        return f"{self.kind} {self.value}"


@dataclass
class RuleRow:
    """A rule's description as stored beside its hits."""

    rule_id: str
    title: str
    level: str = ""
    status: str = ""
    tags: list[str] = field(default_factory=list)
    description: str = ""
    references: list[str] = field(default_factory=list)
    falsepositives: list[str] = field(default_factory=list)
    author: str = ""
    path: str = ""
    kind: str = "event"
    yaml: str = ""
    per_user: bool = False  # its detections are one per user too (storage.detections)


# saving --------------------------------------------------------------------------------


def save(
    store: Store,
    rules: Iterable[RuleRow],
    found: Sequence[tuple[str, int, str | None]],
    tables: Sequence[str],
) -> int:
    """Store the rules that hit and their (rule id, event id, group key) rows; a hit that is
    already stored is kept as it is. Returns how many hits are new."""
    if not found:
        return 0
    with store.write_lock:
        con = store.cursor()
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE wk_found (r VARCHAR, e BIGINT, g VARCHAR)")
            for start in range(0, len(found), SAVE_SLICE):
                chunk = found[start : start + SAVE_SLICE]
                con.execute(
                    "INSERT INTO wk_found SELECT unnest(?::VARCHAR[]), "
                    "unnest(?::BIGINT[]), unnest(?::VARCHAR[])",
                    [[f[0] for f in chunk], [f[1] for f in chunk], [f[2] for f in chunk]],
                )
            with store.transaction(con):
                return _save(con, list(rules), "wk_found", tables)
        finally:
            con.close()


def save_from(
    store: Store,
    rules: Iterable[RuleRow],
    found_table: str,
    tables: Sequence[str],
    replace: bool = False,
    keep: Collection[str] = (),
    meta: Mapping[str, str] | None = None,
) -> int:
    """As `save`, with the (r, e, g) rows already in a table: nothing passes through Python,
    so a window's thread is not held up while a large hunt is saved. With `replace` (a hunt
    over all events), the hits stored before are forgotten, except those of the rules in
    `keep`; `meta` is written in the same transaction: all of it is stored, or nothing."""
    with store.transaction() as con:
        return _save(con, list(rules), found_table, tables, replace, keep, meta or {})


def _save(
    con: Any,
    rows: list[RuleRow],
    source: str,
    tables: Sequence[str],
    replace: bool = False,
    keep: Collection[str] = (),
    meta: Mapping[str, str] | None = None,
) -> int:
    """The writing of `save` and `save_from`, inside the caller's transaction."""
    if replace:
        # a hit found again stays as it is, with its detection (and so its triage state)
        con.execute(
            f"DELETE FROM hits WHERE NOT list_contains(?::VARCHAR[], rule_id) AND NOT EXISTS "
            f"(SELECT 1 FROM {source} f WHERE f.r = hits.rule_id AND f.e = hits.event)",
            [sorted(keep)],
        )
    before = con.execute(
        "SELECT count(*) FROM hits"
        + (
            f" WHERE NOT EXISTS (SELECT 1 FROM {source} f WHERE f.r = rule_id AND f.e = event)"
            if replace
            else ""
        )
    ).fetchone()[0]
    for table in tables:
        con.execute(
            f"INSERT INTO hits SELECT f.r, f.e, t.time, t.host, t.username, f.g, now(), NULL "
            f"FROM {source} f JOIN {table} t ON t.id = f.e "
            f"WHERE t.id BETWEEN (SELECT min(e) FROM {source}) AND "
            f"(SELECT max(e) FROM {source}) ON CONFLICT DO NOTHING"
        )
    after = con.execute("SELECT count(*) FROM hits").fetchone()[0]
    # one statement for many rules: each statement costs milliseconds here
    for start in range(0, len(rows), 200):
        part = rows[start : start + 200]
        values = ", ".join(
            ["(?, ?, ?, ?, ?::VARCHAR[], ?, ?::VARCHAR[], ?::VARCHAR[], ?, ?, ?, ?, ?)"] * len(part)
        )
        con.execute(
            f"INSERT OR REPLACE INTO detection_rules VALUES {values}",
            [
                value
                for rule in part
                for value in (
                    rule.rule_id,
                    rule.title,
                    rule.level,
                    rule.status,
                    rule.tags,
                    rule.description,
                    rule.references,
                    rule.falsepositives,
                    rule.author,
                    rule.path,
                    rule.kind,
                    rule.yaml,
                    rule.per_user,
                )
            ],
        )
    group_hits(con, refresh=replace)
    for key, value in (meta or {}).items():
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])
    return int(after - before)


def get_meta(store: Store, key: str) -> str | None:
    row = store.fetch_one("SELECT value FROM meta WHERE key = ?", [key])
    return None if row is None else str(row[0])


def rules_under(store: Store, folder: str) -> set[str]:
    """The ids of stored rules whose file was in `folder` (or below it)."""
    inside = folder.rstrip("/\\")
    rows = store.fetch_all(
        "SELECT rule_id FROM detection_rules WHERE starts_with(path, ?) OR starts_with(path, ?)",
        [inside + "/", inside + "\\"],
    )
    return {str(row[0]) for row in rows}


def unseen_events(store: Store) -> bool:
    """Whether the store holds events detection has not run over yet (stored since its last
    run, or before a run that was stopped)."""
    row = store.fetch_one(
        f"SELECT ({schema.TOP_ID}) > coalesce((SELECT TRY_CAST(value AS "
        "BIGINT) FROM meta WHERE key = ?), 0)",
        [DETECTED_UP_TO],
    )
    return bool(row and row[0])


def set_meta(store: Store, key: str, value: str) -> None:
    with store.write_lock:
        con = store.cursor()
        try:
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])
        finally:
            con.close()


# reading -------------------------------------------------------------------------------


def _visible(store: Store) -> tuple[str, list[Any]]:
    """SQL for the hits no suppression hides, and its parameters."""
    suppressions = list_suppressions(store)
    params: list[Any] = []
    parts = [
        "SELECT * FROM hits h WHERE NOT EXISTS (SELECT 1 FROM suppressions s "
        "WHERE s.rule_id = h.rule_id AND (s.kind = 'rule' "
        "OR (s.kind = 'host' AND lower(h.host) = lower(s.value)) "
        "OR (s.kind = 'user' AND lower(h.username) = lower(s.value))))"
    ]
    for item in suppressions:
        if item.kind != "field" or item.field is None:
            continue
        column = store.resolve(item.field)
        if column is None:
            continue
        parts.append(
            f"AND NOT (h.rule_id = ? AND h.event IN (SELECT id FROM events WHERE "
            f"lower(CAST({quote_ident(column)} AS VARCHAR)) = lower(?)))"
        )
        params += [item.rule_id, item.value]
    return " ".join(parts), params


def rule_hits(
    store: Store, where: HitFilter = WHAT_MATTERS, progress: Progress | None = None
) -> list[RuleHits]:
    """Hits grouped by rule, most severe and most recent first."""
    source, params = ("SELECT * FROM hits", []) if where.show_suppressed else _visible(store)
    conditions: list[str] = []
    if where.levels:
        conditions.append("list_contains(?, r.level)")
        params.append(list(where.levels))
    if where.statuses:
        conditions.append("list_contains(?, r.status)")
        params.append(list(where.statuses))
    if where.tactic:
        conditions.append("(list_contains(r.tags, ?) OR list_contains(r.tags, ?))")
        params += tactic_tags(where.tactic)
    having = ""
    if where.host:
        having = "HAVING bool_or(lower(h.host) = lower(?))"
    sql = (
        f"SELECT h.rule_id, any_value(r.title), any_value(r.level), any_value(r.status), "
        "any_value(r.tags), count(*), list_sort(list(DISTINCT h.host) FILTER (h.host IS NOT NULL)), "
        "list_sort(list(DISTINCT h.username) FILTER (h.username IS NOT NULL)), min(h.time), "
        "max(h.time), count(DISTINCT h.group_key) "
        f"FROM ({source}) h JOIN detection_rules r USING (rule_id) "
        + (f"WHERE {' AND '.join(conditions)} " if conditions else "")
        + f"GROUP BY h.rule_id {having} "
        "ORDER BY list_position(['critical', 'high', 'medium', 'low', 'informational'], "
        "any_value(r.level)) NULLS LAST, max(h.time) DESC NULLS LAST, h.rule_id"
    )
    if where.host:
        params.append(where.host)
    rows = store.fetch_all(sql, params, progress)
    return [
        RuleHits(
            str(r[0]),
            r[1],
            r[2] or "",
            r[3] or "",
            list(r[4] or []),
            int(r[5]),
            list(r[6] or []),
            list(r[7] or []),
            r[8],
            r[9],
            int(r[10]),
        )
        for r in rows
    ]


def hit_counts(store: Store) -> dict[str, int]:
    """Visible hits per level (what the overview and status bar show)."""
    source, params = _visible(store)
    rows = store.fetch_all(
        f"SELECT r.level, count(*) FROM ({source}) h "
        "JOIN detection_rules r USING (rule_id) GROUP BY 1",
        params,
    )
    return {str(level or ""): int(count) for level, count in rows}


def hit_event_ids(
    store: Store, rule_id: str, limit: int | None = None, show_suppressed: bool = False
) -> list[int]:
    source, params = ("SELECT * FROM hits", []) if show_suppressed else _visible(store)
    sql = f"SELECT event FROM ({source}) h WHERE rule_id = ? ORDER BY time NULLS LAST, event"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [int(r[0]) for r in store.fetch_all(sql, [*params, rule_id])]


def rule_row(store: Store, rule_id: str) -> RuleRow | None:
    row = store.fetch_one("SELECT * FROM detection_rules WHERE rule_id = ?", [rule_id])
    if row is None:
        return None
    return RuleRow(
        str(row[0]),
        row[1],
        row[2] or "",
        row[3] or "",
        list(row[4] or []),
        row[5] or "",
        list(row[6] or []),
        list(row[7] or []),
        row[8] or "",
        row[9] or "",
        row[10] or "event",
        row[11] or "",
        bool(row[12]),
    )


# suppressions ---------------------------------------------------------------------------


def add_suppression(
    store: Store,
    rule_id: str,
    kind: str,
    reason: str,
    value: str | None = None,
    field_name: str | None = None,
) -> Suppression:
    if kind not in SUPPRESSION_KINDS:
        raise WatchkeeperError(f"A suppression is for a rule, host, user or field, not {kind!r}.")
    if not reason.strip():
        raise WatchkeeperError("Say why, so whoever reads the suppression later knows.")
    if kind != "rule" and not (value or "").strip():
        raise WatchkeeperError(f"Give the {kind} to suppress this rule for.")
    if kind == "field" and not (field_name or "").strip():
        raise WatchkeeperError("Give the field whose value should be suppressed.")
    with store.write_lock:
        con = store.cursor()
        try:
            row = con.execute(
                "INSERT INTO suppressions SELECT coalesce(max(id), 0) + 1, ?, ?, ?, ?, ?, "
                "now()::TIMESTAMP FROM suppressions RETURNING *",
                [
                    rule_id,
                    kind,
                    field_name if kind == "field" else None,
                    value if kind != "rule" else None,
                    reason.strip(),
                ],
            ).fetchone()
        finally:
            con.close()
    assert row is not None
    return Suppression(*row)


def remove_suppression(store: Store, suppression_id: int) -> bool:
    with store.write_lock:
        con = store.cursor()
        try:
            rows = con.execute(
                "DELETE FROM suppressions WHERE id = ? RETURNING id", [suppression_id]
            ).fetchall()
        finally:
            con.close()
    return bool(rows)


def list_suppressions(store: Store) -> list[Suppression]:
    rows = store.fetch_all(
        "SELECT s.*, coalesce(r.title, s.rule_id) FROM suppressions s "
        "LEFT JOIN detection_rules r USING (rule_id) ORDER BY s.id"
    )
    return [Suppression(*row) for row in rows]


def disabled_rules(store: Store) -> set[str]:
    return {
        str(r[0]) for r in store.fetch_all("SELECT rule_id FROM suppressions WHERE kind = 'rule'")
    }
