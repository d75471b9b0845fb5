"""The Overview's busiest event types, silent forwarding hosts and imported history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.unit.storage.test_sources import deliver, syslog

from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.queries import overview
from watchkeeper.storage.store import Store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SYSLOG = """\
2026-11-18T09:00:00+00:00 mail1 postfix/smtpd[10]: connect from unknown[203.0.113.7]
2026-11-20T10:00:00+00:00 mail1 postfix/smtpd[10]: disconnect from unknown[203.0.113.7]
2026-11-21T09:30:00+00:00 backup1 rsyncd[20]: rsync on backup/ from 10.0.0.7
2026-11-21T16:00:00+00:00 gw1 kernel: [ 812.000001] eth0: link up
2026-11-22T10:00:00+00:00 web1 sshd[100]: Accepted password for alice from 192.0.2.10 port 40002 ssh2
2026-11-22T12:00:00+00:00 web1 sshd[101]: Failed password for bob from 192.0.2.11 port 40003 ssh2
"""


def winlogbeat_line(record: int, stamp: str, channel: str, event_id: int) -> str:
    return json.dumps(
        {
            "@timestamp": stamp,
            "winlog": {
                "channel": channel,
                "event_id": str(event_id),
                "computer_name": "FS01",
                "record_id": record,
                "event_data": {"TargetUserName": "jsmith"},
            },
        }
    )


WINDOWS = (
    [("Security", 4625)] * 3
    + [("Microsoft-Windows-Sysmon/Operational", 1)] * 2
    + [("Security", 4624)]
)


def import_files(store: Store, folder: Path, syslog: str = SYSLOG) -> None:
    folder.mkdir()
    (folder / "messages.log").write_text(syslog, encoding="utf-8")
    lines = [
        winlogbeat_line(number, f"2026-11-22T11:{number:02d}:00.000Z", channel, event_id)
        for number, (channel, event_id) in enumerate(WINDOWS, 1)
    ]
    (folder / "winlogbeat.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = import_paths(store, [folder])
    assert [f.status for f in summary.files] == ["imported"] * 2
    assert summary.quarantined == 0


def test_event_types_are_the_busiest_kinds_of_event(store: Store, tmp_path: Path) -> None:
    import_files(store, tmp_path / "logs")
    info = overview(store)
    assert info.event_types[0] == ("syslog", "", None, 6)  # syslog has no channel or id
    assert info.event_types[1:] == [
        ("winlogbeat", "Security", 4625, 3),
        ("winlogbeat", "Microsoft-Windows-Sysmon/Operational", 1, 2),
        ("winlogbeat", "Security", 4624, 1),
    ]
    assert overview(store, top=2).event_types == info.event_types[:2]


def forward(store: Store, folder: Path, last_heard: dict[str, datetime]) -> None:
    """Each host's messages through the collector, the last received at its time."""
    deliver(
        store,
        folder,
        [
            syslog("10.0.0.9", heard - timedelta(hours=hour), host=host)
            for host, heard in last_heard.items()
            for hour in (2, 0)
        ],
    )


# mail1 was last heard two days before NOW, backup1 a little over a day before, gw1 twenty
# hours before (not yet silent)
HEARD = {
    "mail1": NOW - timedelta(hours=50),
    "backup1": NOW - timedelta(hours=26.5),
    "gw1": NOW - timedelta(hours=20),
    "web1": NOW - timedelta(minutes=5),
}


def test_imported_history_is_never_a_host_gone_quiet(store: Store, tmp_path: Path) -> None:
    # files of days-old events: history, however old, with how recent it is
    import_files(store, tmp_path / "logs")
    info = overview(store, now=NOW)
    assert info.silent_hosts == []
    assert (info.forwarding_hosts, info.history_hosts) == (0, 5)
    assert info.history_last == datetime(2026, 11, 22, 12, 0)
    assert dict(info.by_day) == {"2026-11-18": 1, "2026-11-20": 1, "2026-11-21": 2, "2026-11-22": 8}
    assert info.events == 12


def test_forwarding_hosts_gone_quiet_are_measured_against_now(store: Store, tmp_path: Path) -> None:
    import_files(store, tmp_path / "logs")  # mail1 and the rest also appear in old files
    forward(store, tmp_path / "spool", HEARD)
    info = overview(store, now=NOW)
    assert [host for host, _seen, _hours in info.silent_hosts] == ["mail1", "backup1"]
    mail1, backup1 = info.silent_hosts
    assert mail1[1] == datetime(2026, 11, 21, 10, 0)
    assert mail1[2] == pytest.approx(50)
    assert backup1[2] == pytest.approx(26.5)
    assert (info.forwarding_hosts, info.history_hosts) == (4, 1)  # FS01 only from a file
    hosts = [
        host
        for host, _seen, _hours in overview(
            store, silent_after=timedelta(hours=12), now=NOW
        ).silent_hosts
    ]
    assert hosts == ["mail1", "backup1", "gw1"]
    # an hour later gw1 is still not silent at a day; asked without a time, nobody is judged
    assert len(overview(store, now=NOW + timedelta(hours=1)).silent_hosts) == 2
    assert overview(store).silent_hosts == []


def test_an_empty_store_has_no_event_types_or_silent_hosts(store: Store) -> None:
    info = overview(store)
    assert info.events == 0
    assert info.event_types == []
    assert info.silent_hosts == []
