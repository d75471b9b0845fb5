"""Other engines read the Parquet archive as it is: DuckDB alone and ClickHouse (chDB) give the
store's counts and the store's answers, with no Watchkeeper code in between. The archive is
the roll-over's own, of every event the store held."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from watchkeeper.cli import run
from watchkeeper.storage import archive
from watchkeeper.storage.store import Store

SYSLOG = "".join(
    f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:00+00:00 {host} sshd[{1000 + n}]: "
    f"Failed password for user{n % 4} from 203.0.113.{n % 9} port {40000 + n} ssh2\n"
    for n, (day, hour, minute, host) in enumerate(
        (day, hour, minute, host)
        for day in (3, 4)
        for hour in (8, 23)
        for minute in (0, 59)
        for host in ("web01", "db01")
    )
)


def windows_event(record: int, event_id: int, day: int, user: str) -> str:
    return (
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
        "<Provider Name='Microsoft-Windows-Security-Auditing'/>"
        f"<EventID>{event_id}</EventID><Level>0</Level>"
        f"<TimeCreated SystemTime='2026-11-{day:02d}T10:00:{record:02d}.5Z'/>"
        f"<EventRecordID>{record}</EventRecordID><Channel>Security</Channel>"
        "<Computer>FS01.oakfield.local</Computer></System><EventData>"
        f"<Data Name='TargetUserName'>{user}</Data><Data Name='LogonType'>3</Data>"
        "<Data Name='IpAddress'>192.168.10.57</Data></EventData></Event>\n"
    )


WINDOWS = "".join(
    windows_event(n, 4625 if n % 3 else 4624, 3 + n % 2, f"user{n}") for n in range(12)
)
HOST, EVENT_ID = "FS01.oakfield.local", 4625
# long enough after the events for every day of them to be past 90 days in the store
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def cli(*args: str) -> int:
    return run(list(args), io.StringIO(), io.StringIO())


@pytest.fixture
def archived(tmp_path: Path) -> tuple[dict[str, Any], Path, Path]:
    """A store of syslog and Windows events over two days, rolled over into its archive,
    with what the store answered before the roll-over."""
    db = tmp_path / "w.duckdb"
    (tmp_path / "auth.log").write_text(SYSLOG)
    (tmp_path / "security.xml").write_text(WINDOWS)
    for name in ("auth.log", "security.xml"):
        assert cli("import", str(tmp_path / name), "--db", str(db), "--no-detect") == 0
    before = store_answers(db)
    with Store(db) as store:
        written = archive.run(store, hot_days=90, now=NOW)
        assert sum(f.events for f in written) == store.event_count() == before["total"]
        assert archive.due(store, 90, NOW) == []
    return before, db, archive.folder(db)


def store_answers(db: Path) -> dict[str, Any]:
    """Counts and answers as the store gives them, through Watchkeeper's own search."""
    out = io.StringIO()
    assert run(["stats", "--db", str(db), "--json"], out, io.StringIO()) == 0
    stats = json.loads(out.getvalue())
    out = io.StringIO()
    query = f"host:{HOST} event_id:{EVENT_ID}"
    assert run(["search", query, "--db", str(db), "--json", "--limit", "100"], out) == 0
    found = json.loads(out.getvalue())["events"]
    return {
        "total": stats["events"],
        "by_source": stats["by_source"],
        "matches": sorted((e["id"], e["username"], e["time"][:19]) for e in found),
    }


def test_the_store_answers_the_same_from_its_archive(
    archived: tuple[dict[str, Any], Path, Path],
) -> None:
    before, db, _folder = archived
    assert before["total"] == 28 and len(before["matches"]) == 8
    assert store_answers(db) == before


def test_duckdb_alone_reads_the_archive_as_the_store_answers(
    archived: tuple[dict[str, Any], Path, Path],
) -> None:
    expected, _db, folder = archived
    files = f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true, union_by_name = true)"
    with duckdb.connect() as con:
        total = con.execute(f"SELECT count(*) FROM {files}").fetchall()[0][0]
        by_source = dict(con.execute(f"SELECT source, count(*) FROM {files} GROUP BY 1").fetchall())
        matches = con.execute(
            f"SELECT id, username, strftime(\"time\", '%Y-%m-%dT%H:%M:%S') FROM {files} "
            "WHERE host = ? AND event_id = ? ORDER BY id",
            [HOST, EVENT_ID],
        ).fetchall()
    assert total == expected["total"]
    assert by_source == expected["by_source"]
    assert [tuple(row) for row in matches] == expected["matches"]


def test_clickhouse_reads_the_archive_as_the_store_answers(
    archived: tuple[dict[str, Any], Path, Path],
) -> None:
    chdb = pytest.importorskip("chdb")
    expected, _db, folder = archived
    files = f"file('{folder}/**/*.parquet', Parquet)"
    settings = "SETTINGS use_hive_partitioning = 1, schema_inference_mode = 'union'"

    def query(sql: str) -> list[list[Any]]:
        result = chdb.query(f"{sql} {settings}", "JSONCompact")
        return list(json.loads(str(result))["data"])

    assert query(f"SELECT count() FROM {files}") == [[expected["total"]]]
    by_source = dict(
        (source, int(count))
        for source, count in query(f"SELECT source, count() FROM {files} GROUP BY source")
    )
    assert by_source == expected["by_source"]
    matches = query(
        f"SELECT id, username, formatDateTime(time, '%Y-%m-%dT%H:%i:%S') FROM {files} "
        f"WHERE host = '{HOST}' AND event_id = {EVENT_ID} ORDER BY id"
    )
    assert [(int(i), user, when) for i, user, when in matches] == expected["matches"]
