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


_COLUMNS = ("id, path, size, sha256, format, status, started, finished, records, events, "
            "duplicates, quarantined, message")


def find_imported(store: Store, sha256: str) -> LedgerEntry | None:
    """The finished import of a file with this content, if there is one."""
    row = store.cursor().execute(
        f"SELECT {_COLUMNS} FROM imports WHERE sha256 = ? AND status = 'done' "
        "ORDER BY id LIMIT 1", [sha256]).fetchone()
    return LedgerEntry(*row) if row else None


def imported_hashes(store: Store) -> dict[str, str]:
    """SHA-256 -> path and event count of every file imported, to skip them again."""
    rows = store.cursor().execute(
        "SELECT sha256, path, events FROM imports WHERE status = 'done' AND sha256 IS NOT NULL"
    ).fetchall()
    return {sha: f"{path}, {events:,} events" for sha, path, events in rows}


def last_id(store: Store) -> int:
    row = store.cursor().execute("SELECT coalesce(max(id), 0) FROM imports").fetchone()
    return int(row[0]) if row else 0


def entries_by_id(store: Store, ids: list[int]) -> list[LedgerEntry]:
    if not ids:
        return []
    rows = store.cursor().execute(
        f"SELECT {_COLUMNS} FROM imports WHERE list_contains(?, id)", [ids]).fetchall()
    return [LedgerEntry(*row) for row in rows]


def begin(store: Store, path: str, size: int | None, sha256: str | None, fmt: str | None,
          status: str = "running", message: str | None = None) -> int:
    with store.write_lock:
        con = store.cursor()
        row = con.execute(
            "INSERT INTO imports (id, path, size, sha256, format, status, started, message) "
            "SELECT coalesce(max(id), 0) + 1, ?, ?, ?, ?, ?, now(), ? FROM imports RETURNING id",
            [path, size, sha256, fmt, status, message]).fetchone()
        assert row is not None
        return int(row[0])


def finish(store: Store, import_id: int, status: str, message: str | None = None) -> None:
    with store.write_lock:
        store.cursor().execute(
            "UPDATE imports SET status = ?, message = ?, finished = now() WHERE id = ?",
            [status, message, import_id])


def entry(store: Store, import_id: int) -> LedgerEntry:
    row = store.cursor().execute(
        f"SELECT {_COLUMNS} FROM imports WHERE id = ?", [import_id]).fetchone()
    if row is None:
        raise KeyError(import_id)
    return LedgerEntry(*row)


def entries(store: Store, limit: int = 1000) -> list[LedgerEntry]:
    rows = store.cursor().execute(
        f"SELECT {_COLUMNS} FROM imports ORDER BY id DESC LIMIT ?", [limit]).fetchall()
    return [LedgerEntry(*row) for row in rows]
