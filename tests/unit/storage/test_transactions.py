"""Store.transaction(): all of a change is stored, or none of it."""

from __future__ import annotations

import threading

import duckdb
import pytest

from watchkeeper.core.errors import StoreError
from watchkeeper.storage.store import Store


def _meta(store: Store, key: str) -> str | None:
    row = store.fetch_one("SELECT value FROM meta WHERE key = ?", [key])
    return None if row is None else str(row[0])


def _lock_is_free(store: Store) -> bool:
    """True when another thread can take the write lock at once."""
    taken: list[bool] = []

    def take() -> None:
        got = store.write_lock.acquire(blocking=False)
        taken.append(got)
        if got:
            store.write_lock.release()

    thread = threading.Thread(target=take)
    thread.start()
    thread.join(timeout=10)
    return taken == [True]


def test_a_block_that_ends_is_committed(store: Store) -> None:
    with store.transaction() as con:
        con.execute("INSERT INTO meta VALUES ('colour', 'blue')")
        con.execute("INSERT INTO meta VALUES ('shape', 'round')")
    assert (_meta(store, "colour"), _meta(store, "shape")) == ("blue", "round")
    assert _lock_is_free(store)


def test_the_write_lock_is_held_inside_the_block(store: Store) -> None:
    with store.transaction():
        assert not _lock_is_free(store)
    assert _lock_is_free(store)


def test_an_exception_rolls_back_everything_and_is_raised_as_it_was(store: Store) -> None:
    with pytest.raises(KeyError, match="halfway"), store.transaction() as con:
        con.execute("INSERT INTO meta VALUES ('colour', 'blue')")
        raise KeyError("halfway")
    assert _meta(store, "colour") is None
    assert _lock_is_free(store)


def test_a_failed_commit_rolls_back_and_its_own_error_is_raised(store: Store) -> None:
    # another writer commits the same key first: DuckDB refuses this COMMIT
    with pytest.raises(duckdb.Error, match="Failed to commit"), store.transaction() as con:
        con.execute("INSERT INTO meta VALUES ('colour', 'blue')")
        con.execute("INSERT INTO meta VALUES ('shape', 'round')")
        with store.cursor() as other:
            other.execute("INSERT INTO meta VALUES ('colour', 'red')")
    assert (_meta(store, "colour"), _meta(store, "shape")) == ("red", None)
    assert _lock_is_free(store)
    with store.transaction() as con:  # the store is usable again
        con.execute("INSERT INTO meta VALUES ('shape', 'square')")
    assert _meta(store, "shape") == "square"


def test_a_transaction_inside_another_is_refused_and_nothing_is_stored(store: Store) -> None:
    with pytest.raises(StoreError, match="inside another one"), store.transaction() as outer:
        outer.execute("INSERT INTO meta VALUES ('colour', 'blue')")
        with store.transaction() as inner:
            inner.execute("INSERT INTO meta VALUES ('shape', 'round')")
    assert (_meta(store, "colour"), _meta(store, "shape")) == (None, None)
    assert _lock_is_free(store)
