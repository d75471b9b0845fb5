"""`collect` and `sources`: receiving forwarded logs, and every sender seen so far."""

from __future__ import annotations

import argparse
import signal
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, TextIO

from watchkeeper.cli.output import ago, print_json, safe, threading_main
from watchkeeper.cli.parser import add_command, add_common, port_arg, seconds_arg
from watchkeeper.cli.store import open_store
from watchkeeper.core import paths
from watchkeeper.core.settings import LISTENERS

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands
    from watchkeeper.collect.service import Collector


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands,
        "collect",
        cmd_collect,
        help="receive forwarded logs (syslog, JSON) into the store",
    )
    for name, port in LISTENERS.items():
        p.add_argument(
            f"--{name}",
            type=port_arg,
            metavar="PORT",
            default=None,
            help=f"listen for {name.replace('-', ' over ').replace('http', 'JSON over HTTP')}"
            f" (usually {port}); without any of these, the listeners in Settings",
        )
    p.add_argument(
        "--network",
        action="store_true",
        help="listen on every network interface, not only this machine (loopback)",
    )
    p.add_argument(
        "--for",
        dest="duration",
        type=seconds_arg,
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds (default: until stopped)",
    )
    p.add_argument("--no-detect", action="store_true", help="do not run detection rules")
    add_common(p)

    p = add_command(
        commands,
        "sources",
        cmd_sources,
        help="every sender of forwarded logs: last seen, rate, "
        "clock skew, and whether it went silent",
    )
    add_common(p)


def cmd_collect(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.collect.listeners import CollectError
    from watchkeeper.collect.service import Collector, listener_settings
    from watchkeeper.core import settings as settings_module

    settings = settings_module.load()
    if args.network:
        settings.listen_on_network = True
    ports = {
        name: getattr(args, name.replace("-", "_"))
        for name in LISTENERS
        if getattr(args, name.replace("-", "_")) is not None
    }
    db = args.db or paths.default_db_path()
    try:
        collector = Collector(
            db, settings, listener_settings(settings, ports or None), detect=not args.no_detect
        )
    except OSError as error:
        raise CollectError(
            f"Nothing can be received into {db.parent}: the spool beside "
            f"{db.name} cannot be written ({error.strerror or error}); choose a "
            "folder you can write to with --db."
        ) from error
    collector.start()
    if threading_main():

        def _on_signal(signum: int, frame: object) -> None:
            collector.request_stop()

        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
    if not args.json:
        listening = ", ".join(
            f"{name} {host}:{port}"
            for name, (host, port) in collector.listeners.addresses().items()
        )
        out.write(f"Listening: {listening}; loading into {db.name}. Ctrl-C stops.\n")
        out.flush()
    started = time.monotonic()
    reported = started
    paused = ""
    while not collector.wait(0.5):
        now = time.monotonic()
        if collector.totals.disk_full != paused:  # spool-only or full, and back: on stderr
            paused = collector.totals.disk_full
            err.write(f"watchkeeper collect: {paused or 'loading into the store again'}\n")
            err.flush()
        if args.duration is not None and now - started >= args.duration:
            break
        if not args.json and now - reported >= 60:
            reported = now
            out.write(_collect_line(collector) + "\n")
            out.flush()
    collector.stop()
    if args.json:
        stats = collector.listeners.stats()
        print_json(
            {
                "received": collector.spool.appended,
                "events": collector.totals.events,
                "quarantined": collector.totals.quarantined,
                "new_hits": collector.totals.new_hits,
                "udp_dropped": stats.udp_dropped,
                "rejected": sum(stats.rejected.values()),
                "error": collector.totals.last_error or None,
                "disk": collector.totals.disk_full or None,
            },
            out,
        )
    else:
        out.write(_collect_line(collector) + "\n")
    return 0


def _collect_line(collector: Collector) -> str:
    from watchkeeper.collect.service import receiving_sentence

    totals = collector.totals
    text = (
        f"{receiving_sentence(collector)}; stored {totals.events:,} events, "
        f"{totals.quarantined:,} quarantined, {totals.new_hits:,} new hits"
    )
    if totals.last_error:
        text += f"; last error: {totals.last_error}"
    return text


def cmd_sources(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.core import settings as settings_module
    from watchkeeper.setup.expected import missing_sentence, saved_plan, with_plan
    from watchkeeper.storage.sources import source_rows

    intervals = settings_module.load().source_intervals
    now = args.clock()
    with open_store(args) as store:
        # what the logging plan expects and has not arrived is silent too
        rows = with_plan(store, saved_plan(), source_rows(store, now, intervals), now)
    if args.json:
        print_json({"sources": [asdict(row) for row in rows]}, out)
        return 0
    if not rows:
        out.write("No forwarded logs received yet (see `watchkeeper collect`).\n")
        return 0
    out.write(
        f"{'status':9} {'sender':22} {'application':26} {'format':7} {'transport':9} "
        f"{'last seen':>10} {'/min':>7} {'skew':>7} {'silent after':>12}\n"
    )
    for row in rows:
        skew = "" if row.skew_seconds is None else f"{row.skew_seconds:+.0f} s"
        out.write(
            f"{row.status:9} {safe(row.sender, 22):22} {safe(row.application, 26):26} "
            f"{safe(row.format, 7):7} {','.join(row.transports):9} "
            f"{ago(row.quiet_seconds) if row.events else 'never':>10} {row.rate:7.1f} {skew:>7} "
            f"{ago(row.expected_seconds, ''):>12}\n"
        )
    silent = sum(1 for row in rows if row.status == "silent")
    if silent:
        out.write(f"{silent} source(s) silent.\n")
    missing = missing_sentence(rows)
    if missing:
        out.write(safe(missing) + "\n")
    return 0
