"""The user's merges and splits of devices, which win over grouping records automatically."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

from watchkeeper.compliance.devices import Device
from watchkeeper.compliance.stored import naive
from watchkeeper.storage import device_links as stored_links
from watchkeeper.storage.store import Store


def merge_devices(
    store: Store,
    device: Device,
    into: Device,
    reason: str | None = None,
    who: str | None = None,
    now: datetime | None = None,
) -> list[stored_links.DeviceLink]:
    """Say that every record of `device` belongs to `into`; `into` keeps its id."""
    if device.device_id == into.device_id:
        return []
    return [merge_record(store, key, into, reason, who, now) for key in device.record_keys]


def merge_record(
    store: Store,
    key: str,
    into: Device,
    reason: str | None = None,
    who: str | None = None,
    now: datetime | None = None,
) -> stored_links.DeviceLink:
    """Say that one record belongs to `into`, whatever names or serials it has."""
    return stored_links.set_link(
        store,
        key,
        "merge",
        into.anchor_key,
        reason,
        who or _user(),
        naive(now or datetime.now(UTC)),
    )


def split_record(
    store: Store,
    key: str,
    reason: str | None = None,
    who: str | None = None,
    now: datetime | None = None,
) -> stored_links.DeviceLink:
    """Say that one record is a device of its own, never merged with others automatically."""
    return stored_links.set_link(
        store, key, "split", None, reason, who or _user(), naive(now or datetime.now(UTC))
    )


def undo_link(store: Store, key: str) -> bool:
    """Forget the user's merge or split of a record; it is merged automatically again."""
    return stored_links.remove_link(store, key)


def device_links(store: Store) -> list[stored_links.DeviceLink]:
    return stored_links.device_links(store)


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None
