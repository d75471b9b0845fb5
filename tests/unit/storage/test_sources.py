"""Sources: forwarded messages through a real spool and store, and what the Sources view shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from watchkeeper.collect.loader import load_spool
from watchkeeper.collect.spool import Received, Spool
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.sources import (
    DEFAULT_EXPECTED,
    FLOOR_SECONDS,
    SourceRow,
    silent_sources,
    source_rows,
)
from watchkeeper.storage.store import Store

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def syslog(
    peer: str,
    received: datetime,
    host: str = "fw01",
    app: str = "sshd",
    transport: str = "tcp",
    clock: float = 0.0,
    text: str = "hello",
) -> Received:
    """An RFC 5424 message whose sender's clock is `clock` seconds ahead of ours."""
    stamp = (received + timedelta(seconds=clock)).isoformat()
    line = f"<38>1 {stamp} {host} {app} 100 - - {text}"
    return Received(peer, transport, "syslog", line.encode(), received=received)


def json_message(
    peer: str, received: datetime, document: dict[str, object], transport: str = "http"
) -> Received:
    return Received(peer, transport, "json", json.dumps(document).encode(), received=received)


def deliver(store: Store, folder: Path, messages: list[Received]) -> None:
    """Through the collector's path: spooled, sealed, then loaded by the store's owner."""
    spool = Spool(folder, segment_seconds=0)
    spool.append(messages)
    spool.tick()
    spool.close()
    summary = load_spool(store, folder)
    assert summary.events == len(messages), summary


def every(seconds: float, count: int, last: datetime) -> list[datetime]:
    """`count` receive times `seconds` apart, the last at `last`."""
    return [last - timedelta(seconds=seconds * n) for n in reversed(range(count))]


def by_key(rows: list[SourceRow]) -> dict[str, SourceRow]:
    return {row.key: row for row in rows}


def test_a_store_without_forwarded_events_has_no_sources(store: Store, tmp_path: Path) -> None:
    assert source_rows(store, NOW) == []
    log = tmp_path / "auth.log"
    log.write_text(
        "Jun  1 11:59:00 web01 sshd[7]: Accepted password for bob from 10.0.0.1 port 22 ssh2\n"
    )
    import_paths(store, [log])
    assert store.event_count() == 1
    assert "sender" not in store.columns  # the column arrives with the first forwarded event
    assert source_rows(store, NOW, {"x|y": 60}) == []
    assert silent_sources([]) == []


def test_per_minute_counts_and_rate(store: Store, tmp_path: Path) -> None:
    seconds_ago = [
        10,
        20,
        30,  # the minute ending now
        270,
        280,  # four minutes ago
        16 * 60,  # outside the rate's fifteen minutes
        59 * 60 + 30,  # the oldest minute of the hour
        61 * 60,
    ]  # before the hour
    deliver(
        store,
        tmp_path / "spool",
        [syslog("10.0.0.5", NOW - timedelta(seconds=s)) for s in seconds_ago],
    )
    [row] = source_rows(store, NOW)
    assert len(row.per_minute) == 60
    assert row.per_minute[-1] == 3
    assert row.per_minute[-5] == 2
    assert row.per_minute[-17] == 1
    assert row.per_minute[0] == 1
    assert sum(row.per_minute) == 7
    assert row.rate == 5 / 15
    assert row.events == 8
    assert row.first_seen == (NOW - timedelta(seconds=61 * 60)).replace(tzinfo=None)
    assert row.last_seen == (NOW - timedelta(seconds=10)).replace(tzinfo=None)
    assert row.quiet_seconds == 10
    # an hour on, nothing in the sparkline; a naive `now` is taken as UTC
    [later] = source_rows(store, (NOW + timedelta(hours=2)).replace(tzinfo=None))
    assert later.per_minute == [0] * 60
    assert later.rate == 0


def test_clock_skew_is_the_median_of_receive_minus_event_time(store: Store, tmp_path: Path) -> None:
    times = every(60, 20, NOW)
    fast = [syslog("10.0.0.1", t, host="fast01", clock=90) for t in times]
    slow = [syslog("10.0.0.2", t, host="slow01", clock=-90) for t in times]
    # one message delayed an hour in a queue moves a mean, not the median
    slow.append(syslog("10.0.0.2", NOW, host="slow01", clock=-3600))
    good = [syslog("10.0.0.3", t, host="good01") for t in times]
    untimed = [
        json_message("10.0.0.4", t, {"host": "app01", "message": "no time here"}) for t in times
    ]
    deliver(store, tmp_path / "spool", fast + slow + good + untimed)
    rows = {row.host: row for row in source_rows(store, NOW)}
    assert rows["fast01"].skew_seconds == -90
    assert rows["slow01"].skew_seconds == 90
    assert rows["good01"].skew_seconds == 0
    assert rows["app01"].skew_seconds is None


def test_the_interval_is_learned_from_a_regular_rhythm(store: Store, tmp_path: Path) -> None:
    minutely = [syslog("10.0.0.5", t, app="heartbeat") for t in every(60, 120, NOW)]
    ten_minutes = [syslog("10.0.0.6", t, host="db01", app="backup") for t in every(600, 100, NOW)]
    few = [syslog("10.0.0.7", t, host="nas01", app="sudo") for t in every(600, 5, NOW)]
    deliver(store, tmp_path / "spool", minutely + ten_minutes + few)
    rows = by_key(source_rows(store, NOW))
    heartbeat = rows["10.0.0.5|heartbeat"]
    assert heartbeat.learned and heartbeat.expected_from == "learned"
    assert heartbeat.gap_seconds == 60
    assert heartbeat.expected_seconds == FLOOR_SECONDS  # three minutes, raised to the floor
    backup = rows["10.0.0.6|backup"]
    assert backup.learned
    assert backup.gap_seconds == 600
    assert backup.expected_seconds == 1800
    # five messages are no rhythm: the default, and said so
    sudo = rows["10.0.0.7|sudo"]
    assert not sudo.learned and sudo.expected_from == "default"
    assert sudo.expected_seconds == DEFAULT_EXPECTED
    assert sudo.gap_seconds is None


def test_a_user_interval_wins(store: Store, tmp_path: Path) -> None:
    deliver(
        store,
        tmp_path / "spool",
        [syslog("10.0.0.5", t, app="heartbeat") for t in every(60, 120, NOW)],
    )
    later = NOW + timedelta(seconds=200)
    [learned] = source_rows(store, later)
    assert learned.status == "late"
    [chosen] = source_rows(store, later, {"10.0.0.5|heartbeat": 120.0})
    assert chosen.expected_seconds == 120
    assert chosen.expected_from == "set" and not chosen.learned
    assert chosen.status == "silent"
    # another source's interval changes nothing here
    [other] = source_rows(store, later, {"10.0.0.6|heartbeat": 10.0})
    assert other.expected_from == "learned"


def test_status_moves_from_receiving_to_late_to_silent(store: Store, tmp_path: Path) -> None:
    deliver(
        store,
        tmp_path / "spool",
        [syslog("10.0.0.5", t, app="heartbeat") for t in every(60, 120, NOW)],
    )
    seen = []
    for seconds, expected in (
        (30, "receiving"),
        (149, "receiving"),
        (151, "late"),
        (299, "late"),
        (301, "silent"),
        (86_400, "silent"),
    ):
        [row] = source_rows(store, NOW + timedelta(seconds=seconds))
        assert row.quiet_seconds == seconds
        seen.append((seconds, row.status))
        assert row.status == expected, seen
        assert row.expected_seconds == FLOOR_SECONDS  # learned before it stopped, kept
        assert silent_sources([row]) == ([row] if expected == "silent" else [])
    # it sends again: receiving
    deliver(
        store, tmp_path / "spool", [syslog("10.0.0.5", NOW + timedelta(hours=2), app="heartbeat")]
    )
    [row] = source_rows(store, NOW + timedelta(hours=2, seconds=5))
    assert row.status == "receiving"


def test_several_applications_on_one_sender(store: Store, tmp_path: Path) -> None:
    times = every(60, 30, NOW)
    messages = [syslog("10.0.0.5", t, app="sshd") for t in times]
    messages += [syslog("10.0.0.5", t, app="cron", transport="tls") for t in times[:10]]
    messages += [syslog("10.0.0.5", NOW - timedelta(hours=3), app="kernel", transport="udp")]
    # the same sender naming itself differently now and then: the usual name is its host
    messages += [syslog("10.0.0.5", t, app="kernel", host="fw01.office.lan") for t in times[:2]]
    messages += [syslog("10.0.0.5", t, app="kernel") for t in times[2:5]]
    deliver(store, tmp_path / "spool", messages)
    rows = source_rows(store, NOW)
    assert [row.key for row in rows] == ["10.0.0.5|cron", "10.0.0.5|kernel", "10.0.0.5|sshd"]
    cron, kernel, sshd = rows
    assert (cron.events, kernel.events, sshd.events) == (10, 6, 30)
    assert {row.sender for row in rows} == {"10.0.0.5"}
    assert kernel.host == "fw01"
    assert kernel.transports == ["tcp", "udp"]
    assert cron.encrypted is True
    assert kernel.encrypted is False and sshd.encrypted is False
    assert all(row.format == "syslog" for row in rows)


def test_encryption_and_formats(store: Store, tmp_path: Path) -> None:
    at = every(60, 3, NOW)
    nxlog = {
        "EventTime": "2026-06-01 11:59:00",
        "Hostname": "pc01",
        "Channel": "Security",
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "EventID": 4624,
        "Message": "An account was successfully logged on.",
    }
    messages = [syslog("10.0.0.1", t, host="tls01", transport="tls") for t in at]
    messages += [
        syslog("10.0.0.2", t, host="mixed01", transport=transport)
        for t, transport in zip(at, ("tls", "tcp", "tls"), strict=True)
    ]
    messages += [
        json_message("10.0.0.3", t, {"host": "web01", "process": "nginx", "message": "GET /"})
        for t in at
    ]
    messages += [syslog("127.0.0.1", NOW, host="watchkeeper", app="watchkeeper", transport="test")]
    messages += [json_message("10.0.0.8", NOW, nxlog, transport="tcp")]
    deliver(store, tmp_path / "spool", messages)
    rows = {row.host: row for row in source_rows(store, NOW)}
    assert rows["tls01"].encrypted is True
    assert rows["mixed01"].encrypted is False
    assert rows["mixed01"].transports == ["tcp", "tls"]
    assert rows["web01"].encrypted is False  # plain HTTP
    assert (rows["web01"].application, rows["web01"].format) == ("nginx", "json")
    assert rows["watchkeeper"].encrypted is None  # the app's own test: no network crossed
    # a test sent by hand a week ago is not a source gone silent
    week = {row.host: row for row in source_rows(store, NOW + timedelta(days=7))}
    assert week["watchkeeper"].status == "receiving"
    assert week["tls01"].status == "silent"
    windows = rows["pc01"]
    assert (windows.application, windows.format) == ("Security", "nxlog")
    assert windows.events == 1


def test_hostile_names_come_back_as_data(store: Store, tmp_path: Path) -> None:
    hostile_host = "<script>alert(1)</script><b>fw</b>"
    hostile_app = "x'); DROP TABLE events; --\x1b[31m\x07\u202e"
    deliver(
        store,
        tmp_path / "spool",
        [
            json_message(
                "10.0.0.66",
                t,
                {
                    "host": hostile_host,
                    "process": hostile_app,
                    "message": "<img src=x onerror=y()>",
                },
            )
            for t in every(60, 3, NOW)
        ],
    )
    [row] = source_rows(store, NOW, {f"10.0.0.66|{hostile_app}": 30.0})
    assert row.host == hostile_host
    assert row.application == hostile_app
    assert row.key == f"10.0.0.66|{hostile_app}"
    assert row.expected_from == "set"
    assert store.event_count() == 3  # the table is still there
