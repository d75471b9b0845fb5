"""Sealing each UTC day of writing once it is over: its Merkle root, chained and signed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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


def archive_leaf(record: seals.ArchiveRecord) -> bytes:
    return (
        f"archive {record.id} {record.path} {record.source} {record.day.isoformat()} "
        f"{record.events} {record.first_id} {record.last_id} {record.sha256} "
        f"{record.content_sha256}"
    ).encode()


def deletion_leaf(record: seals.DeletionRecord) -> bytes:
    return (
        f"deletion {record.id} {record.path} {record.source} {record.day.isoformat()} "
        f"{record.events} {record.sha256} {record.content_sha256}"
    ).encode()


@dataclass
class Written:
    """What was written on one UTC day: batches (id, hash), archive files, deletions."""

    batches: list[tuple[int, str]] = field(default_factory=list)
    archived: list[seals.ArchiveRecord] = field(default_factory=list)
    deleted: list[seals.DeletionRecord] = field(default_factory=list)

    def leaves(self) -> list[bytes]:
        """The day's leaves in order: batches, archive files, deletion records, each by id."""
        return (
            [batch_leaf(import_id, sha) for import_id, sha in sorted(self.batches)]
            + [archive_leaf(r) for r in sorted(self.archived, key=lambda r: r.id)]
            + [deletion_leaf(r) for r in sorted(self.deleted, key=lambda r: r.id)]
        )


def by_day(batch_seals: Iterable[seals.BatchSeal]) -> dict[date, list[seals.BatchSeal]]:
    days: dict[date, list[seals.BatchSeal]] = {}
    for batch in batch_seals:
        days.setdefault(batch.hashed.date(), []).append(batch)
    return days


def written_by_day(
    batches: Iterable[tuple[datetime, int, str]],
    archived: Iterable[seals.ArchiveRecord],
    deleted: Iterable[seals.DeletionRecord],
) -> dict[date, Written]:
    """Batches (when hashed, id, hash), archive files and deletions by the day written."""
    days: dict[date, Written] = {}
    for hashed, import_id, sha in batches:
        days.setdefault(hashed.date(), Written()).batches.append((import_id, sha))
    for record in archived:
        days.setdefault(record.written.date(), Written()).archived.append(record)
    for deletion in deleted:
        days.setdefault(deletion.deleted.date(), Written()).deleted.append(deletion)
    return days


def seal_due(store: Store, now: datetime, key: SigningKey | None = None) -> list[seals.DaySeal]:
    """Hash the batches that are done, then seal every day before today not sealed yet.

    Every day from the first batch's to yesterday gets a seal, days without batches too, so
    a missing seal is a gap. Without a keyring the days are sealed unsigned. Returns the new
    seals.
    """
    now = utc(now)
    seals.record_batches(store, now)
    written = written_by_day(
        ((b.hashed, b.import_id, b.sha256) for b in seals.batch_seals(store)),
        seals.archive_records(store),
        seals.deletion_records(store),
    )
    if not written:
        return []
    sealed = seals.day_seals(store)
    start = sealed[-1].day + timedelta(days=1) if sealed else min(written)
    yesterday = now.date() - timedelta(days=1)
    if start > yesterday:
        return []
    key = key or load_key(create=True)
    previous = bytes.fromhex(sealed[-1].chain) if sealed else None
    made = []
    for day in days_between(start, yesterday):
        leaves = written.get(day, Written()).leaves()
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
