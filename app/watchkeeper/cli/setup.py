"""`setup`: the logging plan without the window. `setup plan` shows it, `setup plan --edit` opens
it in an editor and keeps it only when it is valid, never losing what the user typed.

Each `setup` subcommand is added by an `add_setup_commands(subcommands)` of its own module:
`plan` here, `configs` and `check` beside it.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from watchkeeper.cli import setup_check, setup_configs
from watchkeeper.cli.output import print_json, safe
from watchkeeper.cli.parser import Parser, UsageError, add_command
from watchkeeper.core.errors import WatchkeeperError

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands
    from watchkeeper.setup.plan import LoggingPlan

EDITING = ".editing"  # the copy the editor works on, so the plan stays whole meanwhile
REJECTED = ".rejected"  # an edit that was not valid, kept for the user


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands,
        "setup",
        cmd_setup,
        help="the logging plan: `setup plan` shows it, `setup plan --edit` edits it",
    )
    subcommands = p.add_subparsers(dest="setup_command", parser_class=Parser)
    add_setup_commands(subcommands)
    setup_configs.add_setup_commands(subcommands)
    setup_check.add_setup_commands(subcommands)


def add_setup_commands(subcommands: Commands) -> None:
    q = subcommands.add_parser(
        "plan", help="show the logging plan, or edit it with --edit (in $VISUAL or $EDITOR)"
    )
    q.set_defaults(handler=cmd_plan)
    q.add_argument(
        "--edit",
        action="store_true",
        help="open the plan in an editor (a starter plan when there is none); it is kept "
        "only when valid",
    )
    q.add_argument("--json", action="store_true", help="print one JSON document")


def cmd_setup(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    raise UsageError("watchkeeper setup: give a subcommand, e.g. `watchkeeper setup plan`")


def cmd_plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.setup.plan import load_plan, plan_path

    path = plan_path()
    if args.edit:
        code = edit_plan(path, err)
        if code:
            return code
    plan = load_plan(path)
    if plan is None:
        if args.json:
            print_json({"file": str(path), "plan": None}, out)
        else:
            out.write("No plan yet: run the setup wizard or `watchkeeper setup plan --edit`.\n")
        return 0
    if args.json:
        from watchkeeper.setup.plan import to_document

        print_json({"file": str(path), "plan": to_document(plan)}, out)
    else:
        out.write(describe(plan, path))
    return 0


def describe(plan: LoggingPlan, path: Path) -> str:
    """The plan for a terminal: what is logged, how long it is kept, how it arrives."""
    from watchkeeper.core.text import counted
    from watchkeeper.setup.catalogue import LOGS, PLATFORMS
    from watchkeeper.setup.sizing import daily_events

    lines = [f"Logging plan ({safe(path)})", ""]
    for kind, planned in plan.platforms.items():
        platform = PLATFORMS.get(kind)
        if platform is None or planned.count <= 0:
            continue
        lines.append(f"{platform.title}: {planned.count:,} {platform.unit}")
        lines += [f"  - {LOGS[k].title if k in LOGS else safe(k, 60)}" for k in planned.logs]
        if not planned.logs:
            lines.append("  (no logs chosen)")
    if len(lines) == 2:
        lines.append("No devices counted yet.")
    lines += ["", f"About {counted(daily_events(plan), 'event')} a day."]
    kept = f"Kept for {counted(plan.retention_months, 'month')}, "
    kept += f"{counted(plan.hot_days, 'day')} of them in the store"
    if plan.retention_reason:
        kept += f" (because: {safe(plan.retention_reason, 120)})"
    lines.append(kept + ".")
    lines.append(f"Archive: {safe(plan.archive_folder) or 'beside the store'}.")
    receiving = plan.receiving
    ports = ", ".join(f"{name} on {port}" for name, port in receiving.listeners.items())
    where = "from the network" if receiving.listen_on_network else "on this computer only"
    lines.append(f"Receiving {where}: {ports or 'no listener'}.")
    if receiving.collector_address:
        lines.append(f"Senders send to {safe(receiving.collector_address, 80)}.")
    if plan.sources:
        lines += ["", f"{counted(len(plan.sources), 'planned source')}:"]
        for source in plan.sources:
            state = plan.checked.get(source.name, "not checked")
            lines.append(f"  {safe(source.name, 80)} ({source.platform}): {state}")
    return "\n".join(lines) + "\n"


def editor_command() -> list[str]:
    """The user's editor: $VISUAL, else $EDITOR, else nano (notepad on Windows)."""
    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR") or ""
    if not chosen.strip():
        return ["notepad"] if os.name == "nt" else ["nano"]
    return shlex.split(chosen, posix=os.name != "nt")


def edit_plan(path: Path, err: TextIO) -> int:
    """Edit a copy of the plan until it is valid, then put it in place as the user wrote it.

    Returns 0 when the plan was kept (or left unchanged), 1 when the edit was set aside.
    """
    from watchkeeper.core import settings as settings_module
    from watchkeeper.setup.draft import starter_plan
    from watchkeeper.setup.plan import dump_plan

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        original = path.read_bytes()
    else:
        original = dump_plan(starter_plan(settings_module.load())).encode("utf-8")
    working = path.with_name(path.name + EDITING)
    working.write_bytes(original)
    while True:
        _run_editor(working)
        edited = working.read_bytes()
        if edited == original and path.exists():
            working.unlink()
            err.write("The plan is unchanged.\n")
            return 0
        problem = _problem(edited, path.name)
        if problem is None:
            os.replace(working, path)
            err.write(f"Saved the plan in {path}.\n")
            return 0
        err.write(f"watchkeeper: the plan was not saved: {problem}\n")
        if not _again(err):
            rejected = path.with_name(path.name + REJECTED)
            os.replace(working, rejected)
            err.write(f"Your edit is kept in {rejected}; the plan is as it was.\n")
            return 1


def _run_editor(file: Path) -> None:
    command = [*editor_command(), str(file)]
    try:
        subprocess.run(command, check=False)
    except OSError as error:
        raise WatchkeeperError(
            f"The editor “{safe(command[0], 80)}” could not be started "
            f"({error.strerror or error}); set VISUAL or EDITOR to one you have. "
            f"Your copy is in {file}.",
            title="Editor not started",
        ) from None


def _problem(data: bytes, name: str) -> str | None:
    """What is wrong with an edited plan, in a sentence or a few; None when it may be kept."""
    from watchkeeper.setup.plan import PlanError, parse_plan, plan_problems

    try:
        plan = parse_plan(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        return f"{name} is not UTF-8 text."
    except PlanError as error:
        return error.message
    problems = plan_problems(plan)
    return " ".join(problems) if problems else None


def _again(err: TextIO) -> bool:
    """Ask whether to edit again; without a terminal to ask on, the answer is no."""
    if not sys.stdin.isatty():
        return False
    err.write("Edit it again? [Y/n] ")
    err.flush()
    return sys.stdin.readline().strip().lower() in ("", "y", "yes")
