"""Detection ▸ Update rules…: a SigmaHQ release the user has, checked, shown, then applied."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.errors import Cancelled, WatchkeeperError
from watchkeeper.core.progress import Progress
from watchkeeper.core.text import counted
from watchkeeper.ui.labels import plain_label
from watchkeeper.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from watchkeeper.detection.update import UpdatePlan

DEFAULT_REHUNT_DAYS = 30
SHOWN_PER_SECTION = 500


def _prepare(source: Path, progress: Progress) -> UpdatePlan:
    from watchkeeper.detection import update

    return update.prepare(source, datetime.now(UTC), progress=progress)


class UpdateRulesDialog(QDialog):
    """Choose a release zip or folder; see what would change; apply it or go back."""

    applied = Signal(str, int)  # what to say, and the days to hunt again over (0: none)

    def __init__(
        self,
        in_use: str,
        runner: TaskRunner,
        can_go_back: bool,
        prepare: Callable[[Path, Progress], UpdatePlan] = _prepare,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Update SigmaHQ's rules")
        self.resize(760, 520)
        self._runner = runner
        self._prepare = prepare
        self.plan: UpdatePlan | None = None
        intro = plain_label(
            f"In use: {in_use}. Choose a SigmaHQ release you downloaded (the zip from its "
            "releases page, or a copy of the repository); nothing is downloaded. You see what "
            "would change before anything does."
        )
        choose_zip = QPushButton("Choose a release &zip…")
        choose_zip.clicked.connect(self._on_choose_zip)
        choose_folder = QPushButton("Choose a &folder…")
        choose_folder.clicked.connect(self._on_choose_folder)
        self.back_button = QPushButton("Go &back to the rules used before")
        self.back_button.setEnabled(can_go_back)
        self.back_button.clicked.connect(self._on_back)
        choices = QHBoxLayout()
        choices.addWidget(choose_zip)
        choices.addWidget(choose_folder)
        choices.addStretch(1)
        choices.addWidget(self.back_button)
        self.summary = plain_label("No release chosen yet.", muted=True)
        self.changes = QTreeWidget()
        self.changes.setHeaderLabels(["Rule", "File"])
        self.changes.setColumnWidth(0, 420)
        self.changes.setVisible(False)
        self.rehunt = QCheckBox("After applying, run the rules again over the last")
        self.rehunt.setChecked(True)
        self.days = QSpinBox()
        self.days.setRange(1, 3650)
        self.days.setValue(DEFAULT_REHUNT_DAYS)
        self.days.setSuffix(" days")
        rehunt_row = QHBoxLayout()
        rehunt_row.addWidget(self.rehunt)
        rehunt_row.addWidget(self.days)
        rehunt_row.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.apply_button = self.buttons.addButton(
            "&Apply the update", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.apply_button.setEnabled(False)
        self.buttons.accepted.connect(self._on_apply)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(choices)
        layout.addWidget(self.summary)
        layout.addWidget(self.changes, 1)
        layout.addLayout(rehunt_row)
        layout.addWidget(self.buttons)

    def _on_choose_zip(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "A SigmaHQ release", str(Path.home()), "Zip files (*.zip);;All files (*)"
        )
        if name:
            self.check(Path(name))

    def _on_choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "A SigmaHQ release", str(Path.home()))
        if name:
            self.check(Path(name))

    def check(self, source: Path) -> None:
        """Take the release into a staging folder, in the background, and show the changes."""
        self._discard()
        self.summary.setText(f"Reading {source.name}…")
        self.apply_button.setEnabled(False)
        self._runner.run(
            lambda progress: self._prepare(source, progress),
            title="Reading SigmaHQ's rules",
            on_success=self.show_plan,
            on_error=self._on_failed,
        )

    def show_plan(self, plan: UpdatePlan) -> None:
        self.plan = plan
        counts = plan.counts()
        self.summary.setText(
            f"{plan.manifest.release}: {counted(len(plan.manifest.rules), 'rule')} Watchkeeper "
            f"can run. {counts['added']:,} added, {counts['removed']:,} removed, "
            f"{counts['changed']:,} changed, {counts['failing']:,} in use now no longer "
            "convert." + (" It is the same as the rules in use." if plan.empty else "")
        )
        self.changes.clear()
        sections = [
            ("Added", [(c.title, c.path) for c in plan.added]),
            ("Removed", [(c.title, c.path) for c in plan.removed]),
            ("Changed", [(c.title, c.path) for c in plan.changed]),
            ("No longer convert", [(reason, path) for path, reason in plan.failing.items()]),
        ]
        for name, rows in sections:
            top = QTreeWidgetItem([f"{name} ({len(rows):,})", ""])
            for title, path in rows[:SHOWN_PER_SECTION]:
                top.addChild(QTreeWidgetItem([title, path]))
            if len(rows) > SHOWN_PER_SECTION:
                more = len(rows) - SHOWN_PER_SECTION
                top.addChild(QTreeWidgetItem([f"… and {more:,} more", ""]))
            self.changes.addTopLevelItem(top)
            top.setExpanded(0 < len(rows) <= 20)
        self.changes.setVisible(True)
        self.apply_button.setEnabled(not plan.empty)

    def _on_failed(self, error: BaseException) -> None:
        if isinstance(error, Cancelled):
            self.summary.setText("Stopped; nothing was changed.")
        elif isinstance(error, WatchkeeperError):
            self.summary.setText(str(error))
        else:
            self.summary.setText(f"The release could not be read: {error}")

    def _on_apply(self) -> None:
        from watchkeeper.detection import update

        if self.plan is None:
            return
        plan, self.plan = self.plan, None
        update.apply(plan)
        days = self.days.value() if self.rehunt.isChecked() else 0
        self.applied.emit(
            f"SigmaHQ's rules updated to {plan.manifest.release}; "
            "Detection ▸ Update rules… can go back.",
            days,
        )
        self.accept()

    def _on_back(self) -> None:
        from watchkeeper.detection import update

        self._discard()
        manifest = update.rollback()
        name = manifest.release if manifest else "the shipped rules"
        days = self.days.value() if self.rehunt.isChecked() else 0
        self.applied.emit(f"SigmaHQ's rules in use: {name}.", days)
        self.accept()

    def _discard(self) -> None:
        from watchkeeper.detection import update

        if self.plan is not None:
            update.discard(self.plan)
            self.plan = None

    def reject(self) -> None:
        self._discard()
        super().reject()
