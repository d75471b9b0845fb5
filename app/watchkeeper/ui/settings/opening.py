"""Opening the Settings dialog from the window, and what OK does: save, then apply (the
theme at once, the views that show what changed, the listeners restarted when theirs did)."""

from __future__ import annotations

import copy
from dataclasses import fields
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from shiboken6 import isValid

from watchkeeper.collect.certificates import rotate_http_token
from watchkeeper.compliance.policy import PolicyError, load_policy
from watchkeeper.core import paths
from watchkeeper.core import settings as settings_file
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.settings import Settings
from watchkeeper.ui import errors
from watchkeeper.ui.collecting import CollectorController
from watchkeeper.ui.settings.checks import changed_fields, listeners_changed, saved_sentence
from watchkeeper.ui.settings.credentials import Credentials, read_credentials
from watchkeeper.ui.settings.dialog import SettingsDialog
from watchkeeper.ui.status_line import Priority

if TYPE_CHECKING:
    from watchkeeper.ui.main_window import MainWindow


def preferences_keys() -> QKeySequence:
    """The platform's Preferences shortcut; Ctrl+, where Qt has none (Linux)."""
    keys = QKeySequence(QKeySequence.StandardKey.Preferences)
    return QKeySequence("Ctrl+,") if keys.isEmpty() else keys


def open_settings(window: MainWindow) -> SettingsDialog:
    """The dialog on a copy of the window's settings; the certificate and token are read in
    the background (the keyring may be slow to answer)."""
    policy, unreadable = None, ""
    try:
        policy = load_policy()
    except PolicyError as error:
        unreadable = error.message
    dialog = SettingsDialog(window.settings, policy, paths.rules_dir(), window, unreadable)
    dialog.setObjectName("settingsDialog")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(partial(_on_accepted, window, dialog))
    window.runner.run(
        read_credentials,
        title="Reading the certificate and token",
        key="settings-credentials",
        dialog=False,
        quiet=True,
        on_success=partial(_show_credentials, dialog),
    )
    dialog.open()
    return dialog


def _show_credentials(dialog: SettingsDialog, credentials: Credentials) -> None:
    if isValid(dialog):  # closed meanwhile: nothing to show
        dialog.show_credentials(credentials)


def _on_accepted(window: MainWindow, dialog: SettingsDialog) -> None:
    before = copy.deepcopy(window.settings)
    after = dialog.chosen()
    changed = changed_fields(before, after)
    # the window's settings object is shared by its views: changed in place
    for field in fields(Settings):
        setattr(window.settings, field.name, getattr(after, field.name))
    try:
        settings_file.save(window.settings)
    except WatchkeeperError as error:
        errors.show_error(window, error, "Saving the settings")
    rotated = False
    if dialog.receiving.token.new_token:
        try:
            rotate_http_token(dialog.receiving.token.new_token)
            rotated = True
        except WatchkeeperError as error:
            errors.show_error(window, error, "Keeping the new HTTP token")
    apply_to_window(window, changed)
    window.status_line.say(saved_sentence(changed, rotated))
    if listeners_changed(changed) or rotated:
        restart_listeners(window)


def apply_to_window(window: MainWindow, changed: list[str]) -> None:
    """Show the changed settings: the theme at once, the views that depend on the rest."""
    settings = window.settings
    if "theme" in changed:
        window.set_theme(settings.theme)
    if "time_display" in changed:
        window.utc_action.setChecked(settings.time_display == "utc")
    if "timeline_series" in changed:
        window.set_timeline_series(settings.timeline_series)
        from watchkeeper.ui.commands import SERIES_CHOICES  # commands imports this module

        text = dict(SERIES_CHOICES)[settings.timeline_series]
        for choice in window.findChildren(QAction):
            if choice.isCheckable() and choice.text() == text:
                choice.setChecked(True)
    if "rule_profile" in changed:
        action = window.rule_sets.profile_actions.get(settings.rule_profile)
        if action is not None:
            action.setChecked(True)
    explorer = window._explorer  # built only once shown
    if "table_columns" in changed and explorer is not None:
        explorer.set_columns(list(settings.table_columns))
    if "compliance_thresholds" in changed:
        window.devices_view.refresh()
    if "source_intervals" in changed:
        window.sources_view.refresh()


def restart_listeners(window: MainWindow) -> None:
    """Restart the window's collector with the saved settings, and say how it went."""
    controller = window.findChild(CollectorController)
    if controller is None:  # the window runs without a collector (tests, a read-only store)
        return

    def done(sentence: str) -> None:
        window.set_test_sender(controller.test_sender())
        receiving = controller.collector is not None
        window.status_line.say(
            ("Listeners restarted. " if receiving else "") + sentence,
            Priority.NEWS if receiving else Priority.WARNING,
        )

    controller.restart(done)
