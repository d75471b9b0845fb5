"""The engine over a real store: new events only, no duplicates, tuning, cancel, bad rules."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest

from watchkeeper.core.errors import Cancelled, WatchkeeperError
from watchkeeper.core.progress import Progress
from watchkeeper.detection.engine import detect
from watchkeeper.detection.rules import RuleCache, RuleSet, load_rules
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage import hits
from watchkeeper.storage.store import Store

FAILED = "Nov 23 08:{m:02d}:{s:02d} {host} sshd[31{m:02d}]: Failed password for {user} from {ip} port 4{s:04d} ssh2\n"

RULES = {
    "failed.yml": """title: SSH failed password
id: 0b9d3c7e-1f0a-4f6e-8b1e-5c2d9a7f3e01
status: stable
level: high
logsource: {product: linux, service: sshd}
detection:
    keywords: ['Failed password']
    condition: keywords
""",
    "root.yml": """title: SSH failure for root
id: 0b9d3c7e-1f0a-4f6e-8b1e-5c2d9a7f3e02
status: test
level: low
description: <b>bold</b> '; DROP TABLE hits; --
logsource: {product: linux, service: sshd}
detection:
    selection:
        message|contains: 'for root'
    condition: selection
""",
    "windows.yml": """title: Only for Windows
id: 0b9d3c7e-1f0a-4f6e-8b1e-5c2d9a7f3e03
level: high
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4625}
    condition: selection
""",
}


def _lines(
    count: int, start: int = 0, host: str = "web01", user: str = "admin", ip: str = "203.0.113.7"
) -> str:
    return "".join(
        FAILED.format(m=(start + i) // 60, s=(start + i) % 60, host=host, user=user, ip=ip)
        for i in range(count)
    )


def _ruleset(tmp_path: Path, extra: dict[str, str] | None = None) -> RuleSet:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    for name, text in {**RULES, **(extra or {})}.items():
        (folder / name).write_text(text)
    return load_rules([folder], cache=RuleCache(None))


def _import(store: Store, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    import_paths(store, [path])


def _count(store: Store, rule: str) -> int:
    return len(hits.hit_event_ids(store, rule, show_suppressed=True))


FAILED_ID = "0b9d3c7e-1f0a-4f6e-8b1e-5c2d9a7f3e01"
ROOT_ID = "0b9d3c7e-1f0a-4f6e-8b1e-5c2d9a7f3e02"


def test_runs_only_over_new_events_and_never_duplicates(store: Store, tmp_path: Path) -> None:
    rules = _ruleset(tmp_path)
    _import(store, tmp_path, "a.log", _lines(5))
    first = detect(store, rules)
    assert (first.events, first.new_hits, first.hits_by_rule) == (5, 5, {FAILED_ID: 5})
    again = detect(store, rules)
    assert (again.events, again.new_hits) == (0, 0)
    _import(store, tmp_path, "b.log", _lines(3, start=100, user="root"))
    second = detect(store, rules)
    assert second.events == 3
    assert second.hits_by_rule == {FAILED_ID: 3, ROOT_ID: 3}
    assert (_count(store, FAILED_ID), _count(store, ROOT_ID)) == (8, 3)
    full = detect(store, rules, full=True)
    assert full.events == 8 and full.new_hits == 11
    assert (_count(store, FAILED_ID), _count(store, ROOT_ID)) == (8, 3)


def test_hits_by_rule_with_hosts_users_and_the_default_view(store: Store, tmp_path: Path) -> None:
    rules = _ruleset(tmp_path)
    _import(store, tmp_path, "a.log", _lines(4, host="web01") + _lines(2, 300, "db01", "root"))
    detect(store, rules)
    shown = {r.rule_id: r for r in hits.rule_hits(store, hits.HitFilter())}
    assert shown[FAILED_ID].count == 6 and shown[FAILED_ID].hosts == ["db01", "web01"]
    assert shown[FAILED_ID].level == "high"
    # hostile text in a rule is kept as text
    root = hits.rule_row(store, ROOT_ID)
    assert root is not None and root.description == "<b>bold</b> '; DROP TABLE hits; --"
    # what matters by default: high and critical only
    assert [r.rule_id for r in hits.rule_hits(store)] == [FAILED_ID]
    assert [r.rule_id for r in hits.rule_hits(store, hits.HitFilter(host="db01"))] == [
        FAILED_ID,
        ROOT_ID,
    ]


def test_suppressions_hide_hits_and_undo_brings_them_back(store: Store, tmp_path: Path) -> None:
    rules = _ruleset(tmp_path)
    _import(store, tmp_path, "a.log", _lines(4, host="web01") + _lines(2, 300, "db01"))
    detect(store, rules)
    with pytest.raises(WatchkeeperError, match="why"):
        hits.add_suppression(store, FAILED_ID, "host", " ", value="web01")
    by_host = hits.add_suppression(store, FAILED_ID, "host", "jump host", value="WEB01")
    assert hits.rule_hits(store)[0].count == 2
    by_field = hits.add_suppression(
        store, FAILED_ID, "field", "lab range", value="203.0.113.7", field_name="src_ip"
    )
    assert hits.rule_hits(store) == []
    assert (
        hits.rule_hits(store, hits.HitFilter(levels=("high",), show_suppressed=True))[0].count == 6
    )
    assert [s.describe() for s in hits.list_suppressions(store)] == [
        "host WEB01",
        "src_ip = 203.0.113.7",
    ]
    assert hits.remove_suppression(store, by_field.id)
    assert hits.remove_suppression(store, by_host.id)
    assert hits.rule_hits(store)[0].count == 6


def test_a_disabled_rule_stops_running(store: Store, tmp_path: Path) -> None:
    rules = _ruleset(tmp_path)
    hits.add_suppression(store, FAILED_ID, "rule", "too noisy here")
    _import(store, tmp_path, "a.log", _lines(3))
    report = detect(store, rules)
    assert FAILED_ID not in report.hits_by_rule and _count(store, FAILED_ID) == 0


def test_a_regex_re2_cannot_run_runs_in_python(store: Store, tmp_path: Path) -> None:
    rule = """title: Regex beyond RE2
id: 0b9d3c7e-1f0a-4f6e-8b1e-5c2d9a7f3e09
level: high
logsource: {product: linux, service: sshd}
detection:
    selection:
        message|re: 'for (?!admin)[a-z]+ from'
    condition: selection
"""
    rules = _ruleset(tmp_path, {"lookahead.yml": rule})
    assert rules.problems == []
    _import(store, tmp_path, "a.log", _lines(2) + _lines(1, 200, user="carol"))
    report = detect(store, rules)
    assert report.failures == []
    assert report.hits_by_rule["0b9d3c7e-1f0a-4f6e-8b1e-5c2d9a7f3e09"] == 1


def test_a_rule_for_logs_not_collected_is_loaded_but_idle(tmp_path: Path) -> None:
    rules = _ruleset(
        tmp_path,
        {
            "aws.yml": RULES["windows.yml"]
            .replace("product: windows, service: security", "product: aws, service: cloudtrail")
            .replace("3e03", "3e04")
        },
    )
    idle = {r.rule_id for r in rules.rules if not r.applies()}
    assert idle == {"0b9d3c7e-1f0a-4f6e-8b1e-5c2d9a7f3e04"}


def test_cancel_stops_a_hunt_and_saves_nothing(store: Store, tmp_path: Path) -> None:
    rules = _ruleset(tmp_path)
    _import(store, tmp_path, "a.log", _lines(50))
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        detect(store, rules, progress, full=True)
    assert _count(store, FAILED_ID) == 0
    assert detect(store, rules).new_hits == 50  # the cancelled run did not count as done


def test_detection_while_the_store_is_read_elsewhere(store: Store, tmp_path: Path) -> None:
    rules = _ruleset(tmp_path)
    _import(store, tmp_path, "a.log", _lines(20))
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(20):
                store.fetch_all("SELECT count(*) FROM events")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    report = detect(store, rules)
    reader.join()
    assert errors == [] and report.new_hits == 20


def test_placeholders_are_filled_from_settings_or_the_rule_is_skipped(
    store: Store, tmp_path: Path
) -> None:
    rule = """title: Failure for a watched account
id: 0b9d3c7e-1f0a-4f6e-8b1e-5c2d9a7f3e19
level: high
logsource: {product: linux, service: sshd}
detection:
    selection:
        username|expand: '%watched%'
    condition: selection
"""
    folder = tmp_path / "placeholder"
    folder.mkdir()
    (folder / "watched.yml").write_text(rule)
    skipped = load_rules([folder], cache=RuleCache(None))
    assert skipped.rules == []
    assert "placeholder %watched%" in skipped.problems[0].reason
    filled = load_rules([folder], {"watched": ["carol", "dave"]}, cache=RuleCache(None))
    _import(store, tmp_path, "a.log", _lines(2) + _lines(1, 200, user="carol"))
    assert detect(store, filled).hits_by_rule == {"0b9d3c7e-1f0a-4f6e-8b1e-5c2d9a7f3e19": 1}


def test_a_hunt_that_fails_while_saving_keeps_the_hits_and_leaves_its_events_unseen(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = _ruleset(tmp_path)
    _import(store, tmp_path, "a.log", _lines(5))
    detect(store, rules)
    _import(store, tmp_path, "b.log", _lines(3, start=100, user="root"))
    assert hits.unseen_events(store)

    class DiskFull(dict[str, str]):
        def items(self) -> Any:  # the last thing saved: the events' being seen
            raise duckdb.IOException("No space left on device")

    save = hits._save
    monkeypatch.setattr(
        hits,
        "_save",
        lambda con, rows, source, tables, replace, keep, meta: save(
            con, rows, source, tables, replace, keep, DiskFull(meta)
        ),
    )
    with pytest.raises(duckdb.IOException):
        detect(store, rules, full=True)
    assert (_count(store, FAILED_ID), _count(store, ROOT_ID)) == (5, 0)
    assert hits.unseen_events(store)
    monkeypatch.undo()
    assert detect(store, rules).hits_by_rule == {FAILED_ID: 3, ROOT_ID: 3}
    assert (_count(store, FAILED_ID), _count(store, ROOT_ID)) == (8, 3)
    assert not hits.unseen_events(store)


def test_a_hunt_over_everything_keeps_the_hits_of_disabled_rules(
    store: Store, tmp_path: Path
) -> None:
    rules = _ruleset(tmp_path)
    _import(store, tmp_path, "a.log", _lines(4) + _lines(2, 100, user="root"))
    detect(store, rules)
    disabled = hits.add_suppression(store, ROOT_ID, "rule", "noisy this week")
    report = detect(store, rules, full=True)  # the disabled rule does not run
    assert report.hits_by_rule == {FAILED_ID: 6}
    hits.remove_suppression(store, disabled.id)  # undoing the suppression brings them back
    assert (_count(store, FAILED_ID), _count(store, ROOT_ID)) == (6, 2)
    # a rule no longer loaded loses its hits, unless they are to be kept
    fewer = RuleSet([r for r in rules.rules if r.rule_id != FAILED_ID])
    detect(store, fewer, full=True, keep=[FAILED_ID])
    assert (_count(store, FAILED_ID), _count(store, ROOT_ID)) == (6, 2)
    detect(store, fewer, full=True)
    assert (_count(store, FAILED_ID), _count(store, ROOT_ID)) == (0, 2)
