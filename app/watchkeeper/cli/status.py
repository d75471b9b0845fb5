"""`status`: the store, its archive, retention, the disk, the collector and integrity in one
place, so a glance says whether logs are being kept and for how long."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from watchkeeper.cli.output import print_json, safe
from watchkeeper.cli.parser import add_command, add_common
from watchkeeper.core import paths

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands
    from watchkeeper.storage.store import Store


def add_commands(commands: Commands) -> None:
    p = add_command(
        commands,
        "status",
        cmd_status,
        help="the store, archive, retention, disk, collector and integrity in one place",
    )
    add_common(p)


def integrity_summary(store: Store, now: datetime) -> Any:
    """The integrity package's own summary (its `summary(store, now)`), or None where this
    Watchkeeper has no integrity package yet; a summary that fails says so in one line."""
    try:
        integrity = importlib.import_module("watchkeeper.integrity")
    except ImportError:
        return None
    summary = getattr(integrity, "summary", None)
    if not callable(summary):
        return None
    try:
        return summary(store, now)
    except Exception as error:  # the rest of the status still shows
        return f"Integrity could not be checked: {error}"


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[tuple[Store | None, str]]:
    """The store for reading its figures, or None and the sentence why not."""
    from watchkeeper.core.errors import StoreError, StoreReadOnly
    from watchkeeper.storage.store import Store

    if not path.exists():
        yield None, f"There is no store at {path} yet."
        return
    try:
        store = Store(path)
    except StoreReadOnly:
        store = None
    except StoreError as error:
        yield None, f"{error.message} Its figures are not shown."
        return
    if store is None:
        try:
            store = Store(path, read_only=True)
        except StoreError as error:
            yield None, f"{error.message} Its figures are not shown."
            return
    with store:
        yield store, ""


def _store_part(store: Store | None, path: Path, problem: str) -> dict[str, Any]:
    from watchkeeper.storage import holdings

    part: dict[str, Any] = {"path": str(path), "problem": problem or None}
    if store is not None:
        figures = holdings.store_figures(store)
        part.update(
            bytes=store.size_bytes(),
            events=figures.events,
            first=figures.first,
            last=figures.last,
            read_only=store.read_only,
        )
    return part


def _archive_part(store: Store | None, path: Path) -> dict[str, Any]:
    from watchkeeper.storage import holdings

    archive = holdings.archive_figures(store, path)
    return {
        "folder": str(archive.folder),
        "files": archive.files,
        "bytes": archive.bytes,
        "days": archive.days,
        "oldest": archive.oldest.isoformat() if archive.oldest else None,
    }


def _retention_part(store: Store | None, now: datetime) -> dict[str, Any]:
    from watchkeeper.core import settings as settings_module
    from watchkeeper.storage import holdings

    settings = settings_module.load()
    part: dict[str, Any] = {
        "months": settings.retention_months,
        "hot_days": settings.hot_days,
        "reason": settings.retention_reason or None,
    }
    if store is not None:
        due = holdings.retention_figures(store, settings.retention_months, settings.hot_days, now)
        part.update(
            days_due_to_archive=due.archive_due,
            days_past_retention=due.delete_due,
            pending_deletions=[
                {
                    "day": p.day.isoformat(),
                    "source": p.source,
                    "events": p.events,
                    "delete_after": p.delete_after,
                }
                for p in due.pending
            ],
        )
    return part


def _disk_part(store: Store | None, path: Path, now: datetime) -> dict[str, Any]:
    from watchkeeper.core.disk import days_text, level_warning
    from watchkeeper.storage import disk_history

    if store is not None:
        report = disk_history.disk_report(store, now)  # and the hourly sample, if due
        use, days = report.use, report.days_until_full
    else:
        use, days = disk_history.measure(path), None
    return {
        "folder": str(use.folder),
        "used_percent": use.percent,
        "free_bytes": use.free,
        "total_bytes": use.total,
        "level": use.level,
        "days_until_full": None if days is None or math.isinf(days) else round(days, 1),
        "days_until_full_text": days_text(days),
        "warning": level_warning(use),
    }


def _collector_part(path: Path) -> dict[str, Any]:
    from watchkeeper.collect.presence import running_collector
    from watchkeeper.collect.spool import sealed_segments, spool_folder, waiting_bytes

    presence = running_collector(path)
    spool = spool_folder(path)
    return {
        "running": presence is not None,
        "pid": presence.pid if presence else None,
        "since": presence.started if presence else None,
        "listening": presence.listening if presence else None,
        "paused": (presence.paused or None) if presence else None,
        "spool_segments": len(sealed_segments(spool)),
        "spool_bytes": waiting_bytes(spool),
    }


def status_document(path: Path, now: datetime) -> dict[str, Any]:
    """Everything `status` shows, as one JSON-ready document."""
    with _opened(path) as (store, problem):
        return {
            "store": _store_part(store, path, problem),
            "archive": _archive_part(store, path),
            "retention": _retention_part(store, now),
            "disk": _disk_part(store, path, now),
            "collector": _collector_part(path),
            "integrity": None if store is None else integrity_summary(store, now),
        }


def cmd_status(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    path = args.db or paths.default_db_path()
    document = status_document(path, args.clock())
    if args.json:
        print_json(document, out)
    else:
        out.write("\n".join(status_lines(document)) + "\n")
    warning = document["disk"]["warning"]
    if warning and document["disk"]["level"] != "warn":
        err.write(f"watchkeeper status: {safe(warning)}\n")  # paused: said where one looks
    return 0


def _size(count: int) -> str:
    from watchkeeper.core.disk import size_text

    return size_text(count)


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else str(value)


def _store_line(store: dict[str, Any]) -> str:
    if store["problem"]:
        return safe(store["problem"])
    text = f"{safe(store['path'])}: {_size(store['bytes'])}, {store['events']:,} events"
    if store["first"] is not None:
        text += f", {_when(store['first'])} to {_when(store['last'])} UTC"
    return text + (" (read-only)" if store["read_only"] else "")


def _retention_lines(retention: dict[str, Any]) -> list[str]:
    text = f"{retention['months']} months, {retention['hot_days']} days of them in the store"
    if retention["reason"]:
        text += f" (less than 6 months because: {safe(retention['reason'], 120)})"
    if "days_due_to_archive" in retention:
        text += (
            f"; {retention['days_due_to_archive']:,} day(s) due to the archive, "
            f"{retention['days_past_retention']:,} past retention"
        )
    lines = [text]
    for pending in retention.get("pending_deletions", []):
        lines.append(
            f"deletion pending: {pending['day']} {safe(pending['source'], 40)} "
            f"({pending['events']:,} events) after {_when(pending['delete_after'])} UTC"
        )
    return lines


def _collector_line(collector: dict[str, Any]) -> str:
    if collector["running"]:
        text = f"running since {collector['since']} (process {collector['pid']})"
        if collector["listening"]:
            text += f", on {safe(collector['listening'], 160)}"
    else:
        text = "not running"
    text += (
        f"; spool: {collector['spool_segments']:,} segment(s), "
        f"{_size(collector['spool_bytes'])} waiting"
    )
    if collector["paused"]:
        text += f"; {safe(collector['paused'])}"
    return text


def _integrity_line(integrity: Any) -> str:
    if integrity is None:
        return "not shown here (run `watchkeeper verify` where this version has it)"
    if isinstance(integrity, dict):
        words = integrity.get("summary") or integrity.get("text") or integrity.get("status")
        if words:
            return safe(words, 200)
    return safe(integrity, 200)


def status_lines(document: dict[str, Any]) -> list[str]:
    """One readable block: a label and a line (or a few) per part."""
    archive, disk = document["archive"], document["disk"]
    archive_text = (
        f"{safe(archive['folder'])}: {archive['files']:,} file(s), {_size(archive['bytes'])}, "
        f"{archive['days']:,} day(s), oldest {archive['oldest']}"
        if archive["files"]
        else f"nothing archived yet ({safe(archive['folder'])})"
    )
    disk_text = (
        f"{disk['used_percent']} % used, {_size(disk['free_bytes'])} free ({disk['level']}); "
        f"full in: {disk['days_until_full_text']}"
    )
    parts: list[tuple[str, list[str]]] = [
        ("Store", [_store_line(document["store"])]),
        ("Archive", [archive_text]),
        ("Retention", _retention_lines(document["retention"])),
        ("Disk", [disk_text] + ([safe(disk["warning"])] if disk["warning"] else [])),
        ("Collector", [_collector_line(document["collector"])]),
        ("Integrity", [_integrity_line(document["integrity"])]),
    ]
    lines = []
    for label, texts in parts:
        lines.append(f"{label + ':':11}{texts[0]}")
        lines.extend(f"{'':11}{text}" for text in texts[1:])
    return lines
