"""Users and Hosts: who logged on where, failures and successes, processes, connections."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QMenu, QVBoxLayout, QWidget

from watchkeeper.core.filterlang import exact_term
from watchkeeper.storage import pivots
from watchkeeper.storage.store import Store
from watchkeeper.ui.rows_model import Column, RowsModel, fit_columns, make_table, select_row_at
from watchkeeper.ui.tasks import TaskRunner

USER_COLUMNS = (
    Column("User", lambda r: r.username),
    Column(
        "Kind",
        lambda r: r.kind_label,
        "Person; service identity (SYSTEM, LOCAL SERVICE, DWM-1…); a computer's own account "
        "(ending in $); or a name that only ever failed to log on (guessed names)",
    ),
    Column("Domain", lambda r: r.domain),
    Column(
        "Logon failures",
        lambda r: r.logon_failures,
        "Failed logons: Windows 4625/4771, failed SSH, su, sudo and login attempts",
    ),
    Column(
        "Logons", lambda r: r.logon_successes, "Successful logons (Windows 4624, SSH, su, login)"
    ),
    Column("Hosts", lambda r: r.host_count),
    Column("Busiest hosts", lambda r: r.hosts),
    Column(
        "Processes started",
        lambda r: r.processes_started,
        "Windows 4688, Sysmon 1 and audited program runs",
    ),
    Column("Connections", lambda r: r.network_connections, "Sysmon 3 and Windows 5156"),
    Column("Events", lambda r: r.events),
    Column("First seen", lambda r: r.first_seen),
    Column("Last seen", lambda r: r.last_seen),
    Column(
        "Also written as",
        lambda r: [name for name in r.aliases if name != r.username],
        "Every other way the events name this account: DOMAIN\\user, user@domain, its SID",
    ),
    Column("SID", lambda r: r.sid),
)
HOST_COLUMNS = (
    Column("Host", lambda r: r.host),
    Column("Events", lambda r: r.events),
    Column("Sources", lambda r: r.sources),
    Column("Logon failures", lambda r: r.logon_failures),
    Column("Logons", lambda r: r.logon_successes),
    Column("Users", lambda r: r.user_count),
    Column("Busiest users", lambda r: r.users),
    Column("Processes started", lambda r: r.processes_started),
    Column("Connections", lambda r: r.network_connections),
    Column("First seen", lambda r: r.first_seen),
    Column("Last seen", lambda r: r.last_seen),
    Column(
        "Quiet for (hours)",
        lambda r: r.silent_hours,
        "Hours between the host's last event and the newest event in the store",
    ),
    Column(
        "Also written as",
        lambda r: [name for name in r.aliases if name != r.host],
        "Other names the events give this machine, such as its FQDN",
    ),
)


class PivotView(QWidget):
    """One row per user or host; double-click or Enter opens that one's events."""

    filter_requested = Signal(str, object, object)
    add_to_incident_requested = Signal(str, list)  # "host" or "user", the names

    def __init__(
        self,
        store: Store,
        runner: TaskRunner,
        *,
        title: str,
        field: str,
        columns: Sequence[Column],
        load: Callable[..., list[Any]],
        key_of: Callable[[Any], str],
        explanation: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._title = title
        self._field = field
        self._load = load
        self._key_of = key_of
        self.model = RowsModel(columns)
        self.table = make_table(self.model, self._on_row_activated)
        self.table.setToolTip("Double-click a row to see its events; right-click for more")
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_menu)
        heading = QLabel(title)
        heading.setObjectName("heading")
        note = QLabel(explanation)
        note.setObjectName("muted")
        note.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setPlaceholderText(f"Find a {field}…")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(280)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.count = QLabel("")
        self.count.setObjectName("muted")
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.count)
        top.addWidget(self.search)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)
        self._rows: list[Any] = []
        self.loaded = False

    def refresh(self) -> None:
        self._runner.run(
            lambda progress: self._load(self._store, progress=progress),
            title=f"Counting {self._title.lower()}",
            key=f"pivot-{self._field}",
            on_success=self._on_loaded,
        )

    def set_utc(self, utc: bool) -> None:
        self.model.set_utc(utc)

    def _on_loaded(self, rows: list[Any]) -> None:
        self._rows = rows
        self.loaded = True
        self._on_search_text_changed(self.search.text())
        fit_columns(self.table, widest=240)

    def _on_search_text_changed(self, text: str) -> None:
        needle = text.strip().lower()
        shown = [r for r in self._rows if needle in _searched(self._key_of(r), r)]
        self.model.set_rows(shown)
        self.count.setText(
            f"{len(shown):,} of {len(self._rows):,}" if needle else f"{len(self._rows):,}"
        )

    def _on_row_activated(self, row: Any) -> None:
        if row is not None:
            self.filter_requested.emit(exact_term(self._field, self._key_of(row)), None, None)

    def selected_row(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_object(rows[0].row()) if rows else None

    def _on_table_menu(self, point: QPoint) -> None:
        if not select_row_at(self.table, point):
            return
        row = self.selected_row()
        name = self._key_of(row)
        menu = QMenu(self)
        menu.addAction("Show events", partial(self._on_row_activated, row))
        menu.addAction(
            f"Add {self._field} to incident…",
            partial(self.add_to_incident_requested.emit, self._field, [name]),
        )
        menu.popup(self.table.viewport().mapToGlobal(point))


def _searched(key: str, row: Any) -> str:
    """What the find box looks in: the row's name and every other spelling of it."""
    return " ".join([key, *getattr(row, "aliases", [])]).lower()


def users_view(store: Store, runner: TaskRunner) -> PivotView:
    return PivotView(
        store,
        runner,
        title="Users",
        field="user",
        columns=USER_COLUMNS,
        load=partial(pivots.users),
        key_of=lambda r: r.label or r.username,
        explanation="Every account seen in the logs, people first, most failed logons "
        "first: tie suspicious activity to a person. One person's spellings "
        "(CONTOSO\\alice, alice@contoso.local, her SID) are one row.",
    )


def hosts_view(store: Store, runner: TaskRunner) -> PivotView:
    return PivotView(
        store,
        runner,
        title="Hosts",
        field="host",
        columns=HOST_COLUMNS,
        load=partial(pivots.hosts),
        key_of=lambda r: r.host,
        explanation="Every computer, server and device seen, with who used it and "
        "when it was last heard from. A short name, its FQDN and the addresses it sent "
        "its logs from are one row.",
    )
