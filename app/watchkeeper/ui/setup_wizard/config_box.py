"""Generate configuration…: every planned platform's files in a folder or a zip, listed."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.errors import Cancelled
from watchkeeper.core.progress import Progress
from watchkeeper.core.text import counted
from watchkeeper.setup import generation
from watchkeeper.setup.endpoint import endpoint_for
from watchkeeper.setup.generation import Generated
from watchkeeper.ui.labels import plain_label
from watchkeeper.ui.setup_wizard.context import WizardContext
from watchkeeper.ui.setup_wizard.service_box import sentence_of

ZIP_NAME = "watchkeeper-configuration.zip"


class ConfigBox(QGroupBox):
    """Writes the configuration through the runner; `ask_target` is the file dialog (tests
    give a path)."""

    generated = Signal(object)  # Generated
    failed = Signal(str)

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__("Configuration for your devices", parent)
        self._context = context
        self.ask_target: Callable[[bool], Path | None] = self._ask_with_dialog
        self.folder: Path | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "A folder for each kind of device in your plan, each file with a README "
                "that says how to apply it.",
                muted=True,
            )
        )
        buttons = QHBoxLayout()
        self.generate_button = QPushButton("&Generate configuration…")
        self.generate_button.clicked.connect(self._on_generate_clicked)
        self.as_zip = QCheckBox("As one .&zip file")
        self.as_zip.setToolTip("One file to copy to the other computers")
        self.open_button = QPushButton("O&pen folder")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._on_open_clicked)
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.as_zip)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        layout.addLayout(buttons)
        self.result = plain_label()
        self.result.setVisible(False)
        layout.addWidget(self.result)
        self.files = QTreeWidget()
        self.files.setHeaderLabels(["File", "What it is"])
        self.files.setRootIsDecorated(False)
        self.files.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.files.setMinimumHeight(110)
        self.files.setVisible(False)
        layout.addWidget(self.files, 1)

    def _ask_with_dialog(self, as_zip: bool) -> Path | None:
        if as_zip:
            chosen, _ = QFileDialog.getSaveFileName(
                self, "Save the configuration as", str(Path.home() / ZIP_NAME), "Zip (*.zip)"
            )
        else:
            chosen = QFileDialog.getExistingDirectory(
                self, "Write the configuration into", str(Path.home())
            )
        return Path(chosen) if chosen else None

    def _on_generate_clicked(self) -> None:
        as_zip = self.as_zip.isChecked()
        target = self.ask_target(as_zip)
        if target is None:
            return
        context = self._context
        plan = copy.deepcopy(context.draft)  # the page may change while the job runs
        now = context.clock()

        def job(progress: Progress) -> Generated:
            progress.update(stage="Reading the certificate and token")
            endpoint = endpoint_for(plan, context.settings, tls_folder=context.tls_folder, now=now)
            out = target.parent if as_zip else target
            return generation.generate_all(
                plan, endpoint, out, as_zip=target if as_zip else None, progress=progress
            )

        self.generate_button.setEnabled(False)
        self._context.runner.run(
            job,
            owner=self,
            title="Generating configuration",
            on_success=self._on_generated,
            on_error=self._on_failed,
        )

    def _on_generated(self, result: Generated) -> None:
        self.generate_button.setEnabled(True)
        self.folder = result.folder
        self.open_button.setEnabled(True)
        where = result.archive.name if result.archive else str(result.folder)
        lines = [f"{counted(len(result.files), 'file')} written to {where}.", *result.skipped]
        self.result.setText("\n".join(lines))
        self.result.setVisible(True)
        self.files.clear()
        for item in result.files:
            row = QTreeWidgetItem([_shown_path(item.path, result), item.summary])
            row.setToolTip(0, str(item.path))
            row.setToolTip(1, item.summary)
            self.files.addTopLevelItem(row)
        self.files.setVisible(bool(result.files))
        self.generated.emit(result)

    def _on_failed(self, error: BaseException) -> None:
        self.generate_button.setEnabled(True)
        if isinstance(error, Cancelled):
            sentence = "Generating was stopped; files already written are kept."
        else:
            sentence = sentence_of(error, "Generating the configuration")
        self.result.setText(sentence)
        self.result.setVisible(True)
        self.failed.emit(sentence)

    def _on_open_clicked(self) -> None:
        if self.folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))


def _shown_path(path: Path, result: Generated) -> str:
    """A file as the user finds it: its path in the folder or zip (linux/rsyslog/…)."""
    if result.archive is None:
        try:
            return path.relative_to(result.folder).as_posix()
        except ValueError:
            return path.name
    return path.as_posix()
