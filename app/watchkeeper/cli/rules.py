"""`rules`: the detection rules loaded and why any failed, the profile of SigmaHQ's set, and
updating that set from a release (`rules update`) or going back (`rules back`)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from watchkeeper.cli.output import print_json, safe, with_progress
from watchkeeper.cli.parser import LEVEL_CHOICES, add_command, add_common, add_rules, count_arg

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands
    from watchkeeper.detection.rules import RuleSet
    from watchkeeper.detection.update import Change, UpdatePlan

PROFILES = ("core", "broad", "hunting")  # detection.bundle.PROFILES, without loading it
SHOWN_CHANGES = 15  # of each kind, in the terminal; --json lists them all


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands, "rules", cmd_rules, help="the detection rules loaded, and why any failed to load"
    )
    add_rules(p)
    p.add_argument("--list", action="store_true", help="list every rule, not only the counts")
    p.add_argument(
        "--profile",
        choices=PROFILES,
        help="choose which of SigmaHQ's rules run from now on: core (stable and test, high and "
        "critical; the default), broad (adds medium) or hunting (every rule)",
    )
    add_common(p)
    actions = p.add_subparsers(dest="action", parser_class=type(p))
    update = actions.add_parser(
        "update",
        help="update SigmaHQ's rules from a release zip or folder (shows the changes first)",
    )
    update.add_argument("source", type=Path, metavar="FILE|DIR", help="a SigmaHQ release")
    update.add_argument("--yes", action="store_true", help="apply without asking")
    update.add_argument("--release", default="", help="the release's name (default: the file's)")
    update.add_argument(
        "--rehunt-days",
        type=count_arg,
        default=0,
        metavar="N",
        help="after applying, run the rules again over the last N days of events",
    )
    add_common(update)
    back = actions.add_parser(
        "back", help="go back to the SigmaHQ rules in use before the last update"
    )
    add_common(back)


def cmd_rules(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.action == "update":
        return cmd_update(args, out, err)
    if args.action == "back":
        return cmd_back(args, out)
    from watchkeeper.core import settings as settings_module
    from watchkeeper.detection import service
    from watchkeeper.detection.rules import summary

    settings = settings_module.load()
    if args.profile:
        settings.rule_profile = args.profile
        settings_module.save(settings)
    ruleset = with_progress(
        lambda progress: service.load(args.rules, settings, progress=progress), err
    )
    if args.json:
        print_json(
            {
                "files": ruleset.files,
                "compiled": ruleset.compiled,  # converted now: the caches lacked them
                "profile": ruleset.profile,
                "profiles": ruleset.profile_counts,
                "sigmahq": ruleset.sigmahq,
                "rules": [summary(r) for r in ruleset.rules],
                "problems": [asdict(p) for p in ruleset.problems],
            },
            out,
        )
        return 0
    print_rules(ruleset, args.list, out)
    return 0


def print_rules(ruleset: RuleSet, listed: bool, out: TextIO) -> None:
    applies = sum(1 for r in ruleset.rules if r.applies())
    out.write(
        f"{len(ruleset.rules):,} rules from {ruleset.files:,} files "
        f"({applies:,} for logs Watchkeeper reads); {len(ruleset.problems):,} problem(s)\n"
    )
    if ruleset.profile:
        out.write(f"  {profile_line(ruleset)}\n")
        idle = sum(ruleset.sigmahq.get("idle", {}).values())
        if idle:
            out.write(
                f"  {idle:,} of the release's rules are left out: they read logs that never "
                "reach Watchkeeper (cloud, web, network; --json lists why)\n"
            )
    levels = Counter(r.level or "none" for r in ruleset.rules)
    out.write(
        "  "
        + ", ".join(
            f"{levels[level]:,} {level}"
            for level in (*reversed(LEVEL_CHOICES), "none")
            if levels[level]
        )
        + "\n"
    )
    if listed:
        for rule in ruleset.rules:
            out.write(f"  {rule.rule_id:36}  {rule.level or '-':13} {safe(rule.title, 80)}\n")
    for problem in ruleset.problems:
        out.write(
            f"  not loaded: {safe(problem.path)}"
            + (f" ({safe(problem.title, 60)})" if problem.title else "")
            + f": {safe(problem.reason, 200)}\n"
        )


def profile_line(ruleset: RuleSet) -> str:
    counts = ruleset.profile_counts
    release = ruleset.sigmahq.get("release", "")
    others = ", ".join(
        f"{name} {counts.get(name, 0):,}" for name in PROFILES if name != ruleset.profile
    )
    return (
        f"profile {ruleset.profile}: {counts.get(ruleset.profile, 0):,} of SigmaHQ's "
        f"{counts.get('hunting', 0):,} rules ({others})"
        + (f"; {safe(release, 80)}" if release else "")
    )


def cmd_update(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.detection import update

    plan = with_progress(
        lambda progress: update.prepare(args.source, args.clock(), args.release, progress), err
    )
    if args.json:
        print_json(plan_document(plan), out)
    else:
        print_plan(plan, out)
    if plan.empty:
        update.discard(plan)
        if not args.json:
            out.write("The rules in use are the same; nothing was changed.\n")
        return 0
    if not (args.yes or _confirmed(out)):
        update.discard(plan)
        if not args.json:
            out.write("Nothing was changed; run again with --yes to apply the update.\n")
        return 0
    update.apply(plan)
    if not args.json:
        out.write(
            f"Applied: {safe(plan.manifest.release, 80)} is in use. "
            "`watchkeeper rules back` returns to the rules used before.\n"
        )
    if args.rehunt_days:
        from watchkeeper.cli.detection import rehunt

        return rehunt(args, args.rehunt_days, out, err)
    return 0


def _confirmed(out: TextIO) -> bool:
    if not sys.stdin.isatty():
        return False
    out.write("Apply this update? [y/N] ")
    out.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def print_plan(plan: UpdatePlan, out: TextIO) -> None:
    new = plan.manifest
    was = plan.current
    out.write(
        f"{safe(new.release, 80)}: {len(new.rules):,} rules Watchkeeper can run "
        f"(in use now: {safe(was.release, 80) if was else 'no SigmaHQ set'}, "
        f"{len(was.rules) if was else 0:,} rules)\n"
    )
    sections: list[tuple[str, list[Change]]] = [
        ("added", plan.added),
        ("removed", plan.removed),
        ("changed", plan.changed),
    ]
    for name, changes in sections:
        out.write(f"  {len(changes):,} {name}\n")
        for change in changes[:SHOWN_CHANGES]:
            out.write(f"    {safe(change.title, 70)}  ({safe(change.path)})\n")
        if len(changes) > SHOWN_CHANGES:
            out.write(f"    … and {len(changes) - SHOWN_CHANGES:,} more (--json lists them all)\n")
    out.write(f"  {len(plan.failing):,} in use now that no longer convert\n")
    for path, reason in list(plan.failing.items())[:SHOWN_CHANGES]:
        out.write(f"    {safe(path)}: {safe(reason, 160)}\n")


def plan_document(plan: UpdatePlan) -> dict[str, Any]:
    return {
        "release": plan.manifest.release,
        "current": plan.current.release if plan.current else None,
        "rules": len(plan.manifest.rules),
        "counts": plan.counts(),
        "added": [asdict(c) for c in plan.added],
        "removed": [asdict(c) for c in plan.removed],
        "changed": [asdict(c) for c in plan.changed],
        "failing": plan.failing,
    }


def cmd_back(args: argparse.Namespace, out: TextIO) -> int:
    from watchkeeper.detection import update

    manifest = update.rollback()
    name = manifest.release if manifest else "the shipped rules"
    if args.json:
        print_json({"release": name}, out)
    else:
        out.write(f"SigmaHQ's rules in use now: {safe(name, 80)}.\n")
    return 0
