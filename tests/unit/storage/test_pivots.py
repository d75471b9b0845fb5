"""The Users and Hosts views' figures, from real imports of auth.log, Winlogbeat and auditd files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.core.identity import KIND_FAILED_ONLY, KIND_PERSON
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.filters import compile_filter
from watchkeeper.storage.pivots import (
    HostRow,
    UserRow,
    hosts,
    is_logon_failure,
    is_logon_success,
    is_network_connection,
    is_process_start,
    users,
)
from watchkeeper.storage.store import Store

DROP = "'; DROP TABLE events; --"
MARKUP = "<b onclick=\"x()\">boss</b> & 'co'"

# Two users on two hosts; bob is busier on db1. The sudo line is alice's but not a logon, and
# the kernel line has a host but no user.
AUTH_LOG = """\
2026-11-20T08:00:00+00:00 web1 sshd[100]: Failed password for alice from 203.0.113.7 port 40001 ssh2
2026-11-20T08:00:05+00:00 web1 sshd[100]: Failed password for alice from 203.0.113.7 port 40001 ssh2
2026-11-20T08:00:10+00:00 web1 sshd[101]: Accepted password for alice from 192.0.2.10 port 40002 ssh2
2026-11-20T08:30:00+00:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt update
2026-11-20T09:00:00+00:00 web1 sshd[102]: Accepted publickey for bob from 192.0.2.11 port 40003 ssh2
2026-11-21T10:00:00+00:00 db1 sshd[200]: Failed password for bob from 198.51.100.4 port 50001 ssh2
2026-11-21T10:00:01+00:00 db1 sshd[200]: Failed password for bob from 198.51.100.4 port 50001 ssh2
2026-11-21T10:00:02+00:00 db1 sshd[200]: Failed password for bob from 198.51.100.4 port 50001 ssh2
2026-11-21T10:05:00+00:00 db1 sshd[201]: Accepted password for bob from 192.0.2.11 port 50002 ssh2
2026-11-21T10:06:00+00:00 db1 kernel: [ 812.000001] eth0: link up
"""

SECURITY = ("Security", "Microsoft-Windows-Security-Auditing")
SYSMON = ("Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon")


def winlogbeat_line(
    record: int,
    stamp: str,
    computer: str,
    where: tuple[str, str],
    event_id: int,
    data: dict[str, str],
) -> str:
    channel, provider = where
    return json.dumps(
        {
            "@timestamp": stamp,
            "winlog": {
                "channel": channel,
                "provider_name": provider,
                "event_id": str(event_id),
                "computer_name": computer,
                "record_id": record,
                "event_data": data,
            },
        }
    )


# jsmith logs on to FS01 once, fails three ways (twice 4625, once Kerberos 4771), starts a
# process there (4688) and one on PC1 (Sysmon 1), which then connects out (Sysmon 3). FS01's
# firewall lets a connection through (5156, no user). OLD-PC's one logon is days before the
# store's latest event, PC1's connection at 12:00 on the 22nd.
WINDOWS_EVENTS = [
    ("2026-11-22T08:00:00.000Z", "FS01", SECURITY, 4624, {"TargetUserName": "jsmith"}),
    ("2026-11-22T08:01:00.000Z", "FS01", SECURITY, 4625, {"TargetUserName": "jsmith"}),
    ("2026-11-22T08:02:00.000Z", "FS01", SECURITY, 4625, {"TargetUserName": "jsmith"}),
    ("2026-11-22T08:03:00.000Z", "FS01", SECURITY, 4771, {"TargetUserName": "jsmith"}),
    (
        "2026-11-22T08:04:00.000Z",
        "FS01",
        SECURITY,
        4688,
        {"SubjectUserName": "jsmith", "NewProcessName": "C:\\Windows\\System32\\whoami.exe"},
    ),
    (
        "2026-11-22T08:05:00.000Z",
        "FS01",
        SECURITY,
        5156,
        {
            "Application": "\\device\\harddiskvolume2\\windows\\system32\\svchost.exe",
            "SourceAddress": "10.0.0.5",
            "DestAddress": "10.0.0.1",
            "DestPort": "53",
        },
    ),
    ("2026-11-22T08:06:00.000Z", "FS01", SECURITY, 4625, {"TargetUserName": DROP}),
    ("2026-11-22T08:07:00.000Z", "FS01", SECURITY, 4625, {"TargetUserName": MARKUP}),
    (
        "2026-11-22T11:00:00.000Z",
        "PC1",
        SYSMON,
        1,
        {"User": "jsmith", "Image": "C:\\Windows\\System32\\cmd.exe"},
    ),
    (
        "2026-11-22T12:00:00.000Z",
        "PC1",
        SYSMON,
        3,
        {
            "User": "jsmith",
            "Image": "C:\\Windows\\System32\\cmd.exe",
            "DestinationIp": "198.51.100.9",
            "DestinationPort": "443",
        },
    ),
    ("2026-11-18T00:00:00.000Z", "OLD-PC", SECURITY, 4624, {"TargetUserName": "carol"}),
]


def audit_line(kind: str, stamp: datetime, serial: int, body: str) -> str:
    return f"node=app1 type={kind} msg=audit({stamp.timestamp():.3f}:{serial}): {body}"


def audit_log() -> str:
    """On app1: alice runs a program, bob's exec fails, admin's ssh logon is refused."""
    morning = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    return (
        "\n".join(
            [
                audit_line(
                    "SYSCALL",
                    morning,
                    10,
                    "arch=c000003e syscall=59 success=yes exit=0 "
                    'pid=3245 auid=1000 comm="cat" exe="/usr/bin/cat"\x1dAUID="alice"',
                ),
                audit_line("EXECVE", morning, 10, 'argc=2 a0="cat" a1="/etc/hosts"'),
                audit_line("EOE", morning, 10, ""),
                audit_line(
                    "SYSCALL",
                    morning,
                    11,
                    "arch=c000003e syscall=59 success=no exit=-13 "
                    'pid=3251 auid=1001 comm="job" exe="/opt/job"\x1dAUID="bob"',
                ),
                audit_line("EXECVE", morning, 11, 'argc=1 a0="/opt/job"'),
                audit_line("EOE", morning, 11, ""),
                audit_line(
                    "USER_LOGIN",
                    morning,
                    12,
                    "pid=3101 uid=0 auid=4294967295 msg='op=login "
                    'acct="admin" exe="/usr/sbin/sshd" addr=203.0.113.7 terminal=ssh res=failed\'',
                ),
            ]
        )
        + "\n"
    )


def import_office(store: Store, folder: Path) -> None:
    folder.mkdir()
    (folder / "auth.log").write_text(AUTH_LOG, encoding="utf-8")
    lines = [winlogbeat_line(number, *event) for number, event in enumerate(WINDOWS_EVENTS, 1)]
    (folder / "winlogbeat.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "audit.log").write_text(audit_log(), encoding="utf-8")
    summary = import_paths(store, [folder])
    assert [f.status for f in summary.files] == ["imported"] * 3, summary
    assert summary.quarantined == 0


@pytest.fixture
def office(store: Store, tmp_path: Path) -> Store:
    import_office(store, tmp_path / "logs")
    return store


def by_user(rows: list[UserRow]) -> dict[str, UserRow]:
    return {row.username: row for row in rows}


def by_host(rows: list[HostRow]) -> dict[str, HostRow]:
    return {row.host: row for row in rows}


def at(text: str) -> datetime:
    """A UTC time as the store gives it back (naive)."""
    return datetime.fromisoformat(text)


def test_users_count_logons_per_user_across_hosts(office: Store) -> None:
    found = by_user(users(office))
    alice, bob = found["alice"], found["bob"]
    assert (alice.logon_failures, alice.logon_successes) == (2, 1)
    assert (bob.logon_failures, bob.logon_successes) == (3, 2)
    assert alice.hosts == ["web1", "app1"] and alice.host_count == 2
    assert bob.hosts == ["db1", "app1", "web1"] and bob.host_count == 3  # busiest first, then a-z
    # alice's sudo line counts as an event of hers, not as a logon
    assert alice.events == 5
    assert alice.first_seen == at("2026-11-20T08:00:00")
    assert alice.last_seen == at("2026-11-22T06:00:00")


def test_users_count_windows_logons_processes_and_connections(office: Store) -> None:
    jsmith = by_user(users(office))["jsmith"]
    assert (jsmith.logon_successes, jsmith.logon_failures) == (1, 3)  # 4625 twice and 4771
    assert jsmith.processes_started == 2  # 4688 on FS01, Sysmon 1 on PC1
    assert jsmith.network_connections == 1  # Sysmon 3
    assert jsmith.hosts == ["FS01", "PC1"] and jsmith.host_count == 2
    assert jsmith.first_seen == at("2026-11-22T08:00:00")
    assert jsmith.last_seen == at("2026-11-22T12:00:00")


def test_auditd_logons_and_started_programs_are_counted(office: Store) -> None:
    found = by_user(users(office))
    assert found["alice"].processes_started == 1
    assert found["bob"].processes_started == 0  # its exec failed
    assert found["admin"].logon_failures == 1
    assert found["admin"].hosts == ["app1"]


def test_users_put_people_first_then_the_most_failed_logons(office: Store) -> None:
    rows = users(office)
    # jsmith and bob both failed three times; jsmith has more events
    assert [row.username for row in rows][:3] == ["jsmith", "bob", "alice"]
    people = [row for row in rows if row.kind == KIND_PERSON]
    assert [row.logon_failures for row in people] == [3, 3, 2, 0]  # carol logged on once
    # names that only ever failed to log on come after the people
    assert {row.username for row in rows[len(people) :]} == {"admin", DROP, MARKUP}
    assert {row.kind for row in rows[len(people) :]} == {KIND_FAILED_ONLY}


def test_hostile_usernames_come_back_verbatim(office: Store) -> None:
    found = by_user(users(office))
    assert found[DROP].logon_failures == 1
    assert found[MARKUP].logon_failures == 1
    assert found[MARKUP].hosts == ["FS01"]
    assert {DROP, MARKUP} <= set(by_host(hosts(office))["FS01"].users)


def test_hosts_show_sources_users_and_activity(office: Store) -> None:
    found = by_host(hosts(office))
    assert list(found) == ["app1", "db1", "FS01", "OLD-PC", "PC1", "web1"]  # by name
    fs01 = found["FS01"]
    assert fs01.sources == ["winlogbeat"]
    assert (fs01.logon_successes, fs01.logon_failures) == (1, 5)
    assert fs01.processes_started == 1
    assert fs01.network_connections == 1  # the 5156, which has no user
    assert fs01.user_count == 3
    assert fs01.users[0] == "jsmith"
    assert set(fs01.users) == {"jsmith", DROP, MARKUP}
    db1 = found["db1"]
    assert db1.sources == ["syslog"] and db1.users == ["bob"] and db1.events == 5
    assert (db1.logon_successes, db1.logon_failures) == (1, 3)
    assert db1.first_seen == at("2026-11-21T10:00:00")
    assert db1.last_seen == at("2026-11-21T10:06:00")
    assert found["app1"].sources == ["auditd"]
    # equal counts: people by name, then admin, whose only event is a failed logon
    assert found["app1"].users == ["alice", "bob", "admin"]


def test_a_host_that_went_quiet_shows_its_silent_hours(office: Store) -> None:
    found = by_host(hosts(office))
    # measured against the store's latest event (PC1, 12:00 on the 22nd), not the clock
    assert found["PC1"].silent_hours == 0
    assert found["OLD-PC"].silent_hours == pytest.approx(4 * 24 + 12)
    assert found["web1"].silent_hours == pytest.approx(2 * 24 + 3)
    assert found["FS01"].silent_hours == pytest.approx(12 - 8 - 7 / 60)


def test_a_filter_narrows_both_views(office: Store) -> None:
    on_web1 = compile_filter("host:web1", office)
    found = by_user(users(office, on_web1.where, on_web1.params))
    assert set(found) == {"alice", "bob"}
    assert found["bob"].hosts == ["web1"]
    assert (found["bob"].logon_failures, found["bob"].logon_successes) == (0, 1)

    windows = compile_filter("source:winlogbeat", office)
    assert [row.host for row in hosts(office, windows.where, windows.params)] == [
        "FS01",
        "OLD-PC",
        "PC1",
    ]
    # a value that looks like SQL is a parameter like any other
    hostile = compile_filter(f'user:"{DROP}"', office)
    assert [row.username for row in users(office, hostile.where, hostile.params)] == [DROP]
    assert office.event_count() == len(AUTH_LOG.splitlines()) + len(WINDOWS_EVENTS) + 3


def test_limit_keeps_the_first_rows(office: Store) -> None:
    assert [row.username for row in users(office, limit=2)] == ["jsmith", "bob"]
    assert [row.host for row in hosts(office, limit=1)] == ["app1"]


def test_a_busy_row_names_its_five_busiest_and_counts_the_rest(
    store: Store, tmp_path: Path
) -> None:
    # eve logs on to h1 once, h2 twice, ... h7 seven times; seven users log on to h7
    lines = [
        f"2026-11-22T08:{minute:02d}:00+00:00 h{number} sshd[1]: Accepted password for "
        f"eve from 192.0.2.10 port 40000 ssh2"
        for number in range(1, 8)
        for minute in range(number)
    ]
    lines += [
        f"2026-11-22T09:00:00+00:00 h7 sshd[2]: Accepted password for u{number} "
        f"from 192.0.2.10 port 40000 ssh2"
        for number in range(1, 8)
    ]
    (tmp_path / "auth.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "winlogbeat.ndjson").write_text(
        winlogbeat_line(
            1, "2026-11-22T09:30:00.000Z", "h7", SECURITY, 4624, {"TargetUserName": "eve"}
        )
        + "\n",
        encoding="utf-8",
    )
    import_paths(store, [tmp_path / "auth.log", tmp_path / "winlogbeat.ndjson"])
    eve = by_user(users(store))["eve"]
    assert eve.hosts == ["h7", "h6", "h5", "h4", "h3"]
    assert eve.host_count == 7
    assert eve.logon_successes == 29
    h7 = by_host(hosts(store))["h7"]
    assert h7.users == ["eve", "u1", "u2", "u3", "u4"]
    assert h7.user_count == 8
    assert h7.sources == ["syslog", "winlogbeat"]


def test_an_empty_store_gives_empty_views(store: Store) -> None:
    assert users(store) == []
    assert hosts(store) == []


def test_a_store_without_auth_fields_still_answers(store: Store, tmp_path: Path) -> None:
    # Windows events only: no auth.log has made the action and outcome columns
    only_windows = tmp_path / "winlogbeat.ndjson"
    only_windows.write_text(
        "\n".join(
            winlogbeat_line(number, *event) for number, event in enumerate(WINDOWS_EVENTS[:5], 1)
        )
        + "\n",
        encoding="utf-8",
    )
    import_paths(store, [only_windows])
    assert store.resolve("action") is None
    jsmith = by_user(users(store))["jsmith"]
    assert (jsmith.logon_successes, jsmith.logon_failures, jsmith.processes_started) == (1, 3, 1)
    assert by_host(hosts(store))["FS01"].logon_failures == 3


def test_predicates_are_sql_true_for_the_matching_events(office: Store) -> None:
    expected = {
        is_logon_success: 5,
        is_logon_failure: 11,
        is_process_start: 3,
        is_network_connection: 2,
    }
    for predicate, count in expected.items():
        row: Any = office.fetch_one(f"SELECT count(*) FROM events WHERE {predicate(office)}")
        assert row[0] == count, predicate.__name__
