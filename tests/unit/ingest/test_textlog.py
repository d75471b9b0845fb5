"""Time-stamped text logs: access and error logs, logcat, CBS, and the loghub samples."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.parsed import as_event, as_events, as_rejected, events_or_rejected

from conftest import shared
from watchkeeper.core.event import Event, Rejected
from watchkeeper.ingest.base import ParseContext, Source
from watchkeeper.ingest.formats import sniff
from watchkeeper.ingest.importer import import_paths
from watchkeeper.ingest.textlog import TextLogParser
from watchkeeper.storage.store import Store


def _parse(path: Path) -> list[Event | Rejected]:
    source = Source(path.name, lambda: path.open("rb"), path.stat().st_size)
    return events_or_rejected(TextLogParser().parse(source, ParseContext.for_source(source)))


def test_access_log_gives_client_status_and_keeps_hostile_requests(fixtures: Path) -> None:
    events = _parse(fixtures / "text" / "access.log")
    assert all(isinstance(e, Event) for e in events)
    first, second, third = as_events(events)
    assert first.common["src_ip"] == "203.0.113.7"
    assert first.common["time"].isoformat() == "2026-11-03T08:43:12+01:00"
    assert first.fields["http.status"] == "404" and first.common["level"] == "warning"
    assert second.common["username"] == "alice"
    assert "<script>alert(1)</script>" in third.common["message"]
    assert third.common["level"] == "error"


def test_logcat_continuation_lines_are_quarantined_not_lost(fixtures: Path) -> None:
    items = _parse(fixtures / "text" / "logcat.txt")
    assert [type(i).__name__ for i in items] == ["Event", "Event", "Rejected", "Event"]
    assert as_event(items[1]).common["level"] == "warning"
    assert as_event(items[3]).common["process"] == "adbd"
    assert "after line 2" in as_rejected(items[2]).reason
    assert as_event(items[0]).common["time_inferred"] == "year,zone"


def test_cbs_log_levels(fixtures: Path) -> None:
    events = _parse(fixtures / "text" / "CBS.log")
    assert [as_event(e).common["level"] for e in events] == ["information", "error"]


def test_prose_is_not_taken_for_a_log() -> None:
    readme = b"# Project\n\nThis folder holds results.\nSee the licence.\n" * 20
    assert sniff(readme)[0] is None


@pytest.mark.shared
@pytest.mark.parametrize(
    "name", ["Android", "Apache", "Linux", "Mac", "OpenSSH", "Proxifier", "Windows"]
)
def test_every_loghub_line_is_an_event_or_quarantined(store: Store, name: str) -> None:
    log = shared("loghub", name, f"{name}_2k.log")
    summary = import_paths(store, [log])
    result = summary.files[0]
    assert result.status == "imported", result.message
    assert result.events + result.quarantined == 2000
    assert result.events >= 1900


@pytest.mark.shared
def test_loghub_sshd_lines_give_users_and_addresses(store: Store) -> None:
    import_paths(
        store,
        [shared("loghub", "OpenSSH", "OpenSSH_2k.log"), shared("loghub", "Linux", "Linux_2k.log")],
    )
    rows = dict(
        store.fetch_all(
            "SELECT host, count(*) FILTER (WHERE username IS NOT NULL AND src_ip IS NOT NULL) "
            "FROM events WHERE process LIKE 'sshd%' GROUP BY 1"
        )
    )
    assert rows["LabSZ"] > 600  # OpenSSH: every failed password and invalid user line
    assert rows["combo"] > 100  # Linux: the pam_unix authentication failures


@pytest.mark.shared
def test_loghub_logcat_rows_carry_their_own_message(store: Store) -> None:
    import csv

    folder = shared("loghub", "Android")
    import_paths(store, [folder / "Android_2k.log"])
    with (folder / "Android_2k.log_structured.csv").open(encoding="utf-8", newline="") as stream:
        expected = [
            (row["Component"].strip(), row["Content"].strip()) for row in csv.DictReader(stream)
        ]
    rows = store.fetch_all("SELECT process, trim(message) FROM events ORDER BY record_no")
    assert len(rows) == len(expected) == 2000
    assert sum(1 for got, want in zip(rows, expected, strict=True) if got == want) >= 1990
    assert not store.fetch_all(
        "SELECT message FROM events WHERE message IN ('{}', '[]') OR message IS NULL"
    )
