"""What the command line and the window call: which rule folders, load them, run them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from watchkeeper.core import paths
from watchkeeper.core import settings as settings_module
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.progress import Progress
from watchkeeper.core.settings import Settings
from watchkeeper.detection.engine import DetectReport, detect
from watchkeeper.detection.rules import LoadProblem, RuleCache, RuleSet, load_rules
from watchkeeper.storage.store import Store


def rule_folders(extra: Sequence[Path] = (), settings: Settings | None = None) -> list[Path]:
    """The shipped pack, the folders added in settings, then `extra` (--rules)."""
    missing = [folder for folder in extra if not folder.exists()]
    if missing:
        raise WatchkeeperError(f"There is no rule folder at {missing[0]}.",
                               title="Rule folder not found")
    chosen = settings if settings is not None else settings_module.load()
    folders = [paths.rules_dir()]
    folders += [Path(folder) for folder in chosen.rule_folders]
    folders += list(extra)
    return list(dict.fromkeys(folders))


def load(extra: Sequence[Path] = (), settings: Settings | None = None,
         progress: Progress | None = None, cache: RuleCache | None = None) -> RuleSet:
    chosen = settings if settings is not None else settings_module.load()
    folders = rule_folders(extra, chosen)
    present = [folder for folder in folders if folder.exists()]
    ruleset = load_rules(present, chosen.placeholders, progress, cache)
    for folder in folders:
        if folder not in present:
            ruleset.problems.append(LoadProblem(str(folder), "is a rule folder in Settings "
                                                "that no longer exists"))
    return ruleset


def run(store: Store, extra: Sequence[Path] = (), settings: Settings | None = None,
        progress: Progress | None = None, full: bool = False,
        ruleset: RuleSet | None = None) -> tuple[RuleSet, DetectReport]:
    """Load the rules (unless given) and run them over new events, or all with `full`."""
    rules = ruleset if ruleset is not None else load(extra, settings, progress)
    return rules, detect(store, rules, progress, full=full)
