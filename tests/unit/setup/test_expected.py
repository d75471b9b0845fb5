"""The plan drives Sources: planned sources never heard and planned logs not arriving are silent."""

from __future__ import annotations

import io
from pathlib import Path

from tests.unit.storage.test_sources import NOW, deliver, every, syslog

from watchkeeper.cli import run
from watchkeeper.collect.spool import Spool, spool_folder
from watchkeeper.setup.expected import (
    MISSING,
    NEVER_SEEN,
    missing_sentence,
    planned_rows,
    saved_plan,
    with_plan,
)
from watchkeeper.setup.plan import LoggingPlan, PlannedSource, PlatformPlan, plan_path, save_plan
from watchkeeper.storage.sources import source_rows
from watchkeeper.storage.store import Store


def office() -> LoggingPlan:
    return LoggingPlan(
        platforms={
            "linux": PlatformPlan(count=2, logs=["linux-auth", "auditd"]),
            "mdm": PlatformPlan(count=9, logs=["mdm-export"]),
        },
        sources=[
            PlannedSource("web01", "linux"),
            PlannedSource("db01", "linux"),
            PlannedSource("phone1", "mdm"),
        ],
    )


def web01_sshd() -> list:  # type: ignore[type-arg]
    return [syslog("10.0.0.5", t, host="web01", app="sshd") for t in every(60, 30, NOW)]


def test_planned_sources_never_heard_and_logs_not_arriving_are_silent(
    store: Store, tmp_path: Path
) -> None:
    assert planned_rows(store, None, [], NOW) == []
    deliver(store, tmp_path / "spool", web01_sshd())
    heard = source_rows(store, NOW)
    rows = planned_rows(store, office(), heard, NOW)
    assert [(r.host, r.application, r.status, r.events) for r in rows] == [
        ("web01", f"auditd records ({MISSING})", "silent", 0),
        ("db01", NEVER_SEEN, "silent", 0),
    ]  # the phone is imported, never forwarded: nothing expected of it
    merged = with_plan(store, office(), heard, NOW)
    assert [r.status for r in merged] == ["silent", "silent", "receiving"]
    assert missing_sentence(merged) == (
        "Missing from the logging plan: never heard from db01; "
        "not seen in 24 h: auditd records from web01."
    )
    assert missing_sentence(heard) == ""


def test_the_sentence_names_three_and_counts_the_rest(store: Store) -> None:
    plan = LoggingPlan(
        platforms={"linux": PlatformPlan(count=5, logs=["linux-auth"])},
        sources=[PlannedSource(f"srv{n}", "linux") for n in range(5)],
    )
    rows = planned_rows(store, plan, [], NOW)
    assert missing_sentence(rows) == (
        "Missing from the logging plan: never heard from srv0, srv1, srv2 and 2 more."
    )


def test_a_hostile_name_stays_on_one_line(store: Store) -> None:
    plan = office()
    plan.sources[1].name = "db01\nFAKE: all <b>fine</b>"
    sentence = missing_sentence(planned_rows(store, plan, [], NOW))
    assert "\n" not in sentence and "db01\\x0aFAKE: all <b>fine</b>" in sentence


def test_an_unreadable_plan_adds_nothing() -> None:
    assert saved_plan() is None
    plan_path().parent.mkdir(parents=True, exist_ok=True)
    plan_path().write_text("sources: [oops", encoding="utf-8")
    assert saved_plan() is None


def test_watchkeeper_sources_lists_the_planned_ones(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    spool = Spool(spool_folder(db), segment_seconds=0)
    spool.append(web01_sshd())
    spool.close()
    save_plan(office())
    out = io.StringIO()
    code = run(["sources", "--db", str(db)], out, io.StringIO(), clock=lambda: NOW)
    assert code == 0
    text = out.getvalue()
    assert "silent    db01" in text and "planned, never seen" in text and "never" in text
    assert "auditd records (planned, …" in text
    assert "2 source(s) silent." in text
    assert text.endswith(
        "Missing from the logging plan: never heard from db01; "
        "not seen in 24 h: auditd records from web01.\n"
    )
