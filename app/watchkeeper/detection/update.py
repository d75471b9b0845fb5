"""Updating SigmaHQ's set from a release the user has (a zip or a folder), offline.

An update is taken into a staging folder first and compared with the set in use, so the user
sees what would change (rules added, removed, changed, or no longer converting) before
anything changes. Applying it makes it the current set and keeps the one it replaces as the
previous set; going back swaps the two. The shipped set is never touched: with no current
set in the user's folder, the shipped one is in use.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.progress import Progress
from watchkeeper.detection import bundle
from watchkeeper.detection.rules import RuleCache


@dataclass
class Change:
    rule_id: str
    title: str
    path: str  # relative to the set's folder


@dataclass
class UpdatePlan:
    staged: Path
    manifest: bundle.Manifest
    current: bundle.Manifest | None
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    # files the set in use runs that no longer convert in the update: path -> reason
    failing: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.failing)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "failing": len(self.failing),
        }


def _staging_root() -> Path:
    return bundle.updates_dir() / "staged"


def prepare(
    source: Path,
    now: datetime,
    release: str = "",
    progress: Progress | None = None,
    cache: RuleCache | None = None,
) -> UpdatePlan:
    """Take the release into a staging folder and compare it with the set in use."""
    root = _staging_root()
    shutil.rmtree(root, ignore_errors=True)  # a plan left by an earlier, unfinished update
    staged = root / now.strftime("%Y%m%d-%H%M%S")
    manifest = bundle.take(source, staged, release, now.date(), progress, cache)
    if not manifest.rules:
        shutil.rmtree(root, ignore_errors=True)
        raise WatchkeeperError(
            f"{source.name} holds no Sigma rule Watchkeeper can run; nothing was changed.",
            title="Rules not updated",
        )
    return compare(staged, manifest, bundle.read_manifest(bundle.active_set()))


def compare(staged: Path, manifest: bundle.Manifest, current: bundle.Manifest | None) -> UpdatePlan:
    plan = UpdatePlan(staged, manifest, current)
    old = current.rules if current else {}
    old_files = current.files if current else {}
    for rule_id, (path, title, *_rest) in sorted(manifest.rules.items(), key=_by_path):
        if rule_id not in old:
            plan.added.append(Change(rule_id, title, path))
        elif manifest.files.get(path) != old_files.get(old[rule_id][0]):
            plan.changed.append(Change(rule_id, title, path))
    for rule_id, (path, title, *_rest) in sorted(old.items(), key=_by_path):
        if rule_id in manifest.rules:
            continue
        if path in manifest.failing:
            plan.failing[path] = manifest.failing[path]
        else:
            plan.removed.append(Change(rule_id, title, path))
    return plan


def _by_path(item: tuple[str, list[str]]) -> str:
    return item[1][0]


def apply(plan: UpdatePlan) -> Path:
    """Make the staged set current, keeping the one in use as the previous set."""
    folder = bundle.updates_dir()
    current, previous = folder / "current", folder / "previous"
    if not plan.staged.is_dir():
        raise WatchkeeperError(
            "The update was prepared in a folder that is gone; take it again.",
            title="Rules not updated",
        )
    if current.exists():
        shutil.rmtree(previous, ignore_errors=True)
        current.rename(previous)
    plan.staged.rename(current)
    shutil.rmtree(_staging_root(), ignore_errors=True)
    return current


def discard(plan: UpdatePlan) -> None:
    shutil.rmtree(_staging_root(), ignore_errors=True)


def rollback() -> bundle.Manifest | None:
    """Go back to the set used before the last update (the shipped one when there was none);
    going back again returns to the update. The manifest of the set now in use."""
    folder = bundle.updates_dir()
    current, previous = folder / "current", folder / "previous"
    if not current.exists() and not previous.exists():
        raise WatchkeeperError(
            "The shipped rules are in use and no update was applied; there is nothing to go "
            "back to.",
            title="Nothing to go back to",
        )
    swap = folder / "swapping"
    shutil.rmtree(swap, ignore_errors=True)
    if current.exists():
        current.rename(swap)
    if previous.exists():
        previous.rename(current)
    if swap.exists():
        swap.rename(previous)
    return bundle.read_manifest(bundle.active_set())
