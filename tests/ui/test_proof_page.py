"""Step 4's page in a bare QWizard: the live checklist, its test commands, adding a source."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot
from tests.unit.storage.test_sources import NOW, deliver, every, syslog

from watchkeeper.core.settings import Settings
from watchkeeper.setup.plan import LoggingPlan, PlannedSource, PlatformPlan
from watchkeeper.storage.store import Store
from watchkeeper.ui.setup_wizard.context import WizardContext
from watchkeeper.ui.setup_wizard.proof_page import RECHECK_MS, STATE_WORDS, ProofPage
from watchkeeper.ui.tasks import TaskRunner


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.cancel_all()
    tasks.wait()


def plan_of(*sources: tuple[str, str]) -> LoggingPlan:
    return LoggingPlan(
        platforms={
            "linux": PlatformPlan(count=1, logs=["linux-auth"]),
            "windows": PlatformPlan(count=1, logs=["windows-security", "windows-system"]),
        },
        sources=[PlannedSource(name, platform) for name, platform in sources],  # type: ignore[arg-type]
    )


def open_page(
    qtbot: QtBot, store: Store | None, runner: TaskRunner, plan: LoggingPlan
) -> tuple[QWizard, ProofPage, WizardContext]:
    context = WizardContext(plan, Settings(), store, runner, clock=lambda: NOW)
    wizard = QWizard()
    wizard.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
    page = ProofPage(context)
    wizard.addPage(page)
    qtbot.addWidget(wizard)
    wizard.resize(980, 600)
    wizard.show()  # initializes the page: the first check starts
    qtbot.waitUntil(lambda: runner.idle, timeout=30_000)
    return wizard, page, context


def send_marker(store: Store, folder: Path, host: str, marker: str) -> None:
    times = every(300, 12, NOW - timedelta(minutes=2))
    messages = [syslog("10.0.0.5", t, host=host, app="sshd", transport="tls") for t in times]
    messages.append(
        syslog("10.0.0.5", NOW, host=host, app="watchkeeper-test", transport="tls", text=marker)
    )
    deliver(store, folder, messages)


def top(page: ProofPage, number: int) -> list[str]:
    item = page.top_items()[number]
    return [item.text(column) for column in range(4)]


def test_one_green_and_one_red_row_with_their_commands(
    qtbot: QtBot, store: Store, runner: TaskRunner, tmp_path: Path
) -> None:
    plan = plan_of(("web01", "linux"), ("pc-reception", "windows"))
    wizard, page, context = open_page(qtbot, store, runner, plan)
    assert [top(page, n)[1] for n in range(2)] == [STATE_WORDS["red"]] * 2
    # the web server runs the command the page shows: its marker arrives
    page.tree.setCurrentItem(page.top_items()[0])
    command = page.command.text()
    assert command.startswith('logger -t watchkeeper-test "WK-TEST-')
    marker = command.split('"')[1]
    page.copy_command()
    assert QGuiApplication.clipboard().text() == command
    send_marker(store, tmp_path / "spool", "web01", marker)
    qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: runner.idle and top(page, 0)[1] == STATE_WORDS["green"], timeout=30_000)
    assert top(page, 0)[2] == "Everything checked arrives as planned."
    red = top(page, 1)
    assert red[1] == STATE_WORDS["red"]
    assert red[2] == "Nothing has arrived from pc-reception yet."
    assert "port 6514" in red[3]
    assert page.tree.currentItem() is page.top_items()[0]  # the selection stayed
    page.tree.setCurrentItem(page.top_items()[1])
    assert page.command.text().startswith("eventcreate /T INFORMATION /ID 100 /L SYSTEM")
    assert "administrator" in page.hint.text()
    # the answer is in the draft, to be saved with the plan on Finish
    assert context.draft.checked == {"web01": "green", "pc-reception": "red"}
    assert context.draft.checked_at == NOW
    assert page.status.text().startswith("1 of 2 source(s) work as planned.")
    assert page.timer.isActive() and page.timer.interval() == RECHECK_MS
    page.tree.expandAll()
    page.tree.collapseItem(page.top_items()[0])
    # docs/setup-4-prove.png is this picture
    assert wizard.grab().save(str(tmp_path / "setup-4-prove.png"))
    wizard.hide()
    assert not page.timer.isActive()  # no re-checks while the page is not shown


def test_a_plan_without_sources_asks_for_one_and_checks_it(
    qtbot: QtBot, store: Store, runner: TaskRunner
) -> None:
    _wizard, page, context = open_page(qtbot, store, runner, LoggingPlan())
    assert page.top_items() == []
    assert (
        page.status.text()
        == "No sources planned yet: add each device that sends, by its host name (e.g. web01), above."
    )
    assert not page.copy_button.isEnabled()
    for bad in ("", "two words", "<b>web</b>", "web01\nevil", "x" * 300):
        assert not page.add_source(bad, "linux")
        assert page.add_problem.isVisible() and "\n" not in page.add_problem.text()
    assert context.draft.sources == []
    page.add_name.setText("web01")
    qtbot.keyClick(page.add_name, "\r")
    qtbot.waitUntil(lambda: runner.idle, timeout=30_000)
    assert [s.name for s in context.draft.sources] == ["web01"]
    assert top(page, 0)[1] == STATE_WORDS["red"]
    assert page.command.text().startswith("logger -t watchkeeper-test")
    assert not page.add_source("WEB01", "linux")
    assert page.add_problem.text() == "WEB01 is already in the plan."


def test_hostile_names_are_shown_as_text(qtbot: QtBot, store: Store, runner: TaskRunner) -> None:
    plan = plan_of(("x", "linux"))
    plan.sources[0].name = "<b>web</b>\nFAKE"  # a hand-edited plan
    _wizard, page, _context = open_page(qtbot, store, runner, plan)
    name, state, found, _fix = top(page, 0)
    assert name == "<b>web</b>\\x0aFAKE" and state == STATE_WORDS["red"]
    assert "\n" not in found
    assert page.top_items()[0].toolTip(0) == "<p>&lt;b&gt;web&lt;/b&gt;\\x0aFAKE</p>"


def test_without_a_store_it_says_so(qtbot: QtBot, runner: TaskRunner) -> None:
    _wizard, page, _context = open_page(qtbot, None, runner, plan_of(("web01", "linux")))
    assert page.status.text() == "No store is open here, so nothing can be checked yet."
    assert not page.check_button.isEnabled()
