"""Incidents over a real store: opening one from a detection, status moves and their rules,
links, the timeline, the 72-hour warning, the history of every change, `incident:` in the
filter language, and a version-4 store migrated."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from tests.unit.storage.test_detections import (
    FAILED,
    FAILED_ID,
    START,
    burst,
    feed,
    line,
    of,
    ruleset,
)

from watchkeeper.core.errors import FilterSyntaxError, WatchkeeperError
from watchkeeper.detection.engine import detect
from watchkeeper.storage import detections, incident_links, incidents, schema
from watchkeeper.storage.filters import compile_filter
from watchkeeper.storage.incident_views import detail, is_regulator, list_incidents
from watchkeeper.storage.queries import search
from watchkeeper.storage.store import Store

NOW = datetime(2026, 11, 30, 12, 0)
HOSTILE = [
    "<script>alert(1)</script><b>bold</b>",
    "x'); DROP TABLE incidents; --",
    "bell\x07 escape\x1b[31m red\x00 nul",
    "abc\u202edcba",
    "A" * 10_000,
]


def _detected(store: Store, tmp_path: Path) -> int:
    """A detection of a brute force on web01 (5 events) and one on db01 (2)."""
    feed(store, tmp_path, burst(START, 5) + burst(START, 2, host="db01", user="root"))
    detect(store, ruleset(tmp_path, failed=FAILED))
    return next(d.id for d in of(store, FAILED_ID) if d.host == "web01")


def _events(store: Store, text: str) -> list[int]:
    where = compile_filter(text, store)
    result = search(store, where.where, where.params, limit=1000)
    return sorted(int(row[result.columns.index("id")]) for row in result.rows)


def test_escalating_a_detection_opens_an_incident_from_it(store: Store, tmp_path: Path) -> None:
    detection = _detected(store, tmp_path)
    number = incident_links.escalate(store, detection, "alice", NOW)
    found = detail(store, number, NOW)
    item = found.incident
    assert (item.label, item.title, item.severity_word, item.status) == (
        f"INC-{number}",
        "SSH failed password on web01",
        "high",
        "open",
    )
    assert (found.hosts, found.users, item.opened, item.created_by) == (
        ["web01"],
        ["admin"],
        NOW,
        "alice",
    )
    assert [d.id for d in found.detections] == [detection]
    (escalated,) = [d for d in of(store) if d.id == detection]
    assert (escalated.state, escalated.incident) == ("escalated", f"INC-{number}")
    assert detections.history(store, detection)[-1].by == "alice"
    # the timeline has the opening and the detection, in time order
    assert [t.kind for t in found.timeline] == ["detection", "change"]
    assert found.timeline[0].at == START and found.timeline[0].who == "web01"
    assert found.timeline[0].text == f"SSH failed password (5 events; detection {detection})"

    # the other detection joins the same incident, adding its host and user
    other = next(d.id for d in of(store) if d.host == "db01")
    assert incident_links.escalate(store, other, "bob", NOW, number) == number
    again = detail(store, number, NOW)
    assert (again.hosts, again.users) == (["db01", "web01"], ["admin", "root"])
    assert [i.detections for i in list_incidents(store)] == [2]


def test_incident_filter_finds_linked_events_and_those_of_its_detections(
    store: Store, tmp_path: Path
) -> None:
    detection = _detected(store, tmp_path)
    number = incident_links.escalate(store, detection, "alice", NOW)
    web = _events(store, "host:web01")
    db = _events(store, "host:db01")
    assert _events(store, f"incident:INC-{number}") == web
    assert _events(store, f"incident:inc-{number}") == _events(store, f"incident:{number}")
    incident_links.link(store, number, "event", [db[0]], "alice", NOW)
    assert _events(store, f"incident:INC-{number}") == sorted([*web, db[0]])
    assert _events(store, f"incident:INC-{number} host:db01") == [db[0]]
    assert _events(store, f"-incident:INC-{number}") == db[1:]
    assert _events(store, "incident:*") == sorted([*web, db[0]])
    assert _events(store, "incident:INC-99") == []
    for bad in ("incident:abc", "incident:>3", "incident:'; DROP TABLE events"):
        with pytest.raises(FilterSyntaxError, match="incident: takes an incident's id"):
            compile_filter(bad, store)


def test_status_moves_closing_needs_a_resolution_and_reopening_a_reason(store: Store) -> None:
    number = incidents.create(store, "Laptop stolen", "alice", NOW, "critical")
    later = NOW + timedelta(hours=1)
    incidents.set_status(store, number, "investigating", "alice", later)
    with pytest.raises(WatchkeeperError, match="Say how INC-1 ended before closing it"):
        incidents.set_status(store, number, "closed", "alice", later)
    with pytest.raises(WatchkeeperError, match="is already investigating"):
        incidents.set_status(store, number, "investigating", "alice", later)
    with pytest.raises(WatchkeeperError, match="not an incident status"):
        incidents.set_status(store, number, "<b>done</b>", "alice", later)
    with pytest.raises(WatchkeeperError, match="not a resolution"):
        incidents.set_status(store, number, "closed", "alice", later, resolution="maybe")
    incidents.set_status(
        store, number, "closed", "bob", later, resolution="True-Positive"
    )  # skipping ahead is allowed
    item = detail(store, number, later).incident
    assert (item.status, item.resolution, item.closed) == ("closed", "true positive", later)
    with pytest.raises(WatchkeeperError, match="say why you are reopening"):
        incidents.set_status(store, number, "investigating", "bob", later)
    incidents.set_status(
        store, number, "investigating", "bob", later, reason="the thief logged in again"
    )
    found = detail(store, number, later)
    assert (found.incident.status, found.incident.resolution, found.incident.closed) == (
        "investigating",
        "",
        None,
    )
    reopened = [c for c in found.history if c.field == "status"][-1]
    assert (reopened.old, reopened.new, reopened.by, reopened.reason) == (
        "closed",
        "investigating",
        "bob",
        "the thief logged in again",
    )
    assert "(the thief logged in again)" in found.timeline[-1].text


def test_hostile_text_in_every_field_is_kept_exactly(store: Store) -> None:
    for text in HOSTILE:
        number = incidents.create(store, text, text, NOW, 1)
        incidents.update(
            store, number, text, NOW, owner=text, summary=text, impact=text, lessons=text
        )
        incidents.add_entry(store, number, "note", text, text, NOW)
        incidents.add_entry(store, number, "action", text, text, NOW)
        incidents.add_entry(store, number, "notification", text, text, NOW, recipient=text)
        incident_links.link(store, number, "host", [text], text, NOW)
        incident_links.link(store, number, "user", [text], text, NOW)
        incident_links.link(store, number, "device", [text], text, NOW)
        found = detail(store, number, NOW)
        item = found.incident
        assert {item.title, item.owner, item.summary, item.impact, item.lessons} == {text}
        assert found.hosts == found.users == found.devices == [text]
        assert [(e.kind, e.text, e.by) for e in found.entries] == [
            ("note", text, text),
            ("action", text, text),
            ("notification", text, text),
        ]
        assert found.entries[2].recipient == text
    assert len(list_incidents(store)) == len(HOSTILE)
    assert store.fetch_one("SELECT count(*) FROM events") == (0,)  # no SQL obeyed


def test_empty_values_and_unknown_ids_are_refused_with_a_sentence(store: Store) -> None:
    with pytest.raises(WatchkeeperError, match="needs a title"):
        incidents.create(store, "  ", "alice", NOW)
    with pytest.raises(WatchkeeperError, match="not a severity"):
        incidents.create(store, "x", "alice", NOW, 7)
    number = incidents.create(store, "An incident with no events", "alice", NOW)
    with pytest.raises(WatchkeeperError, match="There is no incident INC-42"):
        detail(store, 42, NOW)
    with pytest.raises(WatchkeeperError, match="There is no event 999; nothing was added"):
        incident_links.link(store, number, "event", [999], "alice", NOW)
    with pytest.raises(WatchkeeperError, match="There is no detection 5"):
        incident_links.escalate(store, 5, "alice", NOW, number)
    with pytest.raises(WatchkeeperError, match="note is empty"):
        incidents.add_entry(store, number, "note", " ", "alice", NOW)
    with pytest.raises(WatchkeeperError, match="whom you notified"):
        incidents.add_entry(store, number, "notification", "sent", "alice", NOW, recipient="")
    with pytest.raises(WatchkeeperError, match="not an incident id"):
        incidents.parse_id("INC-seven")
    assert [incidents.parse_id(t) for t in ("INC-7", "inc7", "#7", " 7 ")] == [7, 7, 7, 7]
    found = detail(store, number, NOW)
    assert (found.event_ids, found.detections, found.hosts) == ([], [], [])
    assert [t.text for t in found.timeline] == ["Incident opened"]


def test_the_72_hours_of_a_personal_data_breach(store: Store) -> None:
    number = incidents.create(store, "Customer list copied", "alice", NOW, 4)
    assert detail(store, number, NOW).warning is None  # no personal data said yet
    incidents.update(store, number, "alice", NOW, personal_data=True)
    warning = detail(store, number, NOW + timedelta(hours=2)).warning
    assert warning is not None
    assert "tell the regulator (the ICO) by 2026-12-03 12:00 UTC, 70 h from now" in warning
    late = detail(store, number, NOW + timedelta(hours=75)).warning
    assert late is not None and "ran out at 2026-12-03 12:00 UTC, 3 h ago" in late
    incidents.add_entry(
        store, number, "notification", "insurer told", "alice", NOW, recipient="Insurer"
    )
    assert detail(store, number, NOW + timedelta(hours=75)).warning is not None
    incidents.add_entry(
        store,
        number,
        "notification",
        "case 123",
        "alice",
        NOW,
        at=NOW + timedelta(hours=30),
        recipient="ICO",
    )
    found = detail(store, number, NOW + timedelta(hours=75))
    assert found.warning is None
    assert [is_regulator(t) for t in ("the ICO.", "Information Commissioner's Office")] == [
        True,
        True,
    ]
    assert [is_regulator(t) for t in ("Police", "Bicorp insurance", "NCSC")] == [False] * 3
    assert found.of_kind("notification")[-1].at == NOW + timedelta(hours=30)


def test_every_change_is_in_the_history(store: Store) -> None:
    number = incidents.create(store, "Phishing", "alice", NOW)
    assert incidents.update(store, number, "bob", NOW, owner="bob", severity="high") == 2
    assert incidents.update(store, number, "bob", NOW, owner="bob") == 0  # no change
    incident_links.link(store, number, "host", ["pc-01", "pc-01", "pc-02"], "bob", NOW)
    assert incident_links.link(store, number, "host", ["pc-01"], "bob", NOW) == 0
    history = [(c.by, c.field, c.old, c.new) for c in detail(store, number, NOW).history]
    assert history == [
        ("alice", "status", "", "open"),
        ("bob", "owner", "", "bob"),
        ("bob", "severity", "2", "3"),
        ("bob", "host", "", "pc-01"),
        ("bob", "host", "", "pc-02"),
    ]


def test_a_version_4_store_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        _detected(store, tmp_path)
    con = duckdb.connect(str(path))
    for statement in schema._V6 + schema._V5:
        con.execute(f"DROP TABLE {statement.split()[2]}")
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    con.close()
    with Store(path) as reopened:
        assert schema.current_version(reopened.cursor()) == schema.SCHEMA_VERSION
        detection = next(d.id for d in of(reopened) if d.host == "web01")
        number = incident_links.escalate(reopened, detection, "alice", NOW)
        assert detail(reopened, number, NOW).hosts == ["web01"]


def test_a_linked_detection_merged_into_an_older_one_keeps_its_incident(
    store: Store, tmp_path: Path
) -> None:
    rules = ruleset(tmp_path, failed=FAILED)
    feed(store, tmp_path, burst(START, 2) + burst(START + timedelta(minutes=110), 2))
    detect(store, rules)
    early, late = of(store)
    number = incident_links.escalate(store, late.id, "alice", NOW)
    # 55 minutes after the first burst: less than an hour from both, so they become one
    feed(store, tmp_path, line(START + timedelta(minutes=55)))
    detect(store, rules)
    (merged,) = of(store)
    assert merged.id == early.id
    assert [d.id for d in detail(store, number, NOW).detections] == [early.id]
    assert len(_events(store, f"incident:INC-{number}")) == 5


def test_escalating_one_step_brings_its_story_into_the_incident(
    store: Store, tmp_path: Path
) -> None:
    """Two severe detections on one host minutes apart are one story: escalating either
    makes one incident of both, at the higher severity, both marked escalated."""
    from tests.unit.storage.test_detections import ALL, _rule

    from watchkeeper.storage.detection_views import list_detections

    rules = ruleset(
        tmp_path,
        guess=_rule(1, "Password guessed", "high", "attack.credential-access", "Failed password"),
        later=_rule(2, "Later step", "critical", "attack.persistence", "for someone"),
    )
    feed(store, tmp_path, burst(START, 2) + line(START + timedelta(minutes=10), user="someone"))
    detect(store, rules)
    found = {d.title: d for d in list_detections(store, ALL)}
    guessed, later = found["Password guessed"], found["Later step"]
    number = incident_links.escalate(store, guessed.id, "ana", NOW)
    shown = detail(store, number, NOW)
    assert sorted(d.id for d in shown.detections) == sorted([guessed.id, later.id])
    assert shown.incident.severity == 4  # the critical step's
    assert shown.incident.title == "Password guessed on web01, with 1 related detection"
    states = {d.title: d.state for d in list_detections(store, ALL)}
    assert states == {"Password guessed": "escalated", "Later step": "escalated"}
    # escalating alone, when asked, takes the one detection only
    feed(store, tmp_path, burst(START + timedelta(hours=5), 2, host="db01"))
    detect(store, rules)
    alone = next(d for d in list_detections(store, ALL) if d.host == "db01")
    other = incident_links.escalate(store, alone.id, "ana", NOW, story=False)
    assert [d.id for d in detail(store, other, NOW).detections] == [alone.id]
