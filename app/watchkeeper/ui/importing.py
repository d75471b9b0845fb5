"""Importing from the window: choosing files, the job on the runner, and the summary."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.text import counted
from watchkeeper.ingest.summary import FileResult, ImportSummary

FILE_FILTER = (
    "Log files (*.evtx *.log *.json *.jsonl *.ndjson *.xml *.csv *.txt *.gz *.zip "
    "*.tar *.tgz *.journal *.export messages* syslog* auth* secure*);;All files (*)"
)
_STATUS_WORDS = {
    "imported": "Imported",
    "skipped": "Already imported",
    "failed": "Not imported",
    "cancelled": "Cancelled",
    "expanded": "Archive opened",
}


def local_paths(mime: QMimeData) -> list[Path]:
    """The local files and folders of a drop; web links and the like are left out."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def headline(summary: ImportSummary) -> str:
    """One sentence: what came in and what did not."""
    parts = [
        f"{counted(summary.events, 'event')} imported from "
        f"{counted(summary.count('imported'), 'file')}"
    ]
    if summary.duplicates:
        parts.append(f"{counted(summary.duplicates, 'duplicate')} left out")
    if summary.quarantined:
        parts.append(f"{counted(summary.quarantined, 'unreadable record')} quarantined")
    if summary.count("skipped"):
        parts.append(f"{summary.count('skipped')} already imported")
    if summary.count("failed"):
        parts.append(f"{summary.count('failed')} not imported")
    text = "; ".join(parts) + f" in {summary.seconds:,.1f} s."
    if summary.cancelled:
        text = (
            "Cancelled. Files finished before Cancel are kept; the one in progress was "
            "rolled back. " + text
        )
    return text


def reason(result: FileResult) -> str:
    """Why a file came out as it did, reason first: the file's name or path, which starts
    each of its sentences, is left out (the File column shows it, the path in its tooltip)."""
    names = sorted({result.name, Path(result.name).name} - {""}, key=len, reverse=True)
    sentences = []
    for sentence in result.message.split("; "):
        for name in names:
            if sentence.startswith(f"{name}: "):
                sentence = sentence[len(name) + 2 :]
                break
        sentences.append(sentence)
    return "; ".join(sentences)


class ImportSummaryDialog(QDialog):
    """The end of an import: the headline and one row per file with what happened and why."""

    def __init__(self, summary: ImportSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import cancelled" if summary.cancelled else "Import finished")
        self.setMinimumSize(720, 360)
        self.headline = QLabel(headline(summary))
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        files = [f for f in summary.files if f.status != "expanded"]
        self.table = QTableWidget(len(files), 6)
        self.table.setHorizontalHeaderLabels(
            ["File", "Result", "Events", "Duplicates", "Quarantined", "Why"]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)  # the reasons, whole
        for row, result in enumerate(files):
            values: list[object] = [
                Path(result.name).name or result.name,
                _STATUS_WORDS.get(result.status, result.status),
                result.events,
                result.duplicates,
                result.quarantined,
                reason(result),
            ]
            for column, value in enumerate(values):
                item = QTableWidgetItem(f"{value:,}" if isinstance(value, int) else str(value))
                if isinstance(value, int):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if column in (0, 5):
                    item.setToolTip(result.name if column == 0 else str(value))
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.resize(960, 420)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
