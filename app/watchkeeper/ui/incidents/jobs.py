"""The Incidents view's work, as plain functions a job runs: the list, one incident, a change
through the storage functions, and the PDF summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from watchkeeper.core.progress import Progress
from watchkeeper.storage import incident_views
from watchkeeper.storage.incident_views import Incident, IncidentDetail
from watchkeeper.storage.store import Store

# The status filter's choices: what the list shows, and the statuses each means.
STATUS_CHOICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Not closed", ("open", "investigating", "contained", "resolved")),
    ("Open", ("open",)),
    ("Investigating", ("investigating",)),
    ("Contained", ("contained",)),
    ("Resolved", ("resolved",)),
    ("Closed", ("closed",)),
    ("Any status", ()),
)
# Whom people usually notify; the list is editable, any other recipient can be typed.
USUAL_RECIPIENTS = (
    "The regulator (the ICO)",
    "The NCSC",
    "Action Fraud (the police)",
    "The insurer",
    "The business owner",
    "The people whose data was affected",
    "Our IT provider",
    "The bank",
)


@dataclass(frozen=True)
class IncidentList:
    incidents: list[Incident]
    open_count: int


def load_list(
    store: Store, statuses: Sequence[str], severity: int, _progress: Progress | None = None
) -> IncidentList:
    """The incidents in `statuses` (every one for none) of `severity` (any for 0), and how
    many are not closed (for the navigation)."""
    found = incident_views.list_incidents(store, statuses)
    if severity:
        found = [item for item in found if item.severity == severity]
    return IncidentList(found, incident_views.open_count(store))


def load_detail(
    store: Store, incident_id: int, now: datetime, _progress: Progress | None = None
) -> IncidentDetail:
    return incident_views.detail(store, incident_id, now)


def change(
    edit: Callable[[], object], store: Store, incident_id: int, now: datetime
) -> IncidentDetail:
    """Make a change (a storage function with its arguments bound), then read the incident
    again: the page shows what the store now holds."""
    edit()
    return incident_views.detail(store, incident_id, now)


def export_pdf(
    store: Store,
    incident_id: int,
    path: Path,
    now: datetime,
    organisation: str = "",
    page_size: str = "A4",
) -> int:
    """Write the incident's PDF summary to `path`; returns its pages.

    The writer is imported when asked for: it loads the PDF machinery, which the window
    needs only for an export."""
    from watchkeeper.incidents.export import write_incident_summary

    pages = write_incident_summary(
        store, incident_id, path, now, organisation=organisation, page_size=page_size
    )
    return int(pages)
