"""Tamper evidence: batch hashes in a daily Merkle tree, chained from day to day and signed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from watchkeeper.storage.store import Store


def summary(store: Store, now: datetime) -> dict[str, Any]:
    """The seals at a glance, for `watchkeeper status` (see integrity/status.py)."""
    from watchkeeper.integrity.status import summary as seal_summary

    return seal_summary(store, now)
