"""Opening the setup wizard from the window: the welcome page's card and Help ▸ Set up logging…"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from watchkeeper.setup.draft import open_draft
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


def _on_plan_saved(window: MainWindow, path: Path) -> None:
    # the retention chosen is in the window's settings now, where the next check reads it
    window.status_line.say(f"Logging plan saved in {path}.")
