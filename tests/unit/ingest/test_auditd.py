"""The auditd parser: records grouped by serial into events, hex decoded, users and commands."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.parsed import as_event, events_or_rejected

from watchkeeper.core.event import Event, Rejected
from watchkeeper.core.timeparse import YearInference
from watchkeeper.ingest.auditd import AuditdParser
from watchkeeper.ingest.base import ParseContext, Source

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "auditd"


def parse(data: bytes) -> list[Event | Rejected]:
    context = ParseContext(years=YearInference(datetime(2026, 11, 23, tzinfo=UTC)))
    return events_or_rejected(AuditdParser().parse(Source.from_bytes("audit.log", data), context))


@pytest.fixture(scope="module")
def by_serial() -> dict[int, Event]:
    items = parse((FIXTURES / "audit.log").read_bytes())
    events = [item for item in items if isinstance(item, Event)]
    assert len(events) == len(items)
    return {event.fields["serial"]: event for event in events}


def test_every_record_lands_in_exactly_one_event(by_serial: dict[int, Event]) -> None:
    # split("\n"), not splitlines(): the enriched form's \x1d separator is a line break to Python
    lines = (FIXTURES / "audit.log").read_text().rstrip("\n").split("\n")
    assert sorted(by_serial) == [4512, 4530, 4540, 4550, 4551, 4561, 4570]
    grouped = [line for event in by_serial.values() for line in event.raw.split("\n")]
    assert sorted(grouped) == sorted(lines)


def test_an_execve_event_has_its_command_process_user_and_files(
    by_serial: dict[int, Event],
) -> None:
    event = by_serial[4512]
    assert event.record_no == 1
    assert event.common["time"] == datetime(2026, 11, 23, 8, 43, 12, 123000, tzinfo=UTC)
    assert "time_inferred" not in event.common
    assert event.common["source"] == "auditd"
    assert event.common["command_line"] == "cat /etc/shadow"
    assert event.common["process"] == "/usr/bin/cat"
    assert event.common["pid"] == 3245
    assert event.common["username"] == "alice"  # AUID, the person behind sudo
    assert orjson.loads(event.fields["types"]) == [
        "SYSCALL",
        "EXECVE",
        "CWD",
        "PATH",
        "PATH",
        "PROCTITLE",
    ]
    assert event.fields["syscall.exe"] == "/usr/bin/cat"
    assert event.fields["syscall.ppid"] == "3240"
    assert event.fields["syscall.key"] == "shadow_read"
    assert event.fields["syscall.auid"] == "1000"
    assert event.fields["syscall.auid_name"] == "alice"
    assert event.fields["syscall.syscall_name"] == "execve"
    assert event.fields["execve.a1"] == "/etc/shadow"
    assert event.fields["cwd.cwd"] == "/home/alice"
    assert event.fields["path.0.name"] == "/usr/bin/cat"
    assert event.fields["path.1.name"] == "/lib64/ld-linux-x86-64.so.2"
    assert event.fields["path.1.ouid_name"] == "root"
    assert event.fields["proctitle.proctitle"] == "cat /etc/shadow"
    assert event.fields["outcome"] == "success"
    assert event.fields["action"] == "process_started"
    assert len(event.raw.split("\n")) == 7
    assert event.common["message"].endswith(": cat /etc/shadow")


def test_logins_give_the_account_address_and_result(by_serial: dict[int, Event]) -> None:
    failed = by_serial[4530]
    assert failed.common["username"] == "admin"  # acct, not the unset auid
    assert failed.common["src_ip"] == "203.0.113.7"
    assert (failed.fields["action"], failed.fields["outcome"]) == ("login", "failure")
    assert failed.fields["user_login.terminal"] == "ssh"
    assert failed.fields["user_login.auid"] == "4294967295"
    assert failed.common["process"] == "/usr/sbin/sshd"
    accepted = by_serial[4540]
    assert (accepted.common["username"], accepted.fields["outcome"]) == ("alice", "success")
    assert accepted.fields["action"] == "authentication"


def test_interleaved_events_group_and_hex_arguments_decode(by_serial: dict[int, Event]) -> None:
    shell = by_serial[4550]
    assert shell.common["command_line"] == "bash -c echo hi > /tmp/my file"
    assert shell.fields["execve.a2"] == "echo hi > /tmp/my file"
    assert shell.fields["proctitle.proctitle"] == "bash -c echo hi > /tmp/my file"
    assert shell.record_no == 10
    job = by_serial[4551]
    assert job.common["username"] == "bob"
    assert job.fields["outcome"] == "failure"
    assert job.common["command_line"] == "/opt/job"


def test_sudo_commands_and_new_users(by_serial: dict[int, Event]) -> None:
    sudo = by_serial[4561]
    assert sudo.common["command_line"] == "apt update"  # cmd= is hex in USER_CMD
    assert sudo.common["username"] == "alice"
    assert sudo.common["process"] == "/usr/bin/sudo"
    added = by_serial[4570]
    assert (added.fields["action"], added.common["username"]) == ("user_created", "bob")
    assert "src_ip" not in added.common  # addr=? is no address


def test_the_raw_format_from_a_remote_node() -> None:
    useradd, service = parse((FIXTURES / "audit-raw.log").read_bytes())
    assert isinstance(useradd, Event) and isinstance(service, Event)
    assert useradd.common["host"] == "db1"
    assert useradd.fields["node"] == "db1"
    assert useradd.common["username"] == "1002"  # no name in the raw format: the number
    assert useradd.common["command_line"] == "useradd carol"
    assert useradd.fields["syscall.key"] == "(null)"
    assert service.fields["service_start.unit"] == "cron"
    assert "username" not in service.common


def test_an_event_is_closed_by_eoe_even_when_a_serial_comes_back() -> None:
    data = (
        b"type=SYSCALL msg=audit(1795423392.000:7): syscall=59 success=yes pid=1 auid=0\n"
        b"type=EOE msg=audit(1795423392.000:7): \n"
        b"type=SYSCALL msg=audit(1795423392.000:7): syscall=59 success=yes pid=2 auid=0\n"
    )
    first, second = parse(data)
    assert isinstance(first, Event) and isinstance(second, Event)
    assert (first.common["pid"], second.common["pid"]) == (1, 2)


def test_many_open_events_are_all_flushed_in_order() -> None:
    lines = []
    for serial in range(1, 201):  # single-record events never get an EOE
        lines.append(
            f"type=USER_START msg=audit(1795423392.{serial:03d}:{serial}): pid={serial} "
            f'uid=0 auid=1000 ses=1 msg=\'op=PAM:session_open acct="u{serial}" '
            f'exe="/usr/sbin/cron" hostname=? addr=? terminal=cron res=success\''
        )
    items = parse("\n".join(lines).encode())
    assert len(items) == 200
    assert [item.record_no for item in items] == list(range(1, 201))
    assert as_event(items[199]).common["username"] == "u200"


def test_hostile_text_comes_through_unchanged() -> None:
    hostile = "<script>alert(1)</script>'; DROP TABLE events; --\x1b[31m\x07"
    encoded = hostile.encode().hex().upper()
    data = (
        f'type=EXECVE msg=audit(1795423392.000:9): argc=2 a0="sh" a1={encoded}\n'
        f"type=USER_CMD msg=audit(1795423392.000:10): pid=1 uid=0 auid=0 ses=1 "
        f'msg=\'cwd="/" cmd={encoded} exe="/usr/bin/sudo" terminal=pts/0 res=success\'\n'
    )
    execve, sudo = parse(data.encode())
    assert isinstance(execve, Event) and isinstance(sudo, Event)
    assert execve.fields["execve.a1"] == hostile
    assert execve.common["command_line"] == f"sh {hostile}"
    assert sudo.common["command_line"] == hostile


def test_truncated_and_garbage_lines_never_raise() -> None:
    data = (
        b"type=SYSCALL msg=audit(1795423392.000:11): syscall=59 success=yes pid=5 auid=1000\n"
        b"this is not an audit record\n"
        b'type=PATH msg=audit(1795423392.000:11): item=0 name="/tmp/x" \xff\xfe\n'
        b"type=SYSCALL msg=audit(1795423393.000:12): arch=c000003e syscall=59 succ\n"
        b"type=SYSCALL msg=audit(17954233"
    )
    items = parse(data)
    rejected = [item for item in items if isinstance(item, Rejected)]
    events = {item.fields["serial"]: item for item in items if isinstance(item, Event)}
    assert [item.record_no for item in rejected] == [2, 5]
    assert rejected[0].reason == "line 2: not an audit record (no type=... msg=audit(...))"
    assert rejected[1].raw == b"type=SYSCALL msg=audit(17954233"
    assert events[11].fields["path.name"] == "/tmp/x"
    assert events[11].fields["encoding"] == "cp1252"
    assert events[12].fields["syscall.arch"] == "c000003e"  # what arrived before the cut
    assert events[12].fields["syscall.syscall"] == "59"
    assert "outcome" not in events[12].fields


_RECORD_LINES = st.builds(
    lambda kind, serial, body: f"type={kind} msg=audit(1795423392.000:{serial}): {body}",
    st.sampled_from(["SYSCALL", "EXECVE", "PATH", "EOE", "USER_LOGIN", "CWD"]),
    st.integers(1, 80),
    st.text(
        alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=["Cs"]),
        max_size=60,
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        _RECORD_LINES
        | st.text(
            alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=["Cs"]),
            max_size=40,
        ),
        max_size=120,
    )
)
def test_every_line_is_in_an_event_or_rejected(lines: list[str]) -> None:
    items = parse("\n".join(lines).encode())
    kept = [line for item in items if isinstance(item, Event) for line in item.raw.split("\n")]
    kept += [item.raw.decode() for item in items if isinstance(item, Rejected)]
    assert sorted(kept) == sorted(line for line in lines if line.encode().strip())


def test_sniff() -> None:
    parser = AuditdParser()
    assert parser.sniff((FIXTURES / "audit.log").read_bytes()) >= 90
    assert parser.sniff((FIXTURES / "audit-raw.log").read_bytes()) >= 90
    assert parser.sniff(b"type=something else entirely\n") == 0
    assert parser.sniff(b"Nov 23 08:00:00 web1 kernel: audit: type=1400 audit(1.2:3)\n") == 0
    assert parser.sniff(b'{"__CURSOR":"x"}\n') == 0
