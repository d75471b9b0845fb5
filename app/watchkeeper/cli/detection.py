"""`detect` and `hits`: running the detection rules, and what they found."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from watchkeeper.cli.output import print_json, safe, with_progress
from watchkeeper.cli.parser import (
    LEVEL_CHOICES,
    add_command,
    add_common,
    add_hit_filters,
    add_rules,
)
from watchkeeper.cli.store import open_store

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands
    from watchkeeper.core.progress import Progress
    from watchkeeper.detection.report import DetectReport
    from watchkeeper.detection.rules import RuleSet
    from watchkeeper.storage.hits import RuleHits
    from watchkeeper.storage.store import Store


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands, "detect", cmd_detect, help="run the detection rules over new events (or all)"
    )
    add_rules(p)
    p.add_argument(
        "--all", action="store_true", help="hunt again over every event, replacing the stored hits"
    )
    add_common(p)

    p = add_command(
        commands, "hits", cmd_hits, help="rule hits with counts, hosts, first and last seen"
    )
    add_hit_filters(p)
    add_common(p)


def unseen(store: Store) -> bool:
    """Whether detection has events to run over: these, or some a stopped run left behind."""
    from watchkeeper.storage.hits import unseen_events

    return unseen_events(store)


def detect(
    store: Store, args: argparse.Namespace, progress: Progress, full: bool = False
) -> tuple[RuleSet, DetectReport]:
    from watchkeeper.detection import service

    return service.run(store, args.rules, progress=progress, full=full)


def report_document(report: DetectReport) -> dict[str, Any]:
    return {
        "rules": report.rules,
        "events": report.events,
        "new_hits": report.new_hits,
        "new_detections": report.new_detections,
        "seconds": round(report.seconds, 3),
        "full": report.full,
        "hits_by_rule": report.hits_by_rule,
        "failures": [asdict(f) for f in report.failures],
    }


def print_report(report: DetectReport, out: TextIO) -> None:
    out.write(
        f"Detection: {report.rules:,} rules over {report.events:,} events in "
        f"{report.seconds:.1f} s: {report.new_hits:,} new hit(s)"
        + f", {sum(report.new_detections.values()):,} new detection(s)"
        + (f" from {len(report.hits_by_rule):,} rule(s)" if report.hits_by_rule else "")
        + "\n"
    )
    for failure in report.failures:
        out.write(
            f"  rule failed: {safe(failure.title, 60)} ({safe(failure.path)}): "
            f"{safe(failure.reason, 200)}\n"
        )


def cmd_detect(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with open_store(args) as store:
        ruleset, report = with_progress(
            lambda progress: detect(store, args, progress, full=args.all), err
        )
    if args.json:
        document = report_document(report)
        document["problems"] = [asdict(p) for p in ruleset.problems]
        document["remembered_rule_folders"] = ruleset.remembered
        print_json(document, out)
        return 0
    if report.last_id <= report.first_id and not report.full:
        out.write("No new events since the last run; use --all to hunt again over everything.\n")
        return 0
    print_report(report, out)
    for folder in ruleset.remembered:
        out.write(
            f"  also ran the rules in {safe(folder)}, given with --rules before on this store\n"
        )
    for problem in ruleset.problems:
        if Path(problem.path).suffix.lower() not in (".yml", ".yaml"):  # a folder
            out.write(f"  {safe(problem.path)} {safe(problem.reason, 200)}\n")
    return 0


def cmd_hits(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.storage import detection_views, hits

    levels = LEVEL_CHOICES[LEVEL_CHOICES.index(args.level) :]
    where = detection_views.DetectionFilter(
        levels=levels if args.level != "informational" else (), show_suppressed=args.suppressed
    )
    with open_store(args, write=False) as store:
        found = hits.rule_hits(store, where)
        by_rule: dict[str, list[dict[str, Any]]] = {}
        limit = detection_views.EVENT_LIMIT if args.json else None
        for entry in detection_views.detections_json(store, where, limit):
            by_rule.setdefault(entry["rule"], []).append(entry)
    if args.json:
        print_json({"rules": [_rule_document(r, by_rule.get(r.rule_id, [])) for r in found]}, out)
        return 0
    if not found:
        out.write("No rule hits.\n")
        return 0
    for item in found:
        when = (
            f"{item.first:%Y-%m-%d %H:%M} .. {item.last:%Y-%m-%d %H:%M}"
            if item.first and item.last
            else ""
        )
        count = len(by_rule.get(item.rule_id, []))
        out.write(f"{item.level:13} {count:>7,}  {safe(item.title, 70):70}  {when}\n")
        out.write(
            f"{'':13} {'':7}  {item.count:,} event(s); hosts: "
            f"{safe(', '.join(item.hosts[:5]), 60)}"
            + (f" (+{len(item.hosts) - 5})" if len(item.hosts) > 5 else "")
            + (f"; users: {safe(', '.join(item.users[:5]), 60)}" if item.users else "")
            + f"; id {item.rule_id}\n"
        )
    total = sum(len(by_rule.get(item.rule_id, [])) for item in found)
    out.write(
        f"{total:,} detection(s) from {len(found):,} rule(s), "
        f"{sum(i.count for i in found):,} matched event(s); `watchkeeper detections` "
        "lists them\n"
    )
    return 0


def rehunt(args: argparse.Namespace, days: int, out: TextIO, err: TextIO) -> int:
    """Run the rules again over the last `days` days of events (after the rules changed)."""
    from datetime import timedelta

    from watchkeeper.detection import service

    since = args.clock() - timedelta(days=days)
    with open_store(args) as store:
        _ruleset, report = with_progress(
            lambda progress: service.rehunt(store, since, progress=progress), err
        )
    if args.json:
        print_json(report_document(report), out)
    else:
        print_report(report, out)
    return 0


def _rule_document(item: RuleHits, found: list[dict[str, Any]]) -> dict[str, Any]:
    """A rule as `hits --json` prints it: `count` is its detections, each with its events."""
    return {
        "id": item.rule_id,
        "title": item.title,
        "level": item.level,
        "status": item.status,
        "tactics": item.tactics,
        "techniques": item.techniques,
        "count": len(found),
        "hits": item.count,
        "groups": item.groups,
        "hosts": item.hosts,
        "users": item.users,
        "first": item.first.isoformat() if item.first else None,
        "last": item.last.isoformat() if item.last else None,
        "detections": found,
    }
