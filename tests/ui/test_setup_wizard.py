"""The setup wizard's first two pages, driven as a user would: counts and logs chosen, the
rules counted in the background, retention with its reason, Cancel and Finish."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QWizard
from pytestqt.qtbot import QtBot

from watchkeeper.core.progress import Progress
from watchkeeper.core.settings import Settings
from watchkeeper.detection.rules import RuleCache, load_rules
from watchkeeper.setup import draft as draft_module
from watchkeeper.setup.coverage import Coverage, coverage
from watchkeeper.setup.plan import FILENAME, LoggingPlan, PlatformPlan, load_plan, save_plan
from watchkeeper.ui.setup_wizard import choose_page
from watchkeeper.ui.setup_wizard.choose_page import COUNTING, ChooseLogsPage
from watchkeeper.ui.setup_wizard.context import WizardContext
from watchkeeper.ui.setup_wizard.keep_page import KeepPage
from watchkeeper.ui.setup_wizard.wizard import SetupWizard
from watchkeeper.ui.tasks import TaskRunner

RULE = """title: Rule {n}
id: 00000000-0000-4000-8000-{n:012d}
logsource:
    product: {product}
    {key}: {value}
detection:
    selection:
        Image: x
    condition: selection
"""
# two rules only Sysmon feeds, one that Security and Sysmon both feed, one for Linux sign-ins
SHAPES = [
    ("windows", "category", "registry_set"),
    ("windows", "category", "dns_query"),
    ("windows", "category", "process_creation"),
    ("linux", "service", "auth"),
]


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.cancel_all()
    tasks.wait()
    # the jobs' last news delivered (and their tasks deleted) before the runner goes
    qtbot.waitUntil(lambda: tasks.idle, timeout=30_000)


@pytest.fixture
def rules_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The page counts these rules, loaded for real, instead of the shipped ones."""
    folder = tmp_path / "rules"
    folder.mkdir()
    for n, (product, key, value) in enumerate(SHAPES, 1):
        text = RULE.format(n=n, product=product, key=key, value=value)
        (folder / f"r{n}.yml").write_text(text, encoding="utf-8")

    def count(_settings: Settings, progress: Progress) -> Coverage:
        cache = RuleCache(tmp_path / "cache.sqlite")
        try:
            return coverage(load_rules([folder], progress=progress, cache=cache))
        finally:
            cache.close()

    monkeypatch.setattr(choose_page, "count_rules", count)
    return folder


class Opened:
    """A wizard on files of the test's own: the plan, the settings."""

    def __init__(self, qtbot: QtBot, runner: TaskRunner, tmp_path: Path) -> None:
        self.qtbot, self.runner = qtbot, runner
        self.plan_file = tmp_path / "config" / FILENAME
        self.settings_file = tmp_path / "config" / "settings.json"
        self.settings = Settings()

    def open(self) -> SetupWizard:
        draft = draft_module.open_draft(self.settings, self.plan_file)
        context = WizardContext(
            draft.plan,
            self.settings,
            None,
            self.runner,
            plan_file=self.plan_file,
            settings_file=self.settings_file,
        )
        wizard = SetupWizard(context, draft)
        self.qtbot.addWidget(wizard)
        wizard.resize(1280, 800)
        wizard.show()
        return wizard

    def settle(self) -> None:
        self.qtbot.waitUntil(lambda: self.runner.idle, timeout=60_000)


@pytest.fixture
def opened(qtbot: QtBot, runner: TaskRunner, tmp_path: Path, rules_folder: Path) -> Opened:
    return Opened(qtbot, runner, tmp_path)


def _choose(wizard: SetupWizard) -> ChooseLogsPage:
    page = wizard.currentPage()
    assert isinstance(page, ChooseLogsPage)
    return page


def _keep(wizard: SetupWizard) -> KeepPage:
    page = wizard.currentPage()
    assert isinstance(page, KeepPage)
    return page


def test_counts_and_logs_edit_the_draft_and_the_estimate_follows(opened: Opened) -> None:
    wizard = opened.open()
    page = _choose(wizard)
    assert wizard.windowTitle() == "Set up logging"
    assert page.estimate.text().startswith("Type how many of each you have")
    assert page.boxes["sysmon"].isChecked() and page.boxes["auditd"].isChecked()
    page.counts["windows"].setValue(10)
    # 10 computers x (4,000 + 8,000 + 500 + 30 + 200) events a day
    assert page.estimate.text().startswith("About 127,300 events a day from 10 devices")
    assert page.counts["windows"].suffix() == " computers"
    page.counts["linux"].setValue(1)
    assert page.counts["linux"].suffix() == " server"
    page.boxes["sysmon"].setChecked(False)
    assert "About 73,300 events a day from 11 devices" in page.estimate.text()
    assert wizard.context.draft.platforms["windows"] == PlatformPlan(
        10, ["windows-security", "powershell", "defender", "windows-system"]
    )


def test_the_rules_are_counted_in_the_background_and_each_log_says_what_it_adds(
    opened: Opened,
) -> None:
    wizard = opened.open()
    page = _choose(wizard)
    opened.settle()
    assert page.fires["sysmon"].text() == "lets 3 rules fire (2 only with it)"
    assert page.fires["windows-security"].text() == "lets 1 rule fire (0 only with it)"
    assert page.fires["linux-auth"].text() == "lets 1 rule fire (1 only with it)"
    assert page.fires["macos-unified"].text() == "no loaded rule reads it yet"
    assert page.fires["mdm-export"].text() == "for the Devices view"
    page.boxes["sysmon"].setChecked(False)
    # without Sysmon, Security alone lets process creation be seen
    assert page.fires["windows-security"].text() == "lets 1 rule fire (1 only with it)"
    assert page.rules_label.text() == "With these logs, 0 of the 4 rules loaded can fire."
    page.counts["windows"].setValue(3)
    assert page.rules_label.text() == "With these logs, 1 of the 4 rules loaded can fire."


def test_the_page_answers_while_the_rules_are_still_being_counted(
    qtbot: QtBot, runner: TaskRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def slow(_settings: Settings, progress: Progress) -> Coverage:
        assert release.wait(30)
        return coverage([])

    monkeypatch.setattr(choose_page, "count_rules", slow)
    wizard = Opened(qtbot, runner, tmp_path).open()
    page = _choose(wizard)
    assert page.rules_label.text() == COUNTING and page.fires["sysmon"].text() == COUNTING
    page.counts["macos"].setValue(2)
    assert page.estimate.text().startswith("About 20,000 events a day from 2 devices")
    release.set()
    qtbot.waitUntil(lambda: runner.idle, timeout=30_000)
    assert page.fires["sysmon"].text() == "no loaded rule reads it yet"


def test_rules_that_cannot_be_counted_are_said_in_a_sentence(
    qtbot: QtBot, runner: TaskRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_settings: Settings, progress: Progress) -> Coverage:
        raise OSError("the rule folder went away")

    monkeypatch.setattr(choose_page, "count_rules", broken)
    wizard = Opened(qtbot, runner, tmp_path).open()
    qtbot.waitUntil(lambda: runner.idle, timeout=30_000)
    page = _choose(wizard)
    assert page.rules_label.text() == "The rules could not be counted: the rule folder went away"
    assert page.fires["sysmon"].text() == ""


def test_less_than_six_months_needs_a_reason_before_finish(opened: Opened) -> None:
    wizard = opened.open()
    wizard.next()
    page = _keep(wizard)
    finish = wizard.button(QWizard.WizardButton.NextButton)  # on to step 3
    assert page.months.value() == 13 and page.hot_days.value() == 90
    assert finish.isEnabled() and page.problem.isHidden()
    page.months.setValue(2)
    assert not finish.isEnabled()
    assert page.problem.text().startswith("Keeping events for less than 6 months needs a reason")
    page.reason.setText("  ")
    assert not finish.isEnabled()
    page.reason.setText("Our contract with the client says two months")
    assert page.problem.text() == (
        "90 days in the store is longer than the 2 months kept; keep at most 60 days in the store."
    )
    page.hot_days.setValue(30)
    assert finish.isEnabled() and page.problem.isHidden()


def test_the_keep_page_estimates_the_space_from_step_one(opened: Opened, tmp_path: Path) -> None:
    wizard = opened.open()
    _choose(wizard).counts["linux"].setValue(2)  # 2 x 26,000 events a day
    wizard.next()
    page = _keep(wizard)
    assert page.estimate.text() == (
        "About 52,000 events a day: 90 days in the store (950.0 MB) "
        "and 306 days in the archive (1.4 GB)."
    )
    assert page.verdict.text().startswith("About 2.4 GB over the whole retention")
    page.hot_days.setValue(7)
    assert "7 days in the store (73.9 MB)" in page.estimate.text()
    # where the archive goes: beside the store, shown and not editable
    assert page.archive.isReadOnly()
    assert page.archive.text().endswith(".archive")


def test_finish_saves_the_plan_and_gives_retention_to_the_settings(opened: Opened) -> None:
    wizard = opened.open()
    _choose(wizard).counts["windows"].setValue(4)
    wizard.next()
    page = _keep(wizard)
    page.months.setValue(24)
    page.hot_days.setValue(60)
    wizard.next()  # step 3: the recommended listeners
    wizard.next()  # step 4
    assert wizard.currentId() == 3
    with opened.qtbot.waitSignal(wizard.plan_saved):
        wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.result() == QWizard.DialogCode.Accepted
    plan = load_plan(opened.plan_file)
    assert plan is not None
    assert plan.platforms["windows"].count == 4 and plan.retention_months == 24
    assert plan.step == 3
    saved = json.loads(opened.settings_file.read_text(encoding="utf-8"))
    assert (saved["retention_months"], saved["hot_days"]) == (24, 60)
    assert saved["listeners"] == plan.receiving.listeners  # step 3's
    assert opened.settings.retention_months == 24  # the window's settings too


def test_cancel_keeps_nothing_but_the_page_and_the_wizard_reopens_there(opened: Opened) -> None:
    saved = LoggingPlan(retention_months=13)
    saved.platforms["linux"] = PlatformPlan(2, ["linux-auth"])
    save_plan(saved, opened.plan_file)
    before = opened.plan_file.read_text(encoding="utf-8")
    wizard = opened.open()
    assert _choose(wizard).counts["linux"].value() == 2
    _choose(wizard).counts["linux"].setValue(40)
    wizard.next()
    _keep(wizard).months.setValue(60)
    wizard.button(QWizard.WizardButton.CancelButton).click()
    assert wizard.result() == QWizard.DialogCode.Rejected
    after = load_plan(opened.plan_file)
    assert after is not None
    assert after.platforms == saved.platforms and after.retention_months == 13
    assert after.step == 1
    assert opened.plan_file.read_text(encoding="utf-8") == before.replace("step: 0", "step: 1")
    assert not opened.settings_file.exists()
    again = opened.open()
    assert again.currentId() == 1
    assert _keep(again).months.value() == 13
    again.back()
    assert _choose(again).counts["linux"].value() == 2


def test_cancel_before_any_plan_was_saved_writes_no_plan(opened: Opened) -> None:
    wizard = opened.open()
    wizard.next()
    wizard.reject()
    assert not opened.plan_file.exists()
    assert opened.open().currentId() == 1  # remembered beside the window's layout


def test_escape_is_cancel(opened: Opened) -> None:
    wizard = opened.open()
    _choose(wizard).counts["macos"].setValue(5)
    opened.qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert not wizard.isVisible()
    assert not opened.plan_file.exists()


def test_an_unreadable_plan_is_kept_aside_when_finish_replaces_it(opened: Opened) -> None:
    opened.plan_file.parent.mkdir(parents=True)
    opened.plan_file.write_bytes(b"platforms: [\xff\xfe")
    draft = draft_module.open_draft(opened.settings, opened.plan_file)
    assert draft.problem == (
        "logging-plan.yaml is not UTF-8 text. The wizard starts a new plan; Finish keeps the "
        "old file as logging-plan.yaml.unreadable."
    )
    wizard = opened.open()
    wizard.next()
    wizard.accept()
    assert load_plan(opened.plan_file) is not None
    kept = opened.plan_file.with_name(FILENAME + ".unreadable")
    assert kept.read_bytes() == b"platforms: [\xff\xfe"


def test_the_welcome_card_and_the_help_menu_open_the_wizard(
    qtbot: QtBot, make_window: Callable[..., object], rules_folder: Path
) -> None:
    from watchkeeper.ui.main_window import MainWindow

    window = make_window()
    assert isinstance(window, MainWindow)
    button = window.welcome.forward_button
    assert button.isEnabled() and button.text().startswith("Set up logging\n")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    wizard = window.setup_wizard  # type: ignore[attr-defined]
    assert isinstance(wizard, SetupWizard) and wizard.isVisible()
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert isinstance(help_menu, QMenu)
    item = next(a for a in help_menu.actions() if a.text() == "Set up &logging…")
    wizard.reject()
    qtbot.waitUntil(lambda: window.setup_wizard is None)  # type: ignore[attr-defined]
    item.trigger()
    assert window.setup_wizard.isVisible()  # type: ignore[attr-defined]
    window.setup_wizard.reject()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.runner.idle, timeout=60_000)
