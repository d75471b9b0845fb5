"""`verify`: are the stored events still the ones written? Per day and source, with the seals.

Exit codes: 0 when nothing failed (days not sealed yet do not fail), 1 on a FAIL or a GAP
(a missing day or batch is as serious as a changed one), 2 on a usage error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from watchkeeper.cli.output import print_json, safe, with_progress
from watchkeeper.cli.parser import UsageError, add_command, add_common
from watchkeeper.cli.store import open_store

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands
    from watchkeeper.integrity.verify import Report


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands,
        "verify",
        cmd_verify,
        help="check that the stored events are unchanged since they were written and sealed",
    )
    p.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="also write the latest signed seal to FILE, to keep off this machine",
    )
    p.add_argument(
        "--against",
        type=Path,
        metavar="FILE",
        help="prove that nothing up to the checkpoint in FILE has changed since it was made",
    )
    add_common(p)


def cmd_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.integrity import checkpoint
    from watchkeeper.integrity.sealing import seal_due
    from watchkeeper.integrity.signing import load_key
    from watchkeeper.integrity.verify import verify

    against = None
    if args.against is not None:
        try:
            text = args.against.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            raise UsageError(f"watchkeeper verify: cannot read {args.against}: {error}") from None
        against = checkpoint.from_text(text, args.against.name)
    now = args.clock()
    key = load_key(create=False)
    with open_store(args, write=False) as store:
        if not store.read_only:
            seal_due(store, now)
        report = with_progress(lambda progress: verify(store, now, key.public_text, progress), err)
    lines = []
    if against is not None:
        wrong = checkpoint.check_against(report, against)
        lines.append(
            f"FAIL checkpoint: {wrong}"
            if wrong
            else f"PASS checkpoint: nothing written up to {against.day.isoformat()} has "
            "changed since the checkpoint was made"
        )
    written = None
    if args.checkpoint is not None and report.problems:
        lines.append(
            f"Checkpoint not written to {args.checkpoint}: it would vouch for a store in which "
            "verify found problems."
        )
    elif args.checkpoint is not None:
        written = checkpoint.latest(report.seals)
        args.checkpoint.write_text(checkpoint.to_text(written), encoding="utf-8")
    failed_against = any(line.startswith("FAIL") for line in lines)
    code = 1 if report.exit_code or failed_against else 0
    if args.json:
        document = report_document(report, key.unavailable)
        document["checkpoint"] = lines
        document["checkpoint_written"] = str(args.checkpoint) if written else None
        document["exit_code"] = code
        print_json(document, out)
    else:
        print_report(report, key.unavailable, out)
        for line in lines:
            out.write(line + "\n")
        if written is not None:
            out.write(f"Checkpoint of {written.day.isoformat()} written to {args.checkpoint}.\n")
    return code


def report_document(report: Report, no_key: str) -> dict[str, Any]:
    return {
        "results": [
            {
                "day": r.day.isoformat(),
                "source": r.source,
                "status": r.status,
                "batches": sorted(r.batches),
                "events": r.events,
                "deleted_after_retention": r.deleted,
                "problem": r.problem.text if r.problem else None,
                "how": r.problem.how if r.problem else None,
                "batch": r.problem.batch if r.problem else None,
            }
            for r in report.results
        ],
        "problems": [
            {
                "status": p.status,
                "how": p.how,
                "day": p.day.isoformat() if p.day else None,
                "source": p.source,
                "batch": p.batch,
                "text": p.text,
            }
            for p in report.problems
        ],
        "sealed_days": report.sealed_days,
        "last_sealed": report.seals[-1].day.isoformat() if report.seals else None,
        "unsealed_days": [day.isoformat() for day in report.unsealed_days],
        "unsigned_days": [day.isoformat() for day in report.unsigned],
        "no_signing_key": no_key or None,
    }


def print_report(report: Report, no_key: str, out: TextIO) -> None:
    shown = set()
    for result in report.results:
        if result.problem is not None:
            shown.add(id(result.problem))
            # the line already says the day and source
            detail = safe(result.problem.text.split(": ", 1)[-1])
        elif result.status == "DELETED":
            detail = f"deleted after retention, as recorded ({result.deleted:,} events)"
        else:
            detail = f"{len(result.batches)} batch(es), {result.events:,} events"
            if result.deleted:
                detail += f"; {result.deleted:,} deleted after retention, as recorded"
        out.write(
            f"{result.status:<9} {result.day.isoformat()}  {safe(result.source, 20):<20} {detail}\n"
        )
    for problem in report.problems:
        if id(problem) not in shown:
            out.write(f"{problem.status:<9} {safe(problem.text)}\n")
    if report.seals:
        out.write(
            f"Seals: {report.sealed_days} day(s) sealed, the last {report.seals[-1].day.isoformat()}."
            "\n"
        )
    if report.unsealed_days:
        out.write(
            f"UNSEALED  {report.unsealed_days[0].isoformat()} to "
            f"{report.unsealed_days[-1].isoformat()}: not sealed yet (a day is sealed once it "
            "is over); events written since then cannot be vouched for yet\n"
        )
    if report.unsigned:
        out.write(
            f"UNSIGNED  {len(report.unsigned)} sealed day(s) "
            f"({report.unsigned[0].isoformat()} to {report.unsigned[-1].isoformat()}) have no "
            "signature: no keyring was available when they were sealed, so anyone who can "
            "write the store could have rewritten them"
            + (f" ({safe(no_key)})" if no_key else "")
            + "\n"
        )
    failures = len(report.problems)
    if failures:
        out.write(f"{failures} problem(s) found: the store may have been tampered with.\n")
    elif report.seals:
        out.write("No problem found: every sealed event is as it was written.\n")
    else:
        out.write("No problem found, but nothing is sealed yet to vouch for the events.\n")
