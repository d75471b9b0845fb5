"""An incident's PDF summary from the store: the assembled document (the same one
`incidents export --json` writes) turned into the report the PDF writer prints."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from watchkeeper.core.identity import KIND_PERSON, base_kind, parse_account
from watchkeeper.incidents.assemble import assemble
from watchkeeper.incidents.report_model import (
    Action,
    DetectionSummary,
    EvidenceEvent,
    EvidenceFile,
    HostState,
    IncidentReport,
    KeyEvent,
    Notification,
    TimelineEntry,
)
from watchkeeper.storage.detection_views import GROUPS, GUESSED_NAMES
from watchkeeper.storage.store import Store

# fields of a key event worth printing first, in this order; the rest follow by name
FIRST_FIELDS = ("username", "process", "src_ip", "src_port", "message")
SHOWN_FIELDS = 12


def write_incident_summary(
    store: Store,
    incident_id: int,
    path: Path,
    now: datetime,
    organisation: str = "",
    page_size: str = "A4",
) -> int:
    """Write incident `incident_id`'s summary as a PDF at `path`; the number of pages."""
    from watchkeeper.incidents.pdf import headless_app
    from watchkeeper.incidents.report import write_incident_pdf

    report = incident_report(assemble(store, incident_id, now), organisation)
    headless_app()
    return write_incident_pdf(report, path, page_size=page_size)


def incident_report(document: dict[str, Any], organisation: str = "") -> IncidentReport:
    """The assembled document as the PDF writer's model."""
    incident = document["incident"]
    evidence = document["evidence"]
    return IncidentReport(
        organisation=organisation,
        title=incident["title"],
        severity=int(incident["severity"]),
        status=incident["status"],
        incident_id=incident["id"],
        resolution=incident.get("resolution") or "",
        owner=incident.get("owner") or "",
        opened=incident.get("opened"),
        closed=incident.get("closed"),
        summary=incident.get("summary") or "",
        impact=incident.get("impact") or "",
        timeline=tuple(
            TimelineEntry(e["at"], e.get("who") or "", e.get("text") or "")
            for e in document["timeline"]
            if e.get("at") is not None
        ),
        hosts=tuple(
            HostState(h["name"], _compliance(h.get("compliance"))) for h in document["hosts"]
        ),
        users=people_first(document["users"]),
        detections=tuple(_detection(d) for d in document["detections"]),
        key_events=tuple(_key_event(e) for e in document["key_events"]["events"]),
        actions=tuple(
            Action(a["text"], a.get("by") or "", a.get("at")) for a in document["actions"]
        ),
        notifications=tuple(
            Notification(n.get("to") or "", n.get("at"), n.get("text") or "")
            for n in document["notifications"]
        ),
        lessons=incident.get("lessons") or "",
        evidence_events=tuple(
            EvidenceEvent(
                e["time"], e.get("host") or "", e.get("file") or "", str(e["record"] or "")
            )
            for e in evidence["events"]
            if e.get("time") is not None
        ),
        evidence_files=tuple(
            EvidenceFile(f.get("file") or "", f.get("sha256") or "", int(f.get("events") or 0))
            for f in evidence["files"]
        ),
        generated=document.get("generated"),
    )


def people_first(users: list[str]) -> tuple[str, ...]:
    """People before the system's accounts, machines, groups and the names guessers try."""

    def rank(name: str) -> tuple[int, str]:
        account = parse_account(name)
        person = base_kind(account) == KIND_PERSON
        guessed = account.name_key in GUESSED_NAMES | GROUPS
        return (0 if person and not guessed else 1, name.casefold())

    return tuple(sorted(users, key=rank))


def _compliance(state: dict[str, Any] | None) -> str:
    if not state:
        return "not in the device inventory"
    failing = [
        name for name, check in (state.get("checks") or {}).items() if check["status"] == "fail"
    ]
    overall = str(state.get("overall") or "unknown")
    return overall + (f" (failing: {', '.join(failing)})" if failing else "")


def _detection(found: dict[str, Any]) -> DetectionSummary:
    rule = found.get("rule") or {}
    return DetectionSummary(
        rule_title=found["title"],
        level=found["level"],
        description=rule.get("description") or "",
        techniques=tuple(rule.get("techniques") or ()),
        author=rule.get("author") or "",
        first=found.get("first"),
        last=found.get("last"),
        events=int(found.get("events") or 0),
        host=found.get("host") or "",
    )


def _key_event(event: dict[str, Any]) -> KeyEvent:
    """An event with its important fields: the common ones first, then its own by name."""
    fields: list[tuple[str, str]] = [
        (name, str(event[name])) for name in FIRST_FIELDS if event.get(name) not in (None, "")
    ]
    own = event.get("fields") or {}
    fields += [(name, str(value)) for name, value in sorted(own.items()) if value not in (None, "")]
    return KeyEvent(
        time=_time(event.get("time")),
        host=event.get("host") or "",
        source=event.get("source") or "",
        event_id=str(event.get("event_id") or ""),
        fields=tuple(fields[:SHOWN_FIELDS]),
    )


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.min
