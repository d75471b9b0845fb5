"""What an incident links: detections (escalating one opens an incident or joins one),
events by id, and hosts, users and devices by name."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.text import counted
from watchkeeper.storage import detections
from watchkeeper.storage.incidents import (
    LEVEL_SEVERITY,
    SUBJECTS,
    create,
    label,
    status_row,
    utc_naive,
    write_history,
)

if TYPE_CHECKING:
    import duckdb

    from watchkeeper.storage.store import Store


def link(
    store: Store,
    incident_id: int,
    kind: str,
    values: Sequence[str | int],
    by: str,
    now: datetime,
) -> int:
    """Link events (by id), detections (by id), hosts, users or devices (by name); returns
    how many were new. A detection's hosts and users are linked with it."""
    if kind not in ("event", "detection", *SUBJECTS):
        raise ValueError(f"not something an incident links: {kind}")
    now = utc_naive(now)
    with store.transaction() as con:
        status_row(con, incident_id)
        if kind in SUBJECTS:
            added = _link_subjects(con, incident_id, kind, [str(v) for v in values], by, now)
        else:
            added = _link_numbers(con, incident_id, kind, [int(v) for v in values], by, now)
    return added


def _link_subjects(
    con: duckdb.DuckDBPyConnection,
    incident_id: int,
    kind: str,
    names: list[str],
    by: str,
    now: datetime,
) -> int:
    wanted = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    if not wanted and names:
        raise WatchkeeperError(f"The {kind}'s name is empty.", title="Name needed")
    known = {
        str(r[0])
        for r in con.execute(
            "SELECT name FROM incident_subjects WHERE incident = ? AND kind = ?",
            [incident_id, kind],
        ).fetchall()
    }
    new = [name for name in wanted if name not in known]
    for name in new:
        con.execute(
            "INSERT INTO incident_subjects VALUES (?, ?, ?, ?, ?)",
            [incident_id, kind, name, now, by],
        )
    write_history(con, incident_id, now, by, [(kind, None, name) for name in new])
    return len(new)


def _link_numbers(
    con: duckdb.DuckDBPyConnection,
    incident_id: int,
    kind: str,
    numbers: list[int],
    by: str,
    now: datetime,
) -> int:
    table, source = (
        ("incident_events", "events") if kind == "event" else ("incident_detections", "detections")
    )
    wanted = list(dict.fromkeys(numbers))
    found = {
        int(r[0])
        for r in con.execute(
            f"SELECT id FROM {source} WHERE list_contains(?, id)", [wanted]
        ).fetchall()
    }
    missing = [n for n in wanted if n not in found]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise WatchkeeperError(
            f"There is no {kind} {missing[0]}{more}; nothing was added to {label(incident_id)}.",
            title=f"{kind.capitalize()} not found",
        )
    linked = {
        int(r[0])
        for r in con.execute(
            f"SELECT {kind} FROM {table} WHERE incident = ? AND list_contains(?, {kind})",
            [incident_id, wanted],
        ).fetchall()
    }
    new = [n for n in wanted if n not in linked]
    con.execute(
        f"INSERT INTO {table} SELECT ?, n, ?, ? FROM unnest(?::BIGINT[]) t(n)",
        [incident_id, now, by, new],
    )
    count = len(new)
    if count:
        shown = ", ".join(str(n) for n in new[:20]) + (" …" if len(new) > 20 else "")
        write_history(con, incident_id, now, by, [(f"{kind}s", None, shown)])
    if kind == "detection":
        _link_detection_subjects(con, incident_id, wanted, by, now)
    return count


def _link_detection_subjects(
    con: duckdb.DuckDBPyConnection, incident_id: int, ids: list[int], by: str, now: datetime
) -> None:
    rows = con.execute(
        "SELECT coalesce(hosts, []), coalesce(users, []) FROM detections "
        "WHERE list_contains(?, id)",
        [ids],
    ).fetchall()
    hosts = sorted({h for row in rows for h in row[0] if h})
    users = sorted({u for row in rows for u in row[1] if u})
    _link_subjects(con, incident_id, "host", hosts, by, now)
    _link_subjects(con, incident_id, "user", users, by, now)


def escalate(
    store: Store,
    detection_id: int,
    by: str,
    now: datetime,
    incident_id: int | None = None,
    story: bool = True,
) -> int:
    """Escalate a detection: a new incident from it (title from its rule, severity from the
    highest level of its story), or added to `incident_id`; its hosts and users are linked
    and its triage state becomes escalated. With `story`, the other detections of its story
    (detection_views.stories) not yet in an incident come with it: an attack's steps are one
    incident. Returns the incident's number."""
    row = store.fetch_one(
        "SELECT coalesce(r.title, d.rule_id), coalesce(r.level, ''), d.host FROM detections d "
        "LEFT JOIN detection_rules r USING (rule_id) WHERE d.id = ?",
        [detection_id],
    )
    if row is None:
        raise WatchkeeperError(
            f"There is no detection {detection_id}; `watchkeeper detections` lists them.",
            title="Detection not found",
        )
    if incident_id is None:
        already = store.fetch_one(
            "SELECT min(incident) FROM incident_detections WHERE detection = ?", [detection_id]
        )
        if already is not None and already[0] is not None:
            raise WatchkeeperError(
                f"Detection {detection_id} is already part of {label(int(already[0]))}; "
                "add it to another incident by that incident's id.",
                title="Already escalated",
            )
    members = {detection_id: (str(row[1]), str(row[2] or ""))}
    if story:
        members.update(_story(store, detection_id))
    if incident_id is None:
        title = str(row[0]) + (f" on {row[2]}" if row[2] else "")
        if len(members) > 1:
            hosts = sorted({host.split(".")[0] for _, host in members.values() if host})
            title += f", with {counted(len(members) - 1, 'related detection')}" + (
                f" on {', '.join(hosts[:3])}" + (" and more" if len(hosts) > 3 else "")
                if len(hosts) > 1
                else ""
            )
        severity = max(LEVEL_SEVERITY.get(level.lower(), 2) for level, _ in members.values())
        incident_id = create(store, title, by, now, severity)
    for member in members:
        link(store, incident_id, "detection", [member], by, now)
        state = store.fetch_one("SELECT state, incident FROM detections WHERE id = ?", [member])
        if state is None or state[0] != "escalated" or state[1] != label(incident_id):
            detections.escalate(store, member, label(incident_id), by, now)
    return incident_id


def _story(store: Store, detection_id: int) -> dict[int, tuple[str, str]]:
    """The other detections of its story in no incident yet, with their levels and hosts."""
    from watchkeeper.storage.detection_views import DetectionFilter, list_detections

    found = list_detections(store, DetectionFilter())
    lead = next((d.lead for d in found if d.id == detection_id), detection_id)
    taken = {
        int(r[0]) for r in store.fetch_all("SELECT DISTINCT detection FROM incident_detections")
    }
    return {d.id: (d.level, d.host) for d in found if d.lead == lead and d.id not in taken}
