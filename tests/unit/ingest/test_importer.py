"""Importing files, folders and archives: the ledger, bad input, and nothing lost."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

from watchkeeper.core.progress import Progress
from watchkeeper.ingest.importer import import_paths
from watchkeeper.ingest.summary import FileResult, ImportSummary
from watchkeeper.storage.store import Store

SYSLOG = (
    "Nov  3 08:43:12 web01 sshd[1234]: Failed password for invalid user admin from 203.0.113.7 port 51515 ssh2\n"
    "Nov  3 08:43:15 web01 sshd[1234]: Accepted password for deploy from 203.0.113.7 port 51516 ssh2\n"
    "Nov  3 08:44:01 web01 sudo: deploy : TTY=pts/1 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash\n"
)


def _lines(count: int, host: str = "web01") -> str:
    return "".join(
        f"Nov  3 08:{(i // 60) % 60:02d}:{i % 60:02d} {host} app[1]: line {i}\n"
        for i in range(count)
    )


def _by_name(summary: ImportSummary, name: str) -> FileResult:
    return next(f for f in summary.files if f.name.endswith(name))


def test_a_file_imports_and_a_second_import_adds_nothing(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(SYSLOG)
    first = import_paths(store, [log])
    assert (first.count("imported"), first.events) == (1, 3)
    again = import_paths(store, [log])
    assert again.count("skipped") == 1 and again.events == 0
    assert "already imported" in again.files[0].message
    assert store.event_count() == 3


def test_the_same_content_under_another_name_is_skipped(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "auth.log").write_text(SYSLOG)
    (tmp_path / "b" / "auth.log.1").write_text(SYSLOG)
    summary = import_paths(store, [tmp_path / "a", tmp_path / "b"])
    assert summary.count("imported") == 1 and summary.count("skipped") == 1
    assert store.event_count() == 3


def test_folders_are_walked_and_every_file_is_accounted_for(store: Store, tmp_path: Path) -> None:
    (tmp_path / "logs" / "deep").mkdir(parents=True)
    (tmp_path / "logs" / "one.log").write_text(_lines(10))
    (tmp_path / "logs" / "deep" / "two.log").write_text(_lines(5, "files01"))
    (tmp_path / "logs" / "empty.log").write_bytes(b"")
    (tmp_path / "logs" / "binary.log").write_bytes(bytes(range(256)) * 40)
    summary = import_paths(store, [tmp_path / "logs"])
    assert summary.events == 15
    assert len(summary.files) == 4
    assert "empty" in _by_name(summary, "empty.log").message
    assert "binary" in _by_name(summary, "binary.log").message


def test_zip_and_gzip_archives_are_imported(store: Store, tmp_path: Path) -> None:
    archive = tmp_path / "logs.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("var/log/auth.log", SYSLOG)
        z.writestr("var/log/syslog.gz", gzip.compress(_lines(7).encode()))
    summary = import_paths(store, [archive])
    assert summary.events == 10
    names = sorted(f.name for f in summary.files)
    assert names[0].endswith("logs.zip!var/log/auth.log")
    assert names[1].endswith("logs.zip!var/log/syslog.gz!syslog")
    origins = store.cursor().execute("SELECT DISTINCT path FROM imports ORDER BY 1").fetchall()
    assert [o[0].split("!", 1)[1] for o in origins] == [
        "var/log/auth.log",
        "var/log/syslog.gz!syslog",
    ]


def test_a_compression_bomb_is_refused_with_a_message(store: Store, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as out:
        block = b"\x00" * (1 << 20)
        for _ in range(300):  # 300 MiB of zeros, about 300 KB compressed: a thousandfold
            out.write(block)
    summary = import_paths(store, [bomb])
    assert summary.count("failed") == 1
    assert "compression bomb" in summary.files[0].message
    assert store.event_count() == 0
    assert not list(store.path.parent.glob(".archive-*"))  # nothing left on disk


def test_a_damaged_archive_keeps_what_can_be_read(store: Store, tmp_path: Path) -> None:
    data = gzip.compress(_lines(2000).encode())
    broken = tmp_path / "syslog.1.gz"
    broken.write_bytes(data[: len(data) // 2])
    summary = import_paths(store, [broken])
    result = summary.files[0]
    assert result.status == "imported"
    assert 0 < result.events < 2000
    assert "truncated" in result.message


def test_a_ten_megabyte_line_is_quarantined_and_the_rest_imported(
    store: Store, tmp_path: Path
) -> None:
    log = tmp_path / "huge.log"
    with log.open("w") as out:
        out.write(_lines(3))
        out.write("Nov  3 09:00:00 web01 app[1]: " + "A" * (10 << 20) + "\n")
        out.write(_lines(2, "web02"))
    summary = import_paths(store, [log])
    assert (summary.events, summary.quarantined) == (5, 1)
    [(reason, size)] = store.fetch_all("SELECT reason, octet_length(raw) FROM quarantine")
    assert "over the" in reason and size > 0


def test_invalid_utf8_is_imported_and_the_encoding_recorded(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "latin1.log"
    log.write_bytes("Nov  3 08:43:12 web01 app[1]: user café logged in\n".encode("latin-1"))
    summary = import_paths(store, [log])
    assert summary.events == 1
    message = store.cursor().execute("SELECT message FROM events").fetchone()
    assert message is not None and "café" in message[0]


def test_utf16_files_are_converted(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "export.log"
    log.write_bytes(SYSLOG.encode("utf-16"))
    summary = import_paths(store, [log])
    assert summary.events == 3
    message = summary.files[0].message
    assert message.endswith("export.log: converted from UTF-16")
    assert message.count("UTF-16") == 1  # said once


def test_a_missing_file_is_reported_and_the_others_imported(store: Store, tmp_path: Path) -> None:
    good = tmp_path / "good.log"
    good.write_text(SYSLOG)
    summary = import_paths(store, [tmp_path / "gone.log", good])
    assert summary.events == 3
    assert "not found" in _by_name(summary, "gone.log").message


def test_cancel_keeps_finished_files_and_rolls_back_the_current_one(
    store: Store, tmp_path: Path
) -> None:
    (tmp_path / "a.log").write_text(_lines(100))
    (tmp_path / "b.log").write_text(_lines(60_000, "web02"))
    progress = Progress()

    def cancel_in_b(state: object) -> None:
        if getattr(state, "item", "") == "b.log" and getattr(state, "records", 0) > 20_000:
            progress.cancel()

    progress._on_update = cancel_in_b
    progress._min_interval = 0
    summary = import_paths(store, [tmp_path / "a.log", tmp_path / "b.log"], progress)
    assert summary.cancelled
    assert _by_name(summary, "b.log").status == "cancelled"
    assert store.event_count() == 100
    again = import_paths(store, [tmp_path / "a.log", tmp_path / "b.log"])
    assert again.count("skipped") == 1 and again.events == 60_000
    assert store.event_count() == 60_100


def test_events_know_their_file_and_line(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(SYSLOG)
    import_paths(store, [log])
    rows = (
        store.cursor()
        .execute(
            "SELECT i.path, e.record_no FROM events e JOIN imports i ON i.id = e.import_id "
            "ORDER BY e.record_no"
        )
        .fetchall()
    )
    assert rows == [(str(log), 1), (str(log), 2), (str(log), 3)]


def test_progress_reports_files_and_records(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(_lines(50))
    seen: list[tuple[int, int]] = []
    progress = Progress(lambda s: seen.append((s.done, s.records)), max_rate=1e9)
    import_paths(store, [tmp_path / "a.log"], progress)
    assert seen[-1] == (1, 50)
