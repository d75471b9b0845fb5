"""Edit ▸ Settings…: every setting in sections, checked as the user types; OK gives back a
new Settings (the caller saves and applies it), Cancel leaves everything as it was."""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.compliance.policy import Policy
from watchkeeper.core.settings import Settings
from watchkeeper.ui.labels import plain_label
from watchkeeper.ui.settings.appearance import AppearancePage
from watchkeeper.ui.settings.credentials import Credentials
from watchkeeper.ui.settings.detection import DetectionPage
from watchkeeper.ui.settings.devices import DevicesPage
from watchkeeper.ui.settings.page import ERROR_COLOUR, SettingsPage, ask_first
from watchkeeper.ui.settings.receiving import ReceivingPage
from watchkeeper.ui.settings.storage import StoragePage


class SettingsDialog(QDialog):
    def __init__(
        self,
        settings: Settings,
        policy: Policy | None,
        shipped_rules: Path,
        parent: QWidget | None = None,
        policy_problem: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.original = copy.deepcopy(settings)
        self.receiving = ReceivingPage()
        self.storage = StoragePage(settings)
        self.detection = DetectionPage(shipped_rules)
        self.devices = DevicesPage(policy, settings, policy_problem)
        self.appearance = AppearancePage()
        self.pages: list[SettingsPage] = [
            self.receiving,
            self.storage,
            self.detection,
            self.devices,
            self.appearance,
        ]
        self.sections = QListWidget()
        self.sections.setObjectName("navigation")
        self.sections.setFixedWidth(230)
        self.sections.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        for page in self.pages:
            self.sections.addItem(page.title)
            scroll = QScrollArea()
            scroll.setWidget(page)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            self.stack.addWidget(scroll)
            page.load(settings)
            page.edited.connect(self.check)
        self.sections.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.problem = plain_label()
        self.problem.setObjectName("settingsProblem")
        self.problem.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.restore_section = QPushButton("&Restore section defaults")
        self.restore_section.setToolTip("Put this section's settings back as Watchkeeper ships")
        self.restore_section.clicked.connect(self.restore_current)
        self.restore_all = QPushButton("Restore &all defaults…")
        self.restore_all.clicked.connect(self.ask_restore_all)
        self._build_layout()
        self._keys()
        self.sections.setCurrentRow(0)
        self.resize(900, 680)
        self.check()

    def _build_layout(self) -> None:
        body = QHBoxLayout()
        body.addWidget(self.sections)
        body.addWidget(self.stack, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.restore_section)
        bottom.addWidget(self.restore_all)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.problem)
        layout.addLayout(bottom)

    def _keys(self) -> None:
        """Ctrl+PgDown and Ctrl+PgUp step through the sections, as through the window's views."""
        for keys, step in (("Ctrl+PgDown", 1), ("Ctrl+PgUp", -1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(lambda step=step: self._step(step))

    def _step(self, step: int) -> None:
        self.sections.setCurrentRow((self.sections.currentRow() + step) % len(self.pages))

    def show_section(self, title: str) -> SettingsPage:
        number = next(n for n, page in enumerate(self.pages) if page.title == title)
        self.sections.setCurrentRow(number)
        return self.pages[number]

    def show_credentials(self, credentials: Credentials) -> None:
        self.receiving.show_credentials(credentials)

    # checking -----------------------------------------------------------------------------

    def problems(self) -> dict[str, list[str]]:
        """Each section's problems (the fields in error are marked)."""
        return {page.title: page.problems() for page in self.pages}

    def check(self) -> None:
        """Say the first problem (naming its section when it is not the one shown); OK only
        when there is none."""
        found = self.problems()
        current = self.pages[max(0, self.sections.currentRow())].title
        first = next(((title, problems[0]) for title, problems in found.items() if problems), None)
        for row, page in enumerate(self.pages):
            item = self.sections.item(row)
            item.setText(page.title + ("  ⚠" if found[page.title] else ""))
            item.setToolTip("\n".join(found[page.title]))
        if first is None:
            self.problem.setText("")
        else:
            title, sentence = first
            more = sum(len(problems) for problems in found.values()) - 1
            text = sentence if title == current else f"{title}: {sentence}"
            if more:
                text += f" ({more} more: see the marked fields.)"
            self.problem.setText(text)
        self.problem.setVisible(first is not None)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(first is None)

    # defaults -----------------------------------------------------------------------------

    def restore_current(self) -> None:
        self.pages[self.sections.currentRow()].load(Settings())
        self.check()

    def ask_restore_all(self) -> QMessageBox:
        return ask_first(
            self,
            "Restore all defaults?",
            "Every section goes back to Watchkeeper's defaults: listeners, retention, rules, "
            "thresholds and appearance. Nothing is saved until you press OK. Restore them?",
            "confirmRestoreAll",
            self.restore_everything,
        )

    def restore_everything(self) -> None:
        defaults = Settings()
        for page in self.pages:
            page.load(defaults)
        self.check()

    # the result ---------------------------------------------------------------------------

    def chosen(self) -> Settings:
        """The settings as the dialog shows them (what was not on a page is kept)."""
        chosen = copy.deepcopy(self.original)
        for page in self.pages:
            page.store(chosen)
        return chosen

    def accept(self) -> None:
        if any(self.problems().values()):
            self.check()
            return
        super().accept()
