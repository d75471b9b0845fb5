"""`archive`: roll closed days past the hot window over into the Parquet archive, and delete
archived days past retention (a day after marking them, unless cancelled)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from watchkeeper.cli.output import print_json, safe, with_progress
from watchkeeper.cli.parser import add_command, add_common
from watchkeeper.cli.store import open_store

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands
    from watchkeeper.retention.policy import RetentionRun
    from watchkeeper.storage.archive_deletions import Pending

SHOWN = 20  # lines of each kind in the terminal; --json lists them all


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands,
        "archive",
        cmd_archive,
        help="move closed days past the hot window into the archive, and delete archived "
        "days past retention (a day after marking them)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would be archived and deleted; change nothing",
    )
    p.add_argument(
        "--cancel",
        nargs="*",
        type=int,
        metavar="ID",
        help="keep the archive files marked for deletion (all, or these ids) until --release",
    )
    p.add_argument(
        "--release",
        action="store_true",
        help="let the files kept with --cancel be deleted again once past retention",
    )
    add_common(p)


def cmd_archive(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.core import settings as settings_module
    from watchkeeper.retention import policy
    from watchkeeper.storage import archive_deletions

    settings = settings_module.load()
    now = args.clock()
    with open_store(args) as store:
        if args.cancel is not None or args.release:
            kept = (
                archive_deletions.cancel(store, args.cancel or None)
                if args.cancel is not None
                else 0
            )
            released = archive_deletions.release(store) if args.release else 0
            if args.json:
                print_json({"cancelled": kept, "released": released}, out)
            else:
                if args.cancel is not None:
                    out.write(
                        f"Kept {_files(kept)} that were to be deleted; --release lets them go.\n"
                    )
                if args.release:
                    out.write(
                        f"{_files(released, capital=True)} may be deleted again once past retention.\n"
                    )
            return 0
        if args.dry_run:
            result = policy.plan(store, settings.retention_months, settings.hot_days, now)
        else:
            result = with_progress(
                lambda progress: policy.run(
                    store, settings.retention_months, settings.hot_days, now, progress
                ),
                err,
            )
    if args.json:
        print_json(_document(result, settings.retention_months, settings.hot_days), out)
    else:
        _print(result, settings.retention_months, settings.hot_days, out)
    return 0


def _files(n: int, capital: bool = False) -> str:
    text = f"{n:,} archive file{'' if n == 1 else 's'}"
    return text[0].upper() + text[1:] if capital else text


def _document(result: RetentionRun, months: int, hot_days: int) -> dict[str, object]:
    return {
        "dry_run": result.dry_run,
        "retention_months": months,
        "hot_days": hot_days,
        "archived": [
            {
                "path": f.path,
                "source": f.source,
                "day": f.day,
                "events": f.events,
                "bytes": f.bytes,
                "sha256": f.sha256,
            }
            for f in result.archived
        ],
        "due": [{"source": p.source, "day": p.day, "events": p.events} for p in result.due],
        "marked": [_pending(p) for p in result.marked],
        "deleted": [_pending(p) for p in result.deleted],
        "pending": [_pending(p) for p in result.pending],
    }


def _pending(p: Pending) -> dict[str, object]:
    return {
        "id": p.id,
        "path": p.path,
        "source": p.source,
        "day": p.day,
        "events": p.events,
        "delete_after": p.delete_after,
        "held": p.held,
    }


def _print(result: RetentionRun, months: int, hot_days: int, out: TextIO) -> None:
    verb = "Would archive" if result.dry_run else "Archived"
    days = {(p.source, p.day) for p in result.due} | {(f.source, f.day) for f in result.archived}
    out.write(
        f"Retention: {months} months, the newest {hot_days} days in the store.\n"
        f"{verb} {result.archived_events:,} events of {len(days):,} "
        f"day{'' if len(days) == 1 else 's'} and source{'' if len(days) == 1 else 's'}.\n"
    )
    for f in result.archived[:SHOWN]:
        out.write(
            f"  {f.day}  {safe(f.source or '(none)'):<12} {f.events:>10,} events  {f.bytes / 1e6:,.1f} MB\n"
        )
    for d in result.due[:SHOWN]:
        out.write(f"  {d.day}  {safe(d.source or '(none)'):<12} {d.events:>10,} events\n")
    if result.marked:
        word = "Would mark" if result.dry_run else "Marked"
        out.write(
            f"{word} {_files(len(result.marked))} past retention for deletion in 24 hours "
            "(watchkeeper archive --cancel keeps them).\n"
        )
    if result.deleted:
        word = "Would delete" if result.dry_run else "Deleted"
        events = sum(p.events for p in result.deleted)
        out.write(
            f"{word} {_files(len(result.deleted))} ({events:,} events) past retention; recorded.\n"
        )
    waiting = [p for p in result.pending if p.delete_after is not None and p not in result.deleted]
    held = [p for p in result.pending if p.held]
    for p in waiting[:SHOWN]:
        out.write(
            f"  to be deleted after {p.delete_after:%Y-%m-%d %H:%M} UTC: #{p.id} {p.day} "
            f"{safe(p.source or '(none)')} ({p.events:,} events)\n"
        )
    if held:
        out.write(f"{_files(len(held), capital=True)} past retention kept at your request.\n")
