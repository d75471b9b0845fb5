"""The compliance report: every device judged against the policy, with the settings'
thresholds, and the notes to show beside the table.

`watchkeeper devices` and the Devices view both read it, so they judge with the same
thresholds and say the same notes (the overrides applied or ignored, a stale policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from watchkeeper.compliance.evaluate import DeviceRow, Overall, device_rows
from watchkeeper.compliance.policy import CheckSettings, Policy
from watchkeeper.core.progress import Progress
from watchkeeper.storage.store import Store

OVERALLS: tuple[Overall, ...] = ("fail", "unknown", "pass")  # worst first


@dataclass(frozen=True)
class ComplianceReport:
    """Every device judged at `now` (UTC), in the store's order, and what to say beside it."""

    policy: Policy  # with the thresholds applied
    now: datetime
    rows: list[DeviceRow]
    notes: tuple[str, ...]  # the policy's notes, then whether it needs reviewing

    @property
    def checks(self) -> tuple[CheckSettings, ...]:
        """The enabled checks, in the policy's order: the report's columns."""
        return self.policy.enabled

    @property
    def failing(self) -> list[DeviceRow]:
        return [row for row in self.rows if row.overall == "fail"]

    def counts(self) -> dict[Overall, int]:
        """How many devices fail, are unknown and pass."""
        return {
            overall: sum(1 for row in self.rows if row.overall == overall) for overall in OVERALLS
        }


def stale_note(policy: Policy, today: date) -> str | None:
    """A sentence when the policy's supported OS versions are old enough to review."""
    if not policy.stale(today):
        return None
    return (
        f"The policy's supported OS versions were written on {policy.written:%Y-%m-%d}; "
        "review them."
    )


def compliance_report(
    store: Store, policy: Policy, now: datetime, progress: Progress | None = None
) -> ComplianceReport:
    """Every device judged at `now` (UTC) against `policy`, as `load_policy` gives it with the
    settings' thresholds."""
    if progress is not None:
        progress.update(stage="Checking devices")
    stale = stale_note(policy, now.date())
    notes = (*policy.notes, stale) if stale is not None else policy.notes
    return ComplianceReport(policy, now, device_rows(store, policy, now), notes)
