"""The headless command line: the same feature functions the window calls."""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from watchkeeper import __version__
from watchkeeper.core import paths
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.core.progress import Progress, ProgressState
from watchkeeper.core.settings import LISTENERS


class UsageError(Exception):
    """Bad arguments: exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _add_common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a --db given before the command is kept when none follows it
    parser.add_argument("--db", type=Path, default=argparse.SUPPRESS,
                        help="the store to use (default: the one in your data folder)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="watchkeeper",
                     description="Logging and protective monitoring for small organisations. "
                                 "Without a command, opens the app.")
    parser.add_argument("--version", action="version", version=f"watchkeeper {__version__}")
    parser.add_argument("--db", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--self-test", action="store_true",
                        help="check, headless and in a temporary folder, that this copy works: "
                             "Qt, a font, the store, importing, the rules, the window, a PDF")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = commands.add_parser("import", help="import log files, folders and .zip/.gz archives")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--no-detect", action="store_true",
                   help="do not run the detection rules over the new events")
    _add_rules(p)
    _add_common(p)

    p = commands.add_parser("stats", help="events by source, host and day; the import ledger")
    _add_common(p)

    p = commands.add_parser("search", help="find events with the filter language")
    p.add_argument("filter", nargs="?", default="", metavar="FILTER",
                   help='e.g. \'host:pc-01 event_id:4625 NOT user:admin*\'')
    p.add_argument("--since", type=_time_arg, help="ISO date/time (UTC) or an age: 30m, 24h, 7d")
    p.add_argument("--until", type=_time_arg, help="ISO date/time (UTC) or an age")
    p.add_argument("--limit", type=_count_arg, default=50, help="events to show (default 50)")
    p.add_argument("--newest-first", action="store_true")
    _add_common(p)

    p = commands.add_parser("rules", help="the detection rules loaded, and why any failed to load")
    _add_rules(p)
    p.add_argument("--list", action="store_true", help="list every rule, not only the counts")
    _add_common(p)

    p = commands.add_parser("detect", help="run the detection rules over new events (or all)")
    _add_rules(p)
    p.add_argument("--all", action="store_true",
                   help="hunt again over every event, replacing the stored hits")
    _add_common(p)

    p = commands.add_parser("hits", help="rule hits with counts, hosts, first and last seen")
    p.add_argument("--level", choices=LEVEL_CHOICES, default="informational",
                   help="the lowest level to show (default: informational, i.e. all)")
    p.add_argument("--suppressed", action="store_true", help="include suppressed hits")
    _add_common(p)

    p = commands.add_parser("collect", help="receive forwarded logs (syslog, JSON) into the store")
    for name, port in LISTENERS.items():
        p.add_argument(f"--{name}", type=_port_arg, metavar="PORT", default=None,
                       help=f"listen for {name.replace('-', ' over ').replace('http', 'JSON over HTTP')}"
                            f" (usually {port}); without any of these, the listeners in Settings")
    p.add_argument("--network", action="store_true",
                   help="listen on every network interface, not only this machine (loopback)")
    p.add_argument("--for", dest="duration", type=_seconds_arg, default=None, metavar="SECONDS",
                   help="stop after this many seconds (default: until stopped)")
    p.add_argument("--no-detect", action="store_true", help="do not run detection rules")
    _add_common(p)

    p = commands.add_parser("sources", help="every sender of forwarded logs: last seen, rate, "
                                           "clock skew, and whether it went silent")
    _add_common(p)

    p = commands.add_parser("devices", help="device compliance: every device against the policy; "
                                           "`devices import FILE...` reads MDM exports and "
                                           "osquery logs")
    p.add_argument("--failing", action="store_true", help="only devices that fail a check")
    p.add_argument("--policy", type=Path, default=None, metavar="FILE",
                   help="a compliance policy of your own (default: the shipped one)")
    _add_common(p)
    actions = p.add_subparsers(dest="devices_command", parser_class=_Parser)
    q = actions.add_parser("import", help="import Intune, Google Workspace or Jamf Pro exports "
                                          "and osquery results logs")
    q.add_argument("paths", nargs="+", type=Path, metavar="FILE")
    _add_common(q)

    p = commands.add_parser("demo", help="generate a small office's logs and import them")
    p.add_argument("--events", type=int, default=200_000, help="how many events (default 200,000)")
    p.add_argument("--seed", type=int, default=1, help="the same seed gives the same office")
    p.add_argument("--keep", type=Path, default=None, metavar="DIR",
                   help="write the generated log files to DIR and keep them")
    p.add_argument("--no-detect", action="store_true",
                   help="do not run the detection rules over the new events")
    _add_rules(p)
    _add_common(p)
    return parser


LEVEL_CHOICES = ("informational", "low", "medium", "high", "critical")
MAX_COUNT = 1 << 62  # DuckDB's LIMIT is a signed 64-bit number


def _add_rules(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", type=Path, action="append", default=[], metavar="DIR",
                        help="also load Sigma rules from DIR (may be given more than once)")


def _count_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_COUNT:,}, not {value:,}")
    return value


def _port_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is from 1 to 65535 (0: any free one), not {value}")
    return value


def _seconds_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, not {text!r}")
    return value


def _time_arg(text: str) -> datetime:
    value = text.strip()
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    if value[:-1].isdigit() and value[-1:] in units:
        try:
            return datetime.now(UTC).replace(tzinfo=None) - timedelta(**{units[value[-1]]: int(value[:-1])})
        except OverflowError:
            raise argparse.ArgumentTypeError(f"{text!r} reaches back before the year 1") from None
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


def _open_store(args: argparse.Namespace, *, create: bool = False, write: bool = True) -> Any:
    """The store, with what the collector received meanwhile loaded first.

    Only commands that add data `create` a store; the others say there is none (unless the
    collector received something for it). A command that only reads (`write=False`) reads
    a store it may not write as it is, without loading the spool.
    """
    from watchkeeper.collect.loader import load_spool
    from watchkeeper.collect.spool import spool_folder
    from watchkeeper.core.errors import StoreError, StoreReadOnly
    from watchkeeper.storage.store import Store

    path = args.db or paths.default_db_path()
    # what the collector received and no store has loaded yet counts as data
    if not create and not path.exists() and not spool_folder(path).exists():
        raise StoreError(f"There is no store at {path}; import logs into it first "
                         "(watchkeeper import) or choose another with --db.")
    try:
        store = Store(path)
    except StoreReadOnly:
        if write:
            raise
        return Store(path, read_only=True)
    try:
        load_spool(store, spool_folder(path))
    except BaseException:
        store.close()
        raise
    return store


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
    report = None
    with _open_store(args, create=True) as store:
        summary = _with_progress(lambda progress: import_paths(store, args.paths, progress), err)
        if not args.no_detect and not summary.cancelled and _unseen(store):
            report = _with_progress(lambda progress: _detect(store, args, progress)[1], err)
    if args.json:
        document = _summary_document(summary)
        if report is not None:
            document["detection"] = _report_document(report)
        _print_json(document, out)
    else:
        _print_summary(summary, out)
        if report is not None:
            _print_report(report, out)
    nothing_imported = not summary.count("imported") and summary.count("failed")
    return 1 if summary.cancelled or nothing_imported else 0


def _unseen(store: Any) -> bool:
    """Whether detection has events to run over: these, or some a stopped run left behind."""
    from watchkeeper.storage.hits import unseen_events

    return unseen_events(store)


def _detect(store: Any, args: argparse.Namespace, progress: Progress,
            full: bool = False) -> Any:
    from watchkeeper.detection import service

    return service.run(store, args.rules, progress=progress, full=full)


def _report_document(report: Any) -> dict[str, Any]:
    return {"rules": report.rules, "events": report.events, "new_hits": report.new_hits,
            "seconds": round(report.seconds, 3), "full": report.full,
            "hits_by_rule": report.hits_by_rule,
            "failures": [asdict(f) for f in report.failures]}


def _print_report(report: Any, out: TextIO) -> None:
    out.write(f"Detection: {report.rules:,} rules over {report.events:,} events in "
              f"{report.seconds:.1f} s: {report.new_hits:,} new hit(s)"
              + (f" from {len(report.hits_by_rule):,} rule(s)" if report.hits_by_rule else "")
              + "\n")
    for failure in report.failures:
        out.write(f"  rule failed: {_safe(failure.title, 60)} ({_safe(failure.path)}): "
                  f"{_safe(failure.reason, 200)}\n")


def cmd_rules(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from collections import Counter

    from watchkeeper.detection import service
    from watchkeeper.detection.rules import summary

    ruleset = _with_progress(lambda progress: service.load(args.rules, progress=progress), err)
    if args.json:
        _print_json({"files": ruleset.files, "rules": [summary(r) for r in ruleset.rules],
                     "problems": [asdict(p) for p in ruleset.problems]}, out)
        return 0
    applies = sum(1 for r in ruleset.rules if r.applies())
    out.write(f"{len(ruleset.rules):,} rules from {ruleset.files:,} files "
              f"({applies:,} for logs Watchkeeper reads); {len(ruleset.problems):,} problem(s)\n")
    levels = Counter(r.level or "none" for r in ruleset.rules)
    out.write("  " + ", ".join(f"{levels[level]:,} {level}" for level in
                               (*reversed(LEVEL_CHOICES), "none") if levels[level]) + "\n")
    if args.list:
        for rule in ruleset.rules:
            out.write(f"  {rule.rule_id:36}  {rule.level or '-':13} {_safe(rule.title, 80)}\n")
    for problem in ruleset.problems:
        out.write(f"  not loaded: {_safe(problem.path)}"
                  + (f" ({_safe(problem.title, 60)})" if problem.title else "")
                  + f": {_safe(problem.reason, 200)}\n")
    return 0


def cmd_detect(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _open_store(args) as store:
        ruleset, report = _with_progress(
            lambda progress: _detect(store, args, progress, full=args.all), err)
    if args.json:
        document = _report_document(report)
        document["problems"] = [asdict(p) for p in ruleset.problems]
        document["remembered_rule_folders"] = ruleset.remembered
        _print_json(document, out)
        return 0
    if report.last_id <= report.first_id and not report.full:
        out.write("No new events since the last run; use --all to hunt again over everything.\n")
        return 0
    _print_report(report, out)
    for folder in ruleset.remembered:
        out.write(f"  also ran the rules in {_safe(folder)}, given with --rules before on "
                  "this store\n")
    for problem in ruleset.problems:
        if Path(problem.path).suffix.lower() not in (".yml", ".yaml"):  # a folder
            out.write(f"  {_safe(problem.path)} {_safe(problem.reason, 200)}\n")
    return 0


def cmd_hits(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.storage import hits

    levels = LEVEL_CHOICES[LEVEL_CHOICES.index(args.level):]
    where = hits.HitFilter(levels=levels if args.level != "informational" else (),
                           show_suppressed=args.suppressed)
    with _open_store(args, write=False) as store:
        if args.json:
            _print_json({"rules": hits.hits_json(store, where)}, out)
            return 0
        found = hits.rule_hits(store, where)
    if not found:
        out.write("No rule hits.\n")
        return 0
    for item in found:
        when = f"{item.first:%Y-%m-%d %H:%M} .. {item.last:%Y-%m-%d %H:%M}" if item.first and item.last else ""
        out.write(f"{item.level:13} {item.count:>7,}  {_safe(item.title, 70):70}  {when}\n")
        out.write(f"{'':13} {'':7}  hosts: {_safe(', '.join(item.hosts[:5]), 60)}"
                  + (f" (+{len(item.hosts) - 5})" if len(item.hosts) > 5 else "")
                  + (f"; users: {_safe(', '.join(item.users[:5]), 60)}" if item.users else "")
                  + f"; id {item.rule_id}\n")
    out.write(f"{sum(i.count for i in found):,} hit(s) from {len(found):,} rule(s)\n")
    return 0


def cmd_stats(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.storage.queries import overview

    with _open_store(args, write=False) as store:
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

    with _open_store(args, write=False) as store:
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
    with _open_store(args, create=True) as store:
        scenario, summary = _with_progress(
            lambda progress: load_demo(store, args.events, args.seed, progress, keep=args.keep),
            err)
        report = None
        if not args.no_detect and not summary.cancelled and _unseen(store):
            report = _with_progress(lambda progress: _detect(store, args, progress)[1], err)
    if args.json:
        document = {"scenario": scenario.as_dict(), "import": _summary_document(summary)}
        if report is not None:
            document["detection"] = _report_document(report)
        _print_json(document, out)
    else:
        out.write(f"Generated {scenario.total_events:,} events of a small office "
                  f"({len(scenario.files)} log files).\n")
        _print_summary(summary, out)
        if report is not None:
            _print_report(report, out)
    return 1 if summary.cancelled else 0


def cmd_collect(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.collect.listeners import CollectError
    from watchkeeper.collect.service import Collector, listener_settings
    from watchkeeper.core import settings as settings_module

    settings = settings_module.load()
    if args.network:
        settings.listen_on_network = True
    ports = {name: getattr(args, name.replace("-", "_")) for name in LISTENERS
             if getattr(args, name.replace("-", "_")) is not None}
    db = args.db or paths.default_db_path()
    try:
        collector = Collector(db, settings, listener_settings(settings, ports or None),
                              detect=not args.no_detect)
    except OSError as error:
        raise CollectError(f"Nothing can be received into {db.parent}: the spool beside "
                           f"{db.name} cannot be written ({error.strerror or error}); choose a "
                           "folder you can write to with --db.") from error
    collector.start()
    if threading_main():
        def _on_signal(signum: int, frame: object) -> None:
            collector.request_stop()

        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
    if not args.json:
        listening = ", ".join(f"{name} {host}:{port}"
                              for name, (host, port) in collector.listeners.addresses().items())
        out.write(f"Listening: {listening}; loading into {db.name}. Ctrl-C stops.\n")
        out.flush()
    started = time.monotonic()
    reported = started
    while not collector.wait(0.5):
        now = time.monotonic()
        if args.duration is not None and now - started >= args.duration:
            break
        if not args.json and now - reported >= 60:
            reported = now
            out.write(_collect_line(collector) + "\n")
            out.flush()
    collector.stop()
    if args.json:
        stats = collector.listeners.stats()
        _print_json({"received": collector.spool.appended, "events": collector.totals.events,
                     "quarantined": collector.totals.quarantined,
                     "new_hits": collector.totals.new_hits,
                     "udp_dropped": stats.udp_dropped,
                     "rejected": sum(stats.rejected.values()),
                     "error": collector.totals.last_error or None}, out)
    else:
        out.write(_collect_line(collector) + "\n")
    return 0


def cmd_sources(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.core import settings as settings_module
    from watchkeeper.storage.sources import source_rows

    intervals = settings_module.load().source_intervals
    with _open_store(args) as store:
        rows = source_rows(store, args.clock(), intervals)
    if args.json:
        _print_json({"sources": [asdict(row) for row in rows]}, out)
        return 0
    if not rows:
        out.write("No forwarded logs received yet (see `watchkeeper collect`).\n")
        return 0
    out.write(f"{'status':9} {'sender':22} {'application':18} {'format':7} {'transport':9} "
              f"{'last seen':>10} {'/min':>7} {'skew':>7} {'silent after':>12}\n")
    for row in rows:
        skew = "" if row.skew_seconds is None else f"{row.skew_seconds:+.0f} s"
        out.write(f"{row.status:9} {_safe(row.sender, 22):22} {_safe(row.application, 18):18} "
                  f"{_safe(row.format, 7):7} {','.join(row.transports):9} "
                  f"{_ago(row.quiet_seconds):>10} {row.rate:7.1f} {skew:>7} "
                  f"{_ago(row.expected_seconds, ''):>12}\n")
    silent = sum(1 for row in rows if row.status == "silent")
    if silent:
        out.write(f"{silent} source(s) silent.\n")
    return 0


_DEVICE_MARKS = {"pass": "pass", "fail": "FAIL", "unknown": "?", "excepted": "exc", "n/a": "-"}


def cmd_devices(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.devices_command == "import":
        return _devices_import(args, out)
    from watchkeeper.compliance.policy import load_policy
    from watchkeeper.compliance.report import compliance_report
    from watchkeeper.core import settings as settings_module

    if args.policy is not None and not args.policy.is_file():
        raise UsageError(f"watchkeeper devices: no such policy file: {args.policy}")
    policy = load_policy(args.policy, settings_module.load().compliance_thresholds)
    with _open_store(args) as store:
        report = compliance_report(store, policy, args.clock())
    now, rows = report.now, report.rows
    shown = report.failing if args.failing else rows
    checks = list(report.checks)
    if args.json:
        _print_json({
            "policy": {"name": policy.name, "file": policy.file, "written": policy.written,
                       "checks": [{"name": c.name, "title": c.title, "platforms": sorted(c.platforms),
                                   "params": dict(c.params)} for c in checks],
                       "notes": list(policy.notes)},
            "now": now,
            "devices": [_device_document(row) for row in shown]}, out)
        return 0
    if not rows:
        out.write("No devices yet: import an MDM export or osquery log with "
                  "`watchkeeper devices import FILE`, or import logs.\n")
        return 0
    widths = [max(len(c.column), 4) for c in checks]
    out.write(f"{'device':24} {'platform':8} {'owner':22} {'overall':7} "
              + " ".join(f"{c.column:{w}}" for c, w in zip(checks, widths, strict=True)) + "\n")
    for row in shown:
        marks = [_DEVICE_MARKS[row.checks[c.name].status] for c in checks]
        out.write(f"{_safe(row.name, 24):24} {row.platform:8} {_safe(row.owner or '', 22):22} "
                  f"{_DEVICE_MARKS[row.overall]:7} "
                  + " ".join(f"{m:{w}}" for m, w in zip(marks, widths, strict=True)) + "\n")
    counts = report.counts()
    out.write(f"{len(rows)} device(s): {counts['fail']} failing, {counts['unknown']} unknown, "
              f"{counts['pass']} passing"
              + (f"; showing the {len(shown)} failing" if args.failing else "") + "\n")
    out.write("Checks: " + ", ".join(f"{c.column} = {c.title}" for c in checks)
              + "; FAIL fails, ? unknown, exc excepted, - does not apply.\n")
    for note in report.notes:
        out.write(f"  {_safe(note)}\n")
    return 0


def _device_document(row: Any) -> dict[str, Any]:
    return {
        "device_id": row.device_id, "name": row.name, "platform": row.platform, "os": row.os,
        "owner": row.owner, "sources": list(row.sources), "host_names": list(row.host_names),
        "last_seen": row.last_seen, "overall": row.overall, "notes": list(row.notes),
        "checks": {name: {"status": r.status, "reason": r.reason, "evidence": r.evidence,
                          "source": r.source, "observed": r.observed, "actual": r.actual,
                          "exception": None if r.exception is None else asdict(r.exception)}
                   for name, r in row.checks.items()},
    }


def _devices_import(args: argparse.Namespace, out: TextIO) -> int:
    from watchkeeper.compliance.importing import import_device_files

    missing = [p for p in args.paths if not p.is_file()]
    if missing:
        raise UsageError("watchkeeper devices import: no such file: "
                         + ", ".join(str(p) for p in missing))
    with _open_store(args, create=True) as store:
        results = import_device_files(store, list(args.paths), now=args.clock())
    failed = sum(1 for r in results if r.status == "failed")
    if args.json:
        _print_json({"files": [asdict(r) for r in results],
                     "imported": sum(1 for r in results if r.status == "imported"),
                     "skipped": sum(1 for r in results if r.status == "skipped"),
                     "failed": failed}, out)
        return 1 if failed else 0
    for result in results:
        if result.status == "failed":
            out.write(f"failed: {_safe(result.message)}\n")
            continue
        if result.status == "skipped":
            out.write(f"skipped: {_safe(result.message)}\n")
            continue
        out.write(f"{_safe(result.name)}: {result.source}, {result.devices} device(s) read"
                  + (f", {len(result.problems)} problem(s)" if result.problems else "") + "\n")
        for note in result.notes:
            out.write(f"  note: {_safe(note)}\n")
        for problem in result.problems:
            out.write(f"  problem: {_safe(problem)}\n")
    return 1 if failed else 0


def _ago(seconds: float, suffix: str = " ago") -> str:
    for size, unit in ((86_400, "d"), (3_600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}{suffix}"
    return f"{seconds:.0f} s{suffix}"


def _collect_line(collector: Any) -> str:
    from watchkeeper.collect.service import receiving_sentence

    totals = collector.totals
    text = (f"{receiving_sentence(collector)}; stored {totals.events:,} events, "
            f"{totals.quarantined:,} quarantined, {totals.new_hits:,} new hits")
    if totals.last_error:
        text += f"; last error: {totals.last_error}"
    return text


COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
    "collect": cmd_collect,
    "sources": cmd_sources,
    "import": cmd_import,
    "stats": cmd_stats,
    "search": cmd_search,
    "rules": cmd_rules,
    "detect": cmd_detect,
    "hits": cmd_hits,
    "demo": cmd_demo,
    "devices": cmd_devices,
}


def _say_settings_notices(err: TextIO) -> None:
    """Load the settings first, so a damaged file is set aside now and said here, once."""
    from watchkeeper.core import settings as settings_module

    settings_module.take_notices()  # left by an earlier run in this process
    settings_module.load()
    for notice in settings_module.take_notices():
        err.write(f"watchkeeper: {notice}\n")


def utc_now() -> datetime:
    return datetime.now(UTC)


def run(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None,
        clock: Callable[[], datetime] = utc_now) -> int:
    """Run one command; returns the exit code (0 ok, 1 failure, 2 usage error).

    `clock` gives "now" (aware, UTC) to the commands that judge by it (sources, devices).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    args: argparse.Namespace | None = None
    try:
        _say_settings_notices(err)
        words = [arg for n, arg in enumerate(argv)
                 if not arg.startswith("-") and (n == 0 or argv[n - 1] != "--db")]
        first = words[0] if words else None
        if first is not None and first not in COMMANDS:
            raise UsageError(f"watchkeeper: {first!r} is neither a command nor a file that "
                             f"exists (commands: {', '.join(COMMANDS)})")
        args = build_parser().parse_args(list(argv))
        args.clock = clock
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
    except OSError as error:
        # the file system said no (a read-only folder, a full disk): its words, not a traceback
        where = f": {error.filename}" if error.filename else ""
        err.write(f"watchkeeper: {error.strerror or error}{where}\n")
        return 1
