"""The headless command line: the same feature functions the window calls.

`parser` holds the grammar, `output` what is printed, `registry` the command modules, and
each of those modules one group of commands.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from watchkeeper.cli.output import EXIT_FAILED, EXIT_USAGE, print_error
from watchkeeper.cli.parser import UsageError
from watchkeeper.cli.registry import COMMANDS, build_parser
from watchkeeper.core.errors import WatchkeeperError

if TYPE_CHECKING:
    import argparse

__all__ = ["COMMANDS", "UsageError", "build_parser", "run", "utc_now"]


def _say_settings_notices(err: TextIO) -> None:
    """Load the settings first, so a damaged file is set aside now and said here, once."""
    from watchkeeper.core import settings as settings_module

    settings_module.take_notices()  # left by an earlier run in this process
    settings_module.load()
    for notice in settings_module.take_notices():
        err.write(f"watchkeeper: {notice}\n")


def utc_now() -> datetime:
    return datetime.now(UTC)


def run(
    argv: Sequence[str],
    out: TextIO | None = None,
    err: TextIO | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> int:
    """Run one command; returns the exit code (0 ok, 1 failure, 2 usage error).

    `clock` gives "now" (aware, UTC) to the commands that judge by it (sources, devices).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    args: argparse.Namespace | None = None
    try:
        _say_settings_notices(err)
        words = [
            arg
            for n, arg in enumerate(argv)
            if not arg.startswith("-") and (n == 0 or argv[n - 1] != "--db")
        ]
        first = words[0] if words else None
        if first is not None and first not in COMMANDS:
            raise UsageError(
                f"watchkeeper: {first!r} is neither a command nor a file that "
                f"exists (commands: {', '.join(COMMANDS)})"
            )
        args = build_parser().parse_args(list(argv))
        args.clock = clock
        if args.command is None:
            raise UsageError("watchkeeper: give a command, or none to open the app")
        code: int = args.handler(args, out, err)
        return code
    except UsageError as error:
        err.write(f"{error}\n")
        return EXIT_USAGE
    except WatchkeeperError as error:
        return print_error(error, getattr(args, "json", False), out, err)
    except KeyboardInterrupt:
        err.write("watchkeeper: interrupted\n")
        return EXIT_FAILED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as error:
        # the file system said no (a read-only folder, a full disk): its words, not a traceback
        where = f": {error.filename}" if error.filename else ""
        err.write(f"watchkeeper: {error.strerror or error}{where}\n")
        return EXIT_FAILED
