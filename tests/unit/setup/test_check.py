"""Step 4's checklist on a real store, fed through the collector's spool and loader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.unit.storage.test_sources import deliver, every, json_message, syslog

from watchkeeper.core.settings import Settings
from watchkeeper.setup.check import check_plan, record_result
from watchkeeper.setup.check_items import CheckItem
from watchkeeper.setup.plan import (
    LoggingPlan,
    PlannedSource,
    PlatformPlan,
    dump_plan,
    parse_plan,
)
from watchkeeper.storage.store import Store

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MARKER = "WK-TEST-0A1B2C3D4E"


def linux_plan(*names: str, logs: tuple[str, ...] = ("linux-auth", "journald")) -> LoggingPlan:
    return LoggingPlan(
        platforms={"linux": PlatformPlan(count=len(names), logs=list(logs))},
        sources=[PlannedSource(name, "linux") for name in names],
    )


def items(row: object) -> dict[str, CheckItem]:
    return {item.label: item for item in row.items}  # type: ignore[attr-defined]


def healthy_linux(host: str, peer: str, transport: str = "tls", clock: float = 0.0) -> list:  # type: ignore[type-arg]
    """A server's day: sshd and cron every ten minutes, and its test event."""
    times = every(600, 30, NOW - timedelta(minutes=1))
    messages = [
        syslog(peer, t, host=host, app="sshd", transport=transport, clock=clock) for t in times
    ]
    messages += [
        syslog(peer, t, host=host, app="CRON", transport=transport, clock=clock) for t in times
    ]
    messages.append(
        syslog(
            peer,
            NOW - timedelta(seconds=30),
            host=host,
            app="watchkeeper-test",
            transport=transport,
            clock=clock,
            text=MARKER,
        )
    )
    return messages


def test_a_source_that_never_sent_is_red_and_says_what_to_do(store: Store) -> None:
    [row] = check_plan(store, linux_plan("web01"), NOW, Settings())
    assert row.name == "web01" and row.state == "red"
    seen = items(row)["Seen"]
    assert seen.state == "red"
    assert seen.detail == "Nothing has arrived from web01 yet."
    assert "port 6514" in seen.fix and row.fix == seen.fix
    # the rest waits: amber, nothing found either way
    assert {i.state for label, i in items(row).items() if label != "Seen"} == {"amber"}
    assert row.summary == seen.detail


def test_a_healthy_server_over_tls_with_its_test_event_is_green(
    store: Store, tmp_path: Path
) -> None:
    deliver(store, tmp_path / "spool", healthy_linux("web01.office.lan", "10.0.0.5"))
    [row] = check_plan(store, linux_plan("WEB01"), NOW, Settings(), {"web01": MARKER})
    assert row.state == "green", [(i.label, i.state, i.detail) for i in row.items]
    found = items(row)
    assert found["Test event"].detail == f"Test event {MARKER} arrived."
    assert found["Clock"].detail.startswith("Within 0.0 s")
    assert found["sshd or sudo"].detail == "30 in the last 24 h."
    assert found["Encrypted"].detail == "Every message came over tls."
    assert row.fix == "" and row.summary == "Everything checked arrives as planned."
    # by its address too
    [by_address] = check_plan(store, linux_plan("10.0.0.5"), NOW, Settings(), {})
    assert by_address.state == "green"


def test_waiting_for_the_test_event_and_a_missing_log_are_amber(
    store: Store, tmp_path: Path
) -> None:
    messages = [m for m in healthy_linux("web01", "10.0.0.5") if b"WK-TEST" not in m.message]
    deliver(store, tmp_path / "spool", messages)
    plan = linux_plan("web01", logs=("linux-auth", "journald", "auditd"))
    [row] = check_plan(store, plan, NOW, Settings(), {"web01": MARKER})
    assert row.state == "amber"
    found = items(row)
    assert found["Test event"].state == "amber"
    assert found["Test event"].detail == f"Waiting for the test event {MARKER} from web01."
    assert found["auditd records"].state == "amber"
    assert found["auditd records"].detail == "None in the last 24 h."
    assert "audit rules" in found["auditd records"].fix
    assert row.fix == "Run the test command on web01, then check again."
    # any earlier test marker counts when none is named
    deliver(
        store,
        tmp_path / "spool2",
        [syslog("10.0.0.5", NOW - timedelta(hours=3), host="web01", text="WK-TEST-FFEE001122 hi")],
    )
    [row] = check_plan(store, plan, NOW, Settings())
    assert items(row)["Test event"].detail == "Test event WK-TEST-FFEE001122 arrived."
    # ... but not when another marker is asked for
    [row] = check_plan(store, plan, NOW, Settings(), {"WEB01": MARKER})
    assert items(row)["Test event"].state == "amber"


def test_a_clock_ahead_and_plain_tcp_are_red(store: Store, tmp_path: Path) -> None:
    deliver(store, tmp_path / "spool", healthy_linux("db01", "10.0.0.6", "tcp", clock=95))
    [row] = check_plan(store, linux_plan("db01"), NOW, Settings())
    found = items(row)
    assert row.state == "red"
    assert found["Clock"].detail == "The clock of db01 is 95 s ahead of this computer's."
    assert "time synchronisation" in found["Clock"].fix
    assert found["Encrypted"].state == "red"
    assert found["Encrypted"].detail == "Messages from db01 crossed the network unencrypted (tcp)."
    assert row.fix == found["Clock"].fix  # the first red item's


def test_a_clock_behind_within_two_seconds_is_green(store: Store, tmp_path: Path) -> None:
    deliver(store, tmp_path / "spool", healthy_linux("db01", "10.0.0.6", clock=-1.5))
    [row] = check_plan(store, linux_plan("db01"), NOW, Settings())
    assert items(row)["Clock"].state == "green"
    deliver(store, tmp_path / "spool2", healthy_linux("db02", "10.0.0.7", clock=-4))
    [row] = check_plan(store, linux_plan("db02"), NOW, Settings())
    assert items(row)["Clock"].detail == "The clock of db02 is 4.0 s behind this computer's."


def test_a_source_that_stopped_turns_red_and_its_logs_amber(store: Store, tmp_path: Path) -> None:
    deliver(store, tmp_path / "spool", healthy_linux("web01", "10.0.0.5"))
    later = NOW + timedelta(days=2)
    [row] = check_plan(store, linux_plan("web01"), later, Settings())
    found = items(row)
    assert row.state == "red"
    assert found["Seen"].detail == "Silent: nothing from web01 for 2 days."
    assert found["sshd or sudo"].state == "amber"
    assert found["Test event"].state == "green"  # it was proved once


def test_windows_4688_needs_its_command_line(store: Store, tmp_path: Path) -> None:
    def event(command_line: str | None, minutes: int) -> object:
        document: dict[str, object] = {
            "Hostname": "PC1",
            "Channel": "Security",
            "EventID": 4688,
            "EventTime": (NOW - timedelta(minutes=minutes)).isoformat(),
            "Message": "A new process has been created.",
        }
        if command_line is not None:
            document["CommandLine"] = command_line
        return json_message("10.0.0.9", NOW - timedelta(minutes=minutes), document, "tls")

    plan = LoggingPlan(
        platforms={"windows": PlatformPlan(count=1, logs=["windows-security"])},
        sources=[PlannedSource("pc1", "windows")],
    )
    deliver(store, tmp_path / "spool", [event(None, 5), event("", 4)])  # type: ignore[list-item]
    [row] = check_plan(store, plan, NOW, Settings())
    assert items(row)["4688 with a command line"].state == "amber"
    deliver(store, tmp_path / "spool2", [event("cmd.exe /c whoami", 3)])  # type: ignore[list-item]
    [row] = check_plan(store, plan, NOW, Settings())
    assert items(row)["4688 with a command line"].detail == "1 in the last 24 h."
    assert items(row)["4624 sign-ins"].state == "amber"


@pytest.mark.parametrize(
    "name", ["<b>web</b>", "web01\nFAKE: all green", "web'; DROP TABLE events; --", "ü" * 300]
)
def test_hostile_names_are_rows_with_printable_sentences(
    store: Store, tmp_path: Path, name: str
) -> None:
    deliver(store, tmp_path / "spool", healthy_linux("web01", "10.0.0.5"))
    plan = linux_plan("x")
    plan.sources[0].name = name  # as a hand-edited plan may hold it
    [row] = check_plan(store, plan, NOW, Settings(), {name: "<i>"})
    assert row.name == name and row.state == "red"
    for item in row.items:
        assert "\n" not in item.detail and "\n" not in item.fix
    assert store.event_count() == 61  # nothing was run as SQL


def test_phones_are_not_forwarded_and_mdm_rows_say_so(store: Store) -> None:
    plan = LoggingPlan(
        platforms={"mdm": PlatformPlan(count=5, logs=["mdm-export"])},
        sources=[PlannedSource("phone1", "mdm")],
    )
    [row] = check_plan(store, plan, NOW, Settings())
    assert row.state == "amber"
    assert row.fix == "Import your device management's export in Devices instead."


def test_the_result_is_kept_in_the_plan(store: Store, tmp_path: Path) -> None:
    deliver(store, tmp_path / "spool", healthy_linux("web01", "10.0.0.5"))
    plan = linux_plan("web01", "db01")
    rows = check_plan(store, plan, NOW, Settings())
    record_result(plan, rows, NOW)
    again = parse_plan(dump_plan(plan))
    assert again.checked == {"web01": "green", "db01": "red"}
    assert again.checked_at == NOW


def test_audit_records_forwarded_by_rsyslog_count_as_auditd(store: Store, tmp_path: Path) -> None:
    """The generated rsyslog file forwards audit.log with the tag auditd (imfile)."""
    record = 'type=EXECVE msg=audit(1780315200.123:42): argc=2 a0="id" a1="-u"'
    messages = healthy_linux("web01", "10.0.0.5")
    messages.append(
        syslog(
            "10.0.0.5",
            NOW - timedelta(minutes=5),
            host="web01",
            app="auditd",
            transport="tls",
            text=record,
        )
    )
    deliver(store, tmp_path / "spool", messages)
    plan = linux_plan("web01", logs=("linux-auth", "journald", "auditd"))
    [row] = check_plan(store, plan, NOW, Settings(), {"web01": MARKER})
    assert items(row)["auditd records"].state == "green"
    assert row.state == "green", [(i.label, i.state, i.detail) for i in row.items]
