"""The import ledger: every file imported, its hash and counts, so a file is imported once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watchkeeper.storage.store import Store


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    path: str
    size: int | None
    sha256: str | None
    format: str | None
    status: str
    started: datetime | None
    finished: datetime | None
    records: int
    events: int
    duplicates: int
    quarantined: int
    message: str | None


_COLUMNS = (
    "id, path, size, sha256, format, status, started, finished, records, events, "
    "duplicates, quarantined, message"
)


def imported_hashes(store: Store) -> dict[str, str]:
    """SHA-256 -> path and event count of every file imported, to skip them again."""
    rows = store.fetch_all(
        "SELECT sha256, path, events FROM imports WHERE status = 'done' AND sha256 IS NOT NULL"
    )
    return {sha: f"{path}, {events:,} events" for sha, path, events in rows}


def last_id(store: Store) -> int:
    row = store.fetch_one("SELECT coalesce(max(id), 0) FROM imports")
    return int(row[0]) if row else 0


def entries_by_id(store: Store, ids: list[int]) -> list[LedgerEntry]:
    if not ids:
        return []
    rows = store.fetch_all(f"SELECT {_COLUMNS} FROM imports WHERE list_contains(?, id)", [ids])
    return [LedgerEntry(*row) for row in rows]


def entries(store: Store, limit: int = 1000) -> list[LedgerEntry]:
    """The latest imports first."""
    rows = store.fetch_all(f"SELECT {_COLUMNS} FROM imports ORDER BY id DESC LIMIT ?", [limit])
    return [LedgerEntry(*row) for row in rows]
