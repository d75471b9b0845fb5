"""Content hashes, the Merkle tree and the schema that keeps them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from watchkeeper.ingest.importer import import_paths
from watchkeeper.integrity.merkle import chain_value, leaf_hash, node_hash, tree_root
from watchkeeper.storage import schema, seals
from watchkeeper.storage.store import Store

LINES = "".join(
    f"Nov  3 08:43:{n:02d} web01 sshd[{n}]: Accepted password for deploy from 10.0.0.{n} port 22 ssh2\n"
    for n in range(4)
)


def test_tree_hashing_follows_rfc_9162() -> None:
    a, b, c = b"a", b"b", b"c"
    assert tree_root([]) == hashlib.sha256(b"").digest()
    assert tree_root([a]) == hashlib.sha256(b"\x00a").digest()
    assert tree_root([a, b]) == hashlib.sha256(b"\x01" + leaf_hash(a) + leaf_hash(b)).digest()
    # three leaves split at two: ((a, b), c)
    assert tree_root([a, b, c]) == node_hash(node_hash(leaf_hash(a), leaf_hash(b)), leaf_hash(c))
    five = [bytes([n]) for n in range(5)]
    left = node_hash(
        node_hash(leaf_hash(five[0]), leaf_hash(five[1])),
        node_hash(leaf_hash(five[2]), leaf_hash(five[3])),
    )
    assert tree_root(five) == node_hash(left, leaf_hash(five[4]))
    root = tree_root([a])
    assert chain_value(None, root) == hashlib.sha256(root).digest()
    assert chain_value(b"p", root) == hashlib.sha256(b"p" + root).digest()


def test_a_part_hash_ignores_columns_added_later(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(LINES)
    import_paths(store, [log])
    before = seals.hash_parts(store, [1])
    assert [(p.events, p.first_id, p.last_id) for p in before] == [(4, 1, 4)]
    assert before == seals.recorded_parts(store)  # hashed when the import was done
    con = store.cursor()
    con.execute('ALTER TABLE events_unix ADD COLUMN "<b>new</b>\'; --" VARCHAR')
    con.execute("ALTER TABLE events_windows ADD COLUMN later VARCHAR")
    con.close()
    assert seals.hash_parts(store, [1]) == before
    assert seals.current_parts(store) == before


def test_a_failed_import_is_hashed_as_empty(store: Store, tmp_path: Path) -> None:
    picture = tmp_path / "picture.log"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    import_paths(store, [picture])
    rows = store.fetch_all("SELECT import_id, events, sha256 FROM batch_seals")
    assert rows in ([], [(1, 0, hashlib.sha256(b"").hexdigest())])


def test_a_store_of_version_5_is_migrated_and_seals_its_batches(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    log = tmp_path / "auth.log"
    log.write_text(LINES)
    with Store(path) as store:
        import_paths(store, [log])
    con = duckdb.connect(str(path))
    for statement in schema._V6:
        con.execute(f"DROP TABLE {statement.split()[2]}")
    con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    con.close()
    with Store(path) as store:
        assert store.fetch_one("SELECT value FROM meta WHERE key = 'schema_version'") == ("6",)
        assert seals.unhashed_batches(store) == [1]
