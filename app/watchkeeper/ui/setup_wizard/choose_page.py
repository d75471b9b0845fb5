"""Step 1, choose what to log: how many of each kind of device, and which of their logs.

Each log says what it shows, how many of the loaded rules it lets fire (counted in the
background), and the estimate of the whole plan's daily volume follows every change.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from watchkeeper.core.disk import size_text
from watchkeeper.core.progress import Progress
from watchkeeper.core.settings import Settings
from watchkeeper.core.text import counted
from watchkeeper.setup.catalogue import LOGS, PLATFORMS, PlatformKind, logs_of
from watchkeeper.setup.coverage import Coverage, coverage
from watchkeeper.setup.plan import MAX_COUNT, PlatformPlan, planned_logs
from watchkeeper.setup.sizing import STORE_BYTES_PER_EVENT, daily_events
from watchkeeper.ui.labels import plain_label
from watchkeeper.ui.setup_wizard.context import WizardContext
from watchkeeper.ui.tasks import Task

# the platforms' names with a mnemonic each (the wizard's buttons have B, N, F)
MNEMONICS: dict[PlatformKind, str] = {
    "windows": "&Windows PCs and servers",
    "domain_controller": "Windows &domain controllers",
    "linux": "&Linux servers",
    "macos": "&Macs",
    "mdm": "&Phones and tablets under an MDM",
    "network": "Network de&vices (firewall, router, Wi-Fi, VPN)",
}
COUNTING = "Counting the rules each log lets fire…"


def count_rules(settings: Settings, progress: Progress) -> Coverage:
    """The loaded rules (shipped, SigmaHQ's profile, the user's folders) by the logs they read."""
    from watchkeeper.detection import service

    return coverage(service.load(settings=settings, progress=progress))


class ChooseLogsPage(QWizardPage):
    """A count per kind of device, and a box per log with what it lets the rules see."""

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setTitle("Choose what to log")
        self.setSubTitle(
            "Say roughly how many of each you have, and tick the logs to collect from them. "
            "The recommended ones are ticked."
        )
        self.load_rules: Callable[[Progress], Coverage] = partial(count_rules, context.settings)
        self.coverage: Coverage | None = None
        self.counts: dict[PlatformKind, QSpinBox] = {}
        self.boxes: dict[str, QCheckBox] = {}
        self.fires: dict[str, QLabel] = {}
        self._filling = False
        self._task: Task | None = None
        body = QWidget()
        column = QVBoxLayout(body)
        column.setSpacing(6)
        for kind in PLATFORMS:
            column.addWidget(self._platform_box(kind))
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.rules_label = plain_label(COUNTING, muted=True)
        self.estimate = plain_label()
        self.estimate.setObjectName("estimate")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.estimate)
        layout.addWidget(self.rules_label)

    def _platform_box(self, kind: PlatformKind) -> QWidget:
        platform = PLATFORMS[kind]
        box = QFrame()
        box.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(box)
        grid.setColumnStretch(1, 1)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        heading = QLabel(MNEMONICS[kind])
        heading.setObjectName("subheading")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        spin = QSpinBox()
        spin.setRange(0, MAX_COUNT)
        spin.setGroupSeparatorShown(True)
        spin.setSuffix(f" {unit(kind, 0)}")
        spin.setMinimumWidth(150)
        spin.setAccessibleName(f"How many {platform.unit}")
        heading.setBuddy(spin)
        spin.valueChanged.connect(partial(self._on_count_changed, kind))
        self.counts[kind] = spin
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(spin)
        grid.addLayout(top, 0, 0, 1, 3)
        row = 1
        for choice in logs_of(kind):
            check = QCheckBox(choice.title)
            check.setToolTip(choice.why)
            check.toggled.connect(partial(self._on_log_toggled, kind, choice.key))
            self.boxes[choice.key] = check
            fires = plain_label(COUNTING if choice.feeds else "", muted=True, wrap=False)
            fires.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            self.fires[choice.key] = fires
            why = plain_label(choice.why, muted=True)
            why.setContentsMargins(24, 0, 0, 4)
            grid.addWidget(check, row, 0, 1, 2)
            grid.addWidget(fires, row, 2)
            grid.addWidget(why, row + 1, 0, 1, 3)
            row += 2
        return box

    # the draft in, and back ------------------------------------------------------------

    def initializePage(self) -> None:
        draft = self.context.draft
        self._filling = True
        try:
            for kind, spin in self.counts.items():
                planned = draft.platforms.get(kind)
                spin.setValue(planned.count if planned else 0)
                for choice in logs_of(kind):
                    ticked = planned is not None and choice.key in planned.logs
                    self.boxes[choice.key].setChecked(ticked)
        finally:
            self._filling = False
        self._show_estimate()
        if self.coverage is None and self._task is None:
            self._task = self.context.runner.run(
                self.load_rules,
                title="Counting rules",
                key="setup-rule-coverage",
                dialog=False,
                quiet=True,
                on_success=self._on_rules_counted,
                on_error=self._on_rules_failed,
            )
        else:
            self._show_fires()

    def _planned(self, kind: PlatformKind) -> PlatformPlan:
        return self.context.draft.platforms.setdefault(kind, PlatformPlan())

    def _on_count_changed(self, kind: PlatformKind, value: int) -> None:
        self.counts[kind].setSuffix(f" {unit(kind, value)}")
        if self._filling:
            return
        self._planned(kind).count = value
        self._refresh()

    def _on_log_toggled(self, kind: PlatformKind, key: str, on: bool) -> None:
        if self._filling:
            return
        planned = self._planned(kind)
        wanted = set(planned.logs) | {key} if on else set(planned.logs) - {key}
        planned.logs = [k for k in PLATFORMS[kind].logs if k in wanted]
        self._refresh()

    def _refresh(self) -> None:
        self._show_estimate()
        self._show_fires()

    # what the choices mean ---------------------------------------------------------------

    def _show_estimate(self) -> None:
        draft = self.context.draft
        per_day = daily_events(draft)
        devices = sum(p.count for p in draft.platforms.values() if p.logs)
        if per_day == 0:
            self.estimate.setText(
                "Type how many of each you have to see how many events a day to expect."
            )
            return
        self.estimate.setText(
            f"About {counted(per_day, 'event')} a day from {counted(devices, 'device')}, "
            f"about {size_text(per_day * STORE_BYTES_PER_EVENT)} a day in the store."
        )

    def stop(self) -> None:
        """The wizard is closing: a count still running is dropped, not delivered."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _on_rules_counted(self, found: Coverage) -> None:
        if not shiboken6.isValid(self):
            return  # the wizard was deleted without closing while the count ran
        self._task = None
        self.coverage = found
        self._show_fires()

    def _on_rules_failed(self, error: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._task = None
        message = getattr(error, "message", "") or str(error) or type(error).__name__
        self.rules_label.setText(f"The rules could not be counted: {message}")
        for label in self.fires.values():
            label.setText("")

    def _show_fires(self) -> None:
        found = self.coverage
        if found is None:
            return
        draft = self.context.draft
        chosen = planned_logs(draft)
        for kind in PLATFORMS:
            # what a log adds is judged beside the same devices' other logs: a domain
            # controller's Security log sees nothing of the PCs'
            planned = draft.platforms.get(kind)
            beside = planned.logs if planned is not None else []
            for choice in logs_of(kind):
                self.fires[choice.key].setText(fires_text(found, choice.key, beside))
        self.rules_label.setText(
            f"With these logs, {found.covered(chosen):,} of the {counted(found.rules, 'rule')} "
            "loaded can fire."
        )


def unit(kind: PlatformKind, count: int) -> str:
    """What the count counts, in the right number: "1 computer", "2 computers"."""
    many = PLATFORMS[kind].unit
    return many[:-1] if count == 1 and many.endswith("s") else many


def fires_text(found: Coverage, key: str, chosen: list[str]) -> str:
    """What one log lets the rules see, in a few words."""
    if not LOGS[key].feeds:
        return "for the Devices view"
    share = found.count(key, chosen)
    if share.fire == 0:
        return "no loaded rule reads it yet"
    return f"lets {counted(share.fire, 'rule')} fire ({share.only:,} only with it)"
