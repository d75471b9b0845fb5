"""What the Hits view and the timeline read: filter choices, a rule's values, hit markers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage import hits
from watchkeeper.storage.filters import compile_filter
from watchkeeper.storage.hit_views import facets, field_values, hit_marks
from watchkeeper.storage.schema import EVENT_TABLES
from watchkeeper.storage.store import Store

AUTH_LOG = """\
2026-11-20T08:00:00+00:00 web1 sshd[100]: Failed password for alice from 203.0.113.7 port 40001 ssh2
2026-11-20T08:00:05+00:00 web1 sshd[100]: Failed password for alice from 203.0.113.7 port 40001 ssh2
2026-11-20T08:00:10+00:00 web1 sshd[101]: Accepted password for alice from 192.0.2.10 port 40002 ssh2
2026-11-21T10:00:00+00:00 db1 sshd[200]: Failed password for bob from 198.51.100.4 port 50001 ssh2
2026-11-21T10:00:01+00:00 db1 sshd[200]: Failed password for root from 198.51.100.4 port 50001 ssh2
"""
FAILED, ACCEPTED = "rule-failed", "rule-accepted"
DROP = "'; DROP TABLE hits; --"


def _store_with_hits(store: Store, tmp_path: Path) -> Store:
    """Five events; the high rule hit the four failures, the low rule the one success."""
    path = tmp_path / "auth.log"
    path.write_text(AUTH_LOG)
    import_paths(store, [path])
    rows = store.fetch_all("SELECT id, message FROM events ORDER BY id")
    found = [
        (FAILED if "Failed" in message else ACCEPTED, int(event), None) for event, message in rows
    ]
    rules = [
        hits.RuleRow(
            FAILED,
            "Password guessing",
            "high",
            "stable",
            ["attack.credential-access", "attack.t1110"],
        ),
        hits.RuleRow(
            ACCEPTED,
            "Password logon",
            "low",
            "test",
            ["attack.initial_access", "attack.t1078", "car.2013-01-002"],
        ),
    ]
    assert hits.save(store, rules, found, EVENT_TABLES) == 5
    return store


def test_facets_offer_the_tactics_and_hosts_with_hits(store: Store, tmp_path: Path) -> None:
    _store_with_hits(store, tmp_path)
    found = facets(store)
    assert found.tactics == ["credential-access", "initial-access"]
    assert found.hosts == ["db1", "web1"]


def test_facets_of_an_empty_store(store: Store) -> None:
    found = facets(store)
    assert found.tactics == [] and found.hosts == []


def test_field_values_of_a_rules_hits(store: Store, tmp_path: Path) -> None:
    _store_with_hits(store, tmp_path)
    assert field_values(store, FAILED, "user") == [("alice", 2), ("bob", 1), ("root", 1)]
    assert field_values(store, FAILED, "host") == [("db1", 2), ("web1", 2)]
    assert field_values(store, ACCEPTED, "src_ip") == [("192.0.2.10", 1)]
    assert field_values(store, FAILED, "NoSuchField") == []
    assert field_values(store, DROP, "user") == []
    assert field_values(store, FAILED, DROP) == []
    assert store.fetch_one("SELECT count(*) FROM hits") == (5,)


def test_field_values_of_a_field_called_value(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    path.write_text(
        "".join(
            f'{{"timestamp": "2026-11-20T08:00:0{n}Z", "host": "app1", "message": "changed", '
            f'"value": "{"on" if n % 3 else "off"}"}}\n'
            for n in range(6)
        )
    )
    import_paths(store, [path])
    assert store.resolve("value") == "value"
    found = [(FAILED, int(r[0]), None) for r in store.fetch_all("SELECT id FROM events")]
    hits.save(store, [hits.RuleRow(FAILED, "Setting changed", "high")], found, EVENT_TABLES)
    assert field_values(store, FAILED, "value") == [("on", 4), ("off", 2)]


def test_hit_marks_in_a_range_by_level_and_filter(store: Store, tmp_path: Path) -> None:
    _store_with_hits(store, tmp_path)
    start, end = datetime(2026, 11, 20), datetime(2026, 11, 22)
    marks = hit_marks(store, start, end)
    assert [(m.time, m.level, m.rule_id) for m in marks][:3] == [
        (datetime(2026, 11, 20, 8, 0, 0), "high", FAILED),
        (datetime(2026, 11, 20, 8, 0, 5), "high", FAILED),
        (datetime(2026, 11, 20, 8, 0, 10), "low", ACCEPTED),
    ]
    assert len(marks) == 5
    assert marks[0].title == "Password guessing"
    # [start, end): the end is left out
    assert len(hit_marks(store, start, datetime(2026, 11, 20, 8, 0, 5))) == 1
    assert len(hit_marks(store, start, end, levels=("high", "critical"))) == 4
    where = compile_filter("host:db1", store)
    marks = hit_marks(store, start, end, where=where.where, params=where.params)
    assert [m.time.day for m in marks] == [21, 21]
    nothing = compile_filter(f"user:{DROP!r}", store)
    assert hit_marks(store, start, end, where=nothing.where, params=nothing.params) == []


def test_hit_marks_leave_out_suppressed_hits(store: Store, tmp_path: Path) -> None:
    _store_with_hits(store, tmp_path)
    start, end = datetime(2026, 11, 20), datetime(2026, 11, 22)
    hits.add_suppression(store, FAILED, "host", "a test box", value="WEB1")
    assert {m.time.day for m in hit_marks(store, start, end, levels=("high",))} == {21}
    hits.add_suppression(store, ACCEPTED, "rule", "noisy")
    where = compile_filter("host:web1", store)
    assert hit_marks(store, start, end, where=where.where, params=where.params) == []
