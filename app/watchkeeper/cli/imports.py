"""`import` and `demo`: log files, folders and archives, or a generated office, into the store."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from watchkeeper.cli.detection import detect, print_report, report_document, unseen
from watchkeeper.cli.output import print_json, safe, with_progress
from watchkeeper.cli.parser import UsageError, add_command, add_common, add_rules
from watchkeeper.cli.store import open_store

MAX_HOST = 255  # the longest name DNS allows

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands
    from watchkeeper.ingest.summary import ImportSummary


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands, "import", cmd_import, help="import log files, folders and .zip/.gz archives"
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument(
        "--host",
        metavar="NAME",
        help="the machine the files came from, for events that do not name one "
        "(auditd logs without node=)",
    )
    p.add_argument(
        "--no-detect",
        action="store_true",
        help="do not run the detection rules over the new events",
    )
    add_rules(p)
    add_common(p)

    p = add_command(
        commands, "demo", cmd_demo, help="generate a small office's logs and import them"
    )
    p.add_argument("--events", type=int, default=200_000, help="how many events (default 200,000)")
    p.add_argument("--seed", type=int, default=1, help="the same seed gives the same office")
    p.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="write the generated log files to DIR and keep them",
    )
    p.add_argument(
        "--no-detect",
        action="store_true",
        help="do not run the detection rules over the new events",
    )
    add_rules(p)
    add_common(p)


def summary_document(summary: ImportSummary) -> dict[str, Any]:
    return {
        "files": [vars(f) for f in summary.files],
        "imported": summary.count("imported"),
        "skipped": summary.count("skipped"),
        "failed": summary.count("failed"),
        "records": summary.records,
        "events": summary.events,
        "duplicates": summary.duplicates,
        "quarantined": summary.quarantined,
        "cancelled": summary.cancelled,
        "disk_full": summary.disk_full,
        "paused": summary.paused,
        "seconds": round(summary.seconds, 3),
    }


def print_summary(summary: ImportSummary, out: TextIO) -> None:
    rate = summary.records / summary.seconds if summary.seconds else 0
    out.write(
        f"{'Stopped' if summary.cancelled else 'Done'} in {summary.seconds:.1f} s: "
        f"{summary.count('imported')} file(s) imported, {summary.count('skipped')} skipped, "
        f"{summary.count('failed')} failed"
        + (f", {summary.count('cancelled')} cancelled" if summary.count("cancelled") else "")
        + "\n"
    )
    out.write(
        f"  {summary.records:,} records read ({rate:,.0f}/s): {summary.events:,} events "
        f"stored, {summary.duplicates:,} exact copies skipped, "
        f"{summary.quarantined:,} quarantined\n"
    )
    for result in summary.files:
        if (
            result.status in ("skipped", "failed", "cancelled")
            or result.quarantined
            or result.message
        ):
            label = {"imported": "note"}.get(result.status, result.status)
            detail = result.message or f"{result.quarantined:,} record(s) quarantined"
            if result.status == "imported" and result.quarantined:
                detail = f"{result.quarantined:,} record(s) quarantined" + (
                    f"; {result.message}" if result.message else ""
                )
            out.write(
                f"  {label}: {safe(detail)}\n"
                if detail.startswith(result.name)
                else f"  {label}: {safe(result.name)}: {safe(detail)}\n"
            )


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.ingest.importer import import_paths
    from watchkeeper.integrity.sealing import seal_due

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise UsageError(
            "watchkeeper import: no such file or folder: " + ", ".join(str(p) for p in missing)
        )
    host = _host_name(args.host)
    report = None
    with open_store(args, create=True) as store:
        summary = with_progress(
            lambda progress: import_paths(store, args.paths, progress, host=host), err
        )
        if not summary.disk_full:
            seal_due(store, args.clock())  # the days that ended since the last run
        if not args.no_detect and not summary.cancelled and unseen(store):
            report = with_progress(lambda progress: detect(store, args, progress)[1], err)
    if summary.disk_full:  # paused or full: said where the user looks, not only in the list
        err.write(f"watchkeeper import: {safe(summary.disk_full)}\n")
    if args.json:
        document = summary_document(summary)
        if report is not None:
            document["detection"] = report_document(report)
        print_json(document, out)
    else:
        print_summary(summary, out)
        if report is not None:
            print_report(report, out)
    nothing_imported = not summary.count("imported") and summary.count("failed")
    return 1 if summary.cancelled or nothing_imported else 0


def _host_name(text: str | None) -> str | None:
    """The --host value, or a usage error for one no machine could have."""
    if text is None:
        return None
    name = text.strip()
    if not name or len(name) > MAX_HOST or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise UsageError(
            f"watchkeeper import: --host needs a machine name of 1 to {MAX_HOST} characters, "
            "without control characters"
        )
    return name


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.scenarios.demo import load_demo

    if args.events < 1:
        raise UsageError("watchkeeper demo: --events must be at least 1")
    with open_store(args, create=True) as store:
        scenario, summary = with_progress(
            lambda progress: load_demo(store, args.events, args.seed, progress, keep=args.keep), err
        )
        report = None
        if not args.no_detect and not summary.cancelled and unseen(store):
            report = with_progress(lambda progress: detect(store, args, progress)[1], err)
    if args.json:
        document = {"scenario": scenario.as_dict(), "import": summary_document(summary)}
        if report is not None:
            document["detection"] = report_document(report)
        print_json(document, out)
    else:
        out.write(
            f"Generated {scenario.total_events:,} events of a small office "
            f"({len(scenario.files)} log files).\n"
        )
        print_summary(summary, out)
        if report is not None:
            print_report(report, out)
    return 1 if summary.cancelled else 0
