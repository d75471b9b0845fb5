"""Every model passes Qt's model tester; the event model holds pages, never all the rows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from tests.ui.window_helpers import write_auth_log

from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage import eventset, pivots, queries
from watchkeeper.storage.eventset import EventQuery
from watchkeeper.storage.store import Store
from watchkeeper.ui.explorer.events_model import MAX_PAGES, PAGE_SIZE, EventsModel
from watchkeeper.ui.overview.view import OverviewView
from watchkeeper.ui.overview.welcome import WelcomePage
from watchkeeper.ui.pivots.view import HOST_COLUMNS, USER_COLUMNS
from watchkeeper.ui.rows_model import RowsModel


def _filled(store: Store, tmp_path: Path, lines: int = 3000) -> Store:
    import_paths(store, [write_auth_log(tmp_path / "auth.log", lines)])
    return store


def test_events_model_passes_the_model_tester(
    qtmodeltester: ModelTester, store: Store, tmp_path: Path
) -> None:
    _filled(store, tmp_path, 600)
    model = EventsModel(store, ["time", "host", "username", "message", "no-such-field"])
    qtmodeltester.check(model)
    model.show(eventset.build_index(store, EventQuery()))
    qtmodeltester.check(model)
    assert model.rowCount() == 600 and model.columnCount() == 4  # unknown field left out
    model.set_columns(["level", "process"])
    qtmodeltester.check(model)
    model.show(None)
    assert model.rowCount() == 0


def test_events_model_keeps_a_bounded_page_cache(store: Store, tmp_path: Path) -> None:
    _filled(store, tmp_path, 30_000)
    model = EventsModel(store, ["time", "host"])
    model.show(eventset.build_index(store, EventQuery()))
    for row in range(0, model.rowCount(), PAGE_SIZE // 2):
        assert model.data(model.index(row, 1)) in {"web01", "files01"}
    assert len(model._pages) == MAX_PAGES
    assert model.pages_fetched == -(-30_000 // PAGE_SIZE)  # each page read once going down
    last = model.data(model.index(model.rowCount() - 1, 0))
    first = model.data(model.index(0, 0))
    assert first < last  # time order


def test_rows_models_pass_the_model_tester(
    qtmodeltester: ModelTester, qtbot: QtBot, store: Store, tmp_path: Path
) -> None:
    _filled(store, tmp_path, 200)
    users = RowsModel(USER_COLUMNS)
    users.set_rows(pivots.users(store))
    qtmodeltester.check(users)
    users.sort(3, Qt.SortOrder.DescendingOrder)  # logon failures
    assert users.row_object(0).username == "root"
    hosts = RowsModel(HOST_COLUMNS)
    hosts.set_rows(pivots.hosts(store))
    qtmodeltester.check(hosts)
    view = OverviewView(WelcomePage())
    qtbot.addWidget(view)
    view.show_overview(queries.overview(store))
    for model in (view.sources, view.hosts, view.days, view.types, view.silent, view.imports):
        qtmodeltester.check(model)
        assert model.rowCount() > 0 or model is view.silent
