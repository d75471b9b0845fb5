"""The logging plan's YAML: saved and read back whole, and every bad file told in a sentence."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watchkeeper.setup.catalogue import PLATFORMS, recommended
from watchkeeper.setup.plan import (
    FILENAME,
    LoggingPlan,
    PlanError,
    PlannedSource,
    PlatformPlan,
    dump_plan,
    load_plan,
    parse_plan,
    plan_path,
    plan_problems,
    planned_logs,
    save_plan,
)


def _full_plan() -> LoggingPlan:
    plan = LoggingPlan()
    plan.platforms["windows"] = PlatformPlan(12, recommended("windows"))
    plan.platforms["linux"] = PlatformPlan(2, ["linux-auth", "auditd"])
    plan.platforms["macos"] = PlatformPlan(0, [])
    plan.retention_months, plan.hot_days, plan.retention_reason = 5, 60, "Our insurer's terms"
    plan.archive_folder = "Archive folder with spaces/ünïcode"
    plan.receiving.listen_on_network = True
    plan.receiving.collector_address = "logs.office.example"
    plan.receiving.listeners = {"syslog-tls": 6514, "http": 8088, "syslog-udp": 5514}
    plan.sources = [
        PlannedSource("web-1", "linux"),
        PlannedSource("PC-07.office.example", "windows", ["sysmon"]),
        PlannedSource("fe80::1", "network"),
    ]
    plan.step = 3
    plan.checked = {"web-1": "green", "PC-07.office.example": "red"}
    plan.checked_at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    return plan


def test_a_plan_saved_and_loaded_again_is_the_same_plan(tmp_path: Path) -> None:
    plan = _full_plan()
    path = save_plan(plan, tmp_path / FILENAME)
    assert load_plan(path) == plan
    assert path.read_text(encoding="utf-8").startswith("# Watchkeeper's logging plan")
    assert not (tmp_path / (FILENAME + ".tmp")).exists()


def test_the_plan_lives_in_the_config_folder_and_none_is_there_at_first() -> None:
    assert load_plan() is None
    save_plan(LoggingPlan())
    assert plan_path().is_file()
    assert load_plan() == LoggingPlan()


def test_an_empty_file_is_a_default_plan(tmp_path: Path) -> None:
    (tmp_path / FILENAME).write_bytes(b"")
    assert load_plan(tmp_path / FILENAME) == LoggingPlan()


def test_planned_logs_are_those_of_platforms_with_a_count() -> None:
    plan = _full_plan()
    plan.platforms["macos"] = PlatformPlan(0, ["macos-unified"])
    assert planned_logs(plan) == [*recommended("windows"), "linux-auth", "auditd"]


def _load(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / FILENAME
    path.write_bytes(data)
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    message = caught.value.message
    assert "\n" not in message and "Traceback" not in message
    assert caught.value.title == "Logging plan not read"
    return message


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"\xff\xfe\x00garbage\x81", "is not UTF-8 text"),
        (os.urandom(0) + bytes(range(256)), "is not UTF-8 text"),
        (b"platforms: [unclosed\n  - x", "is not valid YAML at line"),
        (b"\x00\x01\x02", "is not valid YAML"),
        (b"- a\n- list\n", "not a YAML mapping"),
        (b"just words", "not a YAML mapping"),
        (b"schema_version: 2\n", "written by a newer Watchkeeper (version 2)"),
        (b"schema_version: nine\n", "schema_version must be a whole number"),
        (b"schema_version: true\n", "schema_version must be a whole number"),
        (b"platforms: [windows]\n", "platforms: expected names and values"),
        (b"platforms:\n  toaster: {count: 1}\n", "\u201ctoaster\u201d is not one of windows"),
        (b"platforms:\n  windows: 3\n", "platforms.windows: expected count and logs"),
        (b"platforms:\n  windows: {count: many}\n", "platforms.windows.count: \u201cmany\u201d"),
        (b"platforms:\n  windows: {count: 1.5}\n", "is not a whole number"),
        (b"platforms:\n  windows: {count: 1, logs: sysmon}\n", "expected a list of names"),
        (b"platforms:\n  windows: {count: 1, logs: [1, 2]}\n", "expected a list of names"),
        (b"retention_months: [13]\n", "retention_months: \u201c[13]\u201d is not a whole number"),
        (b"hot_days: yes\n", "hot_days: \u201cTrue\u201d is not a whole number"),
        (b"retention_reason: {a: b}\n", "retention_reason: expected text"),
        (b"receiving: on\n", "receiving: expected names and values"),
        (b"receiving: {listen_on_network: maybe}\n", "expected true or false"),
        (b"receiving: {listeners: {http: eighty}}\n", "is not a port number"),
        (b"sources: web-1\n", "sources: expected a list of devices"),
        (b"sources: [web-1]\n", "sources, item 1: expected name and platform"),
        (b"sources: [{name: a, platform: fridge}]\n", "platform must be one of"),
        (b"sources: [{name: [a], platform: linux}]\n", "sources, item 1.name: expected text"),
        (b"checked_at: yesterday\n", "checked_at: \u201cyesterday\u201d is not a date"),
        (b"step: 1e3\n", "step: \u201c1e3\u201d is not a whole number"),
    ],
)
def test_a_bad_file_is_one_sentence_saying_what_is_wrong(
    tmp_path: Path, data: bytes, said: str
) -> None:
    assert said in _load(tmp_path, data)


def test_a_hostile_value_is_shown_with_its_control_characters_visible(tmp_path: Path) -> None:
    message = _load(tmp_path, b'platforms:\n  "win\\x1b[31m\\ndows<b>": {count: 1}\n')
    assert "\\x1b" in message and "\\x0a" in message and "\x1b" not in message
    long = _load(tmp_path, b"platforms:\n  " + b"x" * 5_000 + b": {count: 1}\n")
    assert len(long) < 200


def test_a_newer_plan_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / FILENAME
    path.write_text("schema_version: 7\nfuture: [things]\n", encoding="utf-8")
    with pytest.raises(PlanError):
        load_plan(path)
    assert path.read_text(encoding="utf-8") == "schema_version: 7\nfuture: [things]\n"


def test_an_unreadable_plan_says_so(tmp_path: Path) -> None:
    (tmp_path / FILENAME).mkdir()
    with pytest.raises(PlanError, match="could not be read"):
        load_plan(tmp_path / FILENAME)


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("web 1", "is not a host name"),
        ("web-1\nrm -rf /", "\\x0arm -rf /"),
        ("<img src=x onerror=alert(1)>", "is not a host name"),
        ("", "is not a host name"),
        ("-rf", "is not a host name"),
        ("x" * 300, "…"),
    ],
)
def test_a_hostile_source_name_is_refused_on_saving(tmp_path: Path, name: str, said: str) -> None:
    plan = LoggingPlan(sources=[PlannedSource(name, "linux")])
    problems = plan_problems(plan)
    assert len(problems) == 1 and said in problems[0]
    assert "\n" not in problems[0]
    with pytest.raises(PlanError):
        save_plan(plan, tmp_path / FILENAME)
    assert not (tmp_path / FILENAME).exists()


def test_every_problem_of_a_plan_is_listed() -> None:
    plan = LoggingPlan(retention_months=3, hot_days=200, step=9)
    plan.platforms["windows"] = PlatformPlan(-1, ["auditd"])
    plan.platforms["fridge"] = PlatformPlan(1, [])  # type: ignore[index]
    plan.receiving.listeners = {"http": 70_000, "telnet": 23}
    plan.receiving.collector_address = "two words"
    plan.sources = [PlannedSource("a", "linux", ["sysmon"]), PlannedSource("A", "linux")]
    problems = plan_problems(plan)
    assert problems == [
        f"{PLATFORMS['windows'].title}: a count from 0 to 100,000.",
        f"{PLATFORMS['windows'].title}: \u201cauditd\u201d is not one of its logs.",
        "\u201cfridge\u201d is not a kind of device this plan knows.",
        "Keeping events for less than 6 months needs a reason, since the guidance asks for "
        "at least 6.",
        "The http port must be from 1 to 65535, not 70000.",
        "\u201ctelnet\u201d is not a listener (one of syslog-udp, syslog-tcp, syslog-tls, "
        "json-tcp, json-tls, http).",
        "\u201ctwo words\u201d is not a host name or address endpoints can use.",
        "a: \u201csysmon\u201d is not one of its logs.",
        "A is planned twice.",
        "The wizard's step is from 1 to 4.",
    ]


def test_a_plan_that_cannot_be_written_says_where(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(PlanError, match="could not be saved in"):
        save_plan(LoggingPlan(), blocker / "sub" / FILENAME)


def test_a_hostile_reason_and_folder_survive_the_round_trip(tmp_path: Path) -> None:
    plan = LoggingPlan(retention_months=3)
    plan.retention_reason = "<b>bold</b>\nline two\t# not a comment: {x: [1]}"
    plan.archive_folder = "'; DROP TABLE events; --"
    path = save_plan(plan, tmp_path / FILENAME)
    assert load_plan(path) == plan
    assert parse_plan(dump_plan(plan)) == plan
