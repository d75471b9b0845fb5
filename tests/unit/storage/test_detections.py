"""Detections over a real store: hits grouped by rule, host, user and burst; merging; a hunt
over everything keeping triage; suppressions; triage states and their history; stories."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from watchkeeper.core.errors import WatchkeeperError
from watchkeeper.detection.engine import detect
from watchkeeper.detection.rules import RuleCache, RuleSet, load_rules
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage import detection_views, detections, hits, schema
from watchkeeper.storage.detection_views import DetectionFilter, list_detections
from watchkeeper.storage.store import Store

NOW = datetime(2026, 11, 30, 12, 0)
START = datetime(2026, 11, 23, 8, 0)

FAILED = """title: SSH failed password
id: 11111111-0000-4000-8000-000000000001
status: stable
level: high
tags: [attack.credential-access, attack.t1110]
logsource: {product: linux, service: sshd}
detection:
    keywords: ['Failed password']
    condition: keywords
"""
ADMIN = """title: SSH failure for a named account
id: 11111111-0000-4000-8000-000000000002
status: stable
level: medium
logsource: {product: linux, service: sshd}
detection:
    keywords: ['Failed password']
    selection:
        username: [admin, root]
    condition: keywords and selection
"""
FAILED_ID = "11111111-0000-4000-8000-000000000001"
ADMIN_ID = "11111111-0000-4000-8000-000000000002"
ALL = DetectionFilter()


def line(when: datetime, host: str = "web01", user: str = "admin") -> str:
    return (
        f"{when:%b %d %H:%M:%S} {host} sshd[{when.minute + 100}]: Failed password for {user} "
        f"from 203.0.113.7 port {40000 + when.second} ssh2\n"
    )


def burst(start: datetime, count: int, every: int = 1, **kwargs: str) -> str:
    return "".join(line(start + timedelta(seconds=n * every), **kwargs) for n in range(count))


def ruleset(tmp_path: Path, **texts: str) -> RuleSet:
    folder = tmp_path / "rules"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.yml").write_text(text)
    return load_rules([folder], cache=RuleCache(None))


_imports = iter(range(1_000_000))


def feed(store: Store, tmp_path: Path, text: str) -> None:
    path = tmp_path / f"auth{next(_imports)}.log"
    path.write_text(text)
    import_paths(store, [path])


def of(store: Store, rule_id: str = FAILED_ID) -> list[detection_views.Detection]:
    return sorted(
        (d for d in list_detections(store, ALL) if d.rule_id == rule_id),
        key=lambda d: (d.first, d.host),
    )


def test_a_brute_force_is_one_detection_per_host_and_burst(store: Store, tmp_path: Path) -> None:
    rules = ruleset(tmp_path, failed=FAILED)
    feed(
        store,
        tmp_path,
        burst(START, 201)
        + burst(START, 3, host="db01")
        # two hours later: another burst
        + burst(START + timedelta(hours=2), 4),
    )
    report = detect(store, rules)
    assert report.new_hits == 208
    found = of(store)
    assert [(d.host, d.events) for d in found] == [("db01", 3), ("web01", 201), ("web01", 4)]
    assert found[1].first == START and found[1].last == START + timedelta(seconds=200)
    assert {d.state for d in found} == {"new"}
    assert detection_views.detection_counts(store) == {"high": 3}


def test_a_hit_within_the_hour_extends_a_detection_and_one_that_bridges_merges(
    store: Store, tmp_path: Path
) -> None:
    rules = ruleset(tmp_path, failed=FAILED)
    feed(store, tmp_path, burst(START, 2) + burst(START + timedelta(minutes=110), 2))
    detect(store, rules)
    early, late = of(store)
    detections.set_state(store, early.id, "benign", "alice", NOW, "the nightly scanner")
    detections.set_state(store, late.id, "in review", "bob", NOW)
    # 50 minutes after the first burst: joins it, still an hour short of the second
    feed(store, tmp_path, line(START + timedelta(minutes=50)))
    detect(store, rules)
    early, late = of(store)
    assert (early.events, early.last) == (3, START + timedelta(minutes=50))
    # 100 minutes after: less than an hour from both, so they become one, the older kept
    feed(store, tmp_path, line(START + timedelta(minutes=100)))
    detect(store, rules)
    (merged,) = of(store)
    assert (merged.id, merged.state, merged.reason) == (early.id, "benign", "the nightly scanner")
    assert merged.events == 6 and merged.last == START + timedelta(minutes=110, seconds=1)
    notes = detections.history(store, merged.id)
    assert [n.new_state for n in notes] == ["benign", "in review", "benign"]
    assert f"merged with detection {late.id} (in review)" in notes[-1].reason


def test_a_rule_about_users_makes_one_detection_per_user(store: Store, tmp_path: Path) -> None:
    rules = ruleset(tmp_path, failed=FAILED, admin=ADMIN)
    feed(store, tmp_path, burst(START, 3, user="admin") + burst(START, 2, user="root"))
    detect(store, rules)
    assert [(d.user, d.events) for d in of(store, ADMIN_ID)] == [("admin", 3), ("root", 2)]
    (one,) = of(store, FAILED_ID)  # not about users: one per host
    assert one.events == 5 and one.user == "" and one.users == ["admin", "root"]


def test_a_hunt_over_everything_keeps_triage_and_drops_detections_without_hits(
    store: Store, tmp_path: Path
) -> None:
    rules = ruleset(tmp_path, failed=FAILED, admin=ADMIN)
    feed(store, tmp_path, burst(START, 5))
    detect(store, rules)
    (kept,) = of(store)
    detections.set_state(store, kept.id, "false positive", "alice", NOW, "a test account")
    fewer = ruleset(tmp_path / "fewer", failed=FAILED)
    report = detect(store, fewer, full=True)
    assert report.new_hits == 5
    (again,) = of(store)
    assert (again.id, again.state, again.events) == (kept.id, "false positive", 5)
    assert of(store, ADMIN_ID) == []
    stored = store.fetch_one("SELECT count(*) FROM detections WHERE rule_id = ?", [ADMIN_ID])
    assert stored == (0,)


def test_suppressed_hits_make_no_detection_visible(store: Store, tmp_path: Path) -> None:
    rules = ruleset(tmp_path, failed=FAILED)
    feed(store, tmp_path, burst(START, 3) + burst(START, 2, host="db01"))
    detect(store, rules)
    hits.add_suppression(store, FAILED_ID, "host", "backup server", value="DB01")
    assert [d.host for d in of(store)] == ["web01"]
    assert detection_views.detection_counts(store) == {"high": 1}
    shown = list_detections(store, DetectionFilter(show_suppressed=True))
    assert sorted(d.host for d in shown) == ["db01", "web01"]


def test_triage_states_need_reasons_and_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    rules = ruleset(tmp_path, failed=FAILED)
    with Store(path) as store:
        feed(store, tmp_path, burst(START, 3))
        detect(store, rules)
        (item,) = of(store)
        with pytest.raises(WatchkeeperError, match="Say why"):
            detections.set_state(store, item.id, "benign", "alice", NOW)
        with pytest.raises(WatchkeeperError, match="not a triage state"):
            detections.set_state(store, item.id, "ignored", "alice", NOW, "x")
        with pytest.raises(WatchkeeperError, match="no detection 999"):
            detections.set_state(store, 999, "new", "alice", NOW)
        detections.set_state(store, item.id, "in review", "alice", NOW)
        hostile = "<b>x</b>'; DROP TABLE detections; --\x07"
        detections.set_state(store, item.id, "benign", "bob", NOW + timedelta(minutes=5), hostile)
        detections.escalate(store, item.id, "INC-7", "carol", NOW + timedelta(minutes=9))
    with Store(path) as reopened:
        (item,) = of(reopened)
        assert (item.state, item.state_by, item.incident) == ("escalated", "carol", "INC-7")
        assert item.state_at == NOW + timedelta(minutes=9)
        notes = detections.history(reopened, item.id)
        assert [(n.by, n.old_state, n.new_state) for n in notes] == [
            ("alice", "new", "in review"),
            ("bob", "in review", "benign"),
            ("carol", "benign", "escalated"),
        ]
        assert notes[1].reason == hostile.strip() and notes[0].at == NOW


def test_filters_by_state_and_level(store: Store, tmp_path: Path) -> None:
    rules = ruleset(tmp_path, failed=FAILED, admin=ADMIN)
    feed(store, tmp_path, burst(START, 3) + burst(START, 2, host="db01"))
    detect(store, rules)
    (web,) = (d for d in of(store) if d.host == "web01")
    detections.set_state(store, web.id, "in review", "alice", NOW)
    assert [d.id for d in list_detections(store, DetectionFilter(states=("in review",)))] == [
        web.id
    ]
    assert {d.rule_id for d in list_detections(store)} == {FAILED_ID}  # high and critical
    assert detection_views.new_count(store) == 1  # db01's: the medium ones do not count


def test_an_older_store_with_hits_is_migrated_and_its_hits_grouped(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    rules = ruleset(tmp_path, failed=FAILED)
    with Store(path) as store:
        feed(store, tmp_path, burst(START, 4) + burst(START + timedelta(hours=3), 2))
        detect(store, rules)
    con = duckdb.connect(str(path))
    for statement in schema._V6 + schema._V5 + schema._V4:
        con.execute(f"DROP TABLE {statement.split()[2]}")
    con.execute("ALTER TABLE hits DROP COLUMN detection")
    con.execute("ALTER TABLE detection_rules DROP COLUMN per_user")
    con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    con.close()
    with Store(path) as reopened:
        assert schema.current_version(reopened.cursor()) == schema.SCHEMA_VERSION
        assert [d.events for d in of(reopened)] == [4, 2]


def _rule(number: int, title: str, level: str, tags: str, keyword: str) -> str:
    return (
        f"title: {title}\nid: 22222222-0000-4000-8000-00000000000{number}\nstatus: test\n"
        f"level: {level}\ntags: [{tags}]\nlogsource: {{product: linux, service: sshd}}\n"
        f"detection:\n    keywords: ['{keyword}']\n    condition: keywords\n"
    )


def test_rules_on_one_host_within_minutes_with_one_technique_are_one_story(
    store: Store, tmp_path: Path
) -> None:
    rules = ruleset(
        tmp_path,
        failed=_rule(
            1,
            "Failed password",
            "high",
            "attack.credential-access, attack.t1110",
            "Failed password",
        ),
        root=_rule(2, "Root guessed", "critical", "attack.t1110.001", "for root"),
        port=_rule(3, "Many ports", "medium", "attack.credential-access", "port 4"),
        other=_rule(4, "Unrelated", "medium", "attack.discovery", "ssh2"),
    )
    feed(
        store,
        tmp_path,
        burst(START, 3)
        + burst(START + timedelta(minutes=10), 2, user="root")
        # the same rules on another host, and on this host an hour later: other stories
        + burst(START, 2, host="db01")
        + burst(START + timedelta(minutes=90), 2, user="root"),
    )
    detect(store, rules)
    found = list_detections(store, ALL)
    story = [
        d
        for d in found
        if d.host == "web01"
        and d.first
        and d.first < START + timedelta(minutes=30)
        and d.title != "Unrelated"
    ]
    assert sorted(d.title for d in story) == ["Failed password", "Many ports", "Root guessed"]
    (lead,) = [d for d in story if d.leads]
    assert lead.title == "Root guessed" and {d.lead for d in story} == {lead.id}
    assert {d.story_size for d in story} == {3}
    assert all(d.leads for d in found if d not in story and d.title == "Unrelated")
    # the lead comes first, its story right after it
    position = found.index(lead)
    assert found[position : position + 3] == [
        lead,
        *sorted(
            (d for d in story if d is not lead), key=lambda d: detection_views.level_rank(d.level)
        ),
    ]
    later = [
        d
        for d in found
        if d.host == "web01"
        and d.first
        and d.first >= START + timedelta(minutes=90)
        and d.title != "Unrelated"
    ]
    assert later and all(d.lead not in {s.id for s in story} for d in later)
    on_db = [d for d in found if d.host == "db01"]
    assert on_db and all(d.lead in {x.id for x in on_db} for d in on_db)


def test_severe_steps_of_one_attack_are_one_story_across_techniques_and_hosts(
    store: Store, tmp_path: Path
) -> None:
    """An attack's steps have different techniques: high and critical detections within half
    an hour on one host, or naming one person on two hosts, are one story; the names every
    guesser tries do not tie hosts together."""
    rules = ruleset(
        tmp_path,
        guess=_rule(1, "Password guessed", "high", "attack.credential-access", "Failed password"),
        later=_rule(2, "Later step", "critical", "attack.persistence", "for someone"),
    )
    feed(
        store,
        tmp_path,
        burst(START, 2, user="mallory")
        + line(START + timedelta(minutes=25), user="someone")  # "Later step" on web01
        + burst(START + timedelta(minutes=5), 2, host="db01", user="mallory")
        + burst(START, 2, host="mail01", user="root"),
    )
    detect(store, rules)
    found = list_detections(store, ALL)
    by_host = {(d.host, d.title): d for d in found}
    web = by_host[("web01", "Password guessed")]
    assert by_host[("web01", "Later step")].lead == web.lead  # one host, different tactics
    assert by_host[("db01", "Password guessed")].lead == web.lead  # one person, two hosts
    assert by_host[("mail01", "Password guessed")].leads  # root names nobody
