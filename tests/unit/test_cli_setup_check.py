"""`watchkeeper setup check`: the checklist on the terminal and as JSON, and its exit codes."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.unit.storage.test_sources import syslog

from watchkeeper.cli import run
from watchkeeper.collect.spool import Received, Spool, spool_folder
from watchkeeper.setup.plan import LoggingPlan, PlannedSource, PlatformPlan, load_plan, save_plan

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MARKER = "WK-TEST-00AA11BB22"


def forwarded(db: Path, messages: list[Received]) -> None:
    """As the collector leaves them: in the spool beside the store, loaded by the command."""
    spool = Spool(spool_folder(db), segment_seconds=0)
    spool.append(messages)
    spool.close()


def server(host: str, transport: str = "tls") -> list[Received]:
    times = [NOW - timedelta(minutes=m) for m in range(1, 40, 3)]
    messages = [syslog("10.0.0.5", t, host=host, app="sshd", transport=transport) for t in times]
    messages += [syslog("10.0.0.5", t, host=host, app="cron", transport=transport) for t in times]
    messages.append(
        syslog("10.0.0.5", NOW, host=host, app="watchkeeper-test", transport=transport, text=MARKER)
    )
    return messages


def plan_of(*names: str) -> LoggingPlan:
    return LoggingPlan(
        platforms={"linux": PlatformPlan(count=2, logs=["linux-auth", "journald"])},
        sources=[PlannedSource(name, "linux") for name in names],
    )


def check(db: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["setup", "check", "--db", str(db), *args], out, err, clock=lambda: NOW)
    return code, out.getvalue(), err.getvalue()


def test_without_a_plan_it_says_so_in_one_line(tmp_path: Path) -> None:
    code, out, err = check(tmp_path / "store.duckdb")
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert "There is no logging plan yet" in err
    save_plan(LoggingPlan())
    code, _, err = check(tmp_path / "store.duckdb")
    assert code == 1 and "names no sources to check" in err


def test_all_green_exits_0_and_any_red_exits_1(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    save_plan(plan_of("web01"))
    forwarded(db, server("web01"))
    code, out, _ = check(db, "--marker", f"web01={MARKER}")
    assert code == 0, out
    assert out.splitlines()[1].startswith("green  web01")
    assert "1 of 1 source(s) green." in out
    assert "\033[" not in out  # colours only on a terminal

    save_plan(plan_of("web01", "db01"))
    code, out, _ = check(db, "--save")
    assert code == 1
    lines = out.splitlines()
    assert lines[2].startswith("red    db01") and "Apply the generated configuration" in lines[2]
    assert "db01 (red):" in out
    assert 'to send the test event: logger -t watchkeeper-test "WK-TEST-' in out
    saved = load_plan()
    assert saved is not None and saved.checked == {"web01": "green", "db01": "red"}
    assert saved.checked_at == NOW


def test_json_has_every_item_and_the_test_command(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    save_plan(plan_of("web01"))
    forwarded(db, server("web01", transport="udp"))
    code, out, _ = check(db, "--json", "--marker", f"WEB01={MARKER}")
    document: dict[str, Any] = json.loads(out)
    assert code == 1 and document["exit_code"] == 1 and not document["all_green"]
    [row] = document["sources"]
    assert row["state"] == "red" and row["marker"] == MARKER
    assert row["test_command"] == f'logger -t watchkeeper-test "{MARKER}"'
    states = {item["label"]: item["state"] for item in row["items"]}
    assert states == {
        "Seen": "green",
        "Test event": "green",
        "Clock": "green",
        "sshd or sudo": "green",
        "syslog messages": "green",
        "Encrypted": "red",
    }
    assert row["fix"] == "Send over TLS to port 6514, as the generated configuration does."


def test_bad_markers_are_usage_errors(tmp_path: Path) -> None:
    save_plan(plan_of("web01"))
    for bad in ("web01", "=WK-TEST-1", 'web01=a"; rm -rf ~', "web01=x\ny", "web01=" + "a" * 65):
        code, out, err = check(tmp_path / "store.duckdb", "--marker", bad)
        assert code == 2 and out == "", bad
        assert err.count("\n") == 1, err


def test_hostile_names_print_on_one_line_each(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    plan = plan_of("x")
    plan.sources[0].name = "web\n\033[31mFAKE green"  # as a hand-edited file may hold it
    (tmp_path / "home").mkdir(exist_ok=True)
    from watchkeeper.setup.plan import dump_plan, plan_path

    plan_path().parent.mkdir(parents=True, exist_ok=True)
    plan_path().write_text(dump_plan(plan), encoding="utf-8")
    forwarded(db, server("web01"))
    code, out, _ = check(db)
    assert code == 1
    assert "\033" not in out
    assert "web \\x1b[31mFAKE green" in out
