"""The syslog parser: the three line shapes, auth.log details, bad lines, and real samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.parsed import events_or_rejected

from watchkeeper.core.event import Event, Rejected
from watchkeeper.core.timeparse import YearInference
from watchkeeper.ingest.base import HEAD_SIZE, MAX_LINE, ParseContext, Source
from watchkeeper.ingest.syslog import SyslogParser

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "syslog"
LOGHUB = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "loghub"
REFERENCE = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def parse(data: bytes, reference: datetime = REFERENCE) -> list[Event | Rejected]:
    context = ParseContext(years=YearInference(reference, zone=UTC))
    return events_or_rejected(SyslogParser().parse(Source.from_bytes("test.log", data), context))


def events(data: bytes, reference: datetime = REFERENCE) -> list[Event]:
    items = parse(data, reference)
    assert not [item for item in items if isinstance(item, Rejected)]
    return [item for item in items if isinstance(item, Event)]


def one(line: str) -> Event:
    (event,) = events(line.encode() + b"\n")
    return event


@pytest.fixture(scope="module")
def auth_log() -> dict[int, Event]:
    return {event.record_no: event for event in events((FIXTURES / "auth.log").read_bytes())}


def test_every_auth_log_line_is_an_event_with_host_process_and_time(
    auth_log: dict[int, Event],
) -> None:
    assert len(auth_log) == 30
    failed = auth_log[7]
    assert failed.common["time"] == datetime(2026, 11, 23, 8, 12, 48, tzinfo=UTC)
    assert failed.common["time_inferred"] == "year,zone"
    assert failed.common["host"] == "web1"
    assert failed.common["process"] == "sshd"
    assert failed.common["pid"] == 3101
    assert failed.common["source"] == "syslog"
    assert failed.raw.startswith("Nov 23 08:12:48 web1 sshd[3101]: Failed password")


def test_ssh_failures_and_successes_name_the_user_and_address(auth_log: dict[int, Event]) -> None:
    invalid = auth_log[4]  # Invalid user admin from 203.0.113.7 port 41822
    assert invalid.common["username"] == "admin"
    assert (invalid.common["src_ip"], invalid.common["src_port"]) == ("203.0.113.7", 41822)
    assert invalid.fields["outcome"] == "failure"
    failed = auth_log[7]
    assert failed.common["username"] == "admin"
    assert (
        failed.fields.items()
        >= {
            "action": "ssh_login",
            "outcome": "failure",
            "auth_method": "password",
            "invalid_user": True,
        }.items()
    )
    pam = auth_log[9]
    assert (pam.common["username"], pam.common["src_ip"]) == ("root", "203.0.113.7")
    assert pam.fields["outcome"] == "failure"
    exceeded = auth_log[11]
    assert exceeded.common["username"] == "root"
    assert exceeded.common["src_port"] == 41830
    accepted = auth_log[13]
    assert accepted.common["username"] == "alice"
    assert accepted.common["src_ip"] == "192.0.2.10"
    assert accepted.fields["outcome"] == "success"
    assert accepted.fields["auth_method"] == "publickey"
    closed = auth_log[8]
    assert (closed.common["username"], closed.common["src_port"]) == ("admin", 41822)
    assert auth_log[27].common["username"] == "alice"  # Disconnected from user alice ...


def test_sudo_gives_the_user_the_target_and_the_command(auth_log: dict[int, Event]) -> None:
    sudo = auth_log[16]
    assert sudo.common["username"] == "alice"
    assert sudo.common["command_line"] == "/bin/bash"
    assert sudo.fields["sudo.target_user"] == "root"
    assert sudo.fields["sudo.pwd"] == "/home/alice"
    assert (sudo.fields["action"], sudo.fields["outcome"]) == ("sudo", "success")
    session = auth_log[17]
    assert session.common["username"] == "alice"
    assert session.fields["sudo.target_user"] == "root"
    refused = auth_log[25]
    assert refused.common["username"] == "bob"
    assert refused.common["command_line"] == "/usr/bin/cat /etc/shadow"
    assert refused.fields["outcome"] == "failure"
    assert refused.fields["sudo.reason"] == "3 incorrect password attempts"


def test_accounts_sessions_su_and_cron(auth_log: dict[int, Event]) -> None:
    assert auth_log[18].fields["action"] == "group_created"
    assert auth_log[18].fields["new_group"] == "bob"
    created = auth_log[20]
    assert created.fields["action"] == "user_created"
    assert created.common["username"] == "bob"
    assert created.fields["uid"] == "1001"
    added = auth_log[21]
    assert (added.fields["action"], added.common["username"], added.fields["group"]) == (
        "user_added_to_group",
        "bob",
        "sudo",
    )
    su = auth_log[23]
    assert su.common["username"] == "alice"
    assert su.fields["su.target_user"] == "root"
    assert auth_log[24].common["username"] == "alice"
    login = auth_log[15]
    assert (login.fields["action"], login.common["username"], login.fields["session_id"]) == (
        "session_opened",
        "alice",
        "3",
    )
    assert auth_log[30].fields["action"] == "session_closed"
    cron = auth_log[2]
    assert cron.common["username"] == "root"
    assert cron.common["command_line"] == "   cd / && run-parts --report /etc/cron.hourly"


def test_iso_lines_keep_their_offset_and_need_no_inference() -> None:
    parsed = events((FIXTURES / "messages-iso.log").read_bytes())
    assert len(parsed) == 5
    first = parsed[0]
    assert first.common["time"] == datetime(2026, 11, 23, 8, 43, 12, 123456, tzinfo=UTC)
    assert "time_inferred" not in first.common
    assert first.common["username"] == "admin"
    assert parsed[1].common["command_line"] == "/usr/bin/apt update"
    assert parsed[4].common["time"].utcoffset() == timedelta(hours=1)
    assert parsed[4].common["username"] == "alice"


def test_rfc5424_header_structured_data_and_bom() -> None:
    parsed = events((FIXTURES / "rfc5424.log").read_bytes())
    su, app_event, no_message, sshd, escaped, bare = parsed
    assert su.common["time"] == datetime(2026, 11, 23, 7, 0, 0, 123000, tzinfo=UTC)
    assert su.common["time"].utcoffset() == timedelta(hours=1)
    assert su.common["message"] == "'su root' failed for lonvick on /dev/pts/8"  # BOM dropped
    assert (su.fields["facility"], su.fields["severity"], su.common["level"]) == (
        "auth",
        "crit",
        "critical",
    )
    assert su.fields["msgid"] == "ID47"
    assert su.common["host"] == "mymachine.example.com"
    assert app_event.fields["sd.exampleSDID@32473.eventID"] == "1011"
    assert app_event.common["message"] == "An application event log entry..."
    assert no_message.fields["sd.examplePriority@32473.class"] == "high"
    assert no_message.common["message"] == ""
    assert (sshd.common["pid"], sshd.common["username"], sshd.common["src_ip"]) == (
        3101,
        "root",
        "203.0.113.7",
    )
    assert sshd.fields["facility"] == "authpriv"
    assert escaped.fields["sd.meta@1.note"] == 'a "quoted" ] value'
    assert escaped.common["message"] == "hello"
    assert bare.common["time"] is None and bare.common["time_inferred"] == "missing"
    assert "host" not in bare.common


def test_pri_on_a_3164_line_gives_facility_severity_and_level() -> None:
    event = one("<38>Nov 23 10:00:00 web1 sshd[1]: Server listening on 0.0.0.0 port 22.")
    assert (event.fields["facility"], event.fields["severity"]) == ("auth", "info")
    assert event.common["level"] == "information"
    warning = one("<12>Nov 23 10:00:00 web1 app: disk nearly full")
    assert warning.common["level"] == "warning"


def test_lines_without_host_or_tag_still_parse() -> None:
    tag_only = one("<13>Nov 23 10:00:00 su: (to root) alice on pts/0")
    assert "host" not in tag_only.common
    assert tag_only.common["process"] == "su"
    assert tag_only.common["username"] == "alice"
    untagged = one("Nov 23 10:00:00 web1 last message repeated 3 times")
    assert untagged.common["host"] == "web1"
    assert "process" not in untagged.common
    assert untagged.common["message"] == "last message repeated 3 times"


def test_december_lines_read_in_january_belong_to_last_year() -> None:
    event = one_at("Dec 31 23:59:59 web1 cron[1]: tick", datetime(2027, 1, 2, tzinfo=UTC))
    assert event.common["time"].year == 2026


def one_at(line: str, reference: datetime) -> Event:
    (event,) = events(line.encode() + b"\n", reference)
    return event


def test_hostile_text_comes_through_unchanged() -> None:
    message = (
        "<script>alert(1)</script> '; DROP TABLE events; -- "
        '\x1b[31mred\x1b[0m \x07bell \x00nul \x0bvt \x1cfs \x7fdel "q" &amp;'
    )
    line = f"Nov 23 10:00:00 web1 app[42]: {message}"
    event = one(line)
    assert event.common["message"] == message
    assert event.raw == line
    rfc5424 = one(f"<14>1 2026-11-23T10:00:00Z web1 app 42 - - {message}")
    assert rfc5424.common["message"] == message


def test_hostile_text_in_auth_fields_is_kept_verbatim() -> None:
    event = one(
        "Nov 23 10:00:00 web1 sshd[9]: Invalid user <img src=x onerror=alert(1)> "
        "from 203.0.113.9 port 22"
    )
    assert event.common["username"] == "<img src=x onerror=alert(1)>"
    sudo = one(
        "Nov 23 10:00:00 web1 sudo: alice : TTY=pts/0 ; PWD=/ ; USER=root ; "
        "COMMAND=/bin/sh -c 'x; DROP TABLE events; --'"
    )
    assert sudo.common["command_line"] == "/bin/sh -c 'x; DROP TABLE events; --'"


def test_bad_lines_are_rejected_with_their_bytes_and_nothing_is_lost() -> None:
    data = (
        b"Nov 23 10:00:00 web1 app: fine\n"
        b"this is not syslog at all\n"
        b"\n"
        b"Nov 23 10:00:01 web1 app: caf\xe9 in Latin-1\n"
        b"<999>Nov 23 10:00:02 web1 app: PRI too big\n"
        b"\xff\xfe\x00\x01garbage\n"
        b"Nov 23 10:00:03 web1 app: last line without newline"
    )
    items = parse(data)
    assert [item.record_no for item in items] == [1, 2, 4, 5, 6, 7]
    rejected = {item.record_no: item for item in items if isinstance(item, Rejected)}
    assert rejected[2].reason == "line 2: not a syslog line (no timestamp)"
    assert rejected[2].raw == b"this is not syslog at all"
    assert rejected[5].reason == "line 5: PRI <999> is out of range (0-191)"
    assert rejected[6].raw == b"\xff\xfe\x00\x01garbage"
    latin = next(item for item in items if item.record_no == 4)
    assert isinstance(latin, Event)
    assert latin.common["message"] == "café in Latin-1"
    assert latin.fields["encoding"] == "cp1252"


def test_a_huge_line_is_rejected_and_the_next_line_still_parses() -> None:
    data = (
        b"Nov 23 10:00:00 web1 app: " + b"x" * (MAX_LINE + 10) + b"\nNov 23 10:00:01 web1 app: ok\n"
    )
    huge, after = parse(data)
    assert isinstance(huge, Rejected) and "over the" in huge.reason
    assert isinstance(after, Event) and after.record_no == 2


def test_29_february_in_a_year_without_one() -> None:
    leap = one("Feb 29 10:00:00 web1 app: leap day")  # read in 2026: neither 2026 nor 2025 had one
    assert leap.common["time"] == datetime(2024, 2, 29, 10, 0, tzinfo=UTC)
    assert leap.common["time_inferred"] == "year,zone"
    (impossible,) = parse(b"Feb 30 10:00:00 web1 app: no such day\n")
    assert isinstance(impossible, Rejected)
    assert impossible.reason == "line 1: no such date or time: 'Feb 30 10:00:00'"
    (bad_time,) = parse(b"Nov 23 25:61:00 web1 app: no such time\n")
    assert isinstance(bad_time, Rejected)


def test_repeated_messages_and_the_old_pam_tag() -> None:
    repeated = one(
        "Dec 10 07:51:15 LabSZ sshd[24324]: message repeated 5 times: [ Failed password "
        "for root from 112.95.230.3 port 43018 ssh2]"
    )
    assert (repeated.common["username"], repeated.common["src_ip"]) == ("root", "112.95.230.3")
    assert repeated.fields["repeated"] == 5
    old = one(
        "Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 "
        "euid=0 tty=NODEVssh ruser= rhost=220.135.151.1  user=root"
    )
    assert old.common["process"] == "sshd(pam_unix)"
    assert (old.common["username"], old.common["src_ip"]) == ("root", "220.135.151.1")
    named = one(
        "Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= "
        "uid=0 euid=0 tty=NODEVssh ruser= rhost=zummit.com "
    )
    assert named.fields["src_host"] == "zummit.com"
    assert "src_ip" not in named.common


def test_sniff_knows_syslog_and_leaves_other_formats_alone() -> None:
    parser = SyslogParser()
    assert parser.sniff((FIXTURES / "auth.log").read_bytes()) >= 80
    assert parser.sniff((FIXTURES / "rfc5424.log").read_bytes()) >= 80
    assert parser.sniff((FIXTURES / "messages-iso.log").read_bytes()) >= 80
    assert parser.sniff(b'{"__REALTIME_TIMESTAMP":"1"}\n') == 0
    assert parser.sniff(b"ElfFile\x00" + bytes(200)) == 0
    assert parser.sniff(b"[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok\n") == 0
    assert parser.sniff(b"type=SYSCALL msg=audit(1.2:3): arch=c000003e\n") == 0
    assert parser.sniff(b"") == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=20))
def test_any_bytes_give_one_record_per_non_blank_line(lines: list[bytes]) -> None:
    cleaned = [line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines]
    items = parse(b"\n".join(cleaned))
    assert len(items) == sum(1 for line in cleaned if line.strip())


@pytest.mark.shared
@pytest.mark.parametrize("name", ["Linux", "OpenSSH", "Mac"])
def test_loghub_syslog_samples_parse_completely(name: str) -> None:
    path = LOGHUB / name / f"{name}_2k.log"
    if not path.exists():
        pytest.skip(f"reference data not found at {path} (../shared/data is absent)")
    data = path.read_bytes()
    assert SyslogParser().sniff(data[:HEAD_SIZE]) >= 80
    items = parse(data)
    assert len(items) == 2000 == len(data.splitlines())
    assert all(isinstance(item, Event) for item in items)


@pytest.mark.shared
def test_loghub_openssh_failures_all_name_user_and_address() -> None:
    path = LOGHUB / "OpenSSH" / "OpenSSH_2k.log"
    if not path.exists():
        pytest.skip(f"reference data not found at {path} (../shared/data is absent)")
    parsed = events(path.read_bytes())
    attempts = [
        e for e in parsed if e.common["message"].startswith(("Failed password", "Invalid user"))
    ]
    assert len(attempts) > 500
    assert all(e.common.get("username") and e.common.get("src_ip") for e in attempts)
    with_source = [e for e in parsed if e.common.get("src_ip") or e.fields.get("src_host")]
    assert len(with_source) / len(parsed) > 0.8


@pytest.mark.shared
def test_loghub_linux_pam_failures_name_the_remote_host() -> None:
    path = LOGHUB / "Linux" / "Linux_2k.log"
    if not path.exists():
        pytest.skip(f"reference data not found at {path} (../shared/data is absent)")
    failures = [
        e
        for e in events(path.read_bytes())
        if e.common.get("process") == "sshd(pam_unix)"
        and "authentication failure" in e.common["message"]
    ]
    assert len(failures) > 300
    assert all(e.common.get("src_ip") or e.fields.get("src_host") for e in failures)
    assert sum(1 for e in failures if e.common.get("username")) > 250


@pytest.mark.shared
@pytest.mark.parametrize("name", ["Apache", "Proxifier", "Android", "Windows"])
def test_loghub_non_syslog_samples_are_not_claimed(name: str) -> None:
    path = LOGHUB / name / f"{name}_2k.log"
    if not path.exists():
        pytest.skip(f"reference data not found at {path} (../shared/data is absent)")
    assert SyslogParser().sniff(path.read_bytes()[:HEAD_SIZE]) < 20
