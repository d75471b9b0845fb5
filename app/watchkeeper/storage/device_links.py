"""The user's word on devices in the store: records merged or split by hand, and checks a
device is let off until a date.

Times are naive UTC in the store; an exception's come back aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.storage.store import Store

LINK_KINDS = ("merge", "split")


@dataclass(frozen=True, slots=True)
class DeviceLink:
    """The user's word on one record: it belongs with `target_key`'s device, or alone."""

    record_key: str
    kind: str  # "merge" or "split"
    target_key: str | None  # merge: a record key of the device it belongs to
    reason: str | None
    created: datetime
    created_by: str | None


@dataclass(frozen=True, slots=True)
class DeviceException:
    """A check a device is let off until `expires` (UTC), and why."""

    id: int
    device_id: str
    device_name: str | None  # as it was called when the exception was made
    check: str
    reason: str
    expires: datetime
    created_by: str
    created: datetime

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> DeviceException:
        """A stored row, its naive UTC times made aware."""
        ident, device_id, device_name, check, reason, expires, created_by, created = row
        return cls(
            ident,
            device_id,
            device_name,
            check,
            reason,
            expires.replace(tzinfo=UTC),
            created_by,
            created.replace(tzinfo=UTC),
        )

    def active(self, now: datetime) -> bool:
        return self.expires > now


# merges and splits ---------------------------------------------------------------------


def set_link(
    store: Store,
    record_key: str,
    kind: str,
    target_key: str | None,
    reason: str | None,
    created_by: str | None,
    created: datetime,
) -> DeviceLink:
    """Say that a record belongs with another record's device (merge) or alone (split)."""
    if kind not in LINK_KINDS:
        raise WatchkeeperError(f"A device link is a merge or a split, not {kind!r}.")
    if kind == "merge" and not target_key:
        raise WatchkeeperError("Say which device the record belongs to.")
    if kind == "merge" and target_key == record_key:
        raise WatchkeeperError("A record cannot be merged into itself.")
    link = DeviceLink(
        record_key,
        kind,
        target_key if kind == "merge" else None,
        (reason or "").strip() or None,
        created,
        created_by,
    )
    with store.transaction() as con:
        con.execute("DELETE FROM device_links WHERE record_key = ?", [record_key])
        con.execute(
            "INSERT INTO device_links VALUES (?, ?, ?, ?, ?, ?)",
            [
                link.record_key,
                link.kind,
                link.target_key,
                link.reason,
                link.created,
                link.created_by,
            ],
        )
    return link


def remove_link(store: Store, record_key: str) -> bool:
    """Forget the user's merge or split of a record; True when there was one."""
    return bool(
        _write(store, "DELETE FROM device_links WHERE record_key = ? RETURNING 1", [record_key])
    )


def device_links(store: Store) -> list[DeviceLink]:
    rows = store.fetch_all(
        "SELECT record_key, kind, target_key, reason, created, created_by "
        "FROM device_links ORDER BY created, record_key"
    )
    return [DeviceLink(*row) for row in rows]


# exceptions ----------------------------------------------------------------------------

_EXCEPTION_COLUMNS = "id, device_id, device_name, check_name, reason, expires, created_by, created"


def add_exception(
    store: Store,
    device_id: str,
    device_name: str | None,
    check: str,
    reason: str,
    expires: datetime | None,
    created_by: str,
    created: datetime,
) -> DeviceException:
    """Let a device off one check until `expires`; a reason and an expiry are required."""
    if not device_id.strip() or not check.strip():
        raise WatchkeeperError("Say which device and which check the exception is for.")
    if not reason.strip():
        raise WatchkeeperError("Say why, so whoever reads the exception later knows.")
    if expires is None:
        raise WatchkeeperError("Give the date the exception ends; none lasts for ever.")
    if expires <= created:
        raise WatchkeeperError(
            f"The exception would end ({expires:%Y-%m-%d %H:%M} UTC) "
            "before it starts; give a later date."
        )
    rows = _write(
        store,
        f"INSERT INTO device_exceptions SELECT coalesce(max(id), 0) + 1, ?, ?, ?, ?, ?, "
        f"?, ? FROM device_exceptions RETURNING {_EXCEPTION_COLUMNS}",
        [device_id, device_name, check, reason.strip(), expires, created_by, created],
    )
    return DeviceException.from_row(rows[0])


def remove_exception(store: Store, exception_id: int) -> bool:
    return bool(
        _write(store, "DELETE FROM device_exceptions WHERE id = ? RETURNING id", [exception_id])
    )


def device_exceptions(store: Store, device_id: str | None = None) -> list[DeviceException]:
    """Exceptions, expired ones included (they say what was once allowed)."""
    where, params = ("TRUE", []) if device_id is None else ("device_id = ?", [device_id])
    rows = store.fetch_all(
        f"SELECT {_EXCEPTION_COLUMNS} FROM device_exceptions WHERE {where} ORDER BY id", params
    )
    return [DeviceException.from_row(row) for row in rows]


def _write(store: Store, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with store.write_lock:
        con = store.cursor()
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()
