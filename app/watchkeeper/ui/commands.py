"""Every command of the main window, as a table: text, menu, shortcut, icon, status tip, slot.

The order of the rows is the order of the menus, their items and the toolbar's buttons.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QStyle

from watchkeeper.ui.actions import ActionSpec, Choices, Row, Separator
from watchkeeper.ui.help import show_about, show_filter_help
from watchkeeper.ui.hits.rule_sets import profile_options
from watchkeeper.ui.incidents.monthly import export_monthly_summary
from watchkeeper.ui.settings.opening import open_settings, preferences_keys
from watchkeeper.ui.setup_wizard.opening import open_setup_wizard

if TYPE_CHECKING:
    from watchkeeper.ui.main_window import MainWindow

SERIES_CHOICES = (("source", "Timeline bars by &source"), ("level", "Timeline bars by &level"))


def window_commands(window: MainWindow) -> list[Row]:
    """The window's commands, in the order they show; the views' in the order of its views."""
    icon = QStyle.StandardPixmap
    keys = QKeySequence.StandardKey
    return [
        ActionSpec(
            "import",
            "&Import files…",
            window.imports.choose_files,
            "&File",
            keys.Open,
            icon.SP_DialogOpenButton,
            "Import log files or archives (Ctrl+O)",
            toolbar=True,
        ),
        ActionSpec(
            "import-folder",
            "Import &folder…",
            window.imports.choose_folder,
            "&File",
            "Ctrl+Shift+O",
            icon.SP_DirOpenIcon,
            "Import every log file in a folder",
            toolbar=True,
        ),
        ActionSpec(
            "import-devices",
            "Import &device list…",
            window.devices_view.choose_files,
            "&File",
            tip="Import an Intune, Google Workspace or Jamf Pro export, or an osquery log",
        ),
        ActionSpec(
            "demo",
            "Load &demo data…",
            window.imports.choose_demo,
            "&File",
            icon=icon.SP_ComputerIcon,
            tip="Generate a small office's logs, attacks included",
            toolbar=True,
        ),
        Separator("&File"),
        ActionSpec(
            "monthly-summary",
            "&Monthly summary…",
            lambda: export_monthly_summary(
                window, window.store, window.settings, window.runner, window.status_line.say
            ),
            "&File",
            tip="The month's security summary as a PDF: collection, detections, incidents",
        ),
        ActionSpec(
            "storage",
            "&Storage and retention…",
            window.retention.show_dialog,
            "&File",
            tip="How long events are kept, what the archive holds, and days waiting to be deleted",
        ),
        ActionSpec(
            "settings",
            "Se&ttings…",
            partial(open_settings, window),
            "&File",
            preferences_keys(),
            tip="Receiving, storage, detection, devices and appearance",
        ),
        Separator("&File"),
        ActionSpec("quit", "&Quit", window.close, "&File", keys.Quit),
        *(
            ActionSpec(name, name, partial(window.show_view, number), "&View", f"Ctrl+{number + 1}")
            for number, name in enumerate(window.views.names)
        ),
        ActionSpec(
            "next-view", "&Next view", partial(window.views.step, 1), "&View", "Ctrl+PgDown"
        ),
        ActionSpec(
            "previous-view", "&Previous view", partial(window.views.step, -1), "&View", "Ctrl+PgUp"
        ),
        Separator("&View"),
        ActionSpec(
            "filter",
            "&Filter events…",
            window.focus_filter,
            "&View",
            keys.Find,
            tip="Type a filter (Ctrl+F)",
        ),
        ActionSpec(
            "clear-filter",
            "&Clear filter",
            window.clear_filter,
            "&View",
            "Ctrl+Shift+E",
            tip="Show every event again",
        ),
        ActionSpec(
            "refresh",
            "&Refresh",
            window.refresh_all,
            "&View",
            keys.Refresh,
            icon.SP_BrowserReload,
            "Read the store again (F5)",
            toolbar=True,
        ),
        Separator("&View"),
        ActionSpec(
            "utc",
            "Show times in &UTC",
            window.show_times_in_utc,
            "&View",
            "Ctrl+Shift+U",
            checked=window.settings.time_display == "utc",
        ),
        Choices(
            "series",
            "&View",
            SERIES_CHOICES,
            window.settings.timeline_series,
            window.set_timeline_series,
        ),
        Choices(
            "theme",
            "&View/&Theme",
            (("system", "Follow the &system"), ("light", "&Light"), ("dark", "&Dark")),
            window.settings.theme,
            window.set_theme,
        ),
        ActionSpec(
            "hunt",
            "&Hunt again over all events",
            partial(window.run_detection, True),
            "&Detection",
            icon=icon.SP_BrowserReload,
            tip="Run every rule over every event again (hits are replaced)",
        ),
        Choices(
            "profile",
            "&Detection/Rule &profile",
            profile_options(),
            window.settings.rule_profile,
            window.rule_sets.set_profile,
        ),
        ActionSpec(
            "update-rules",
            "&Update rules…",
            window.rule_sets.open_update,
            "&Detection",
            tip="Update SigmaHQ's rules from a release you downloaded, or go back",
        ),
        ActionSpec(
            "rule-folders",
            "&Rule folders…",
            window.edit_rule_folders,
            "&Detection",
            tip="Folders of Sigma rules to run",
        ),
        ActionSpec(
            "suppressions",
            "&Suppressions…",
            window.hits_view.show_suppressions,
            "&Detection",
            tip="Every suppression and disabled rule",
        ),
        ActionSpec(
            "setup-logging",
            "Set up &logging…",
            partial(open_setup_wizard, window),
            "&Help",
            tip="Choose what to log, how long to keep it, and how it reaches this computer",
        ),
        ActionSpec(
            "filter-help", "&Filter syntax", partial(show_filter_help, window), "&Help", "F1"
        ),
        ActionSpec(
            "about", "&About Watchkeeper", partial(show_about, window, window.store.path), "&Help"
        ),
    ]
