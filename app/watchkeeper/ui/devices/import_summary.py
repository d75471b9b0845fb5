"""The end of a device-list import: what each file was recognised as, and its problems."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget

from watchkeeper.compliance.checks import SOURCE_NAMES
from watchkeeper.compliance.importing import DeviceFileResult
from watchkeeper.core.text import counted
from watchkeeper.ui.devices.models import status_colour
from watchkeeper.ui.devices.widgets import fill_table, text_table
from watchkeeper.ui.labels import plain_label


def _named(name: str, sentence: str) -> str:
    """A problem naming its file: most already start with the file's name."""
    return sentence if sentence.startswith(name) else f"{name}: {sentence}"


class DeviceImportDialog(QDialog):
    """The end of a device-list import: what each file was recognised as, and its problems."""

    def __init__(self, results: Sequence[DeviceFileResult], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Device lists imported")
        self.setMinimumSize(760, 380)
        devices = sum(r.devices for r in results if r.status == "imported")
        imported = sum(1 for r in results if r.status == "imported")
        failed = sum(1 for r in results if r.status == "failed")
        problems = sum(len(r.problems) for r in results)
        parts = [f"{counted(devices, 'device record')} read from {counted(imported, 'file')}"]
        if failed:
            parts.append(f"{failed} not imported")
        if problems:
            parts.append(f"{counted(problems, 'problem')} in them")
        self.headline = plain_label("; ".join(parts) + ".")
        self.table = text_table(["File", "Result", "Recognised as", "Devices", "Problems", "Notes"])
        words = {"imported": "Imported", "skipped": "Already imported", "failed": "Not imported"}
        rows = []
        colours: list[str | None] = []
        for result in results:
            said = [result.message or "", *result.notes]
            rows.append(
                [
                    result.name,
                    words.get(result.status, result.status),
                    SOURCE_NAMES.get(result.source or "", result.source or "—"),
                    f"{result.devices:,}",
                    f"{len(result.problems):,}",
                    " · ".join(text for text in said if text),
                ]
            )
            colours.append(
                status_colour("fail")
                if result.status == "failed"
                else status_colour("unknown")
                if result.problems
                else None
            )
        fill_table(self.table, rows, colours)
        problems_said = [
            _named(result.name, problem)
            for result in results
            for problem in (
                [result.message] if result.status == "failed" and result.message else []
            )
            + result.problems
        ]
        self.details = QPlainTextEdit("\n".join(problems_said))
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(150)
        self.details.setVisible(bool(problems_said))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
