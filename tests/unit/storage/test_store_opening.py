"""Opening a store: a damaged, foreign or inconsistent file is refused with one sentence and
left exactly as it was; DuckDB never installs or loads code by itself."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from watchkeeper.core.errors import StoreError
from watchkeeper.storage import schema
from watchkeeper.storage.store import Store, connect

APP = Path(__file__).resolve().parents[3] / "app" / "watchkeeper"


def _good(path: Path) -> Path:
    Store(path).close()
    return path


def _altered(sql: str) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        _good(path)
        con = duckdb.connect(str(path))
        con.execute(sql)
        con.close()
        return path

    return make


def _cut(keep: Callable[[int], int]) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        data = _good(path).read_bytes()
        path.write_bytes(data[: keep(len(data))])
        return path

    return make


def _sqlite(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE accounts (name TEXT)")
    con.commit()
    con.close()
    return path


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


DAMAGED = {
    "truncated to half": (_cut(lambda size: size // 2), "damaged or cut short"),
    "truncated to its header": (_cut(lambda size: 5000), "damaged or cut short"),
    "empty": (_empty, "not a Watchkeeper store"),
    "a SQLite database": (_sqlite, "is a SQLite database, not a Watchkeeper store"),
    "schema version not a number": (
        _altered("UPDATE meta SET value = 'three' WHERE key = 'schema_version'"),
        "schema version is 'three', not a number",
    ),
    "no events view": (_altered("DROP VIEW events"), "lacks events (view)"),
    "a table missing for its version": (
        _altered("DROP TABLE device_exceptions"),
        f"schema version is {schema.SCHEMA_VERSION} but it lacks device_exceptions",
    ),
    "an older version with newer tables": (
        _altered("UPDATE meta SET value = '1' WHERE key = 'schema_version'"),
        "schema version is 1 but it already has",
    ),
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("read_only", [False, True], ids=["read-write", "read-only"])
@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_store_is_one_sentence_and_left_untouched(
    tmp_path: Path, case: str, read_only: bool
) -> None:
    make, expected = DAMAGED[case]
    path = make(tmp_path / "w.duckdb")
    before = _digest(path)
    files = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(StoreError) as raised:
        Store(path, read_only=read_only)
    message = raised.value.message
    assert expected in message and path.name in message
    assert "\n" not in message and "Traceback" not in message
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # no WAL, nothing beside it


def test_a_sqlite_file_makes_duckdb_fetch_nothing(tmp_path: Path) -> None:
    path = _sqlite(tmp_path / "other.db")
    with pytest.raises(duckdb.Error) as raised:
        connect(path)  # below the store's own check of the header
    assert "download" not in str(raised.value).lower()
    assert "http" not in str(raised.value).lower()


def test_a_store_never_installs_or_loads_extensions(tmp_path: Path) -> None:
    for read_only in (False, True):
        with Store(tmp_path / "w.duckdb", read_only=read_only) as store:
            rows = store.fetch_all(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('autoinstall_known_extensions', 'autoload_known_extensions')"
            )
            assert dict(rows) == {
                "autoinstall_known_extensions": "false",
                "autoload_known_extensions": "false",
            }


def test_every_connection_of_the_app_is_made_by_the_store() -> None:
    callers = sorted(
        str(p.relative_to(APP))
        for p in APP.rglob("*.py")
        if re.search(r"duckdb\.connect\(", p.read_text(encoding="utf-8"))
    )
    assert callers == ["storage/store.py"]


def test_an_older_store_opened_read_only_asks_for_write_access(tmp_path: Path) -> None:
    path = _good(tmp_path / "w.duckdb")
    con = duckdb.connect(str(path))
    for statement in schema._V6 + schema._V5 + schema._V4 + schema._V3:
        name = re.match(r"\s*CREATE TABLE (\w+)", statement)
        assert name
        con.execute(f"DROP TABLE {name.group(1)}")
    con.execute("ALTER TABLE hits DROP COLUMN detection")
    con.execute("ALTER TABLE detection_rules DROP COLUMN per_user")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    before = _digest(path)
    with pytest.raises(StoreError, match="needs upgrading"):
        Store(path, read_only=True)
    assert _digest(path) == before
    with Store(path) as store:  # with write access it is brought up to date
        assert store.fetch_one("SELECT value FROM meta WHERE key = 'schema_version'") == (
            str(schema.SCHEMA_VERSION),
        )


def test_a_folder_or_a_device_given_as_the_store_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(
        StoreError,
        match=r"is a folder; give the store's file, such as .*"
        r"watchkeeper\.duckdb",
    ):
        Store(tmp_path)
    if Path("/dev/null").exists():
        with pytest.raises(StoreError, match="is not a file Watchkeeper can keep a store in"):
            Store(Path("/dev/null"))
    (tmp_path / "notes").write_text("a file where a folder should be")
    with pytest.raises(
        StoreError,
        match=r"The folder for w\.duckdb cannot be created: .*notes "
        r"is a file",
    ):
        Store(tmp_path / "notes" / "w.duckdb")
