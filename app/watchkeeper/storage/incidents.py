"""Incidents: the record of an attack (or a suspicion of one) from its opening to its close.

An incident has a severity, a status that moves open → investigating → contained →
resolved → closed, and, to be closed, a resolution. Detections, events, hosts, users and
devices are linked to it; notes, actions taken and notifications made are written by hand;
every change goes into its history (who, when, which field, from what, to what). People see
an incident as `INC-7`; the store keeps the number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from watchkeeper.core.errors import WatchkeeperError

if TYPE_CHECKING:
    import duckdb

    from watchkeeper.storage.store import Store

PREFIX = "INC-"
# NIST SP 800-61's functional impact words (low, medium, high) and a fourth for the worst.
SEVERITIES = {1: "low", 2: "medium", 3: "high", 4: "critical"}
# A detection's rule level as an incident's severity.
LEVEL_SEVERITY = {"critical": 4, "high": 3, "medium": 2, "low": 1, "informational": 1}
STATUSES = ("open", "investigating", "contained", "resolved", "closed")
RESOLUTIONS = ("true positive", "benign", "false positive")
SUBJECTS = ("host", "user", "device")
ENTRY_KINDS = ("note", "action", "notification")
# Fields `update` changes as plain text.
TEXT_FIELDS = ("title", "owner", "summary", "impact", "lessons")

_ID = re.compile(r"\s*(?:inc-?|#)?\s*([0-9]{1,9})\s*", re.IGNORECASE)


def label(incident_id: int) -> str:
    """An incident's id as people see it: INC-7."""
    return f"{PREFIX}{incident_id}"


def parse_id(text: str | int) -> int:
    """The number in `INC-7`, `inc7`, `#7` or `7`; WatchkeeperError for anything else."""
    if isinstance(text, int):
        return text
    match = _ID.fullmatch(text)
    if match is None:
        shown = text if len(text) <= 40 else text[:39] + "…"
        raise WatchkeeperError(
            f"{shown!r} is not an incident id; write it as INC-7 or 7.", title="Unknown incident"
        )
    return int(match.group(1))


def severity_number(text: str | int) -> int:
    """A severity as a number 1-4, from the number or its word."""
    value = str(text).strip().lower()
    for number, word in SEVERITIES.items():
        if value in (str(number), word):
            return number
    raise WatchkeeperError(
        f"{str(text)[:40]!r} is not a severity; use 1 low, 2 medium, 3 high or 4 critical.",
        title="Unknown severity",
    )


def words(text: str) -> str:
    """A status or resolution as typed ('false-positive', 'True_Positive') as stored."""
    return " ".join(text.replace("-", " ").replace("_", " ").lower().split())


def utc_naive(now: datetime) -> datetime:
    """Times are stored as UTC without a zone, as event times are."""
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo is not None else now


def not_found(incident_id: int) -> WatchkeeperError:
    return WatchkeeperError(
        f"There is no incident {label(incident_id)}; `watchkeeper incidents` lists them.",
        title="Incident not found",
    )


def status_row(con: duckdb.DuckDBPyConnection, incident_id: int) -> tuple[Any, ...]:
    row = con.execute(
        "SELECT status, resolution, closed FROM incidents WHERE id = ?", [incident_id]
    ).fetchone()
    if row is None:
        raise not_found(incident_id)
    return row


def write_history(
    con: duckdb.DuckDBPyConnection,
    incident_id: int,
    now: datetime,
    by: str,
    changes: Sequence[tuple[str, object, object]],
    reason: str | None = None,
) -> None:
    for field, old, new in changes:
        con.execute(
            "INSERT INTO incident_history VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                incident_id,
                now,
                by,
                field,
                None if old is None else str(old),
                None if new is None else str(new),
                reason,
            ],
        )


# the record ------------------------------------------------------------------------------


def create(
    store: Store,
    title: str,
    by: str,
    now: datetime,
    severity: int | str = 2,
    *,
    summary: str = "",
    owner: str = "",
) -> int:
    """Open an incident; returns its number."""
    title = title.strip()
    if not title:
        raise WatchkeeperError("An incident needs a title.", title="Title needed")
    number = severity_number(severity)
    now = utc_naive(now)
    with store.transaction() as con:
        row = con.execute("SELECT coalesce(max(id), 0) + 1 FROM incidents").fetchone()
        incident_id = int(row[0]) if row else 1
        con.execute(
            "INSERT INTO incidents (id, title, severity, status, owner, opened, summary, "
            "created_by) VALUES (?, ?, ?, 'open', ?, ?, ?, ?)",
            [incident_id, title, number, owner or None, now, summary or None, by],
        )
        write_history(con, incident_id, now, by, [("status", None, "open")])
    return incident_id


def set_status(
    store: Store,
    incident_id: int,
    status: str,
    by: str,
    now: datetime,
    *,
    resolution: str | None = None,
    reason: str = "",
) -> None:
    """Move an incident to `status`.

    Closing needs a resolution (true positive, benign or false positive), given now or
    earlier. Any move back (reopening a closed incident, or from contained to investigating)
    needs a reason, written in the history: whoever reads it later needs to know why.
    """
    wanted = words(status)
    if wanted not in STATUSES:
        raise WatchkeeperError(
            f"{status[:40]!r} is not an incident status; use one of: {', '.join(STATUSES)}.",
            title="Unknown status",
        )
    wanted_resolution = _resolution(resolution)
    reason = reason.strip()
    now = utc_naive(now)
    with store.transaction() as con:
        old, old_resolution, closed = status_row(con, incident_id)
        new_resolution = wanted_resolution or old_resolution
        if old == wanted and wanted_resolution in (None, old_resolution):
            raise WatchkeeperError(
                f"{label(incident_id)} is already {old}.", title="Status unchanged"
            )
        backwards = STATUSES.index(wanted) < STATUSES.index(old)
        if backwards and not reason:
            what = "reopening it" if old == "closed" else f"moving it back to {wanted}"
            raise WatchkeeperError(
                f"{label(incident_id)} is {old}; say why you are {what} (--reason).",
                title="Reason needed",
            )
        if wanted == "closed" and not new_resolution:
            raise WatchkeeperError(
                f"Say how {label(incident_id)} ended before closing it: "
                f"{', '.join(RESOLUTIONS)} (--resolution).",
                title="Resolution needed",
            )
        if old == "closed" and wanted != "closed":
            new_resolution = wanted_resolution  # reopened: how it ends is open again
        new_closed = now if wanted == "closed" else None
        con.execute(
            "UPDATE incidents SET status = ?, resolution = ?, closed = ? WHERE id = ?",
            [wanted, new_resolution, new_closed, incident_id],
        )
        changes = [
            (name, before, after)
            for name, before, after in (
                ("status", old, wanted),
                ("resolution", old_resolution, new_resolution),
                ("closed", closed, new_closed),
            )
            if before != after
        ]
        write_history(con, incident_id, now, by, changes, reason or None)


def _resolution(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    wanted = words(text)
    if wanted not in RESOLUTIONS:
        raise WatchkeeperError(
            f"{text[:40]!r} is not a resolution; use one of: {', '.join(RESOLUTIONS)}.",
            title="Unknown resolution",
        )
    return wanted


def update(
    store: Store,
    incident_id: int,
    by: str,
    now: datetime,
    *,
    severity: int | str | None = None,
    personal_data: bool | None = None,
    **texts: str | None,
) -> int:
    """Change the title, owner, summary, impact, lessons learned, severity or whether
    personal data was affected; returns how many fields changed."""
    unknown = sorted(set(texts) - set(TEXT_FIELDS))
    if unknown:
        raise ValueError(f"not an incident's text field: {unknown[0]}")
    wanted: dict[str, object] = {k: v for k, v in texts.items() if v is not None}
    if "title" in wanted and not str(wanted["title"]).strip():
        raise WatchkeeperError("An incident needs a title.", title="Title needed")
    if severity is not None:
        wanted["severity"] = severity_number(severity)
    if personal_data is not None:
        wanted["personal_data"] = personal_data
    now = utc_naive(now)
    with store.transaction() as con:
        row = con.execute(
            "SELECT title, owner, summary, impact, lessons, severity, personal_data "
            "FROM incidents WHERE id = ?",
            [incident_id],
        ).fetchone()
        if row is None:
            raise not_found(incident_id)
        current = dict(zip((*TEXT_FIELDS, "severity", "personal_data"), row, strict=True))
        changes = [
            (name, current[name], value)
            for name, value in wanted.items()
            if _stored(current[name]) != _stored(value)
        ]
        for name, _old, value in changes:
            con.execute(
                f"UPDATE incidents SET {name} = ? WHERE id = ?",  # name is one of ours
                [_stored(value), incident_id],
            )
        write_history(con, incident_id, now, by, changes)
    return len(changes)


def _stored(value: object) -> object:
    """A field's value as stored: empty text is no value."""
    return None if value == "" else value


def add_entry(
    store: Store,
    incident_id: int,
    kind: str,
    text: str,
    by: str,
    now: datetime,
    *,
    at: datetime | None = None,
    recipient: str | None = None,
) -> None:
    """A note, an action taken or a notification made (to `recipient`), at `at` (default now)."""
    if kind not in ENTRY_KINDS:
        raise ValueError(f"not an incident entry: {kind}")
    text = text.strip()
    if kind == "notification":
        if not recipient or not recipient.strip():
            raise WatchkeeperError("Say whom you notified (--to).", title="Recipient needed")
        recipient = recipient.strip()
    elif not text:
        raise WatchkeeperError(f"The {kind} is empty; write what to record.", title="Empty")
    now = utc_naive(now)
    when = utc_naive(at) if at is not None else now
    with store.transaction() as con:
        status_row(con, incident_id)
        con.execute(
            "INSERT INTO incident_entries VALUES (?, ?, ?, ?, ?, ?, ?)",
            [incident_id, kind, when, by, recipient, text, now],
        )
        shown = f"{recipient}: {text}" if kind == "notification" else text
        write_history(con, incident_id, now, by, [(kind, None, shown)])
