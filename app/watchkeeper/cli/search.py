"""`stats` and `search`: the store at a glance, and the events a filter finds."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import TYPE_CHECKING, TextIO

from watchkeeper.cli.output import print_json, safe
from watchkeeper.cli.parser import add_command, add_common, count_arg, time_arg
from watchkeeper.cli.store import open_store

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands, "stats", cmd_stats, help="events by source, host and day; the import ledger"
    )
    add_common(p)

    p = add_command(commands, "search", cmd_search, help="find events with the filter language")
    p.add_argument(
        "filter",
        nargs="?",
        default="",
        metavar="FILTER",
        help="e.g. 'host:pc-01 event_id:4625 NOT user:admin*'",
    )
    p.add_argument("--since", type=time_arg, help="ISO date/time (UTC) or an age: 30m, 24h, 7d")
    p.add_argument("--until", type=time_arg, help="ISO date/time (UTC) or an age")
    p.add_argument("--limit", type=count_arg, default=50, help="events to show (default 50)")
    p.add_argument("--newest-first", action="store_true")
    add_common(p)


def cmd_stats(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.storage.queries import overview

    with open_store(args, write=False) as store:
        info = overview(store)
    if args.json:
        print_json(
            {
                "events": info.events,
                "first": info.first,
                "last": info.last,
                "by_source": dict(info.by_source),
                "by_host": dict(info.by_host),
                "by_day": dict(info.by_day),
                "quarantined": info.quarantined,
                "size_bytes": info.size_bytes,
                "imports": [asdict(e) for e in info.imports],
            },
            out,
        )
        return 0
    out.write(
        f"{info.events:,} events"
        + (
            f" from {info.first:%Y-%m-%d %H:%M} to {info.last:%Y-%m-%d %H:%M} UTC"
            if info.first and info.last
            else ""
        )
        + f"; {info.quarantined:,} quarantined; store {info.size_bytes / 1e6:,.1f} MB\n"
    )
    out.write("\nBy source:\n")
    for name, count in info.by_source:
        out.write(f"  {safe(name, 30):30} {count:>12,}\n")
    out.write("\nBusiest hosts:\n")
    for name, count in info.by_host:
        out.write(f"  {safe(name, 30):30} {count:>12,}\n")
    out.write("\nBy day (UTC):\n")
    for day, count in info.by_day[-31:]:
        out.write(f"  {day:30} {count:>12,}\n")
    out.write("\nLatest imports:\n")
    for entry in info.imports:
        out.write(
            f"  #{entry.id:<5} {entry.status:11} {entry.events:>10,} events  "
            f"{safe(entry.path, 70)}\n"
        )
    return 0


def cmd_search(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.storage.filters import compile_filter
    from watchkeeper.storage.queries import event_dict, search

    with open_store(args, write=False) as store:
        compiled = compile_filter(args.filter, store)
        result = search(
            store,
            compiled.where,
            compiled.params,
            since=args.since,
            until=args.until,
            limit=args.limit,
            newest_first=args.newest_first,
        )
    if args.json:
        print_json(
            {
                "filter": args.filter,
                "total": result.total,
                "events": [event_dict(result.columns, row) for row in result.rows],
            },
            out,
        )
        return 0
    index = {name: i for i, name in enumerate(result.columns)}
    for row in result.rows:
        stamp = row[index["time"]]
        when = f"{stamp:%Y-%m-%d %H:%M:%S}" if stamp else "(no time)         "
        summary = row[index["message"]] or row[index["command_line"]] or row[index["process"]] or ""
        out.write(
            f"{when}  {safe(row[index['host']], 20):20} {safe(row[index['source']], 9):9} "
            f"{row[index['event_id']] or '':>5}  {safe(row[index['username']], 20):20} "
            f"{safe(summary, 120)}\n"
        )
    shown = len(result.rows)
    out.write(
        f"{result.total:,} event(s) match"
        + (f"; showing {shown:,}" if shown < result.total else "")
        + "\n"
    )
    return 0
