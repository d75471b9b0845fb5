"""What the command line and the window call: which rule folders, load them, run them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from watchkeeper.core import paths
from watchkeeper.core import settings as settings_module
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.progress import Progress
from watchkeeper.core.settings import Settings
from watchkeeper.detection import bundle
from watchkeeper.detection.engine import detect
from watchkeeper.detection.report import DetectReport
from watchkeeper.detection.rules import LoadProblem, RuleCache, RuleSet, load_rules
from watchkeeper.storage import hits
from watchkeeper.storage.store import Store

# In the store's meta table: the folders given to runs on this store besides the shipped pack
# and the settings' folders (`--rules`), so that every later run, from the command line, the
# window or the collector, runs those rules too, and a hunt again over all events does not
# drop their hits.
HUNTED_WITH = "detect_rule_folders"


def rule_folders(extra: Sequence[Path] = (), settings: Settings | None = None) -> list[Path]:
    """The shipped pack, the folders added in settings, then `extra` (--rules)."""
    missing = [folder for folder in extra if not folder.exists()]
    if missing:
        raise WatchkeeperError(
            f"There is no rule folder at {missing[0]}.", title="Rule folder not found"
        )
    chosen = settings if settings is not None else settings_module.load()
    folders = [paths.rules_dir()]
    folders += [Path(folder) for folder in chosen.rule_folders]
    folders += list(extra)
    # one folder named two ways (relative, absolute) is loaded once
    unique: dict[Path, Path] = {}
    for folder in folders:
        unique.setdefault(folder.resolve(), folder)
    return list(unique.values())


def load(
    extra: Sequence[Path] = (),
    settings: Settings | None = None,
    progress: Progress | None = None,
    cache: RuleCache | None = None,
) -> RuleSet:
    """The shipped pack, SigmaHQ's set through the profile in settings, and the folders."""
    chosen = settings if settings is not None else settings_module.load()
    folders = rule_folders(extra, chosen)
    present = [folder for folder in folders if folder.exists()]
    sigmahq = bundle.active_set()
    # the set last: a rule a folder also holds (a SigmaHQ checkout added before the set
    # shipped) runs from the folder, whole, and the set's copy is dropped without a word
    with_set = [*present, sigmahq] if sigmahq.is_dir() else present
    ruleset = load_rules(with_set, chosen.placeholders, progress, cache)
    ruleset.problems = [
        problem
        for problem in ruleset.problems
        if not (problem.path.startswith(str(sigmahq)) and problem.reason.startswith("has the id"))
    ]
    for folder in folders:
        if folder not in present:
            ruleset.problems.append(
                LoadProblem(str(folder), "is a rule folder in Settings that no longer exists")
            )
    if sigmahq.is_dir():
        _apply_profile(ruleset, sigmahq, bundle.profile(chosen.rule_profile))
    return ruleset


def _apply_profile(ruleset: RuleSet, sigmahq: Path, profile: bundle.Profile) -> None:
    """Keep the set's rules the profile admits (and any a kept correlation refers to)."""
    root = str(sigmahq)
    ruleset.profile_counts = bundle.counts(ruleset.rules, sigmahq)
    ruleset.profile = profile.key
    ruleset.sigmahq = bundle.described(sigmahq)
    referred = {
        reference
        for rule in ruleset.rules
        if rule.kind == "correlation"
        for reference in rule.correlation.get("rules", [])
    }
    ruleset.rules = [
        rule
        for rule in ruleset.rules
        if not rule.path.startswith(root)
        or profile.admits(rule)
        or rule.rule_id in referred
        or rule.name in referred
    ]


def hunted_with(store: Store) -> list[Path]:
    """The rule folders earlier runs on this store were given besides the usual ones."""
    try:
        names = json.loads(hits.get_meta(store, HUNTED_WITH) or "[]")
    except ValueError:
        return []
    return [Path(name) for name in names if isinstance(name, str)]


def run(
    store: Store,
    extra: Sequence[Path] = (),
    settings: Settings | None = None,
    progress: Progress | None = None,
    full: bool = False,
    ruleset: RuleSet | None = None,
) -> tuple[RuleSet, DetectReport]:
    """Load the rules (unless given) and run them over new events, or all with `full`.

    The folders of `extra` are remembered in the store, and the remembered ones are loaded
    with them: the store's hits come from the same rules whichever way it is hunted.
    """
    rules = ruleset
    keep: set[str] = set()
    if rules is None:
        given = [folder.resolve() for folder in extra]
        remembered = hunted_with(store)
        gone = [folder for folder in remembered if not folder.exists() and folder not in given]
        rules = load([*(f for f in remembered if f not in gone), *given], settings, progress)
        rules.remembered = [str(f) for f in remembered if f not in gone and f not in given]
        for folder in gone:
            keep |= hits.rules_under(store, str(folder))
            rules.problems.append(
                LoadProblem(
                    str(folder),
                    "is no longer there; this store was hunted with its rules before, "
                    "and their hits are kept",
                )
            )
        if any(folder not in remembered for folder in given):
            names = [str(folder) for folder in dict.fromkeys([*remembered, *given])]
            hits.set_meta(store, HUNTED_WITH, json.dumps(names))
    return rules, detect(store, rules, progress, full=full, keep=keep)


def rehunt(
    store: Store,
    since: datetime,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> tuple[RuleSet, DetectReport]:
    """Run the rules again over the events of the time since `since` (and any imported after
    the first of them), keeping the hits already stored: after the rules changed."""
    if since.tzinfo is not None:  # the store keeps UTC without a zone
        since = since.astimezone(UTC).replace(tzinfo=None)
    row = store.fetch_one("SELECT min(id) FROM events WHERE time >= ?", [since])
    first = int(row[0]) if row and row[0] is not None else None
    rules = load(hunted_with(store), settings, progress)
    if first is None:
        return rules, DetectReport()
    return rules, detect(store, rules, progress, after_id=first - 1)
