"""`detections`: the detections to triage, and `detections set` to change one's state."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from watchkeeper.cli.output import print_json, safe
from watchkeeper.cli.parser import LEVEL_CHOICES, Parser, add_command, add_common, add_hit_filters
from watchkeeper.cli.store import open_store

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands
    from watchkeeper.storage.detection_views import Detection

STATE_WORDS = "new, in-review, benign, false-positive, escalated"


def state_word(text: str) -> str:
    """A state as typed ('in-review', 'false_positive', 'In review') as stored ('in review')."""
    return " ".join(text.replace("-", " ").replace("_", " ").lower().split())


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands,
        "detections",
        cmd_detections,
        help="detections to triage (hits grouped by rule, host and burst); `set` changes one",
    )
    p.add_argument(
        "--state", type=state_word, action="append", default=[], help=f"only these: {STATE_WORDS}"
    )
    add_hit_filters(p)
    add_common(p)
    actions = p.add_subparsers(dest="action", parser_class=Parser)
    s = actions.add_parser("set", help="change a detection's triage state")
    s.add_argument("id", type=int, help="the detection's id (the first column of the list)")
    s.add_argument("state", type=state_word, help=STATE_WORDS)
    s.add_argument("--reason", default="", help="why (needed for benign and false-positive)")
    add_common(s)


def who() -> str:
    """The OS user, as the triage history records them."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def cmd_detections(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.action == "set":
        return _set(args, out)
    from watchkeeper.core.errors import WatchkeeperError
    from watchkeeper.storage.detection_views import (
        DetectionFilter,
        detections_json,
        list_detections,
    )
    from watchkeeper.storage.detections import STATES

    unknown = [state for state in args.state if state not in STATES]
    if unknown:
        raise WatchkeeperError(
            f"{unknown[0]!r} is not a triage state; use one of: {STATE_WORDS}.",
            title="Unknown state",
        )
    levels = LEVEL_CHOICES[LEVEL_CHOICES.index(args.level) :]
    where = DetectionFilter(
        levels=levels if args.level != "informational" else (),
        show_suppressed=args.suppressed,
        states=tuple(args.state),
    )
    with open_store(args, write=False) as store:
        if args.json:
            print_json({"detections": detections_json(store, where)}, out)
            return 0
        found = list_detections(store, where)
    _table(found, out)
    return 0


def _table(found: list[Detection], out: TextIO) -> None:
    if not found:
        out.write("No detections.\n")
        return
    out.write(
        f"{'id':>6}  {'state':14} {'level':13} {'rule':50} {'host':20} {'user':16} "
        f"{'first':16}  {'last':16}  {'events':>7}\n"
    )
    for item in found:
        rule = ("" if item.leads else "└ ") + item.title
        first = f"{item.first:%Y-%m-%d %H:%M}" if item.first else "-"
        last = f"{item.last:%Y-%m-%d %H:%M}" if item.last else "-"
        host = item.host + (f" +{len(item.hosts) - 1}" if len(item.hosts) > 1 else "")
        out.write(
            f"{item.id:>6}  {item.state:14} {item.level:13} {safe(rule, 50):50} "
            f"{safe(host or '-', 20):20} {safe(item.user or '-', 16):16} "
            f"{first:16}  {last:16}  {item.events:>7,}\n"
        )
    new = sum(1 for item in found if item.state == "new")
    stories = len({item.lead for item in found})
    out.write(f"{len(found):,} detection(s) in {stories:,} stor{'ies' if stories != 1 else 'y'}")
    out.write(f", {new:,} new\n")


def _set(args: argparse.Namespace, out: TextIO) -> int:
    from watchkeeper.storage.detections import set_state

    with open_store(args) as store:
        entry = set_state(store, args.id, args.state, who(), args.clock(), args.reason)
    if args.json:
        print_json(
            {
                "id": args.id,
                "old_state": entry.old_state,
                "state": entry.new_state,
                "by": entry.by,
                "at": entry.at,
                "reason": entry.reason,
            },
            out,
        )
        return 0
    out.write(
        f"Detection {args.id}: {entry.old_state} → {entry.new_state}"
        + (f" ({safe(entry.reason, 100)})" if entry.reason else "")
        + "\n"
    )
    return 0
