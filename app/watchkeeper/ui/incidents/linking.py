"""Escalate to incident, and Add to incident: a detection from Hits, events from the
explorer, hosts and users from their views join a new incident or one not yet closed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from watchkeeper.storage import detections, incident_links, incidents
from watchkeeper.storage.detections import HistoryEntry
from watchkeeper.storage.incident_views import Incident
from watchkeeper.storage.store import Store
from watchkeeper.ui.hits.triage import os_user
from watchkeeper.ui.incidents.dialogs import ChooseIncidentDialog
from watchkeeper.ui.incidents.jobs import STATUS_CHOICES, load_list
from watchkeeper.ui.tasks import TaskRunner

_NOT_CLOSED = STATUS_CHOICES[0][1]
_WORDS = {"event": "event", "host": "host", "user": "user", "device": "device"}


def _what(kind: str, values: Sequence[str | int]) -> str:
    if kind == "event":
        return f"{len(values):,} event(s)" if len(values) != 1 else f"event {values[0]}"
    shown = ", ".join(str(v) for v in values[:3]) + (" …" if len(values) > 3 else "")
    return f"{_WORDS[kind]} {shown}"


def escalate_work(
    store: Store,
    detection_id: int,
    incident_id: int | None,
    title: str,
    severity: int,
    by: str,
    now: datetime,
) -> tuple[int, HistoryEntry]:
    """Escalate the detection (a new incident, or into `incident_id`); a new one takes the
    title and severity the user chose. Returns the incident and the detection's new state."""
    number = incident_links.escalate(store, detection_id, by, now, incident_id)
    if incident_id is None:
        incidents.update(store, number, by, now, title=title, severity=severity)
    return number, detections.history(store, detection_id)[-1]


def add_work(
    store: Store,
    kind: str,
    values: Sequence[str | int],
    incident_id: int | None,
    title: str,
    severity: int,
    by: str,
    now: datetime,
) -> int:
    """Link `values` to `incident_id`, or to a new incident of that title and severity."""
    if incident_id is None:
        incident_id = incidents.create(store, title, by, now, severity)
    incident_links.link(store, incident_id, kind, list(values), by, now)
    return incident_id


class IncidentLinker(QObject):
    """Asks which incident, then links as a job; `linked` says what was done and where."""

    linked = Signal(str, int)  # what happened, the incident's number

    def __init__(self, store: Store, runner: TaskRunner, owner: QWidget) -> None:
        super().__init__(owner)
        self._store = store
        self._runner = runner
        self._owner = owner
        self.who: Callable[[], str] = os_user
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.dialog: ChooseIncidentDialog | None = None

    def escalate(
        self,
        detection_id: int,
        title: str,
        severity: int,
        then: Callable[[HistoryEntry], object] | None = None,
    ) -> None:
        """Escalate a detection: a new incident from it, or into one already open; `then`
        gets the detection's new triage state."""
        what = f"Escalate detection {detection_id}: {title}"
        ask = partial(self._ask, what, "Escalate", title, severity)
        self._with_open(ask, partial(self._escalate, detection_id, then))

    def add(self, kind: str, values: Sequence[str | int]) -> None:
        """Add events (ids), hosts or users (names) to an incident."""
        if not values:
            return
        what = _what(kind, values)
        ask = partial(self._ask, f"Add {what} to an incident", "Add", f"Suspicious {what}", 2)
        self._with_open(ask, partial(self._add, kind, list(values), what))

    def _with_open(
        self,
        ask: Callable[[list[Incident], Callable[[ChooseIncidentDialog], None]], None],
        then: Callable[[ChooseIncidentDialog], None],
    ) -> None:
        self._runner.run(
            partial(load_list, self._store, _NOT_CLOSED, 0),
            title="Reading incidents",
            dialog=False,
            quiet=True,
            on_success=lambda found: ask(found.incidents, then),
        )

    def _ask(
        self,
        what: str,
        ok_text: str,
        title: str,
        severity: int,
        open_ones: list[Incident],
        then: Callable[[ChooseIncidentDialog], None],
    ) -> None:
        dialog = ChooseIncidentDialog(what, open_ones, title, severity, ok_text, self._owner)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(partial(then, dialog))
        self.dialog = dialog
        dialog.open()

    def _escalate(
        self,
        detection_id: int,
        then: Callable[[HistoryEntry], object] | None,
        dialog: ChooseIncidentDialog,
    ) -> None:
        self.dialog = None
        chosen, title, severity = (
            dialog.chosen_incident(),
            dialog.chosen_title(),
            dialog.chosen_severity(),
        )
        who, now = self.who(), self.clock()

        def done(result: tuple[int, HistoryEntry]) -> None:
            number, entry = result
            if then is not None:
                then(entry)
            self.linked.emit(
                f"Detection {detection_id} escalated to {incidents.label(number)}", number
            )

        self._runner.run(
            lambda _progress: escalate_work(
                self._store, detection_id, chosen, title, severity, who, now
            ),
            title="Escalating",
            dialog=False,
            on_success=done,
        )

    def _add(
        self, kind: str, values: list[str | int], what: str, dialog: ChooseIncidentDialog
    ) -> None:
        self.dialog = None
        chosen, title, severity = (
            dialog.chosen_incident(),
            dialog.chosen_title(),
            dialog.chosen_severity(),
        )
        who, now = self.who(), self.clock()
        self._runner.run(
            lambda _progress: add_work(
                self._store, kind, values, chosen, title, severity, who, now
            ),
            title="Adding to the incident",
            dialog=False,
            on_success=lambda number: self.linked.emit(
                f"{what[0].upper()}{what[1:]} added to {incidents.label(number)}", number
            ),
        )
