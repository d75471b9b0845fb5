"""Settings ▸ Devices: the compliance thresholds, over the policy file's."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from watchkeeper.compliance.policy import Policy
from watchkeeper.core.settings import Settings
from watchkeeper.ui.devices.thresholds import ThresholdsForm
from watchkeeper.ui.settings.page import SettingsPage, group, note


class DevicesPage(SettingsPage):
    """The thresholds of the policy's enabled checks; `policy` is None when it could not be
    read, and `unreadable` then says why (the thresholds are kept as they are)."""

    title = "Devices"

    def __init__(
        self,
        policy: Policy | None,
        settings: Settings,
        unreadable: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.form = ThresholdsForm(policy, settings.compliance_thresholds) if policy else None
        layout = QVBoxLayout(self)
        if self.form is None:
            layout.addWidget(note(f"The compliance policy could not be read: {unreadable}"))
        else:
            for box in self.form.boxes.values():
                box.valueChanged.connect(self.edited)
            explained = note(
                "A device outside these limits is out of policy. Changes are kept in your "
                "settings; the policy file stays as shipped, and Restore defaults goes back "
                "to its values. An exception for one device is made on its page."
            )
            layout.addWidget(group("Compliance thresholds", self.form, explained))
            if not self.form.boxes:
                layout.addWidget(note("The compliance policy has no checks with a threshold."))
        layout.addStretch(1)

    def load(self, settings: Settings) -> None:
        if self.form is not None:
            self.form.load(settings.compliance_thresholds)

    def store(self, settings: Settings) -> None:
        if self.form is not None:
            settings.compliance_thresholds = self.form.chosen()
