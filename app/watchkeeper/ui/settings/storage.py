"""Settings ▸ Storage and retention: the same fields as File ▸ Storage and retention."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from watchkeeper.core.settings import Settings
from watchkeeper.ui.retention.editor import RetentionEditor
from watchkeeper.ui.settings.page import SettingsPage, note


class StoragePage(SettingsPage):
    title = "Storage and retention"

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.retention = RetentionEditor(settings)
        self.retention.edited.connect(self.edited)
        layout = QVBoxLayout(self)
        layout.addWidget(self.retention)
        layout.addWidget(
            note(
                "File ▸ Storage and retention… shows what the archive holds, the days waiting "
                "to be deleted (which you can keep), and checks the tamper evidence."
            )
        )
        layout.addStretch(1)

    def load(self, settings: Settings) -> None:
        self.retention.load(settings)

    def problems(self) -> list[str]:
        problem = self.retention.problem()
        return [problem] if problem else []

    def store(self, settings: Settings) -> None:
        self.retention.store(settings)
