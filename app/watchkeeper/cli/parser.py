"""The command line's grammar: the top-level parser, the options commands share, argument types."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from watchkeeper import __version__

if TYPE_CHECKING:
    from typing import TypeAlias

    Handler: TypeAlias = Callable[[argparse.Namespace, TextIO, TextIO], int]
    Commands: TypeAlias = "argparse._SubParsersAction[Parser]"

LEVEL_CHOICES = ("informational", "low", "medium", "high", "critical")
MAX_COUNT = 1 << 62  # DuckDB's LIMIT is a signed 64-bit number


class UsageError(Exception):
    """Bad arguments: exit code 2."""


class Parser(argparse.ArgumentParser):
    """A parser whose mistakes are a `UsageError` (one line, exit code 2), not an exit."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def top_parser() -> tuple[Parser, Commands]:
    """The parser without its commands, and the place each command module adds its own."""
    parser = Parser(
        prog="watchkeeper",
        description="Logging and protective monitoring for small organisations. "
        "Without a command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"watchkeeper {__version__}")
    parser.add_argument("--db", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check, headless and in a temporary folder, that this copy works: "
        "Qt, a font, the store, importing, the rules, the window, a PDF",
    )
    commands = parser.add_subparsers(dest="command", parser_class=Parser)
    return parser, commands


def add_command(
    commands: Commands, name: str, handler: Handler, *, help: str
) -> argparse.ArgumentParser:
    """A command's parser; `handler(args, out, err)` runs it and returns the exit code."""
    parser = commands.add_parser(name, help=help)
    parser.set_defaults(handler=handler)
    return parser


def add_common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a --db given before the command is kept when none follows it
    parser.add_argument(
        "--db",
        type=Path,
        default=argparse.SUPPRESS,
        help="the store to use (default: the one in your data folder)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def add_rules(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="also load Sigma rules from DIR (may be given more than once)",
    )


def add_hit_filters(parser: argparse.ArgumentParser) -> None:
    """`--level` and `--suppressed`, as `hits` and `detections` take them."""
    parser.add_argument(
        "--level",
        choices=LEVEL_CHOICES,
        default="informational",
        help="the lowest level to show (default: informational, i.e. all)",
    )
    parser.add_argument("--suppressed", action="store_true", help="include suppressed hits")


def count_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_COUNT:,}, not {value:,}")
    return value


def port_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"a port is from 1 to 65535 (0: any free one), not {value}"
        )
    return value


def seconds_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, not {text!r}")
    return value


def time_arg(text: str) -> datetime:
    value = text.strip()
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    if value[:-1].isdigit() and value[-1:] in units:
        try:
            return datetime.now(UTC).replace(tzinfo=None) - timedelta(
                **{units[value[-1]]: int(value[:-1])}
            )
        except OverflowError:
            raise argparse.ArgumentTypeError(f"{text!r} reaches back before the year 1") from None
    from watchkeeper.core.timeparse import parse_iso

    stamp = parse_iso(value)
    if stamp is None:
        raise argparse.ArgumentTypeError(
            f"not a time: {text!r} (use 2026-11-01, 2026-11-01T08:00, or an age such as 24h or 7d)"
        )
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC).replace(tzinfo=None)
    return stamp
