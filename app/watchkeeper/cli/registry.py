"""The command modules: one per group of commands, each declaring its own in the parser.

A group of commands to come (alerts) is one more
module beside these with an `add_commands()`, listed in `COMMAND_MODULES` with the names of
its commands and imported in `build_parser()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands, Parser

# Each module's commands, in the order `--help` lists them. Named here rather than asked of
# the modules, so the app's start, which asks whether a word is a command, loads none.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "imports": ("import", "demo"),
    "search": ("stats", "search"),
    "export": ("export",),
    "rules": ("rules",),
    "detection": ("detect", "hits"),
    "detections": ("detections",),
    "incidents": ("incidents",),
    "report": ("report",),
    "collect": ("collect", "sources"),
    "devices": ("devices",),
    "archive": ("archive",),
    "status": ("status",),
    "verify": ("verify",),
    "setup": ("setup",),
}

COMMANDS: tuple[str, ...] = tuple(name for names in COMMAND_MODULES.values() for name in names)


class CommandModule(Protocol):
    def add_commands(self, commands: Commands) -> None: ...


def build_parser() -> Parser:
    """The whole command line: the top-level options and every module's commands."""
    # imported by name, not looked up from COMMAND_MODULES, so a frozen bundle carries them
    from watchkeeper.cli import (
        archive,
        collect,
        detection,
        detections,
        devices,
        export,
        imports,
        incidents,
        report,
        rules,
        search,
        setup,
        status,
        verify,
    )
    from watchkeeper.cli.parser import top_parser

    modules: dict[str, CommandModule] = {
        "imports": imports,
        "search": search,
        "export": export,
        "rules": rules,
        "detection": detection,
        "detections": detections,
        "incidents": incidents,
        "report": report,
        "collect": collect,
        "devices": devices,
        "archive": archive,
        "status": status,
        "verify": verify,
        "setup": setup,
    }
    parser, commands = top_parser()
    for name in COMMAND_MODULES:
        modules[name].add_commands(commands)
    return parser
