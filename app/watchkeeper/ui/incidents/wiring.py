"""How incidents join the window: the Incidents view's count in the navigation, Escalate in
Hits, Add to incident in the explorer, Users and Hosts, and the news in the status line."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QListWidget

from watchkeeper.storage import incident_views
from watchkeeper.storage.incidents import LEVEL_SEVERITY
from watchkeeper.ui.hits.detection_model import DetectionRow
from watchkeeper.ui.incidents.linking import IncidentLinker

if TYPE_CHECKING:
    from watchkeeper.ui.main_window import MainWindow

NAME = "Incidents"


def show_open_count(navigation: QListWidget, row: int, count: int) -> None:
    """Incidents not closed, on a second line of the navigation (it stays narrow)."""
    item = navigation.item(row)
    if item is not None:
        item.setText(NAME + (f"\n({count:,} open)" if count else ""))


def wire_incidents(window: MainWindow, row: int) -> IncidentLinker:
    """Connect the Incidents view (at `row` of the navigation) and the commands that feed it;
    returns the linker that asks which incident and links."""
    view = window.incidents_view
    linker = IncidentLinker(window.store, window.runner, window)
    count = partial(show_open_count, window.navigation, row)
    view.filter_requested.connect(window.show_events)
    view.changed.connect(window.status_line.say)
    view.open_count_changed.connect(count)

    def on_linked(said: str, _number: int) -> None:
        window.status_line.say(said)
        window.views.mark_stale(row)
        count_open()

    def escalate(detection: DetectionRow) -> None:
        item = detection.detection
        title = item.title + (f" on {item.host}" if item.host else "")
        severity = LEVEL_SEVERITY.get(item.level.lower(), 2)
        linker.escalate(
            item.id, title, severity, partial(window.hits_view.triage.show_saved, detection)
        )

    def count_open() -> None:
        window.runner.run(
            lambda _progress: incident_views.open_count(window.store),
            title="Counting incidents",
            key="incident-count",
            dialog=False,
            quiet=True,
            on_success=count,
        )

    linker.linked.connect(on_linked)
    window.hits_view.triage.escalate = escalate
    for pivot in (window.users, window.hosts):
        pivot.add_to_incident_requested.connect(linker.add)
    count_open()
    return linker
