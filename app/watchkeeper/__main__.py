"""`watchkeeper`: the app without a command, the headless commands with one."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--self-test"]:
        from watchkeeper.ui.selftest import run_self_test

        code = run_self_test()
        # The checks are done and their folder removed. Leaving at once skips tearing down
        # the window's Qt objects after DuckDB's module, which only reports them as leaks.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if opens_app(args):
        from watchkeeper.ui.app import run_app

        return run_app(args)
    from watchkeeper.cli import run

    return run(args)


def opens_app(args: list[str]) -> bool:
    """No command, `--db FILE`, or files to import (a double-clicked .evtx): the window."""
    if args[:1] == ["--db"]:
        if len(args) < 2:
            return False
        args = args[2:]
    from watchkeeper.cli import COMMANDS

    return all(
        not arg.startswith("-") and arg not in COMMANDS and Path(arg).exists() for arg in args
    )


if __name__ == "__main__":
    sys.exit(main())
