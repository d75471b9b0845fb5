"""Exceptions to the policy: one device let off one check, with a reason, until a date."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

from watchkeeper.compliance.devices import Device
from watchkeeper.compliance.policy import CHECKS
from watchkeeper.compliance.stored import naive
from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.storage import device_links as stored
from watchkeeper.storage.device_links import DeviceException
from watchkeeper.storage.store import Store

__all__ = ["DeviceException", "add_exception", "exceptions", "remove_exception"]


def add_exception(
    store: Store,
    device: Device,
    check: str,
    reason: str,
    expires: datetime | None,
    who: str | None = None,
    now: datetime | None = None,
) -> DeviceException:
    """Let `device` off `check` until `expires` (UTC); a reason and an expiry are required."""
    if check not in CHECKS:
        raise WatchkeeperError(
            f"{check!r} is not a check Watchkeeper knows (known: {', '.join(CHECKS)})."
        )
    created = now or datetime.now(UTC)
    return stored.add_exception(
        store,
        device.device_id,
        device.name,
        check,
        reason,
        None if expires is None else naive(expires),
        who or _user(),
        naive(created),
    )


def remove_exception(store: Store, exception_id: int) -> bool:
    return stored.remove_exception(store, exception_id)


def exceptions(store: Store, device_id: str | None = None) -> list[DeviceException]:
    """Every exception, expired ones included (they say what was once allowed)."""
    return stored.device_exceptions(store, device_id)


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
