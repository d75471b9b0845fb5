"""The logging plan in the Sources view and the Overview: what it expects and has not arrived."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from tests.unit.setup.test_expected import office, web01_sshd
from tests.unit.storage.test_sources import NOW, deliver

from watchkeeper.core.settings import Settings
from watchkeeper.storage.store import Store
from watchkeeper.ui.overview.view import OverviewView
from watchkeeper.ui.overview.welcome import WelcomePage
from watchkeeper.ui.sources.models import (
    APPLICATION,
    EXPECTED,
    FIRST_HEARD,
    HOST,
    LAST_HEARD,
    STATUS,
)
from watchkeeper.ui.sources.view import SourcesView
from watchkeeper.ui.tasks import TaskRunner


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.cancel_all()
    tasks.wait()


def test_a_planned_source_is_silent_from_day_one(
    qtbot: QtBot, store: Store, runner: TaskRunner, tmp_path: Path
) -> None:
    deliver(store, tmp_path / "spool", web01_sshd())
    plan = office()
    plan.sources[1].name = "db01<b>x</b>"
    view = SourcesView(
        store, Settings(time_display="utc"), runner, None, clock=lambda: NOW, plan=lambda: plan
    )
    qtbot.addWidget(view)
    view.resize(1300, 420)
    view.show()
    with qtbot.waitSignal(view.plan_missing_changed, timeout=30_000) as said:
        view.refresh()
    qtbot.waitUntil(lambda: runner.idle, timeout=30_000)
    model = view.model

    def cells(row: int) -> list[object]:
        return [
            model.data(model.index(row, column))
            for column in (STATUS, HOST, APPLICATION, LAST_HEARD, EXPECTED, FIRST_HEARD)
        ]

    assert [cells(n) for n in range(model.rowCount())] == [
        ["Silent", "db01<b>x</b>", "planned, never seen", "never", "in the logging plan", "—"],
        [
            "Silent",
            "web01",
            "auditd records (planned, missing)",
            "never",
            "in the logging plan",
            "—",
        ],
        ["Receiving", "web01", "sshd", "0 s ago", "5 min (learned)", "2026-06-01 11:31"],
    ]
    assert said.args == [
        "Missing from the logging plan: never heard from db01<b>x</b>; "
        "not seen in 24 h: auditd records from web01."
    ]
    assert view.silent_count == 2
    assert view.banner_text.text().startswith("2 sources are silent: db01<b>x</b> (planned, never")
    view.table.selectRow(0)
    assert not view.interval_button.isEnabled()  # nothing to learn from a planned row
    tooltip = model.data(model.index(0, STATUS), 3)
    assert "db01&lt;b&gt;x&lt;/b&gt;" in tooltip and "silent from day one" in tooltip
    view.grab().save(str(tmp_path / "sources-planned.png"))

    overview = OverviewView(WelcomePage())
    qtbot.addWidget(overview)
    overview.show_plan_missing(said.args[0])
    assert overview.plan_missing.text() == said.args[0]  # plain text: the markup shows as typed
    assert not overview.plan_missing.isHidden()
    overview.show_plan_missing("")
    assert overview.plan_missing.isHidden()
