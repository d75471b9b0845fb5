"""`devices` and `devices import`: device compliance against the policy, and MDM exports."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from watchkeeper.cli.output import print_json, safe
from watchkeeper.cli.parser import Parser, UsageError, add_command, add_common
from watchkeeper.cli.store import open_store

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands
    from watchkeeper.compliance.evaluate import DeviceRow

_DEVICE_MARKS = {"pass": "pass", "fail": "FAIL", "unknown": "?", "excepted": "exc", "n/a": "-"}


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands,
        "devices",
        cmd_devices,
        help="device compliance: every device against the policy; "
        "`devices import FILE...` reads MDM exports and osquery logs",
    )
    p.add_argument("--failing", action="store_true", help="only devices that fail a check")
    p.add_argument(
        "--policy",
        type=Path,
        default=None,
        metavar="FILE",
        help="a compliance policy of your own (default: the shipped one)",
    )
    add_common(p)
    actions = p.add_subparsers(dest="devices_command", parser_class=Parser)
    q = actions.add_parser(
        "import",
        help="import Intune, Google Workspace or Jamf Pro exports and osquery results logs",
    )
    q.add_argument("paths", nargs="+", type=Path, metavar="FILE")
    add_common(q)


def cmd_devices(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.devices_command == "import":
        return _devices_import(args, out)
    from watchkeeper.compliance.policy import load_policy
    from watchkeeper.compliance.report import compliance_report
    from watchkeeper.core import settings as settings_module

    if args.policy is not None and not args.policy.is_file():
        raise UsageError(f"watchkeeper devices: no such policy file: {args.policy}")
    policy = load_policy(args.policy, settings_module.load().compliance_thresholds)
    with open_store(args) as store:
        report = compliance_report(store, policy, args.clock())
    now, rows = report.now, report.rows
    shown = report.failing if args.failing else rows
    checks = list(report.checks)
    if args.json:
        print_json(
            {
                "policy": {
                    "name": policy.name,
                    "file": policy.file,
                    "written": policy.written,
                    "checks": [
                        {
                            "name": c.name,
                            "title": c.title,
                            "platforms": sorted(c.platforms),
                            "params": dict(c.params),
                        }
                        for c in checks
                    ],
                    "notes": list(policy.notes),
                },
                "now": now,
                "devices": [_device_document(row) for row in shown],
            },
            out,
        )
        return 0
    if not rows:
        out.write(
            "No devices yet: import an MDM export or osquery log with "
            "`watchkeeper devices import FILE`, or import logs.\n"
        )
        return 0
    widths = [max(len(c.column), 4) for c in checks]
    out.write(
        f"{'device':24} {'platform':8} {'owner':22} {'overall':7} "
        + " ".join(f"{c.column:{w}}" for c, w in zip(checks, widths, strict=True))
        + "\n"
    )
    for row in shown:
        marks = [_DEVICE_MARKS[row.checks[c.name].status] for c in checks]
        out.write(
            f"{safe(row.name, 24):24} {row.platform:8} {safe(row.owner or '', 22):22} "
            f"{_DEVICE_MARKS[row.overall]:7} "
            + " ".join(f"{m:{w}}" for m, w in zip(marks, widths, strict=True))
            + "\n"
        )
    counts = report.counts()
    out.write(
        f"{len(rows)} device(s): {counts['fail']} failing, {counts['unknown']} unknown, "
        f"{counts['pass']} passing"
        + (f"; showing the {len(shown)} failing" if args.failing else "")
        + "\n"
    )
    out.write(
        "Checks: "
        + ", ".join(f"{c.column} = {c.title}" for c in checks)
        + "; FAIL fails, ? unknown, exc excepted, - does not apply.\n"
    )
    for note in report.notes:
        out.write(f"  {safe(note)}\n")
    return 0


def _device_document(row: DeviceRow) -> dict[str, Any]:
    return {
        "device_id": row.device_id,
        "name": row.name,
        "platform": row.platform,
        "os": row.os,
        "owner": row.owner,
        "sources": list(row.sources),
        "host_names": list(row.host_names),
        "last_seen": row.last_seen,
        "overall": row.overall,
        "notes": list(row.notes),
        "checks": {
            name: {
                "status": r.status,
                "reason": r.reason,
                "evidence": r.evidence,
                "source": r.source,
                "observed": r.observed,
                "actual": r.actual,
                "exception": None if r.exception is None else asdict(r.exception),
            }
            for name, r in row.checks.items()
        },
    }


def _devices_import(args: argparse.Namespace, out: TextIO) -> int:
    from watchkeeper.compliance.importing import import_device_files

    missing = [p for p in args.paths if not p.is_file()]
    if missing:
        raise UsageError(
            "watchkeeper devices import: no such file: " + ", ".join(str(p) for p in missing)
        )
    with open_store(args, create=True) as store:
        results = import_device_files(store, list(args.paths), now=args.clock())
    failed = sum(1 for r in results if r.status == "failed")
    if args.json:
        print_json(
            {
                "files": [asdict(r) for r in results],
                "imported": sum(1 for r in results if r.status == "imported"),
                "skipped": sum(1 for r in results if r.status == "skipped"),
                "failed": failed,
            },
            out,
        )
        return 1 if failed else 0
    for result in results:
        if result.status == "failed":
            out.write(f"failed: {safe(result.message)}\n")
            continue
        if result.status == "skipped":
            out.write(f"skipped: {safe(result.message)}\n")
            continue
        out.write(
            f"{safe(result.name)}: {result.source}, {result.devices} device(s) read"
            + (f", {len(result.problems)} problem(s)" if result.problems else "")
            + "\n"
        )
        for note in result.notes:
            out.write(f"  note: {safe(note)}\n")
        for problem in result.problems:
            out.write(f"  problem: {safe(problem)}\n")
    return 1 if failed else 0
