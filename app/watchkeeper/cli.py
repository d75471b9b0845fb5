"""The headless command line: the same feature functions the window calls."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from watchkeeper import __version__
from watchkeeper.core import paths
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.progress import Progress, ProgressState


class UsageError(Exception):
    """Bad arguments: exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None,
                        help="the store to use (default: the one in your data folder)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="watchkeeper",
                     description="Logging and protective monitoring for small organisations. "
                                 "Without a command, opens the app.")
    parser.add_argument("--version", action="version", version=f"watchkeeper {__version__}")
    parser.add_argument("--db", type=Path, default=None, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = commands.add_parser("import", help="import log files, folders and .zip/.gz archives")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    _add_common(p)

    p = commands.add_parser("stats", help="events by source, host and day; the import ledger")
    _add_common(p)

    p = commands.add_parser("search", help="find events with the filter language")
    p.add_argument("filter", nargs="?", default="", metavar="FILTER",
                   help='e.g. \'host:pc-01 event_id:4625 NOT user:admin*\'')
    p.add_argument("--since", type=_time_arg, help="ISO date/time (UTC) or an age: 30m, 24h, 7d")
    p.add_argument("--until", type=_time_arg, help="ISO date/time (UTC) or an age")
    p.add_argument("--limit", type=int, default=50, help="events to show (default 50)")
    p.add_argument("--newest-first", action="store_true")
    _add_common(p)

    p = commands.add_parser("demo", help="generate a small office's logs and import them")
    p.add_argument("--events", type=int, default=200_000, help="how many events (default 200,000)")
    p.add_argument("--seed", type=int, default=1, help="the same seed gives the same office")
    p.add_argument("--keep", type=Path, default=None, metavar="DIR",
                   help="write the generated log files to DIR and keep them")
    _add_common(p)
    return parser


def _time_arg(text: str) -> datetime:
    value = text.strip()
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    if value[:-1].isdigit() and value[-1:] in units:
        return datetime.now(UTC).replace(tzinfo=None) - timedelta(**{units[value[-1]]: int(value[:-1])})
    from watchkeeper.core.timeparse import parse_iso

    stamp = parse_iso(value)
    if stamp is None:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (use 2026-11-01, "
                                         "2026-11-01T08:00, or an age such as 24h or 7d)")
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC).replace(tzinfo=None)
    return stamp


# output -------------------------------------------------------------------------------

def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return str(value)


def _print_json(document: object, out: TextIO) -> None:
    out.write(json.dumps(document, default=_json_default, ensure_ascii=False, indent=2))
    out.write("\n")


def _safe(text: object, width: int | None = None) -> str:
    """Event text for one terminal line: line breaks and tabs as spaces, other control
    characters shown as escapes, never obeyed."""
    value = "" if text is None else " ".join(str(text).split())
    value = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" if ord(ch) < 256
                    else f"\\u{ord(ch):04x}" for ch in value)
    if width is not None and len(value) > width:
        value = value[: width - 1] + "…"
    return value


class TerminalProgress:
    """One updating line on stderr: files, events and rate; nothing when not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self._shown = False

    def __call__(self, state: ProgressState) -> None:
        if not self.enabled:
            return
        total = f"/{state.total}" if state.total else ""
        line = (f"\r{state.stage} {state.done}{total} files  {state.records:,} records  "
                f"{state.rate:,.0f}/s  {_safe(state.item, 40)}")
        self.stream.write(line.ljust(100)[:120])
        self.stream.flush()
        self._shown = True

    def finish(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * 110 + "\r")
            self.stream.flush()


def _open_store(args: argparse.Namespace) -> Any:
    from watchkeeper.storage.store import Store

    return Store(args.db or paths.default_db_path())


def _with_progress(run: Callable[[Progress], Any], err: TextIO) -> Any:
    """Run a long job with a terminal progress line; the first Ctrl-C cancels it cleanly."""
    bar = TerminalProgress(err)
    progress = Progress(bar)
    previous = None
    if threading_main():
        def _on_interrupt(signum: int, frame: object) -> None:
            err.write("\nStopping after the current batch (Ctrl-C again to abort)…\n")
            signal.signal(signal.SIGINT, signal.default_int_handler)
            progress.cancel()

        previous = signal.signal(signal.SIGINT, _on_interrupt)
    try:
        return run(progress)
    finally:
        bar.finish()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


# commands -----------------------------------------------------------------------------

def _summary_document(summary: Any) -> dict[str, Any]:
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
        "seconds": round(summary.seconds, 3),
    }


def _print_summary(summary: Any, out: TextIO) -> None:
    rate = summary.records / summary.seconds if summary.seconds else 0
    out.write(f"{'Stopped' if summary.cancelled else 'Done'} in {summary.seconds:.1f} s: "
              f"{summary.count('imported')} file(s) imported, {summary.count('skipped')} skipped, "
              f"{summary.count('failed')} failed"
              + (f", {summary.count('cancelled')} cancelled" if summary.count("cancelled") else "")
              + "\n")
    out.write(f"  {summary.records:,} records read ({rate:,.0f}/s): {summary.events:,} events "
              f"stored, {summary.duplicates:,} exact copies skipped, "
              f"{summary.quarantined:,} quarantined\n")
    for result in summary.files:
        if result.status in ("skipped", "failed", "cancelled") or result.quarantined or result.message:
            label = {"imported": "note"}.get(result.status, result.status)
            detail = result.message or f"{result.quarantined:,} record(s) quarantined"
            if result.status == "imported" and result.quarantined:
                detail = f"{result.quarantined:,} record(s) quarantined" + (
                    f"; {result.message}" if result.message else "")
            out.write(f"  {label}: {_safe(detail)}\n" if detail.startswith(result.name)
                      else f"  {label}: {_safe(result.name)}: {_safe(detail)}\n")


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.ingest.importer import import_paths

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise UsageError("watchkeeper import: no such file or folder: "
                         + ", ".join(str(p) for p in missing))
    with _open_store(args) as store:
        summary = _with_progress(lambda progress: import_paths(store, args.paths, progress), err)
    if args.json:
        _print_json(_summary_document(summary), out)
    else:
        _print_summary(summary, out)
    return 1 if summary.cancelled else 0


def cmd_stats(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.storage.queries import overview

    with _open_store(args) as store:
        info = overview(store)
    if args.json:
        _print_json({
            "events": info.events, "first": info.first, "last": info.last,
            "by_source": dict(info.by_source), "by_host": dict(info.by_host),
            "by_day": dict(info.by_day), "quarantined": info.quarantined,
            "size_bytes": info.size_bytes,
            "imports": [asdict(e) for e in info.imports],
        }, out)
        return 0
    out.write(f"{info.events:,} events"
              + (f" from {info.first:%Y-%m-%d %H:%M} to {info.last:%Y-%m-%d %H:%M} UTC"
                 if info.first and info.last else "")
              + f"; {info.quarantined:,} quarantined; store {info.size_bytes / 1e6:,.1f} MB\n")
    out.write("\nBy source:\n")
    for name, count in info.by_source:
        out.write(f"  {_safe(name, 30):30} {count:>12,}\n")
    out.write("\nBusiest hosts:\n")
    for name, count in info.by_host:
        out.write(f"  {_safe(name, 30):30} {count:>12,}\n")
    out.write("\nBy day (UTC):\n")
    for day, count in info.by_day[-31:]:
        out.write(f"  {day:30} {count:>12,}\n")
    out.write("\nLatest imports:\n")
    for entry in info.imports:
        out.write(f"  #{entry.id:<5} {entry.status:11} {entry.events:>10,} events  "
                  f"{_safe(entry.path, 70)}\n")
    return 0


def cmd_search(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.storage.filters import compile_filter
    from watchkeeper.storage.queries import event_dict, search

    if args.limit < 0:
        raise UsageError("watchkeeper search: --limit must be 0 or more")
    with _open_store(args) as store:
        compiled = compile_filter(args.filter, store)
        result = search(store, compiled.where, compiled.params, since=args.since, until=args.until,
                        limit=args.limit, newest_first=args.newest_first)
    if args.json:
        _print_json({"filter": args.filter, "total": result.total,
                     "events": [event_dict(result.columns, row) for row in result.rows]}, out)
        return 0
    index = {name: i for i, name in enumerate(result.columns)}
    for row in result.rows:
        stamp = row[index["time"]]
        when = f"{stamp:%Y-%m-%d %H:%M:%S}" if stamp else "(no time)         "
        summary = row[index["message"]] or row[index["command_line"]] or row[index["process"]] or ""
        out.write(f"{when}  {_safe(row[index['host']], 20):20} {_safe(row[index['source']], 9):9} "
                  f"{row[index['event_id']] or '':>5}  {_safe(row[index['username']], 20):20} "
                  f"{_safe(summary, 120)}\n")
    shown = len(result.rows)
    out.write(f"{result.total:,} event(s) match" + (f"; showing {shown:,}" if shown < result.total
                                                     else "") + "\n")
    return 0


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.scenarios.demo import load_demo

    if args.events < 1:
        raise UsageError("watchkeeper demo: --events must be at least 1")
    with _open_store(args) as store:
        scenario, summary = _with_progress(
            lambda progress: load_demo(store, args.events, args.seed, progress, keep=args.keep),
            err)
    if args.json:
        _print_json({"scenario": scenario.as_dict(), "import": _summary_document(summary)}, out)
    else:
        out.write(f"Generated {scenario.total_events:,} events of a small office "
                  f"({len(scenario.files)} log files).\n")
        _print_summary(summary, out)
    return 1 if summary.cancelled else 0


COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
    "import": cmd_import,
    "stats": cmd_stats,
    "search": cmd_search,
    "demo": cmd_demo,
}


def run(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command; returns the exit code (0 ok, 1 failure, 2 usage error)."""
    out = out or sys.stdout
    err = err or sys.stderr
    args: argparse.Namespace | None = None
    try:
        args = build_parser().parse_args(list(argv))
        if args.command is None:
            raise UsageError("watchkeeper: give a command, or none to open the app")
        return COMMANDS[args.command](args, out, err)
    except UsageError as error:
        err.write(f"{error}\n")
        return 2
    except WatchkeeperError as error:
        if getattr(args, "json", False):
            _print_json({"error": {"title": error.title, "message": error.message}}, out)
        pointer = getattr(error, "pointer", None)
        err.write(f"watchkeeper: {error.title}: {error.message}\n")
        if callable(pointer):
            err.write(pointer() + "\n")
        return 1
    except KeyboardInterrupt:
        err.write("watchkeeper: interrupted\n")
        return 1
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
