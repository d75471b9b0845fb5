"""The logging setup wizard: four pages over a draft of the plan.

Finish saves the draft as the logging plan and gives its retention and receiving choices to
the settings. Cancel keeps only the page the user was on, so the wizard reopens there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget, QWizard, QWizardPage

from watchkeeper.core import settings as settings_file
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.setup.draft import Draft, apply_to_settings, finish, remember_step
from watchkeeper.setup.plan import STEPS
from watchkeeper.ui.errors import show_error
from watchkeeper.ui.setup_wizard.choose_page import ChooseLogsPage
from watchkeeper.ui.setup_wizard.context import WizardContext
from watchkeeper.ui.setup_wizard.keep_page import KeepPage
from watchkeeper.ui.setup_wizard.proof_page import ProofPage
from watchkeeper.ui.setup_wizard.receiving_page import ReceivingPage
from watchkeeper.ui.window_state import window_settings

# where the step is kept while no plan has been saved yet
STEP_KEY = "setupWizard/step"
DEFAULT_SIZE = (1000, 760)
RECEIVING_STEP = 2  # leaving it with Next starts the listeners chosen there


# a page class: built on the context, with the wizard as its parent
PageClass = Callable[[WizardContext, QWidget | None], QWizardPage]


def page_classes() -> list[PageClass]:
    """The pages in order: one per step."""
    return [ChooseLogsPage, KeepPage, ReceivingPage, ProofPage]


def saved_step(draft: Draft) -> int:
    """The page the wizard was left on: the saved plan's, else the one kept in window.ini."""
    if draft.saved:
        return draft.plan.step
    try:
        return int(str(window_settings().value(STEP_KEY, 0)))
    except (TypeError, ValueError):
        return 0


class SetupWizard(QWizard):
    """Choose what to log, decide how long to keep it, set up receiving, prove it works."""

    plan_saved = Signal(Path)

    def __init__(self, context: WizardContext, draft: Draft, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.draft = draft
        context.draft = draft.plan
        self.setWindowTitle("Set up logging")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, False)
        self.pages: list[QWizardPage] = []
        for step, page_class in enumerate(page_classes()):
            page = page_class(context, self)
            self.setPage(step, page)
            self.pages.append(page)
        self.resize(*DEFAULT_SIZE)
        self.saved_path: Path | None = None
        self._reopening = False
        self.reopen_at(saved_step(draft))

    def reopen_at(self, step: int) -> None:
        """Start again and go forward to `step`, stopping at a page that is not complete."""
        self.restart()
        target = min(max(step, 0), len(self.pages) - 1, STEPS - 1)
        self._reopening = True
        try:
            while self.currentId() < target:
                page = self.currentPage()
                if page is None or not page.isComplete() or not self.validateCurrentPage():
                    break
                self.next()
        finally:
            self._reopening = False

    def validateCurrentPage(self) -> bool:
        """Next from step 3 starts receiving as chosen (not when the wizard reopens there)."""
        if not super().validateCurrentPage():
            return False
        apply = self.context.apply_receiving
        if apply is not None and not self._reopening and self.currentId() == RECEIVING_STEP:
            try:
                apply(self.draft.plan)
            except WatchkeeperError as error:
                show_error(self, error)
                return False
        return True

    def done(self, result: int) -> None:
        """Closing either way: pages with work in the background (a `stop()`) stop it."""
        for page in self.pages:
            stop = getattr(page, "stop", None)
            if callable(stop):
                stop()
        super().done(result)

    def accept(self) -> None:
        """Finish: save the plan and the settings; on failure say why and stay open."""
        context = self.context
        try:
            self.saved_path = finish(self.draft, self.currentId(), context.plan_file)
            apply_to_settings(self.draft.plan, context.settings)
            settings_file.save(context.settings, context.settings_file)
        except WatchkeeperError as error:
            show_error(self, error)
            return
        window_settings().remove(STEP_KEY)
        self.plan_saved.emit(self.saved_path)
        super().accept()

    def reject(self) -> None:
        """Cancel: keep only the page the user was on; the draft's changes go."""
        step = max(self.currentId(), 0)
        if not remember_step(step, self.context.plan_file):
            window_settings().setValue(STEP_KEY, step)
        super().reject()
