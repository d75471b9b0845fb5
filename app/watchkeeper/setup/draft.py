"""The wizard's draft of the plan: where it starts, what Finish keeps, and what Cancel keeps.

The wizard edits a copy. Finish saves the copy and gives its retention and receiving choices
to the settings; Cancel keeps only the page the user was on, in the saved plan.
"""

from __future__ import annotations

import contextlib
import copy
import os
from dataclasses import dataclass
from pathlib import Path

from watchkeeper.core.settings import DEFAULT_LISTENERS, Settings
from watchkeeper.setup.catalogue import PLATFORM_KINDS, recommended
from watchkeeper.setup.plan import (
    STEPS,
    LoggingPlan,
    PlanError,
    PlatformPlan,
    load_plan,
    plan_path,
    plan_problems,
    save_plan,
)

UNREADABLE = ".unreadable"  # what an unreadable plan is kept as when a new one replaces it


def starter_plan(settings: Settings | None = None) -> LoggingPlan:
    """A new plan: every platform with its recommended logs and no devices counted yet, and
    the retention and listeners the settings already have."""
    plan = LoggingPlan(
        platforms={kind: PlatformPlan(0, recommended(kind)) for kind in PLATFORM_KINDS}
    )
    if settings is not None:
        plan.retention_months = settings.retention_months
        plan.hot_days = settings.hot_days
        plan.retention_reason = settings.retention_reason
        plan.receiving.listen_on_network = settings.listen_on_network
        # a port of 0 (any free one) is the collector's own business, not a plan's; listeners
        # never changed from the defaults are left for step 3 to recommend from the devices
        chosen = {name: port for name, port in settings.listeners.items() if 1 <= port <= 65535}
        plan.receiving.listeners = {} if chosen == DEFAULT_LISTENERS else chosen
    return plan


@dataclass
class Draft:
    """The copy the wizard edits; `problem` says why the saved plan could not be read."""

    plan: LoggingPlan
    saved: bool  # a plan was saved before
    problem: str = ""


def open_draft(settings: Settings, path: Path | None = None) -> Draft:
    """A copy of the saved plan, or a starter plan when there is none or it cannot be read."""
    try:
        saved = load_plan(path)
    except PlanError as error:
        name = (path or plan_path()).name
        return Draft(
            starter_plan(settings),
            saved=False,
            problem=f"{error.message} The wizard starts a new plan; Finish keeps the old "
            f"file as {name}{UNREADABLE}.",
        )
    if saved is None:
        return Draft(starter_plan(settings), saved=False)
    plan = copy.deepcopy(saved)
    # platforms the plan does not mention yet are offered with their recommended logs
    for kind in PLATFORM_KINDS:
        plan.platforms.setdefault(kind, PlatformPlan(0, recommended(kind)))
    return Draft(plan, saved=True)


def remember_step(step: int, path: Path | None = None) -> bool:
    """Keep the page the wizard was left on in the saved plan, changing nothing else.

    False when there is no saved plan (or it cannot be read or written): the draft's other
    changes are never saved this way.
    """
    try:
        saved = load_plan(path)
        if saved is None:
            return False
        saved.step = min(max(step, 0), STEPS - 1)
        save_plan(saved, path)
    except PlanError:
        return False
    return True


def apply_to_settings(plan: LoggingPlan, settings: Settings) -> None:
    """Give the plan's retention and receiving choices to the settings (in place)."""
    settings.retention_months = plan.retention_months
    settings.hot_days = plan.hot_days
    settings.retention_reason = plan.retention_reason
    settings.listen_on_network = plan.receiving.listen_on_network
    if plan.receiving.listeners:
        settings.listeners = dict(plan.receiving.listeners)


def finish(draft: Draft, step: int, path: Path | None = None) -> Path:
    """Save the draft as the plan; an unreadable plan it replaces is kept beside it."""
    plan = copy.deepcopy(draft.plan)
    plan.step = min(max(step, 0), STEPS - 1)
    problems = plan_problems(plan)
    if problems:  # said before the unreadable file is moved aside
        raise PlanError(" ".join(problems))
    target = path or plan_path()
    if draft.problem and target.exists():
        with contextlib.suppress(OSError):
            os.replace(target, target.with_name(target.name + UNREADABLE))
    return save_plan(plan, target)
