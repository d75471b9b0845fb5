"""Reading incidents: the list, one incident with all that is linked to it, its timeline, the
72-hour warning for a personal-data breach, and the events the filter `incident:` finds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from watchkeeper.storage.incidents import (
    SEVERITIES,
    label,
    not_found,
    utc_naive,
)
from watchkeeper.storage.store import Store

# UK GDPR article 33: the regulator (the ICO) within 72 hours of becoming aware of a
# personal-data breach.
BREACH_HOURS = 72
REGULATOR_WORDS = ("regulator", "ico", "information commissioner", "supervisory authority")
_REGULATOR = re.compile(
    r"\b(?:" + "|".join(re.escape(word) for word in REGULATOR_WORDS) + r")\b", re.IGNORECASE
)
# A linked event is a line of the timeline; past this many, the timeline says how many more.
TIMELINE_EVENTS = 200


@dataclass
class Incident:
    id: int
    title: str
    severity: int
    status: str
    resolution: str
    owner: str
    opened: datetime
    closed: datetime | None
    summary: str
    impact: str
    lessons: str
    personal_data: bool
    created_by: str
    detections: int = 0
    events: int = 0

    @property
    def label(self) -> str:
        return label(self.id)

    @property
    def severity_word(self) -> str:
        return SEVERITIES.get(self.severity, str(self.severity))


@dataclass(frozen=True)
class LinkedDetection:
    id: int
    rule_id: str
    title: str
    level: str
    host: str
    user: str
    first: datetime | None
    last: datetime | None
    events: int
    state: str


@dataclass(frozen=True)
class Entry:
    """A note, an action taken or a notification made."""

    kind: str
    at: datetime
    by: str
    recipient: str
    text: str


@dataclass(frozen=True)
class Change:
    at: datetime
    by: str
    field: str
    old: str
    new: str
    reason: str


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime | None
    who: str  # who wrote it, or what it came from: a host, a rule
    text: str
    kind: str  # note, action, notification, change, detection, event


@dataclass
class IncidentDetail:
    incident: Incident
    detections: list[LinkedDetection]
    event_ids: list[int]
    hosts: list[str]
    users: list[str]
    devices: list[str]
    entries: list[Entry]
    history: list[Change]
    timeline: list[TimelineEntry] = field(default_factory=list)
    warning: str | None = None

    def of_kind(self, kind: str) -> list[Entry]:
        return [entry for entry in self.entries if entry.kind == kind]


_INCIDENT = (
    "SELECT i.id, i.title, i.severity, i.status, coalesce(i.resolution, ''), "
    "coalesce(i.owner, ''), i.opened, i.closed, coalesce(i.summary, ''), "
    "coalesce(i.impact, ''), coalesce(i.lessons, ''), i.personal_data, "
    "coalesce(i.created_by, ''), "
    "(SELECT count(*) FROM incident_detections d WHERE d.incident = i.id), "
    "(SELECT count(*) FROM incident_events e WHERE e.incident = i.id) FROM incidents i"
)


def _incident(row: tuple[Any, ...]) -> Incident:
    return Incident(
        id=int(row[0]),
        title=str(row[1]),
        severity=int(row[2]),
        status=str(row[3]),
        resolution=str(row[4]),
        owner=str(row[5]),
        opened=row[6],
        closed=row[7],
        summary=str(row[8]),
        impact=str(row[9]),
        lessons=str(row[10]),
        personal_data=bool(row[11]),
        created_by=str(row[12]),
        detections=int(row[13]),
        events=int(row[14]),
    )


def list_incidents(store: Store, statuses: Sequence[str] = ()) -> list[Incident]:
    """Incidents, the newest first; only those in `statuses` when given."""
    rows = store.fetch_all(
        f"{_INCIDENT} WHERE len(?::VARCHAR[]) = 0 OR list_contains(?, i.status) ORDER BY i.id DESC",
        [list(statuses), list(statuses)],
    )
    return [_incident(row) for row in rows]


def open_count(store: Store) -> int:
    """Incidents not yet closed."""
    row = store.fetch_one("SELECT count(*) FROM incidents WHERE status <> 'closed'")
    return int(row[0]) if row else 0


def get_incident(store: Store, incident_id: int) -> Incident:
    row = store.fetch_one(f"{_INCIDENT} WHERE i.id = ?", [incident_id])
    if row is None:
        raise not_found(incident_id)
    return _incident(row)


def detail(store: Store, incident_id: int, now: datetime) -> IncidentDetail:
    """Everything about one incident, its timeline and its warning as at `now`."""
    incident = get_incident(store, incident_id)
    subjects: dict[str, list[str]] = {"host": [], "user": [], "device": []}
    for kind, name in store.fetch_all(
        "SELECT kind, name FROM incident_subjects WHERE incident = ? ORDER BY lower(name), name",
        [incident_id],
    ):
        subjects.setdefault(str(kind), []).append(str(name))
    found = IncidentDetail(
        incident,
        linked_detections(store, incident_id),
        [
            int(r[0])
            for r in store.fetch_all(
                "SELECT event FROM incident_events WHERE incident = ? ORDER BY event",
                [incident_id],
            )
        ],
        subjects["host"],
        subjects["user"],
        subjects["device"],
        [
            Entry(str(kind), at, str(by or ""), str(to or ""), str(text))
            for kind, at, by, to, text in store.fetch_all(
                "SELECT kind, happened, written_by, recipient, text FROM incident_entries "
                "WHERE incident = ? ORDER BY happened, written, rowid",
                [incident_id],
            )
        ],
        [
            Change(at, str(by or ""), str(name), str(old or ""), str(new or ""), str(why or ""))
            for at, by, name, old, new, why in store.fetch_all(
                "SELECT changed_at, changed_by, field, old_value, new_value, reason "
                "FROM incident_history WHERE incident = ? ORDER BY changed_at, rowid",
                [incident_id],
            )
        ],
    )
    found.timeline = timeline(store, found)
    found.warning = breach_warning(incident, found.of_kind("notification"), now)
    return found


def linked_detections(store: Store, incident_id: int) -> list[LinkedDetection]:
    """The incident's detections, the earliest first (one since merged into another is gone)."""
    rows = store.fetch_all(
        "SELECT d.id, d.rule_id, coalesce(r.title, d.rule_id), coalesce(r.level, ''), "
        "coalesce(d.host, ''), coalesce(d.username, ''), d.first, d.last, d.events, d.state "
        "FROM incident_detections l JOIN detections d ON d.id = l.detection "
        "LEFT JOIN detection_rules r ON r.rule_id = d.rule_id WHERE l.incident = ? "
        "ORDER BY d.first NULLS LAST, d.id",
        [incident_id],
    )
    return [
        LinkedDetection(
            int(r[0]),
            str(r[1]),
            str(r[2]),
            str(r[3]),
            str(r[4]),
            str(r[5]),
            r[6],
            r[7],
            int(r[8]),
            str(r[9]),
        )
        for r in rows
    ]


_NOT_ON_TIMELINE = frozenset(
    ("note", "action", "notification", "events", "detections", "host", "user", "device")
)


def _change_text(change: Change) -> str:
    if change.field == "status" and not change.old:
        return "Incident opened"
    if change.field in _NOT_ON_TIMELINE:
        return ""  # the entry itself is there, and a link is in the history only
    what = change.field.replace("_", " ").capitalize()
    old, new = (_said(value) for value in (change.old, change.new))
    text = f"{what}: {old} → {new}"
    if change.field in ("summary", "impact", "lessons", "title"):
        text = f"{what} changed"
    return text + (f" ({change.reason})" if change.reason else "")


def _said(value: str | None) -> str:
    """A value as a reader says it: yes and no rather than True and False."""
    return {"True": "yes", "False": "no", "": "(none)", None: "(none)"}.get(value, value or "")


def timeline(store: Store, found: IncidentDetail) -> list[TimelineEntry]:
    """The incident's story in time order: its own changes and entries, its detections, and
    its linked events (the first TIMELINE_EVENTS of them, then a line saying how many more)."""
    items: list[TimelineEntry] = []
    for change in found.history:
        text = _change_text(change)
        if text:
            items.append(TimelineEntry(change.at, change.by, text, "change"))
    for entry in found.entries:
        text = entry.text
        if entry.kind == "action":
            text = f"Action: {text}"
        elif entry.kind == "notification":
            text = f"Notified {entry.recipient}" + (f": {text}" if text else "")
        items.append(TimelineEntry(entry.at, entry.by, text, entry.kind))
    for item in found.detections:
        # the host in the narrow column, what was seen in the wide one
        host = item.host.split(".")[0] if item.host else "detection"
        first, last = (f"{t:%H:%M}" if t else "" for t in (item.first, item.last))
        until = f" until {last}" if last and last != first else ""
        said = "1 event" if item.events == 1 else f"{item.events:,} events{until}"
        items.append(
            TimelineEntry(
                item.first, host, f"{item.title} ({said}; detection {item.id})", "detection"
            )
        )
    rows = store.fetch_all(
        "SELECT e.time, coalesce(e.host, e.source, ''), coalesce(e.message, ''), e.id "
        "FROM incident_events l JOIN events e ON e.id = l.event WHERE l.incident = ? "
        "ORDER BY e.time NULLS LAST, e.id LIMIT ?",
        [found.incident.id, TIMELINE_EVENTS],
    )
    items.extend(
        TimelineEntry(at, str(who), f"Event {event_id}: {message}", "event")
        for at, who, message, event_id in rows
    )
    items.sort(key=lambda item: (item.at is None, item.at or datetime.min))
    more = len(found.event_ids) - len(rows)
    if more > 0:
        items.append(
            TimelineEntry(None, "", f"… and {more:,} more linked event(s) not listed", "event")
        )
    return items


def is_regulator(recipient: str) -> bool:
    """Whether a notification went to the data-protection regulator ("the ICO", ...)."""
    return _REGULATOR.search(recipient) is not None


def breach_deadline(incident: Incident) -> datetime:
    """When a personal-data breach must have been reported: 72 hours after it was opened
    (the moment the organisation became aware of it)."""
    return incident.opened + timedelta(hours=BREACH_HOURS)


def breach_warning(incident: Incident, notifications: Sequence[Entry], now: datetime) -> str | None:
    """A sentence while a personal-data breach has not been reported to the regulator: how
    long is left of the 72 hours, or how long ago they ran out; None otherwise."""
    if not incident.personal_data or any(is_regulator(n.recipient) for n in notifications):
        return None
    deadline = breach_deadline(incident)
    left = deadline - utc_naive(now)
    when = f"{deadline:%Y-%m-%d %H:%M} UTC"
    if left > timedelta(0):
        hours = int(left.total_seconds() // 3600)
        return (
            f"Personal data was affected: tell the regulator (the ICO) by {when}, "
            f"{hours} h from now, and record it with `incidents notify`."
        )
    hours = int(-left.total_seconds() // 3600)
    return (
        f"Personal data was affected and the 72 hours to tell the regulator (the ICO) ran out "
        f"at {when}, {hours} h ago: report it now and say why it is late."
    )


def incident_event_ids_sql(incident_id: int | None) -> tuple[str, list[object]]:
    """The events an incident covers (any incident's, for None): its linked events and those
    of its linked detections, as a subquery on event ids."""
    if incident_id is None:
        return (
            "SELECT event FROM incident_events UNION SELECT h.event FROM hits h "
            "JOIN incident_detections l ON l.detection = h.detection",
            [],
        )
    return (
        "SELECT event FROM incident_events WHERE incident = ? UNION SELECT h.event FROM hits h "
        "JOIN incident_detections l ON l.detection = h.detection WHERE l.incident = ?",
        [incident_id, incident_id],
    )


def document(found: IncidentDetail) -> dict[str, Any]:
    """An incident as `incidents show --json` prints it."""
    item = found.incident
    return {
        "id": item.label,
        "number": item.id,
        "title": item.title,
        "severity": item.severity,
        "severity_word": item.severity_word,
        "status": item.status,
        "resolution": item.resolution or None,
        "owner": item.owner or None,
        "opened": item.opened,
        "closed": item.closed,
        "summary": item.summary,
        "impact": item.impact,
        "lessons": item.lessons,
        "personal_data": item.personal_data,
        "created_by": item.created_by,
        "warning": found.warning,
        "detections": [vars(d) for d in found.detections],
        "events": found.event_ids,
        "hosts": found.hosts,
        "users": found.users,
        "devices": found.devices,
        "actions": [_entry(e) for e in found.of_kind("action")],
        "notifications": [_entry(e) for e in found.of_kind("notification")],
        "notes": [_entry(e) for e in found.of_kind("note")],
        "timeline": [vars(t) for t in found.timeline],
        "history": [vars(c) for c in found.history],
    }


def _entry(entry: Entry) -> dict[str, Any]:
    shown: dict[str, Any] = {"at": entry.at, "by": entry.by, "text": entry.text}
    if entry.kind == "notification":
        shown["to"] = entry.recipient
    return shown
