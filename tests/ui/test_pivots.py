"""The Users and Hosts views: one person and one machine a row, people first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from tests.unit.storage.test_identities import DROP, office  # the fixture

from watchkeeper.storage.store import Store
from watchkeeper.ui.pivots.view import PivotView, hosts_view, users_view
from watchkeeper.ui.tasks import TaskRunner

__all__ = ["office"]


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.cancel_all()
    tasks.wait()


def loaded(qtbot: QtBot, view: PivotView) -> PivotView:
    qtbot.addWidget(view)
    view.resize(1100, 420)
    view.show()
    view.refresh()
    qtbot.waitUntil(lambda: view.loaded, timeout=30_000)
    return view


def column(view: PivotView, title: str) -> list[str]:
    model = view.model
    index = next(
        c
        for c in range(model.columnCount())
        if model.headerData(c, Qt.Orientation.Horizontal) == title
    )
    return [model.data(model.index(r, index)) for r in range(model.rowCount())]


def test_users_view_lists_people_first_each_once(
    qtbot: QtBot,
    office: Store,
    runner: TaskRunner,
    tmp_path: Path,
) -> None:
    view = loaded(qtbot, users_view(office, runner))
    assert column(view, "User")[:3] == ["alice", "bob", "bob"]
    assert column(view, "Kind")[:3] == ["Person"] * 3
    assert column(view, "Domain")[:3] == ["CONTOSO", "CONTOSO", "PC02"]
    assert column(view, "User").count("alice") == 1
    kinds = column(view, "Kind")
    assert kinds[3:] == [
        "Built-in or service",
        "Built-in or service",
        "Machine",
        "Failed logons only",
        "Failed logons only",
    ]
    assert DROP in column(view, "User")  # shown as written
    alice_aliases = column(view, "Also written as")[0]
    assert "CONTOSO\\alice" in alice_aliases and "alice@CONTOSO.LOCAL" in alice_aliases
    # the find box finds her by another spelling too
    view.search.setText("alice@contoso")
    assert view.model.rowCount() == 1 and view.count.text() == "1 of 8"
    view.search.setText("")
    shot = tmp_path / "users.png"
    assert view.grab().save(str(shot)) and shot.stat().st_size > 0
    # opening a row filters the events by the identity's most precise name
    opened: list[str] = []
    view.filter_requested.connect(lambda text, *_: opened.append(text))
    view.table.activated.emit(view.model.index(0, 0))
    assert opened == ['user:"CONTOSO\\alice"']


def test_hosts_view_merges_a_short_name_and_its_fqdn(
    qtbot: QtBot,
    office: Store,
    runner: TaskRunner,
    tmp_path: Path,
) -> None:
    view = loaded(qtbot, hosts_view(office, runner))
    assert column(view, "Host") == ["PC01", "PC02", "web1"]
    assert column(view, "Also written as")[0] == "PC01.contoso.local"
    shot = tmp_path / "hosts.png"
    assert view.grab().save(str(shot)) and shot.stat().st_size > 0
