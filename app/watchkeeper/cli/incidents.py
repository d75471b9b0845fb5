"""`incidents`: list, open, show, change, annotate, link and export incidents."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from watchkeeper.cli.detections import state_word, who
from watchkeeper.cli.output import print_json, safe
from watchkeeper.cli.parser import Parser, add_command, add_common, count_arg, time_arg

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands
    from watchkeeper.storage.incident_views import Incident, IncidentDetail

STATUS_WORDS = "open, investigating, contained, resolved, closed"
RESOLUTION_WORDS = "true-positive, benign, false-positive"
SEVERITY_WORDS = "1 low, 2 medium, 3 high, 4 critical"
TEXT_WIDTH = 2000  # a long summary is cut when printed; --json gives it whole


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands, "incidents", cmd_incidents, help="incidents: list, open, show, change, export"
    )
    p.add_argument(
        "--status", type=state_word, action="append", default=[], help=f"only: {STATUS_WORDS}"
    )
    add_common(p)
    actions = p.add_subparsers(dest="action", parser_class=Parser)
    n = actions.add_parser("new", help="open an incident (from a detection: escalate it)")
    n.add_argument("--title", default="", help="what happened, in a few words")
    n.add_argument("--severity", default=None, help=SEVERITY_WORDS)
    n.add_argument("--from-detection", type=count_arg, metavar="ID", help="escalate it")
    add_common(n)
    s = actions.add_parser("show", help="an incident with its links, timeline and history")
    s.add_argument("id", help="the incident's id, such as INC-7")
    add_common(s)
    c = actions.add_parser("set", help="change an incident's status or its text")
    c.add_argument("id", help="the incident's id, such as INC-7")
    c.add_argument("--status", type=state_word, help=STATUS_WORDS)
    c.add_argument("--resolution", help=f"{RESOLUTION_WORDS} (needed to close)")
    c.add_argument("--reason", default="", help="why (needed to move it back, or reopen it)")
    c.add_argument("--severity", help=SEVERITY_WORDS)
    for name in ("title", "owner", "summary", "impact", "lessons"):
        c.add_argument(f"--{name}")
    c.add_argument(
        "--personal-data", choices=("yes", "no"), help="whether personal data was affected"
    )
    add_common(c)
    for name, what in (("note", "add a note"), ("action", "record an action taken")):
        a = actions.add_parser(name, help=f"{what} to an incident's timeline")
        a.add_argument("id", help="the incident's id, such as INC-7")
        a.add_argument("text")
        a.add_argument("--at", type=time_arg, help="when (default: now)")
        add_common(a)
    t = actions.add_parser("notify", help="record a notification made (regulator, insurer...)")
    t.add_argument("id", help="the incident's id, such as INC-7")
    t.add_argument("--to", required=True, help="whom: the ICO, the NCSC, the insurer, ...")
    t.add_argument("--at", type=time_arg, help="when (default: now)")
    t.add_argument("--note", default="", help="a reference number, what was said")
    add_common(t)
    k = actions.add_parser("add", help="link events, hosts, users, devices or detections")
    k.add_argument("id", help="the incident's id, such as INC-7")
    for name in ("event", "detection"):
        k.add_argument(f"--{name}", type=count_arg, action="append", default=[], metavar="N")
    for name in ("host", "user", "device"):
        k.add_argument(f"--{name}", action="append", default=[], metavar=name.upper())
    add_common(k)
    x = actions.add_parser("export", help="everything about an incident, for its report")
    x.add_argument("id", help="the incident's id, such as INC-7")
    written = x.add_mutually_exclusive_group(required=True)
    written.add_argument("--pdf", dest="pdf_file", type=Path, metavar="FILE", help="a PDF summary")
    written.add_argument("--json", dest="json_file", type=Path, metavar="FILE", help="a document")
    x.add_argument(
        "--page-size",
        choices=("A4", "Letter"),
        help="the PDF's paper (default: the page_size setting, A4)",
    )
    x.add_argument("--db", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def cmd_incidents(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.cli.store import open_store
    from watchkeeper.storage.incidents import parse_id

    if args.action is None:
        return _list(args, out)
    with open_store(args) as store:
        if args.action == "new":
            number = _new(args, store)
        else:
            number = parse_id(args.id)
            _HANDLERS[args.action](args, store, number, out)
            if args.action in ("show", "export"):
                return 0
        return _show(args, store, number, out, brief=True)


def _list(args: argparse.Namespace, out: TextIO) -> int:
    from watchkeeper.cli.store import open_store
    from watchkeeper.core.errors import WatchkeeperError
    from watchkeeper.storage.incident_views import list_incidents
    from watchkeeper.storage.incidents import STATUSES

    unknown = [status for status in args.status if status not in STATUSES]
    if unknown:
        raise WatchkeeperError(
            f"{unknown[0][:40]!r} is not an incident status; use one of: {STATUS_WORDS}.",
            title="Unknown status",
        )
    with open_store(args, write=False) as store:
        found = list_incidents(store, args.status)
    if args.json:
        print_json({"incidents": [_row_document(item) for item in found]}, out)
        return 0
    if not found:
        out.write("No incidents.\n")
        return 0
    out.write(
        f"{'id':>8}  {'severity':9} {'status':14} {'opened':16}  {'owner':14} "
        f"{'detections':>10} {'events':>7}  title\n"
    )
    for item in found:
        out.write(
            f"{item.label:>8}  {item.severity_word:9} {item.status:14} "
            f"{item.opened:%Y-%m-%d %H:%M}  {safe(item.owner or '-', 14):14} "
            f"{item.detections:>10,} {item.events:>7,}  {safe(item.title, 60)}\n"
        )
    still = sum(1 for item in found if item.status != "closed")
    out.write(f"{len(found):,} incident(s), {still:,} not closed\n")
    return 0


def _row_document(item: Incident) -> dict[str, Any]:
    shown = {k: v for k, v in vars(item).items() if k not in ("id",)}
    return {"id": item.label, "number": item.id, "severity_word": item.severity_word, **shown}


def _new(args: argparse.Namespace, store: Any) -> int:
    from watchkeeper.storage import incident_links, incidents

    now = args.clock()
    if args.from_detection is not None:
        number = incident_links.escalate(store, args.from_detection, who(), now)
        if args.title or args.severity:
            incidents.update(
                store, number, who(), now, title=args.title or None, severity=args.severity
            )
        return number
    return incidents.create(store, args.title, who(), now, args.severity or 2)


def _set(args: argparse.Namespace, store: Any, number: int, out: TextIO) -> None:
    from watchkeeper.core.errors import WatchkeeperError
    from watchkeeper.storage import incidents
    from watchkeeper.storage.incident_views import get_incident

    now = args.clock()
    texts = {n: getattr(args, n) for n in incidents.TEXT_FIELDS}
    personal = None if args.personal_data is None else args.personal_data == "yes"
    if args.status is None and args.resolution is not None:
        raise WatchkeeperError(
            "A resolution goes with a status: --status closed --resolution ….",
            title="Status needed",
        )
    nothing = all(value is None for value in texts.values())
    if nothing and args.status is None and personal is None and args.severity is None:
        raise WatchkeeperError(
            "Say what to change: --status, --owner, --summary, --impact, --lessons, "
            "--severity, --title or --personal-data.",
            title="Nothing to change",
        )
    # what `update` would refuse is checked first, so a refused change changes nothing
    if args.title is not None and not args.title.strip():
        raise WatchkeeperError("An incident needs a title.", title="Title needed")
    if args.severity is not None:
        incidents.severity_number(args.severity)
    current = get_incident(store, number).status
    if args.status is not None and (args.status != current or args.resolution is not None):
        incidents.set_status(
            store, number, args.status, who(), now, resolution=args.resolution, reason=args.reason
        )
    incidents.update(
        store, number, who(), now, severity=args.severity, personal_data=personal, **texts
    )


def _entry(args: argparse.Namespace, store: Any, number: int, out: TextIO) -> None:
    from watchkeeper.storage import incidents

    if args.action == "notify":
        text, recipient = args.note, args.to
    else:
        text, recipient = args.text, None
    kind = "notification" if args.action == "notify" else args.action
    incidents.add_entry(
        store, number, kind, text, who(), args.clock(), at=args.at, recipient=recipient
    )


def _add(args: argparse.Namespace, store: Any, number: int, out: TextIO) -> None:
    from watchkeeper.core.errors import WatchkeeperError
    from watchkeeper.storage import incident_links

    now = args.clock()
    if not any((args.event, args.detection, args.host, args.user, args.device)):
        raise WatchkeeperError(
            "Say what to add: --event N, --detection N, --host H, --user U or --device D.",
            title="Nothing to add",
        )
    added = []
    for kind in ("event", "host", "user", "device"):
        if getattr(args, kind):
            count = incident_links.link(store, number, kind, getattr(args, kind), who(), now)
            added.append(f"{count:,} {kind}(s)")
    for detection in args.detection:
        incident_links.escalate(store, detection, who(), now, number)
    if args.detection:
        added.append(f"{len(args.detection):,} detection(s)")
    if not args.json:
        out.write(f"Added {', '.join(added)} (any already linked are not counted).\n")


def _show_action(args: argparse.Namespace, store: Any, number: int, out: TextIO) -> None:
    _show(args, store, number, out, brief=False)


def _export(args: argparse.Namespace, store: Any, number: int, out: TextIO) -> None:
    import json

    from watchkeeper.cli.output import json_default
    from watchkeeper.incidents.assemble import assemble

    if args.pdf_file is not None:
        _export_pdf(args, store, number, out)
        return
    document = assemble(store, number, args.clock())
    text = json.dumps(document, default=json_default, ensure_ascii=False, indent=2)
    args.json_file.write_text(text + "\n", encoding="utf-8")
    out.write(f"{document['incident']['id']} written to {args.json_file}\n")


def _export_pdf(args: argparse.Namespace, store: Any, number: int, out: TextIO) -> None:
    """The PDF summary, laid out by Qt offscreen: no display is needed."""
    import watchkeeper.ui  # noqa: F401  (PySide6's reference-count workaround, ui/singletons)
    from watchkeeper.core import settings as settings_module
    from watchkeeper.incidents.export import write_incident_summary
    from watchkeeper.storage.incidents import label

    chosen = settings_module.load()
    pages = write_incident_summary(
        store,
        number,
        args.pdf_file,
        args.clock(),
        organisation=chosen.organisation,
        page_size=args.page_size or chosen.page_size,
    )
    out.write(f"{label(number)} written to {args.pdf_file} ({pages:,} pages)\n")


_HANDLERS = {
    "show": _show_action,
    "set": _set,
    "note": _entry,
    "action": _entry,
    "notify": _entry,
    "add": _add,
    "export": _export,
}


def _show(args: argparse.Namespace, store: Any, number: int, out: TextIO, brief: bool) -> int:
    from watchkeeper.storage.incident_views import detail, document

    found = detail(store, number, args.clock())
    if args.json:
        print_json(document(found), out)
    elif brief:
        item = found.incident
        out.write(f"{item.label}: {item.status}, {item.severity_word}: {safe(item.title, 80)}\n")
        if found.warning:
            out.write(f"Warning: {found.warning}\n")
    else:
        _print_detail(found, out)
    return 0


def _print_detail(found: IncidentDetail, out: TextIO) -> None:
    item = found.incident
    lines = [
        f"{item.label}  {safe(item.title, TEXT_WIDTH)}",
        f"Severity:    {item.severity} {item.severity_word}",
        f"Status:      {item.status}"
        + (f" ({item.resolution})" if item.resolution else "")
        + (f", closed {item.closed:%Y-%m-%d %H:%M}" if item.closed else ""),
        f"Opened:      {item.opened:%Y-%m-%d %H:%M} UTC by {safe(item.created_by, 60)}",
        f"Owner:       {safe(item.owner or '-', 200)}",
        f"Personal data affected: {'yes' if item.personal_data else 'no'}",
    ]
    if found.warning:
        lines.append(f"Warning:     {found.warning}")
    for name, text in (
        ("Summary", item.summary),
        ("Impact", item.impact),
        ("Lessons", item.lessons),
    ):
        lines.append(f"{name + ':':12} {safe(text or '-', TEXT_WIDTH)}")
    for name, names in (("Hosts", found.hosts), ("Users", found.users), ("Devices", found.devices)):
        lines.append(f"{name + ':':12} {', '.join(safe(n, 100) for n in names) or '-'}")
    lines.append(f"Events:      {len(found.event_ids):,} linked")
    lines.append(f"Detections:  {len(found.detections):,}")
    for det in found.detections:
        lines.append(
            f"  {det.id:>6}  {det.level:9} {safe(det.title, 60)}  {safe(det.host or '-', 20)}  "
            f"{det.events:,} event(s)  {det.state}"
        )
    lines.append("Timeline:")
    for entry in found.timeline:
        when = f"{entry.at:%Y-%m-%d %H:%M:%S}" if entry.at else " " * 19
        lines.append(f"  {when}  {safe(entry.who, 30):30}  {safe(entry.text, 200)}")
    lines.append("History:")
    for change in found.history:
        lines.append(
            f"  {change.at:%Y-%m-%d %H:%M:%S}  {safe(change.by, 20):20}  {change.field}: "
            f"{safe(change.old or '-', 60)} → {safe(change.new or '-', 60)}"
            + (f" ({safe(change.reason, 100)})" if change.reason else "")
        )
    out.write("\n".join(lines) + "\n")
