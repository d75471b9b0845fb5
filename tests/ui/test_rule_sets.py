"""SigmaHQ's set in the window: the profile menu with its counts, and updating from a release."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot
from tests.ui.window_helpers import settle

from watchkeeper.core import settings as settings_file
from watchkeeper.detection import bundle
from watchkeeper.ui.main_window import MainWindow

MakeWindow = Callable[..., MainWindow]

RULE = """title: {title}
id: 00000000-0000-4000-8000-{number:012d}
status: test
level: {level}
author: Someone Else
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: {number}
    condition: selection
"""


def _release(folder: Path, rules: dict[int, tuple[str, str]]) -> Path:
    for number, (title, level) in rules.items():
        path = folder / "rules" / "windows" / f"rule_{number}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(RULE.format(title=title, number=number, level=level), encoding="utf-8")
    return folder


def test_the_profile_menu_shows_each_count_and_saves_the_choice(
    make_window: MakeWindow, qtbot: QtBot
) -> None:
    window = make_window(settings_file.load())
    actions = window.rule_sets.profile_actions
    assert set(actions) == {"core", "broad", "hunting"}
    qtbot.waitUntil(lambda: "rules)" in actions["core"].text(), timeout=60_000)
    counts = window.rule_sets.counts
    assert 0 < counts["core"] < counts["broad"] < counts["hunting"]
    assert f"({counts['broad']:,} rules)" in actions["broad"].text()
    assert actions["core"].isChecked()
    actions["broad"].trigger()
    assert settings_file.load().rule_profile == "broad"
    assert "Rule profile Broad" in window.status_line.currentMessage()
    assert actions["broad"].isChecked() and not actions["core"].isChecked()


def test_an_update_is_shown_before_it_is_applied_and_can_be_undone(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window(settings_file.load())
    release = _release(
        tmp_path / "release",
        {4625: ("Failed <b>Logon</b> & Co", "high"), 4720: ("User Created", "medium")},
    )
    dialog = window.rule_sets.open_update()
    assert not dialog.back_button.isEnabled()
    dialog.check(release)
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=60_000)
    assert "2 added" in dialog.summary.text()
    assert dialog.apply_button.isEnabled()
    added = dialog.changes.topLevelItem(0)
    assert added is not None and added.text(0) == "Added (2)"
    children = [added.child(n) for n in range(added.childCount())]
    titles = {child.text(0) for child in children if child is not None}
    assert titles == {"Failed <b>Logon</b> & Co", "User Created"}  # shown as text
    dialog.grab().save(str(tmp_path / "update.png"))
    assert bundle.active_set() == bundle.shipped_set()  # nothing changed yet
    dialog.rehunt.setChecked(False)
    dialog.apply_button.click()
    assert bundle.active_set() == bundle.updates_dir() / "current"
    assert "updated to release" in window.status_line.currentMessage()
    settle(qtbot, window)
    again = window.rule_sets.open_update()
    assert again.back_button.isEnabled()
    again.rehunt.setChecked(False)
    again.back_button.click()
    assert bundle.active_set() == bundle.shipped_set()


def test_a_release_that_is_not_one_says_so_and_changes_nothing(
    make_window: MakeWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window(settings_file.load())
    junk = tmp_path / "sigma.zip"
    junk.write_bytes(b"PK\x03\x04 truncated \x00\xff" * 10)
    dialog = window.rule_sets.open_update()
    dialog.check(junk)
    qtbot.waitUntil(lambda: "not a zip of Sigma rules" in dialog.summary.text(), timeout=30_000)
    assert not dialog.apply_button.isEnabled()
    assert bundle.active_set() == bundle.shipped_set()
