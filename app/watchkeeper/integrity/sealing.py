"""Sealing each UTC day of writing once it is over: its Merkle root, chained and signed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from watchkeeper.integrity.merkle import chain_value, tree_root
from watchkeeper.integrity.signing import SigningKey, load_key, sign
from watchkeeper.storage import seals
from watchkeeper.storage.store import Store


def utc(now: datetime) -> datetime:
    """`now` as the store keeps times: UTC without a zone."""
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def batch_leaf(import_id: int, sha256: str) -> bytes:
    return f"batch {import_id} {sha256}".encode()


def day_leaves(batches: Iterable[tuple[int, str]]) -> list[bytes]:
    """A day's leaves: the batches written that day, by id, each with its content hash."""
    return [batch_leaf(import_id, sha) for import_id, sha in sorted(batches)]


def by_day(batch_seals: Iterable[seals.BatchSeal]) -> dict[date, list[seals.BatchSeal]]:
    days: dict[date, list[seals.BatchSeal]] = {}
    for batch in batch_seals:
        days.setdefault(batch.hashed.date(), []).append(batch)
    return days


def seal_due(store: Store, now: datetime, key: SigningKey | None = None) -> list[seals.DaySeal]:
    """Hash the batches that are done, then seal every day before today not sealed yet.

    Every day from the first batch's to yesterday gets a seal, days without batches too, so
    a missing seal is a gap. Without a keyring the days are sealed unsigned. Returns the new
    seals.
    """
    now = utc(now)
    seals.record_batches(store, now)
    batches = by_day(seals.batch_seals(store))
    if not batches:
        return []
    sealed = seals.day_seals(store)
    start = sealed[-1].day + timedelta(days=1) if sealed else min(batches)
    yesterday = now.date() - timedelta(days=1)
    if start > yesterday:
        return []
    key = key or load_key(create=True)
    previous = bytes.fromhex(sealed[-1].chain) if sealed else None
    made = []
    for day in days_between(start, yesterday):
        leaves = day_leaves((b.import_id, b.sha256) for b in batches.get(day, []))
        root = tree_root(leaves)
        chain = chain_value(previous, root)
        previous = chain
        seal = seals.DaySeal(
            day=day,
            sealed=now,
            leaves=len(leaves),
            root=root.hex(),
            chain=chain.hex(),
            signature=None if key.private is None else sign(key.private, day, chain.hex()),
            public_key=key.public_text,
        )
        seals.add_day_seal(store, seal)
        made.append(seal)
    return made
