"""The retention dialog: a short retention needs a reason, a refused policy is one sentence and
cannot be saved, OK saves at once, Cancel changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from watchkeeper.core import settings as settings_file
from watchkeeper.ui.main_window import MainWindow
from watchkeeper.ui.retention import RetentionDialog, edit_retention

MakeWindow = Callable[..., MainWindow]


def _ok(dialog: RetentionDialog) -> bool:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def test_the_menu_opens_the_policy_with_the_defaults(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    (action,) = [a for a in window.actions() if a.text() == "&Retention…"]
    action.trigger()
    dialog = window.findChild(RetentionDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.chosen() == (13, 90, "")
    assert _ok(dialog) and not dialog.problem.isVisible()
    assert not dialog.reason.isEnabled()  # no reason needed for 6 months or more
    dialog.reject()


def test_a_short_retention_needs_a_reason_and_then_saves(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    dialog = edit_retention(window, window.settings, window.status_line.say)
    dialog.months.setValue(4)
    assert not _ok(dialog) and dialog.reason.isEnabled()
    assert dialog.problem.text().startswith("Keeping events for less than 6 months needs a reason")
    dialog.reason.setText("  Contract\n says <b>4</b> months;\t ")
    dialog.hot_days.setValue(200)
    assert not _ok(dialog) and "keep at most 120 days in the store" in dialog.problem.text()
    dialog.hot_days.setValue(30)
    assert _ok(dialog)
    dialog.resize(dialog.sizeHint())
    assert dialog.grab().save(str(tmp_path / "retention.png"))
    dialog.accept()
    saved = settings_file.load()
    assert (saved.retention_months, saved.hot_days) == (4, 30)
    assert saved.retention_reason == "Contract says <b>4</b> months;"  # one line, as typed
    assert window.status_line.currentMessage() == (
        "Events are kept for 4 months, 30 days of them in the store."
    )


def test_cancel_changes_nothing(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    dialog = edit_retention(window, window.settings, window.status_line.say)
    dialog.months.setValue(24)
    dialog.reject()
    assert window.settings.retention_months == 13
    assert settings_file.load().retention_months == 13


def test_a_reason_no_longer_needed_is_not_kept(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    window.settings.retention_months, window.settings.retention_reason = 3, "trial"
    dialog = edit_retention(window, window.settings, window.status_line.say)
    assert dialog.reason.text() == "trial" and _ok(dialog)
    dialog.months.setValue(12)
    dialog.accept()
    assert (window.settings.retention_months, window.settings.retention_reason) == (12, "")
