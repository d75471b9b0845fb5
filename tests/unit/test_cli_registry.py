"""The command line's registry of command modules, and a start that loads no feature."""

from __future__ import annotations

import argparse
import subprocess
import sys

from watchkeeper.cli import COMMANDS, build_parser


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(actions[0].choices)


def test_the_registry_names_every_command_the_parser_has_in_its_order() -> None:
    assert _commands(build_parser()) == list(COMMANDS)


def test_every_command_has_a_handler() -> None:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in actions[0].choices.items():
        assert callable(command.get_default("handler")), name


def test_building_the_parser_loads_no_store_and_no_feature() -> None:
    # `watchkeeper --help` and the app's start stay quick: the command modules name the
    # store's and the features' types for the type checker only
    code = (
        "import sys\n"
        "from watchkeeper.cli import build_parser\n"
        "build_parser().format_help()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('duckdb', 'PySide6') or "
        "m.split('.')[:2] in (['watchkeeper', n] for n in ('storage', 'ingest', 'collect', "
        "'detection', 'compliance', 'incidents', 'scenarios', 'export', 'ui'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
