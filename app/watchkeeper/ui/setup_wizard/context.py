"""What every page of the setup wizard shares: the draft plan, settings, store and runner.

Pages edit `draft`, a copy of the saved plan; Finish saves it and Cancel changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from watchkeeper.core.settings import Settings
from watchkeeper.setup.plan import LoggingPlan
from watchkeeper.storage.store import Store
from watchkeeper.ui.tasks import TaskRunner


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WizardContext:
    draft: LoggingPlan
    settings: Settings
    store: Store | None
    runner: TaskRunner
    clock: Callable[[], datetime] = _utc_now  # tests pin it
    plan_file: Path | None = None  # None: the config folder's (setup.plan.plan_path)
    tls_folder: Path | None = None  # None: the collector's (collect.certificates)
    # the settings file the wizard's receiving choices are saved to; None: the user's
    settings_file: Path | None = None
    notes: list[str] = field(default_factory=list)  # what Finish should tell the user
    # leaving step 3 with Next: the listeners chosen start receiving, so step 4 can see the
    # test events; returns what the window says about it (None: no window to listen in)
    apply_receiving: Callable[[LoggingPlan], str] | None = None
