"""A full disk under the store: the import says so in one sentence, the store still opens,
and once space is freed the same import stores every event exactly once."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.small_disk import SmallDisk, small_disk

from watchkeeper.cli import run
from watchkeeper.storage.store import Store

LINES = 120_000


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    yield from small_disk(tmp_path / "disk", size="32m")


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 11 MB of syslog that compresses little (a random token in each line)."""
    tokens = random.Random(7)
    path = tmp_path_factory.mktemp("input") / "app.log"
    path.write_text(
        "".join(
            f"<13>May  1 10:{n // 60 % 60:02d}:{n % 60:02d} web01 app[42]: "
            f"message {n:07d} token {tokens.getrandbits(128):032x}\n"
            for n in range(LINES)
        )
    )
    return path


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# room left on the disk: too little for the first batch, or for a later one
@pytest.mark.parametrize("room_mb", [1.5, 5, 6])
def test_an_import_on_a_full_disk_says_so_and_the_same_import_later_stores_everything_once(
    disk: SmallDisk, big_log: Path, room_mb: float
) -> None:
    db = disk.path / "store.duckdb"
    Store(db).close()
    disk.fill(leave=int(room_mb * 1e6))

    code, out, err = cli("import", "--db", str(db), "--no-detect", str(big_log))

    assert "Traceback" not in out + err
    assert code == 1, err  # nothing was imported, and the one file failed
    failed = [line for line in out.splitlines() if line.strip().startswith("failed:")]
    # nearly full, the disk guard pauses the import before DuckDB finds no room
    assert len(failed) == 1 and f"The disk holding {disk.path} is" in failed[0], out
    assert " full (" in failed[0] and "watchkeeper import: The disk holding" in err, out
    # the store opens and answers while the disk is still full, to the last byte
    disk.fill(leave=0)
    code, out, err = cli("stats", "--db", str(db))
    assert code == 0 and "Traceback" not in err, err

    disk.free()
    code, out, err = cli("import", "--db", str(db), "--no-detect", str(big_log))
    assert code == 0, err
    assert "1 file(s) imported" in out, out
    with Store(db) as store:
        assert store.fetch_one("SELECT count(*), count(DISTINCT message) FROM events") == (
            LINES,
            LINES,
        )
        assert store.fetch_all("SELECT status FROM imports WHERE status = 'running'") == []
    assert not [path.name for path in disk.path.iterdir() if path.name.startswith(".import-")]
