"""`watchkeeper`: the app without a command, the headless commands with one."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or (args[0] in ("--db",) and len(args) == 2):
        from watchkeeper.ui.app import run_app

        return run_app(args)
    from watchkeeper.cli import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
