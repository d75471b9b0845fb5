"""`report`: the monthly security summary as a PDF."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from watchkeeper.cli.output import print_json
from watchkeeper.cli.parser import add_command, add_common

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands


def month_arg(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month such as 2026-11: {text!r}") from None


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands,
        "report",
        cmd_report,
        help="the monthly security summary as a PDF: what was collected, detections, "
        "incidents, devices, storage",
    )
    p.add_argument(
        "--month", type=month_arg, metavar="YYYY-MM", help="the month (default: the last one)"
    )
    p.add_argument("--pdf", type=Path, metavar="FILE", required=True, help="the PDF to write")
    p.add_argument("--page-size", choices=("A4", "Letter"), help="default: the page_size setting")
    add_common(p)


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import watchkeeper.ui  # noqa: F401  (PySide6's reference-count workaround, ui/singletons)
    from watchkeeper.cli.store import open_store
    from watchkeeper.core import settings as settings_module
    from watchkeeper.incidents.month import write_monthly_summary

    now = args.clock()
    month = args.month or (now.date().replace(day=1) - timedelta(days=1)).replace(day=1)
    chosen = settings_module.load()
    with open_store(args) as store:
        pages = write_monthly_summary(
            store,
            month,
            args.pdf,
            now,
            organisation=chosen.organisation,
            page_size=args.page_size or chosen.page_size,
        )
    if args.json:
        print_json({"month": f"{month:%Y-%m}", "pdf": str(args.pdf), "pages": pages}, out)
    else:
        out.write(f"The summary of {month:%B %Y} written to {args.pdf} ({pages:,} pages)\n")
    return 0
