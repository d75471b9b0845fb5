"""SigmaHQ's set in the window: the profile chosen in the Detection menu (with each profile's
rule count), the rules prepared in the background when the window opens, and updating."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from watchkeeper.core.settings import Settings
from watchkeeper.core.text import counted
from watchkeeper.ui.hits.detecting import Detection, preload
from watchkeeper.ui.hits.models import DetectionResult
from watchkeeper.ui.hits.rule_update import UpdateRulesDialog
from watchkeeper.ui.tasks import TaskRunner

# (key, menu text, what it runs); detection.bundle.PROFILES has the same keys
PROFILE_CHOICES = (
    ("core", "&Core", "high and critical"),
    ("broad", "&Broad", "adds medium"),
    ("hunting", "&Hunting", "every rule"),
)


def profile_options() -> tuple[tuple[str, str], ...]:
    return tuple((key, f"{text}: {what}") for key, text, what in PROFILE_CHOICES)


class RuleSets(QObject):
    def __init__(
        self,
        parent: QWidget,
        settings: Settings,
        runner: TaskRunner,
        detection: Detection,
        say: Callable[[str], None],
        save_settings: Callable[[], None],
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._settings = settings
        self._runner = runner
        self._detection = detection
        self._say = say
        self._save = save_settings
        self.counts: dict[str, int] = {}
        self.profile_actions: dict[str, QAction] = {}
        self.dialog: UpdateRulesDialog | None = None
        detection.finished.connect(self._on_detection_finished)

    def attach(self, actions: dict[str, QAction]) -> None:
        self.profile_actions = actions
        self.show_counts(self.counts)

    def preload(self) -> None:
        """Load (and, on a first start without the shipped cache, compile) the rules now."""
        self._runner.run(
            partial(preload, copy.deepcopy(self._settings)),
            title="Preparing the detection rules",
            dialog=False,
            on_success=self.show_counts,
        )

    def show_counts(self, counts: dict[str, int]) -> None:
        if counts:
            self.counts = dict(counts)
        for key, text, what in PROFILE_CHOICES:
            action = self.profile_actions.get(key)
            if action is None:
                continue
            shown = f"{text}: {what}"
            if key in self.counts:
                shown += f" ({counted(self.counts[key], 'rule')})"
            action.setText(shown)

    def set_profile(self, key: str) -> None:
        self._settings.rule_profile = key
        self._save()
        name = next(text for k, text, _ in PROFILE_CHOICES if k == key).replace("&", "")
        count = f"{counted(self.counts[key], 'rule')} of SigmaHQ's" if key in self.counts else ""
        self._say(
            f"Rule profile {name}: {count or 'SigmaHQ'} rules run on new events; "
            "Detection ▸ Hunt again runs them over the events already here."
        )

    def open_update(self) -> UpdateRulesDialog:
        from watchkeeper.detection import bundle

        manifest = bundle.read_manifest(bundle.active_set())
        in_use = f"{manifest.release} ({len(manifest.rules):,} rules)" if manifest else "none"
        folder = bundle.updates_dir()
        can_go_back = (folder / "current").exists() or (folder / "previous").exists()
        dialog = UpdateRulesDialog(in_use, self._runner, can_go_back, parent=self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.applied.connect(self._on_applied)
        dialog.destroyed.connect(self._forget_dialog)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self) -> None:
        self.dialog = None

    def _on_applied(self, said: str, days: int) -> None:
        self._say(said)
        if days:
            self._detection.request(since=datetime.now(UTC) - timedelta(days=days))

    def _on_detection_finished(self, result: DetectionResult) -> None:
        self.show_counts(result.profile_counts)
