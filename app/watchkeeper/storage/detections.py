"""Detections: rule hits grouped into the few things a person looks at, and their triage.

A detection is one rule's hits on one host (and one user, for a rule about users) within a
burst: a hit less than an hour from a detection's first..last range joins it and extends it;
a hit that bridges two detections merges them into the older one, which keeps its triage
state and notes the merge in its history. A correlation rule's detection is one group of
its result (its group-by values) instead of a host. Grouping runs in SQL, in the transaction
that saves the hits, so the hits and their detections are stored together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from watchkeeper.core.errors import WatchkeeperError

if TYPE_CHECKING:
    from watchkeeper.storage.store import Store

BURST_SECONDS = 3600
STATES = ("new", "in review", "benign", "false positive", "escalated")
REASON_NEEDED = ("benign", "false positive")
# Field names that make a rule about a user: its detections are then one per user as well.
USER_FIELDS = frozenset(
    (
        "targetusername",
        "subjectusername",
        "user",
        "username",
        "user_name",
        "user.name",
        "accountname",
        "samaccountname",
        "targetuser",
        "logonuser",
    )
)
# Hits whose time is unknown are one burst of their own.
_NO_TIME = "TIMESTAMP '1970-01-01'"


def is_about_users(field_names: list[str]) -> bool:
    """Whether a rule reads (or a correlation groups by) a user field."""
    return any(name.strip().lower() in USER_FIELDS for name in field_names)


@dataclass
class HistoryEntry:
    at: datetime
    by: str
    old_state: str
    new_state: str
    reason: str


# grouping --------------------------------------------------------------------------------


def group_hits(con: Any, refresh: bool = False) -> int:
    """Attach every hit without a detection to one, inside the caller's transaction.

    With `refresh` (after a hunt over all events replaced the hits), every detection's range
    and counts are first read again from the hits it still has, and one left without hits is
    dropped. Returns how many detections were created.
    """
    if refresh:
        _drop_empty(con)
        _recount(con, "SELECT id FROM detections")
    _key_new_hits(con)
    pending = con.execute("SELECT count(*) FROM wk_keyed").fetchone()
    if not pending or not pending[0]:
        return 0
    _islands(con)
    created = _create_detections(con)
    con.execute(
        "UPDATE hits SET detection = i.target FROM wk_islanded i "
        "WHERE i.event IS NOT NULL AND hits.rule_id = i.rule_id AND hits.event = i.event"
    )
    _merge(con)
    _recount(con, "SELECT DISTINCT target FROM wk_islanded")
    for table in ("wk_keyed", "wk_islanded"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return created


def _key_new_hits(con: Any) -> None:
    """The hits without a detection, with the key of the detection they belong to."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE wk_keyed AS SELECT h.rule_id, h.event, "
        f"coalesce(h.time, {_NO_TIME}) AS t, "
        "CASE WHEN r.kind = 'correlation' THEN 'g:' || coalesce(h.group_key, '') "
        "ELSE 'h:' || lower(coalesce(h.host, '')) || CASE WHEN coalesce(r.per_user, false) "
        "THEN '|u:' || lower(coalesce(h.username, '')) ELSE '' END END AS k "
        "FROM hits h LEFT JOIN detection_rules r USING (rule_id) WHERE h.detection IS NULL"
    )


def _islands(con: Any) -> None:
    """Gaps and islands over the new hits and the existing detections of the same keys."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE wk_islanded AS
        WITH spans AS (
            SELECT d.rule_id, d.group_key AS k, coalesce(d.first, {_NO_TIME}) AS s,
                coalesce(d.last, {_NO_TIME}) AS e, d.id AS d, NULL::BIGINT AS event
            FROM detections d
            WHERE EXISTS (SELECT 1 FROM wk_keyed w WHERE w.rule_id = d.rule_id
                AND w.k = d.group_key)
            UNION ALL
            SELECT rule_id, k, t, t, NULL, event FROM wk_keyed
        ),
        reached AS (
            SELECT *, max(e) OVER (PARTITION BY rule_id, k ORDER BY s, e, d NULLS LAST, event
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
            FROM spans
        ),
        numbered AS (
            SELECT *, sum(CASE WHEN reach IS NULL
                    OR s >= reach + INTERVAL {BURST_SECONDS} SECOND THEN 1 ELSE 0 END)
                OVER (PARTITION BY rule_id, k ORDER BY s, e, d NULLS LAST, event
                    ROWS UNBOUNDED PRECEDING) AS island
            FROM reached
        )
        SELECT rule_id, k, island, d, event,
            min(d) OVER (PARTITION BY rule_id, k, island) AS target
        FROM numbered"""
    )


def _create_detections(con: Any) -> int:
    """A new detection for each island without one; its hits are then pointed at it."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE wk_new AS SELECT rule_id, k, island, "
        "(SELECT coalesce(max(id), 0) FROM detections) + "
        "row_number() OVER (ORDER BY min(event)) AS id "
        "FROM wk_islanded WHERE target IS NULL GROUP BY rule_id, k, island"
    )
    con.execute(
        "INSERT INTO detections (id, rule_id, group_key, events, state, created) "
        "SELECT id, rule_id, k, 0, 'new', now()::TIMESTAMP FROM wk_new"
    )
    con.execute(
        "UPDATE wk_islanded SET target = n.id FROM wk_new n WHERE wk_islanded.target IS NULL "
        "AND wk_islanded.rule_id = n.rule_id AND wk_islanded.k = n.k "
        "AND wk_islanded.island = n.island"
    )
    row = con.execute("SELECT count(*) FROM wk_new").fetchone()
    con.execute("DROP TABLE wk_new")
    return int(row[0]) if row else 0


def _merge(con: Any) -> None:
    """Detections a new hit bridged: their hits and history go to the older one."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE wk_merged AS SELECT DISTINCT d, target FROM wk_islanded "
        "WHERE d IS NOT NULL AND d <> target"
    )
    found = con.execute("SELECT count(*) FROM wk_merged").fetchone()
    if found and found[0]:
        con.execute(
            "UPDATE hits SET detection = m.target FROM wk_merged m WHERE hits.detection = m.d"
        )
        con.execute(
            "INSERT INTO detection_history SELECT m.target, now()::TIMESTAMP, NULL, t.state, "
            "t.state, 'merged with detection ' || m.d || ' (' || o.state || "
            "coalesce(': ' || o.reason, '') || '), which a later hit joined to it' "
            "FROM wk_merged m JOIN detections t ON t.id = m.target "
            "JOIN detections o ON o.id = m.d"
        )
        con.execute(
            "UPDATE detection_history SET detection = m.target FROM wk_merged m "
            "WHERE detection_history.detection = m.d"
        )
        # an incident the merged detection was linked to now links the one it became
        con.execute(
            "INSERT INTO incident_detections SELECT l.incident, m.target, min(l.added), "
            "any_value(l.added_by) FROM incident_detections l JOIN wk_merged m "
            "ON l.detection = m.d WHERE NOT EXISTS (SELECT 1 FROM incident_detections x "
            "WHERE x.incident = l.incident AND x.detection = m.target) "
            "GROUP BY l.incident, m.target"
        )
        con.execute("DELETE FROM incident_detections WHERE detection IN (SELECT d FROM wk_merged)")
        con.execute("DELETE FROM detections WHERE id IN (SELECT d FROM wk_merged)")
    con.execute("DROP TABLE wk_merged")


def _recount(con: Any, ids: str) -> None:
    """Read the range, event count, hosts and users of the detections `ids` from their hits."""
    con.execute(
        "UPDATE detections SET first = a.first, last = a.last, events = a.events, "
        "hosts = a.hosts, users = a.users, host = a.host, username = CASE WHEN "
        "contains(detections.group_key, '|u:') THEN a.username ELSE NULL END "
        "FROM (SELECT detection, min(time) AS first, max(time) AS last, count(*) AS events, "
        "list_sort(list(DISTINCT host) FILTER (host IS NOT NULL)) AS hosts, "
        "list_sort(list(DISTINCT username) FILTER (username IS NOT NULL)) AS users, "
        "min(host) AS host, min(username) AS username FROM hits "
        f"WHERE detection IN ({ids}) GROUP BY detection) a "
        "WHERE detections.id = a.detection"
    )


def _drop_empty(con: Any) -> None:
    gone = "SELECT id FROM detections WHERE id NOT IN (SELECT detection FROM hits " + (
        "WHERE detection IS NOT NULL)"
    )
    con.execute(f"DELETE FROM detection_history WHERE detection IN ({gone})")
    con.execute(f"DELETE FROM detections WHERE id IN ({gone})")


def created_since(store: Store, known: int) -> dict[str, int]:
    """Detections with ids above `known` (made by the run that just saved), per level."""
    rows = store.fetch_all(
        "SELECT coalesce(r.level, ''), count(*) FROM detections d "
        "LEFT JOIN detection_rules r USING (rule_id) WHERE d.id > ? GROUP BY 1",
        [known],
    )
    return {str(level): int(count) for level, count in rows}


# triage ----------------------------------------------------------------------------------


def set_state(
    store: Store,
    detection_id: int,
    state: str,
    by: str,
    now: datetime,
    reason: str = "",
    incident: str | None = None,
) -> HistoryEntry:
    """Change a detection's triage state, writing who, when, from what and why in its history.

    Benign and false positive need a reason: whoever reads the detection later needs to know.
    """
    wanted = state.strip().lower()
    if wanted not in STATES:
        raise WatchkeeperError(
            f"{state!r} is not a triage state; use one of: {', '.join(STATES)}.",
            title="Unknown state",
        )
    reason = reason.strip()
    if now.tzinfo is not None:  # stored as UTC without a zone, as event times are
        now = now.astimezone(UTC).replace(tzinfo=None)
    if wanted in REASON_NEEDED and not reason:
        raise WatchkeeperError(
            f"Say why this detection is {wanted}, so whoever reads it later knows.",
            title="Reason needed",
        )
    with store.transaction() as con:
        row = con.execute("SELECT state FROM detections WHERE id = ?", [detection_id]).fetchone()
        if row is None:
            raise WatchkeeperError(
                f"There is no detection {detection_id}; `watchkeeper detections` lists them.",
                title="Detection not found",
            )
        old = str(row[0])
        con.execute(
            "UPDATE detections SET state = ?, state_by = ?, state_at = ?, reason = ?, "
            "incident = coalesce(?, incident) WHERE id = ?",
            [wanted, by, now, reason or None, incident, detection_id],
        )
        con.execute(
            "INSERT INTO detection_history VALUES (?, ?, ?, ?, ?, ?)",
            [detection_id, now, by, old, wanted, reason or None],
        )
    return HistoryEntry(now, by, old, wanted, reason)


def escalate(
    store: Store, detection_id: int, incident: str, by: str, now: datetime
) -> HistoryEntry:
    """Mark a detection escalated to an incident (what the incident code calls)."""
    return set_state(
        store, detection_id, "escalated", by, now, f"escalated to incident {incident}", incident
    )


def history(store: Store, detection_id: int) -> list[HistoryEntry]:
    """A detection's triage history, oldest first."""
    rows = store.fetch_all(
        "SELECT changed_at, changed_by, old_state, new_state, reason FROM detection_history "
        "WHERE detection = ? ORDER BY changed_at, rowid",
        [detection_id],
    )
    return [
        HistoryEntry(at, str(by or ""), str(old or ""), str(new), str(reason or ""))
        for at, by, old, new, reason in rows
    ]
