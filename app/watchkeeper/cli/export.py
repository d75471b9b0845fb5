"""`export`: the events a filter finds, as Elastic Common Schema NDJSON for `_bulk`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from watchkeeper.cli.output import print_json, with_progress
from watchkeeper.cli.parser import add_command, add_common, time_arg
from watchkeeper.cli.store import open_store

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands

FORMATS = ("ndjson-ecs",)
MAX_FILE_MB = 100


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands,
        "export",
        cmd_export,
        help="write events as Elastic Common Schema NDJSON for the _bulk API of "
        "OpenSearch or Elasticsearch",
    )
    p.add_argument(
        "filter",
        nargs="?",
        default="",
        metavar="FILTER",
        help="which events, in the filter language (default: all in the time range)",
    )
    p.add_argument(
        "--since",
        type=time_arg,
        required=True,
        help="ISO date/time (UTC) or an age: 30m, 24h, 7d",
    )
    p.add_argument("--until", type=time_arg, help="ISO date/time (UTC) or an age")
    p.add_argument("--format", choices=FORMATS, default="ndjson-ecs", help="(default ndjson-ecs)")
    p.add_argument(
        "--out", type=Path, required=True, metavar="FOLDER", help="the folder for the files"
    )
    p.add_argument(
        "--index",
        type=index_arg,
        default="watchkeeper-events",
        help="the index the action lines name (default watchkeeper-events)",
    )
    p.add_argument(
        "--max-file-mb",
        type=file_mb_arg,
        default=MAX_FILE_MB,
        metavar="MB",
        help=f"the largest file, in MB (default {MAX_FILE_MB}: one _bulk request each)",
    )
    add_common(p)


def index_arg(text: str) -> str:
    from watchkeeper.export.ecs import index_problem

    problem = index_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{problem}, not {text!r}")
    return text


def file_mb_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of MB: {text!r}") from None
    if not 1 <= value <= MAX_FILE_MB:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_FILE_MB} MB, not {value}")
    return value


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.cli.parser import UsageError
    from watchkeeper.export.ndjson import check_folder, export_ecs
    from watchkeeper.storage.eventset import EventQuery
    from watchkeeper.storage.filters import compile_filter

    if args.until is not None and args.until <= args.since:
        raise UsageError(
            f"watchkeeper export: --until ({args.until:%Y-%m-%d %H:%M}) must be after "
            f"--since ({args.since:%Y-%m-%d %H:%M})"
        )
    check_folder(args.out)
    with open_store(args, write=False) as store:
        compiled = compile_filter(args.filter, store)
        query = EventQuery(compiled.where, tuple(compiled.params), args.since, args.until)
        summary = with_progress(
            lambda progress: export_ecs(
                store,
                query,
                args.out,
                progress,
                index=args.index,
                max_bytes=args.max_file_mb * 1_000_000,
            ),
            err,
        )
    if args.json:
        print_json(
            {
                "format": args.format,
                "index": summary.index,
                "events": summary.events,
                "bytes": summary.bytes,
                "files": [str(path) for path in summary.files],
            },
            out,
        )
        return 0
    span = (
        f"from {args.since:%Y-%m-%d %H:%M} to {args.until:%Y-%m-%d %H:%M} UTC"
        if args.until
        else f"since {args.since:%Y-%m-%d %H:%M} UTC"
    )
    if not summary.files:
        out.write(f"No events match {span}; no files written.\n")
        return 0
    out.write(
        f"{summary.events:,} event(s) {span} written to {len(summary.files)} file(s) in "
        f"{args.out} ({summary.bytes / 1e6:,.1f} MB), for the index {summary.index}.\n"
        "Send each file to OpenSearch or Elasticsearch as one request:\n"
        "  curl -H 'Content-Type: application/x-ndjson' --data-binary "
        f"@{summary.files[0].name} https://HOST:9200/_bulk\n"
    )
    return 0
