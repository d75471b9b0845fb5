"""One person, one row; one machine, one row: real imports that spell them differently."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.unit.storage.test_pivots import SECURITY, SYSMON, audit_line, winlogbeat_line

from watchkeeper.collect.loader import load_spool
from watchkeeper.collect.spool import Received, Spool
from watchkeeper.core.identity import KIND_FAILED_ONLY, KIND_MACHINE, KIND_PERSON, KIND_SERVICE
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.filters import compile_filter
from watchkeeper.storage.pivots import UserRow, hosts, users
from watchkeeper.storage.store import Store

ALICE_SID = "S-1-5-21-1004336348-1177238915-682003330-1104"
BOB_SID = "S-1-5-21-1004336348-1177238915-682003330-1105"
OTHER_BOB_SID = "S-1-5-21-3623811015-3361044348-30300820-1013"
DROP = "'; DROP TABLE events; --"


def logon(user: str, domain: str, sid: str) -> dict[str, str]:
    return {"TargetUserName": user, "TargetDomainName": domain, "TargetUserSid": sid}


# alice: a 4624 with her SID on PC01's FQDN, a Sysmon process as CONTOSO\alice on PC01's short
# name, a sign-in as alice@CONTOSO.LOCAL and an ssh logon as plain alice. Two bobs with two
# SIDs. SYSTEM, a machine account, DWM-1 and two guessed names that only ever fail.
WINDOWS = [
    (
        "2026-11-22T08:00:00.000Z",
        "PC01.contoso.local",
        SECURITY,
        4624,
        logon("alice", "CONTOSO", ALICE_SID),
    ),
    (
        "2026-11-22T08:01:00.000Z",
        "PC01",
        SYSMON,
        1,
        {"User": "CONTOSO\\alice", "Image": "C:\\x.exe"},
    ),
    ("2026-11-22T08:02:00.000Z", "PC01", SECURITY, 4624, logon("bob", "CONTOSO", BOB_SID)),
    ("2026-11-22T08:03:00.000Z", "PC02", SECURITY, 4624, logon("bob", "PC02", OTHER_BOB_SID)),
    (
        "2026-11-22T08:04:00.000Z",
        "PC01",
        SECURITY,
        4624,
        logon("SYSTEM", "NT AUTHORITY", "S-1-5-18"),
    ),
    (
        "2026-11-22T08:05:00.000Z",
        "PC01",
        SECURITY,
        4624,
        logon("PC01$", "CONTOSO", "S-1-5-21-1-2-3-1001"),
    ),
    (
        "2026-11-22T08:06:00.000Z",
        "PC01",
        SECURITY,
        4624,
        logon("DWM-1", "Window Manager", "S-1-5-90-0-1"),
    ),
    ("2026-11-22T08:07:00.000Z", "PC01", SECURITY, 4625, logon("administrator", "", "S-1-0-0")),
    ("2026-11-22T08:08:00.000Z", "PC01", SECURITY, 4625, logon(DROP, "", "S-1-0-0")),
    ("2026-11-22T08:09:00.000Z", "PC01", SECURITY, 5156, {"DestAddress": "10.0.0.1"}),
]
AUTH_LOG = (
    "2026-11-22T09:00:00+00:00 web1 sshd[100]: Accepted password for alice from 192.0.2.1 "
    "port 4000 ssh2\n"
    "2026-11-22T09:01:00+00:00 web1 kernel: link up\n"
)
SIGN_INS = json.dumps(
    {"time": "2026-11-22T10:00:00Z", "user": "alice@CONTOSO.LOCAL", "message": "sign-in"}
)


@pytest.fixture
def office(store: Store, tmp_path: Path) -> Store:
    lines = [winlogbeat_line(number, *event) for number, event in enumerate(WINDOWS, 1)]
    (tmp_path / "winlogbeat.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "auth.log").write_text(AUTH_LOG, encoding="utf-8")
    (tmp_path / "signins.jsonl").write_text(SIGN_INS + "\n", encoding="utf-8")
    summary = import_paths(
        store, [tmp_path / "winlogbeat.ndjson", tmp_path / "auth.log", tmp_path / "signins.jsonl"]
    )
    assert summary.quarantined == 0 and [f.status for f in summary.files] == ["imported"] * 3
    return store


def rows_named(rows: list[UserRow], name: str) -> list[UserRow]:
    return [row for row in rows if row.username == name]


def test_every_spelling_of_alice_is_one_row(office: Store) -> None:
    [alice] = rows_named(users(office), "alice")
    assert (alice.domain, alice.sid, alice.kind) == ("CONTOSO", ALICE_SID, KIND_PERSON)
    assert alice.events == 4
    assert (alice.logon_successes, alice.processes_started) == (2, 1)
    assert alice.aliases == sorted(["alice", "CONTOSO\\alice", "alice@CONTOSO.LOCAL"])
    assert alice.hosts == ["PC01", "web1"]  # PC01 and its FQDN are one host
    assert alice.label == "CONTOSO\\alice"


def test_two_sids_are_two_rows_even_with_one_name(office: Store) -> None:
    bobs = rows_named(users(office), "bob")
    assert sorted(row.sid or "" for row in bobs) == sorted([BOB_SID, OTHER_BOB_SID])
    assert sorted(row.domain or "" for row in bobs) == ["CONTOSO", "PC02"]
    # where two identities share a name, the Hosts view tells them apart by their domain
    found = {row.host: row for row in hosts(office)}
    assert found["PC02"].users == ["PC02\\bob"]
    assert "CONTOSO\\bob" in found["PC01"].users


def test_people_come_first_each_once_then_the_other_kinds(office: Store) -> None:
    rows = users(office)
    kinds = [row.kind for row in rows]
    assert kinds == sorted(
        kinds, key=[KIND_PERSON, KIND_SERVICE, KIND_MACHINE, KIND_FAILED_ONLY].index
    )
    assert [row.username for row in rows if row.kind == KIND_PERSON] == ["alice", "bob", "bob"]
    assert {row.username: row.kind for row in rows if row.kind != KIND_PERSON} == {
        "SYSTEM": KIND_SERVICE,
        "DWM-1": KIND_SERVICE,
        "PC01$": KIND_MACHINE,
        "administrator": KIND_FAILED_ONLY,
        DROP: KIND_FAILED_ONLY,
    }


def test_a_short_name_and_its_fqdn_are_one_host(office: Store) -> None:
    found = {row.host: row for row in hosts(office)}
    assert sorted(found) == ["PC01", "PC02", "web1"]
    pc01 = found["PC01"]
    assert pc01.aliases == ["PC01", "PC01.contoso.local"]
    assert pc01.events == 9
    assert pc01.users[:2] == ["alice", "CONTOSO\\bob"]  # people first, the busiest first
    assert pc01.users[2:] == ["DWM-1", "SYSTEM", "PC01$"]  # five at most
    assert pc01.logon_successes == 5 and pc01.logon_failures == 2


def count(store: Store, text: str) -> int:
    compiled = compile_filter(text, store)
    row = store.fetch_one(f"SELECT count(*) FROM events WHERE {compiled.where}", compiled.params)
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    "typed",
    ["alice", "ALICE", 'user:"CONTOSO\\alice"', "alice@contoso.local", ALICE_SID],
)
def test_user_filter_matches_every_alias(office: Store, typed: str) -> None:
    term = typed if typed.startswith("user:") else f'user:"{typed}"'
    assert count(office, term) == 4


def test_excluding_a_user_keeps_events_without_one(office: Store) -> None:
    total = office.event_count()
    assert count(office, "-user:alice") == total - 4
    assert count(office, "-user:alice -user:*") == 2  # the 5156 and the kernel line


def test_user_filter_on_an_unknown_or_hostile_name(office: Store) -> None:
    assert count(office, "user:nobody-here") == 0
    assert count(office, f'user:"{DROP}"') == 1
    assert count(office, "user:ali*") == 3  # wildcards match spellings as written


def test_host_filter_matches_the_fqdn(office: Store) -> None:
    assert count(office, "host:pc01") == 9
    assert count(office, "host:PC01.CONTOSO.LOCAL") == 9
    assert count(office, "-host:pc01") == office.event_count() - 9


def test_a_filter_narrows_users_but_kinds_come_from_every_event(office: Store) -> None:
    narrowed = compile_filter("host:web1", office)
    [alice] = users(office, narrowed.where, narrowed.params)
    assert (alice.username, alice.events, alice.kind) == ("alice", 1, KIND_PERSON)
    assert alice.hosts == ["web1"]


def test_a_process_starters_sid_keeps_namesakes_apart(store: Store, tmp_path: Path) -> None:
    # 4688 names the account in SubjectUserName, with its domain and SID beside it
    events = [
        (
            f"2026-11-22T08:0{number}:00.000Z",
            "PC01",
            SECURITY,
            4688,
            {
                "SubjectUserName": "dave",
                "SubjectDomainName": "CONTOSO",
                "SubjectUserSid": sid,
                "NewProcessName": "C:\\Windows\\System32\\whoami.exe",
            },
        )
        for number, sid in enumerate((ALICE_SID, BOB_SID, BOB_SID))
    ]
    lines = [winlogbeat_line(number, *event) for number, event in enumerate(events, 1)]
    (tmp_path / "winlogbeat.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_paths(store, [tmp_path / "winlogbeat.ndjson"])
    daves = sorted((row.sid, row.processes_started) for row in users(store))
    assert daves == [(ALICE_SID, 1), (BOB_SID, 2)]


def forward(store: Store, folder: Path, messages: list[tuple[str, dict[str, str]]]) -> None:
    """Messages as the collector receives them: (the sender's address, JSON message)."""
    spool = Spool(folder / "spool", segment_seconds=0)
    stamp = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    spool.append(
        [Received(peer, "tcp", "json", json.dumps(body).encode(), stamp) for peer, body in messages]
    )
    spool.tick()
    spool.close()
    assert load_spool(store, folder / "spool").events == len(messages)


def test_an_address_a_machine_sent_from_is_that_machine(store: Store, tmp_path: Path) -> None:
    at = "2026-11-22T09:00:00Z"
    forward(
        store,
        tmp_path,
        [
            ("10.0.0.20", {"time": at, "host": "web1.contoso.local", "message": "named"}),
            ("10.0.0.20", {"time": at, "message": "no host: stored under the address"}),
            ("10.0.0.30", {"time": at, "host": "a1", "message": "a relay for a1"}),
            ("10.0.0.30", {"time": at, "host": "b1", "message": "and for b1"}),
            ("10.0.0.30", {"time": at, "message": "the relay's own"}),
            ("127.0.0.1", {"time": at, "host": "c1", "message": "loopback says nothing"}),
            ("127.0.0.1", {"time": at, "message": "loopback's own"}),
        ],
    )
    found = {row.host: row for row in hosts(store)}
    assert sorted(found) == ["10.0.0.30", "127.0.0.1", "a1", "b1", "c1", "web1.contoso.local"]
    assert found["web1.contoso.local"].aliases == ["10.0.0.20", "web1.contoso.local"]
    assert found["web1.contoso.local"].events == 2
    assert count(store, "host:web1") == 2
    assert count(store, "host:10.0.0.20") == 2
    assert count(store, "host:10.0.0.30") == 1


def test_a_sysmon_connection_gives_the_machine_its_address(store: Store, tmp_path: Path) -> None:
    connection = {
        "SourceIp": "10.0.0.5",
        "SourceHostname": "PC01.contoso.local",
        "DestinationIp": "10.0.0.1",
        "Image": "C:\\x.exe",
    }
    elsewhere = dict(connection, SourceIp="10.0.0.6", SourceHostname="PC09.contoso.local")
    lines = [
        winlogbeat_line(1, "2026-11-22T08:00:00.000Z", "PC01.contoso.local", SYSMON, 3, connection),
        winlogbeat_line(2, "2026-11-22T08:01:00.000Z", "PC01.contoso.local", SYSMON, 3, elsewhere),
    ]
    (tmp_path / "winlogbeat.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "auth.log").write_text(
        "2026-11-22T09:00:00+00:00 10.0.0.5 sshd[1]: Accepted password for eve from "
        "192.0.2.1 port 4000 ssh2\n"
        "2026-11-22T09:00:00+00:00 10.0.0.6 sshd[1]: Accepted password for eve from "
        "192.0.2.1 port 4000 ssh2\n",
        encoding="utf-8",
    )
    import_paths(store, [tmp_path / "winlogbeat.ndjson", tmp_path / "auth.log"])
    found = {row.host: row for row in hosts(store)}
    assert sorted(found) == ["10.0.0.6", "PC01.contoso.local"]  # .6 was PC09's, not PC01's
    assert found["PC01.contoso.local"].aliases == ["10.0.0.5", "PC01.contoso.local"]
    assert count(store, "host:pc01") == 3


def test_user_filter_keeps_namesakes_in_other_domains_apart(office: Store) -> None:
    assert count(office, "user:bob") == 2
    assert count(office, 'user:"CONTOSO\\bob"') == 1
    assert count(office, 'user:"bob@pc02"') == 1
    assert count(office, f"user:{OTHER_BOB_SID}") == 1
    assert count(office, 'user:"FABRIKAM\\bob"') == 0
    assert count(office, '-user:"CONTOSO\\bob"') == office.event_count() - 1


def test_new_events_are_seen_at_once_by_the_filters(store: Store, tmp_path: Path) -> None:
    first = tmp_path / "first.ndjson"
    first.write_text(winlogbeat_line(1, *WINDOWS[0]) + "\n", encoding="utf-8")
    import_paths(store, [first])
    assert count(store, "user:alice") == 1
    later = tmp_path / "signins.jsonl"
    later.write_text(SIGN_INS + "\n", encoding="utf-8")
    import_paths(store, [later])
    assert count(store, "user:alice") == 2  # the new spelling joined her
    [alice] = rows_named(users(store), "alice")
    assert alice.events == 2


def test_an_audit_user_id_is_the_person_sshd_logged_on(store: Store, tmp_path: Path) -> None:
    morning = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    lines = [
        audit_line(
            "USER_START",
            morning,
            20,
            'pid=3101 uid=0 auid=1000 ses=3 msg=\'op=PAM:session_open acct="alice" '
            'exe="/usr/sbin/sshd" addr=192.0.2.1 terminal=ssh res=success\'',
        ),
        audit_line(
            "USER_START",
            morning,
            21,
            'pid=3102 uid=1000 auid=1000 ses=3 msg=\'op=PAM:session_open acct="root" '
            'exe="/usr/bin/sudo" terminal=pts/0 res=success\'',
        ),
        audit_line(
            "LOGIN", morning, 22, "pid=3101 uid=0 old-auid=4294967295 auid=1000 ses=3 res=1"
        ),
    ]
    (tmp_path / "audit.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_paths(store, [tmp_path / "audit.log"])
    found = {row.username: row for row in users(store)}
    assert set(found) == {"alice", "root"}  # sudo's acct=root is the target, not uid 1000
    assert found["alice"].aliases == ["1000", "alice"]
    assert count(store, "user:alice") == 2
