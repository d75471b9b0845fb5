"""Everything an incident's summary needs, as one document: `incidents export --json` writes
it and the PDF is filled from it, so the two never disagree.

The document holds the incident, its timeline, its hosts (with their compliance state as
the device inventory knows it), users and devices, its detections with their rules'
descriptions, ATT&CK techniques and authors, its key events with their important fields,
its actions and notifications, and the evidence: for each event the file and record it came
from, and for each file its SHA-256 from the import ledger. Long lists are cut at a limit,
and the document says so and how many there were.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from watchkeeper.core.attack import tactics, techniques
from watchkeeper.storage import hits
from watchkeeper.storage.incident_views import (
    IncidentDetail,
    breach_deadline,
    detail,
    document,
    incident_event_ids_sql,
)
from watchkeeper.storage.incidents import utc_naive
from watchkeeper.storage.queries import event_dict
from watchkeeper.storage.store import Store

FORMAT = "watchkeeper-incident/1"
KEY_EVENTS = 200  # linked events shown with their fields
EVENTS_PER_DETECTION = 3  # a detection's first events, when they are not linked already
EVIDENCE_LIMIT = 2000  # rows of the evidence list; past it, the files and their hashes only


def assemble(store: Store, incident_id: int, now: datetime) -> dict[str, Any]:
    """The incident's whole summary as at `now` (see the module's docstring)."""
    found = detail(store, incident_id, now)
    incident = document(found)
    moved = {key: incident.pop(key) for key in ("timeline", "actions", "notifications")}
    for key in ("detections", "events", "hosts", "users", "devices", "history"):
        incident.pop(key)
    if found.incident.personal_data:
        incident["breach_deadline"] = breach_deadline(found.incident)
    return {
        "format": FORMAT,
        "generated": utc_naive(now),
        "incident": incident,
        "timeline": moved["timeline"],
        "hosts": _hosts(store, found, now),
        "users": found.users,
        "devices": found.devices,
        "detections": _detections(store, found),
        "key_events": _key_events(store, found),
        "actions": moved["actions"],
        "notifications": moved["notifications"],
        "history": [vars(c) for c in found.history],
        "evidence": _evidence(store, incident_id),
    }


def _detections(store: Store, found: IncidentDetail) -> list[dict[str, Any]]:
    result = []
    for item in found.detections:
        rule = hits.rule_row(store, item.rule_id)
        tags = rule.tags if rule else []
        result.append(
            vars(item)
            | {
                "rule": {
                    "id": item.rule_id,
                    "title": item.title,
                    "description": rule.description if rule else "",
                    "author": rule.author if rule else "",
                    "level": item.level,
                    "tactics": tactics(tags),
                    "techniques": techniques(tags),
                    "references": rule.references if rule else [],
                    "falsepositives": rule.falsepositives if rule else [],
                }
            }
        )
    return result


def _events(store: Store, where: str, params: list[Any], limit: int) -> list[dict[str, Any]]:
    with store.cursor() as cursor:
        cursor.execute(
            f"SELECT e.*, i.path AS origin_path FROM events e LEFT JOIN imports i "
            f"ON i.id = e.import_id WHERE {where} ORDER BY e.time NULLS LAST, e.id LIMIT ?",
            [*params, limit],
        )
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall()
    events = []
    for row in rows:
        event = event_dict(columns, row)
        event.pop("raw", None)  # the fields say it; the raw record is in the source file
        events.append(event)
    return events


def _key_events(store: Store, found: IncidentDetail) -> dict[str, Any]:
    """The linked events, then each detection's first few, with their fields."""
    linked = _events(
        store,
        "e.id IN (SELECT event FROM incident_events WHERE incident = ?)",
        [found.incident.id],
        KEY_EVENTS,
    )
    for event in linked:
        event["why"] = "linked"
    seen = {event["id"] for event in linked}
    from_detections = []
    for item in found.detections:
        for event in _events(
            store,
            "e.id IN (SELECT event FROM hits WHERE detection = ?)",
            [item.id],
            EVENTS_PER_DETECTION,
        ):
            if event["id"] not in seen:
                seen.add(event["id"])
                from_detections.append(event | {"why": f"detection {item.id}"})
    return {
        "events": linked + from_detections,
        "linked_total": len(found.event_ids),
        "linked_shown": len(linked),
        "truncated": len(found.event_ids) > len(linked),
    }


def _evidence(store: Store, incident_id: int) -> dict[str, Any]:
    """For each event the incident covers, its file and record; for each file, its hash."""
    subquery, params = incident_event_ids_sql(incident_id)
    covered = f"SELECT id, import_id, record_no, time, host FROM events WHERE id IN ({subquery})"
    rows = store.fetch_all(
        f"SELECT c.id, i.path, c.record_no, c.time, c.host FROM ({covered}) c "
        "LEFT JOIN imports i ON i.id = c.import_id ORDER BY c.time NULLS LAST, c.id LIMIT ?",
        [*params, EVIDENCE_LIMIT],
    )
    total = store.fetch_one(f"SELECT count(*) FROM ({covered})", params)
    files = store.fetch_all(
        f"SELECT i.id, i.path, i.sha256, i.size, i.format, i.finished, count(*) "
        f"FROM ({covered}) c JOIN imports i ON i.id = c.import_id "
        "GROUP BY i.id, i.path, i.sha256, i.size, i.format, i.finished ORDER BY i.id",
        params,
    )
    count = int(total[0]) if total else 0
    return {
        "events": [
            {"event": int(event), "file": path, "record": record, "time": time, "host": host}
            for event, path, record, time, host in rows
        ],
        "events_total": count,
        "truncated": count > len(rows),
        "files": [
            {
                "import": int(row[0]),
                "file": row[1],
                "sha256": row[2],
                "size": row[3],
                "format": row[4],
                "imported": row[5],
                "events": int(row[6]),
            }
            for row in files
        ],
    }


def _hosts(store: Store, found: IncidentDetail, now: datetime) -> list[dict[str, Any]]:
    """Each linked host, with its compliance state when the device inventory knows it."""
    states = _compliance(store, now)
    return [{"name": name, "compliance": states.get(name.lower())} for name in found.hosts]


def _compliance(store: Store, now: datetime) -> dict[str, dict[str, Any]]:
    """Devices an inventory or osquery reported, by each of their host names (lower case)."""
    from watchkeeper.compliance.policy import load_policy
    from watchkeeper.compliance.report import compliance_report
    from watchkeeper.core import settings as settings_module
    from watchkeeper.core.errors import WatchkeeperError

    try:
        policy = load_policy(None, settings_module.load().compliance_thresholds)
    except WatchkeeperError:
        return {}  # the policy cannot be read: the report goes without compliance
    when = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    states: dict[str, dict[str, Any]] = {}
    for row in compliance_report(store, policy, when).rows:
        if not any(source != "logs" for source in row.sources):
            continue  # only seen in the logs: the inventory does not know it
        state = {
            "device": row.name,
            "overall": row.overall,
            "os": row.os,
            "owner": row.owner,
            "sources": list(row.sources),
            "last_seen": row.last_seen,
            "as_of": utc_naive(when),
            "checks": {
                name: {"status": result.status, "reason": result.reason}
                for name, result in row.checks.items()
            },
        }
        for name in (row.name, *row.host_names):
            states.setdefault(name.lower(), state)
    return states
