"""`setup`: the logging plan, the endpoints' configuration, and the check that it works."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from watchkeeper.cli import setup_check, setup_configs
from watchkeeper.cli.parser import Parser, UsageError, add_command

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands,
        "setup",
        cmd_setup,
        help="the logging plan, endpoint configurations, and the check that logs arrive",
    )
    subparsers = p.add_subparsers(dest="setup_command", parser_class=Parser)
    setup_configs.add_setup_commands(subparsers)
    setup_check.add_setup_commands(subparsers)


def cmd_setup(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    raise UsageError("watchkeeper setup: give a command (configs, check)")
