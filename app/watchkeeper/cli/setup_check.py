"""`setup check`: step 4's checklist, one row per planned source, headless.

Exit codes: 0 only when every row is green, so a script or a scheduled job can tell that
logging works as planned; 1 when any row is amber or red (or there is no plan to check);
2 on a usage error.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from watchkeeper.cli.output import print_json, safe
from watchkeeper.cli.parser import add_common
from watchkeeper.cli.store import open_store
from watchkeeper.core.errors import WatchkeeperError

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands
    from watchkeeper.setup.check import CheckRow
    from watchkeeper.setup.plan import LoggingPlan

COLOURS = {"green": "\033[32m", "amber": "\033[33m", "red": "\033[31m"}
RESET = "\033[0m"
# the items shown as columns, and their headings
COLUMNS = {"Seen": "seen", "Test event": "test", "Clock": "clock", "Encrypted": "tls"}


class NothingToCheck(WatchkeeperError):
    title = "Nothing to check"


def add_setup_commands(subparsers: Commands) -> None:
    """`check`, under the `setup` group."""
    p = subparsers.add_parser(
        "check",
        help="check that every planned source sends as planned (exit 0 only when all is green)",
    )
    p.set_defaults(handler=cmd_check)
    p.add_argument(
        "--marker",
        action="append",
        default=[],
        metavar="NAME=MARKER",
        type=_marker_arg,
        help="the test marker sent from source NAME (may be given more than once); "
        "without it, any test event from that source counts",
    )
    p.add_argument("--save", action="store_true", help="keep the result in the logging plan")
    add_common(p)


def _marker_arg(text: str) -> tuple[str, str]:
    from watchkeeper.setup.test_event import marker_problem

    name, equals, marker = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=MARKER, not {safe(text, 60)!r}")
    problem = marker_problem(marker.strip())
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return name.strip(), marker.strip()


def load_checked_plan() -> LoggingPlan:
    from watchkeeper.setup.plan import load_plan

    plan = load_plan()
    if plan is None:
        raise NothingToCheck(
            "There is no logging plan yet: make one with the setup wizard "
            "(Help ▸ Set up logging…) or `watchkeeper setup plan`."
        )
    if not plan.sources:
        raise NothingToCheck(
            "The logging plan names no sources to check: add the devices you expect "
            "with `watchkeeper setup plan --edit`."
        )
    return plan


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.core import settings as settings_module
    from watchkeeper.setup.check import check_plan, record_result
    from watchkeeper.setup.plan import save_plan

    plan = load_checked_plan()
    settings = settings_module.load()
    markers = dict(args.marker)
    now = args.clock()
    with open_store(args) as store:
        rows = check_plan(store, plan, now, settings, markers)
    commands = test_commands(plan, settings, rows)
    code = 0 if all(row.state == "green" for row in rows) else 1
    if args.save:
        record_result(plan, rows, now)
        save_plan(plan)
    if args.json:
        print_json(
            {
                "checked_at": now,
                "all_green": code == 0,
                "exit_code": code,
                "saved": bool(args.save),
                "sources": [row_document(row, commands[row.name]) for row in rows],
            },
            out,
        )
        return code
    print_checklist(rows, commands, out, colour=out.isatty())
    return code


def test_commands(
    plan: LoggingPlan, settings: Any, rows: list[CheckRow]
) -> dict[str, tuple[str, str]]:
    """Each row's test command (with its marker, or a new one) and where to run it."""
    from watchkeeper.setup.endpoint import Endpoint, this_host
    from watchkeeper.setup.test_event import new_marker, test_command, test_hint

    endpoint = Endpoint(
        address=plan.receiving.collector_address or this_host(),
        ports=dict(plan.receiving.listeners or settings.listeners),
    )
    sources = {source.name: source for source in plan.sources}
    return {
        row.name: (
            test_command(sources[row.name], plan, endpoint, row.marker or new_marker()),
            test_hint(sources[row.name], plan),
        )
        for row in rows
    }


def row_document(row: CheckRow, command: tuple[str, str]) -> dict[str, Any]:
    return {
        "name": row.name,
        "platform": row.platform,
        "state": row.state,
        "summary": row.summary,
        "fix": row.fix,
        "marker": row.marker or None,
        "test_command": command[0],
        "test_hint": command[1],
        "items": [
            {"key": i.key, "label": i.label, "state": i.state, "detail": i.detail, "fix": i.fix}
            for i in row.items
        ],
    }


def print_checklist(
    rows: list[CheckRow], commands: dict[str, tuple[str, str]], out: TextIO, colour: bool
) -> None:
    def shown(state: str, width: int) -> str:
        text = f"{state:<{width}}"
        return f"{COLOURS[state]}{text}{RESET}" if colour and state in COLOURS else text

    out.write(
        f"{'state':6} {'source':24} {'platform':17} "
        + " ".join(f"{heading:6}" for heading in COLUMNS.values())
        + f" {'channels':8} what to do first\n"
    )
    for row in rows:
        by_label = {item.label: item.state for item in row.items}
        channels = [item.state for item in row.items if item.key == "channel"]
        channel_state = (
            "-" if not channels else next(s for s in ("red", "amber", "green") if s in channels)
        )
        out.write(
            shown(row.state, 6)
            + f" {safe(row.name, 24):24} {row.platform:17} "
            + " ".join(shown(by_label.get(label, "-"), 6) for label in COLUMNS)
            + " "
            + shown(channel_state, 8)
            + f" {safe(row.fix) or 'nothing'}\n"
        )
    for row in rows:
        if row.state == "green":
            continue
        out.write(f"\n{safe(row.name)} ({row.state}):\n")
        for item in row.items:
            if item.state != "green":
                fix = f" {safe(item.fix)}" if item.fix else ""
                out.write(f"  {item.state:5} {safe(item.label)}: {safe(item.detail)}{fix}\n")
        if any(item.key == "test" and item.state != "green" for item in row.items):
            command, hint = commands[row.name]
            out.write(f"  to send the test event: {safe(command)}\n")
            if hint:
                out.write(f"  {safe(hint)}\n")
    green = sum(1 for row in rows if row.state == "green")
    out.write(
        f"\n{green} of {len(rows)} source(s) green."
        + ("" if green == len(rows) else " Fix the rest, then run `watchkeeper setup check` again.")
        + "\n"
    )
