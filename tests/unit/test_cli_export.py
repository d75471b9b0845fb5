"""`watchkeeper export`: NDJSON files for `_bulk`, their counts and sizes, and its mistakes."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.cli import run
from watchkeeper.core.errors import Cancelled
from watchkeeper.core.progress import Progress, ProgressState
from watchkeeper.export.ndjson import export_ecs
from watchkeeper.storage import archive, event_stream
from watchkeeper.storage.eventset import EventQuery
from watchkeeper.storage.store import Store

HOSTS = ("web01", "web02", "db01")


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


def auth_log(lines: int) -> str:
    """`lines` sshd failures a minute apart over three hosts, from 3 November 2026 08:00 UTC
    (with the year and zone written, so nothing depends on the day the test runs)."""
    return "".join(
        f"2026-11-03T{8 + n // 60:02d}:{n % 60:02d}:00+00:00 {HOSTS[n % 3]} sshd[{1000 + n}]: "
        f"Failed password for user{n} from 203.0.113.{n % 250} port {40000 + n} ssh2\n"
        for n in range(lines)
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "w.duckdb")
    (tmp_path / "auth.log").write_text(auth_log(120))
    assert cli("import", str(tmp_path / "auth.log"), "--db", path, "--no-detect")[0] == 0
    return path


def read_export(folder: Path) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(action, document) pairs of every file in the folder, in file order."""
    pairs = []
    for path in sorted(folder.iterdir()):
        lines = path.read_bytes().decode("utf-8").splitlines()
        assert len(lines) % 2 == 0, path.name  # no event split from its action
        pairs += [
            (json.loads(a), json.loads(d)) for a, d in zip(lines[::2], lines[1::2], strict=True)
        ]
    return pairs


def test_the_events_a_filter_finds_are_exported_once_each(db: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, out, _ = cli(
        "export", "host:web01", "--since", "2026-01-01", "--out", str(out_dir), "--db", db
    )
    assert code == 0
    _c, found, _e = cli("search", "host:web01", "--since", "2026-01-01", "--db", db, "--json")
    total = json.loads(found)["total"]
    assert total == 40
    assert f"{total} event(s) since 2026-01-01 00:00 UTC written to 1 file(s)" in out
    assert "curl -H 'Content-Type: application/x-ndjson' --data-binary @events-0001" in out
    pairs = read_export(out_dir)
    assert len(pairs) == total
    ids = [doc["event"]["id"] for _a, doc in pairs]
    assert ids == sorted(set(ids), key=int)
    assert all(
        a == {"index": {"_index": "watchkeeper-events", "_id": d["event"]["id"]}} for a, d in pairs
    )
    assert {d["host"]["name"] for _a, d in pairs} == {"web01"}


def test_until_and_json_report_what_was_written(db: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, out, _ = cli(
        "export", "--since", "2026-11-03T08:00", "--until", "2026-11-03T08:30",
        "--index", "oakfield-logs", "--out", str(out_dir), "--db", db, "--json",
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)
    assert report["events"] == 30 and report["index"] == "oakfield-logs"
    assert report["files"] == [str(out_dir / "events-0001.ndjson")]
    assert report["bytes"] == (out_dir / "events-0001.ndjson").stat().st_size
    pairs = read_export(out_dir)
    assert {a["index"]["_index"] for a, _d in pairs} == {"oakfield-logs"}


def test_files_stay_under_the_size_limit_and_hold_every_event(db: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    with Store(db) as store:
        summary = export_ecs(store, EventQuery(), out_dir, max_bytes=20_000)
    sizes = [path.stat().st_size for path in summary.files]
    assert len(summary.files) == len(list(out_dir.iterdir())) > 3
    assert all(size <= 20_000 for size in sizes)
    assert sum(sizes) == summary.bytes
    # each file is as full as it can be: the next file's first event would not have fitted
    for path, size in zip(summary.files[1:], sizes, strict=False):
        first_pair = b"\n".join(path.read_bytes().split(b"\n")[:2]) + b"\n"
        assert size + len(first_pair) > 20_000
    pairs = read_export(out_dir)
    assert len(pairs) == summary.events == 120
    assert [int(d["event"]["id"]) for _a, d in pairs] == list(range(1, 121))
    assert [p.name for p in summary.files][:2] == ["events-0001.ndjson", "events-0002.ndjson"]


def test_an_empty_range_writes_nothing_and_says_so(db: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, out, err = cli(
        "export", "--since", "2001-01-01", "--until", "2001-02-01", "--out", str(out_dir),
        "--db", db,
    )  # fmt: skip
    assert code == 0 and err == ""
    assert (
        out == "No events match from 2001-01-01 00:00 to 2001-02-01 00:00 UTC; no files written.\n"
    )
    assert not out_dir.exists()


def test_cancel_keeps_the_whole_files_and_removes_the_one_being_written(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_stream, "ID_STEP", 10)  # a check for Cancel every 10 events
    out_dir = tmp_path / "out"

    def cancel_late(state: ProgressState) -> None:
        if state.records >= 50:
            progress.cancel()

    progress = Progress(cancel_late, max_rate=1e9)
    with Store(db) as store, pytest.raises(Cancelled) as stopped:
        export_ecs(store, EventQuery(), out_dir, progress, max_bytes=20_000)
    names = sorted(p.name for p in out_dir.iterdir())
    assert names and all(name.endswith(".ndjson") for name in names)
    kept = len(read_export(out_dir))
    assert 0 < kept < 120
    assert f"{len(names)} whole file(s) with {kept} event(s) are kept" in stopped.value.message


def test_bad_arguments_are_one_line_and_exit_2(db: str, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    for args in (
        ("--out", out),  # no --since
        ("--since", "2026-01-01"),  # no --out
        ("--since", "last tuesday", "--out", out),
        ("--since", "2026-01-01", "--format", "csv", "--out", out),
        ("--since", "2026-01-01", "--until", "2025-01-01", "--out", out),
        ("--since", "2026-01-01", "--index", "Upper Case", "--out", out),
        ("--since", "2026-01-01", "--max-file-mb", "0", "--out", out),
        ("--since", "2026-01-01", "--max-file-mb", "500", "--out", out),
    ):
        code, _out, err = cli("export", *args, "--db", db)
        assert code == 2, args
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert not Path(out).exists()


def test_a_folder_it_cannot_use_is_refused_before_anything_is_read(db: str, tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    code, _out, err = cli("export", "--since", "2026-01-01", "--out", str(a_file), "--db", db)
    assert code == 1 and "is a file; give a folder" in err
    earlier = tmp_path / "earlier"
    assert cli("export", "--since", "2026-01-01", "--out", str(earlier), "--db", db)[0] == 0
    code, _out, err = cli("export", "--since", "2026-01-01", "--out", str(earlier), "--db", db)
    assert code == 1 and "already holds an export (events-0001.ndjson)" in err
    code, _out, err = cli(
        "export", "host:(web01", "--since", "2026-01-01", "--out", str(tmp_path / "x"), "--db", db
    )
    assert code == 1 and "Filter not understood" in err


def test_archived_events_export_as_they_did_from_the_store(db: str, tmp_path: Path) -> None:
    args = ("export", "--since", "2026-01-01", "--db", db, "--max-file-mb", "1")
    assert cli(*args, "--out", str(tmp_path / "hot"))[0] == 0
    with Store(db) as store:
        assert archive.run(store, hot_days=90, now=datetime(2027, 3, 1, tzinfo=UTC))
        assert store.fetch_one("SELECT count(*) FROM events_unix") == (0,)
    code, out, _ = cli(*args, "--out", str(tmp_path / "archived"))
    assert code == 0 and "120 event(s)" in out
    hot = sorted((tmp_path / "hot").iterdir())
    archived = sorted((tmp_path / "archived").iterdir())
    assert [p.name for p in archived] == [p.name for p in hot]
    assert [p.read_bytes() for p in archived] == [p.read_bytes() for p in hot]
