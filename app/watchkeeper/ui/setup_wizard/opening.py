"""Opening the setup wizard from the window: the welcome page's card and Help ▸ Set up logging…"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from watchkeeper.core import settings as settings_file
from watchkeeper.setup.draft import open_draft
from watchkeeper.setup.plan import LoggingPlan
from watchkeeper.ui.settings.opening import restart_listeners
from watchkeeper.ui.setup_wizard.context import WizardContext
from watchkeeper.ui.setup_wizard.wizard import SetupWizard

if TYPE_CHECKING:
    from watchkeeper.ui.main_window import MainWindow

_OPEN = "setup_wizard"  # the window's attribute holding the wizard while it is open


def open_setup_wizard(window: MainWindow) -> SetupWizard:
    """Show the wizard (one at a time) on a draft of the saved plan."""
    open_now: SetupWizard | None = getattr(window, _OPEN, None)
    if open_now is not None and open_now.isVisible():
        open_now.raise_()
        open_now.activateWindow()
        return open_now
    draft = open_draft(window.settings)
    context = WizardContext(draft.plan, window.settings, window.store, window.runner)
    context.apply_receiving = lambda plan: _start_receiving(window, plan)
    wizard = SetupWizard(context, draft, window)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.plan_saved.connect(lambda path: _on_plan_saved(window, path))
    wizard.finished.connect(lambda _result: setattr(window, _OPEN, None))
    setattr(window, _OPEN, wizard)
    wizard.show()
    if draft.problem:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Logging plan not read",
            draft.problem,
            QMessageBox.StandardButton.Ok,
            wizard,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.open()
    return wizard


def _start_receiving(window: MainWindow, plan: LoggingPlan) -> str:
    """Give step 3's listeners to the settings and restart the window's, when they changed.

    Done on Next rather than on Finish, so step 4 hears the test events it asks for.
    """
    settings = window.settings
    chosen = (plan.receiving.listen_on_network, dict(plan.receiving.listeners))
    if chosen == (settings.listen_on_network, settings.listeners):
        return "The listeners are as chosen."
    settings.listen_on_network, settings.listeners = chosen
    settings_file.save(settings)  # SettingsError says why it could not be
    restart_listeners(window)
    return "Restarting the listeners as chosen."


def _on_plan_saved(window: MainWindow, path: Path) -> None:
    # the retention chosen is in the window's settings now, where the next check reads it
    # (the listeners were given to the settings when the user left step 3: Finish is on the
    # last page, so every change of them went through that Next)
    window.status_line.say(f"Logging plan saved in {path}.")
