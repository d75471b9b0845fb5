"""Sigma correlation rules end to end: rule files, imported Windows events, detect(), hits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.detection.engine import detect
from watchkeeper.detection.rules import RuleCache, RuleSet, load_rules
from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.hits import hit_event_ids
from watchkeeper.storage.store import Store

START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

FAILED_LOGON = """
title: Failed logon
name: failed_logon
id: 0b1c2d3e-0000-4000-8000-000000000001
status: test
level: low
logsource: {product: windows, service: security}
detection:
  selection:
    EventID: 4625
  condition: selection
"""
GOOD_LOGON = """
title: Successful logon
name: good_logon
id: 0b1c2d3e-0000-4000-8000-000000000002
status: test
level: low
logsource: {product: windows, service: security}
detection:
  selection:
    EventID: 4624
  condition: selection
"""
NEW_SERVICE = """
title: Service installed
name: new_service
id: 0b1c2d3e-0000-4000-8000-000000000003
status: test
level: low
logsource: {product: windows, service: system}
detection:
  selection:
    EventID: 7045
  condition: selection
"""


class Events:
    """NXLog JSON lines of Windows events, imported into the store a file at a time."""

    def __init__(self, store: Store, folder: Path) -> None:
        self.store = store
        self.folder = folder
        self.record = 0
        self.files = 0

    def line(
        self,
        seconds: float,
        event_id: int,
        channel: str = "Security",
        host: str = "PC1",
        **data: Any,
    ) -> dict[str, Any]:
        self.record += 1
        stamp = START + timedelta(seconds=seconds)
        return {
            "EventTime": stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "Hostname": host,
            "EventID": event_id,
            "SourceName": "Microsoft-Windows-Security-Auditing",
            "Channel": channel,
            "RecordNumber": self.record,
            "SourceModuleType": "im_msvistalog",
            "ProcessName": "lsass.exe",
            **data,
        }

    def add(self, *lines: dict[str, Any]) -> list[int]:
        """Import the lines; the new events' ids, in the order given."""
        self.files += 1
        path = self.folder / f"events{self.files}.json"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        before = self._top()
        import_paths(self.store, [path])
        rows = self.store.fetch_all(
            'SELECT id, "EventRecordID" FROM events_windows WHERE id > ?', [before]
        )
        by_record = {int(record): int(event) for event, record in rows}
        return [by_record[line["RecordNumber"]] for line in lines]

    def _top(self) -> int:
        row = self.store.fetch_one("SELECT coalesce(max(id), 0) FROM events")
        return int(row[0]) if row else 0


@pytest.fixture
def events(store: Store, tmp_path: Path) -> Events:
    folder = tmp_path / "logs"
    folder.mkdir()
    return Events(store, folder)


def ruleset(tmp_path: Path, *texts: str) -> RuleSet:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    for number, text in enumerate(texts):
        (folder / f"rule{number}.yml").write_text(text.strip() + "\n", encoding="utf-8")
    loaded = load_rules([folder], cache=RuleCache(None))
    assert not loaded.problems, loaded.problems
    return loaded


def hits(store: Store, rule_id: str) -> list[int]:
    return sorted(hit_event_ids(store, rule_id))


def correlation(name: str, body: str, generate: bool = False) -> str:
    return (
        f"title: {name}\nname: {name}\nstatus: test\nlevel: high\ncorrelation:\n"
        f"  generate: {str(generate).lower()}\n{body.lstrip(chr(10))}"
    )


BRUTE_FORCE = correlation(
    "brute-force",
    """
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 10m
  condition: {gte: 3}
""",
)


# event_count ------------------------------------------------------------------------------


def test_event_count_inside_the_timespan_is_a_hit(
    store: Store, tmp_path: Path, events: Events
) -> None:
    rules = ruleset(tmp_path, FAILED_LOGON, BRUTE_FORCE)
    inside = events.add(
        events.line(0, 4625, TargetUserName="alice"),
        events.line(300, 4625, TargetUserName="ALICE"),
        events.line(599, 4625, TargetUserName="alice"),
    )
    report = detect(store, rules, full=True)
    assert not report.failures
    assert hits(store, "brute-force") == sorted(inside)


def test_event_count_spread_past_the_timespan_is_not(
    store: Store, tmp_path: Path, events: Events
) -> None:
    rules = ruleset(tmp_path, FAILED_LOGON, BRUTE_FORCE)
    events.add(
        events.line(0, 4625, TargetUserName="alice"),
        events.line(300, 4625, TargetUserName="alice"),
        events.line(601, 4625, TargetUserName="alice"),
        events.line(1000, 4625, TargetUserName="bob"),
        events.line(1001, 4625, TargetUserName="bob"),
    )
    detect(store, rules, full=True)
    assert hits(store, "brute-force") == []


def test_event_count_groups_do_not_add_up(store: Store, tmp_path: Path, events: Events) -> None:
    rules = ruleset(tmp_path, FAILED_LOGON, BRUTE_FORCE)
    events.add(
        events.line(0, 4625, TargetUserName="alice"),
        events.line(1, 4625, TargetUserName="bob"),
        events.line(2, 4625, TargetUserName="carol"),
        events.line(3, 4625, TargetUserName="alice"),
    )
    detect(store, rules, full=True)
    assert hits(store, "brute-force") == []


def test_event_count_keeps_only_the_events_of_a_window_that_met_it(
    store: Store, tmp_path: Path, events: Events
) -> None:
    rules = ruleset(tmp_path, FAILED_LOGON, BRUTE_FORCE)
    early = events.add(events.line(0, 4625, TargetUserName="alice"))
    burst = events.add(
        events.line(3600, 4625, TargetUserName="alice"),
        events.line(3601, 4625, TargetUserName="alice"),
        events.line(3602, 4625, TargetUserName="alice"),
    )
    detect(store, rules, full=True)
    assert hits(store, "brute-force") == sorted(burst)
    assert early[0] not in hits(store, "brute-force")


def test_event_count_counts_an_event_two_rules_match_once(
    store: Store, tmp_path: Path, events: Events
) -> None:
    alice = (
        FAILED_LOGON.replace("name: failed_logon", "name: alice_failed")
        .replace("000000000001", "000000000009")
        .replace("EventID: 4625", "EventID: 4625\n    TargetUserName: alice")
    )
    either = BRUTE_FORCE.replace("rules: [failed_logon]", "rules: [failed_logon, alice_failed]")
    rules = ruleset(tmp_path, FAILED_LOGON, alice, either)
    events.add(
        events.line(0, 4625, TargetUserName="alice"), events.line(10, 4625, TargetUserName="alice")
    )
    detect(store, rules, full=True)
    assert hits(store, "brute-force") == []
    third = events.add(events.line(20, 4625, TargetUserName="alice"))
    detect(store, rules)
    assert len(hits(store, "brute-force")) == 3 and third[0] in hits(store, "brute-force")


# generate ----------------------------------------------------------------------------------


def test_generate_false_hides_the_base_rules_own_hits(
    store: Store, tmp_path: Path, events: Events
) -> None:
    rules = ruleset(tmp_path, FAILED_LOGON, BRUTE_FORCE)
    events.add(*(events.line(i, 4625, TargetUserName="alice") for i in range(3)))
    report = detect(store, rules, full=True)
    assert len(hits(store, "brute-force")) == 3
    assert hits(store, "0b1c2d3e-0000-4000-8000-000000000001") == []
    assert "0b1c2d3e-0000-4000-8000-000000000001" not in report.hits_by_rule


def test_generate_true_keeps_the_base_rules_own_hits(
    store: Store, tmp_path: Path, events: Events
) -> None:
    loud = BRUTE_FORCE.replace("generate: false", "generate: true")
    assert loud != BRUTE_FORCE
    rules = ruleset(tmp_path, FAILED_LOGON, loud)
    ids = events.add(*(events.line(i, 4625, TargetUserName="alice") for i in range(3)))
    detect(store, rules, full=True)
    assert hits(store, "0b1c2d3e-0000-4000-8000-000000000001") == sorted(ids)
    assert hits(store, "brute-force") == sorted(ids)


# value_count -------------------------------------------------------------------------------

SPRAY = correlation(
    "spray",
    """
  type: value_count
  rules: [failed_logon]
  group-by: [IpAddress]
  timespan: 5m
  condition:
    field: TargetUserName
    gte: 3
""",
)


def test_value_count_counts_distinct_values_per_group(
    store: Store, tmp_path: Path, events: Events
) -> None:
    rules = ruleset(tmp_path, FAILED_LOGON, SPRAY)
    spray = events.add(
        events.line(0, 4625, IpAddress="10.0.0.9", TargetUserName="alice"),
        events.line(10, 4625, IpAddress="10.0.0.9", TargetUserName="bob"),
        events.line(20, 4625, IpAddress="10.0.0.9", TargetUserName="carol"),
    )
    events.add(
        events.line(0, 4625, IpAddress="10.0.0.5", TargetUserName="dave"),
        events.line(10, 4625, IpAddress="10.0.0.5", TargetUserName="dave"),
        events.line(20, 4625, IpAddress="10.0.0.5", TargetUserName="dave"),
        events.line(30, 4625, IpAddress="10.0.0.5", TargetUserName="erin"),
    )
    detect(store, rules, full=True)
    assert hits(store, "spray") == sorted(spray)


def test_value_count_ignores_case_and_missing_values(
    store: Store, tmp_path: Path, events: Events
) -> None:
    by_id = SPRAY.replace("rules: [failed_logon]", "rules: [0b1c2d3e-0000-4000-8000-000000000001]")
    rules = ruleset(tmp_path, FAILED_LOGON, by_id)
    events.add(
        events.line(0, 4625, IpAddress="10.0.0.9", TargetUserName="alice"),
        events.line(10, 4625, IpAddress="10.0.0.9", TargetUserName="ALICE"),
        events.line(20, 4625, IpAddress="10.0.0.9", TargetUserName="Alice"),
        events.line(30, 4625, IpAddress="10.0.0.9"),
        events.line(40, 4625, IpAddress="10.0.0.9", TargetUserName="bob"),
    )
    detect(store, rules, full=True)
    assert hits(store, "spray") == []


def test_events_without_the_group_field_form_no_group(
    store: Store, tmp_path: Path, events: Events
) -> None:
    rules = ruleset(tmp_path, FAILED_LOGON, BRUTE_FORCE)
    events.add(*(events.line(i, 4625) for i in range(5)))
    report = detect(store, rules, full=True)
    assert not report.failures
    assert hits(store, "brute-force") == []


def test_value_count_honours_the_timespan(store: Store, tmp_path: Path, events: Events) -> None:
    rules = ruleset(tmp_path, FAILED_LOGON, SPRAY)
    events.add(
        events.line(0, 4625, IpAddress="10.0.0.9", TargetUserName="alice"),
        events.line(200, 4625, IpAddress="10.0.0.9", TargetUserName="bob"),
        events.line(400, 4625, IpAddress="10.0.0.9", TargetUserName="carol"),
    )
    detect(store, rules, full=True)
    assert hits(store, "spray") == []


# temporal ----------------------------------------------------------------------------------

LOGON_THEN_SERVICE = """
  rules: [good_logon, new_service]
  group-by: [Computer]
  timespan: 2m
"""


def test_temporal_needs_every_rule_within_the_span(
    store: Store, tmp_path: Path, events: Events
) -> None:
    rules = ruleset(
        tmp_path,
        GOOD_LOGON,
        NEW_SERVICE,
        correlation("both", "  type: temporal" + LOGON_THEN_SERVICE),
    )
    together = events.add(
        events.line(0, 7045, "System", host="PC1"), events.line(60, 4624, host="PC1")
    )
    events.add(
        events.line(0, 4624, host="PC2"),
        events.line(500, 7045, "System", host="PC2"),
        events.line(0, 4624, host="PC3"),
        events.line(30, 4624, host="PC3"),
    )
    detect(store, rules, full=True)
    assert hits(store, "both") == sorted(together)


def test_temporal_ordered_needs_the_order(store: Store, tmp_path: Path, events: Events) -> None:
    rules = ruleset(
        tmp_path,
        GOOD_LOGON,
        NEW_SERVICE,
        correlation("ordered", "  type: temporal_ordered" + LOGON_THEN_SERVICE),
    )
    in_order = events.add(
        events.line(0, 4624, host="PC1"), events.line(60, 7045, "System", host="PC1")
    )
    events.add(
        events.line(0, 7045, "System", host="PC2"),
        events.line(60, 4624, host="PC2"),
        events.line(0, 4624, host="PC3"),
        events.line(300, 7045, "System", host="PC3"),
    )
    detect(store, rules, full=True)
    assert hits(store, "ordered") == sorted(in_order)


def test_temporal_ordered_within_one_second_follows_the_log_order(
    store: Store, tmp_path: Path, events: Events
) -> None:
    rules = ruleset(
        tmp_path,
        GOOD_LOGON,
        NEW_SERVICE,
        correlation("ordered", "  type: temporal_ordered" + LOGON_THEN_SERVICE),
    )
    in_order = events.add(
        events.line(0, 4624, host="PC1"), events.line(0, 7045, "System", host="PC1")
    )
    events.add(events.line(0, 7045, "System", host="PC2"), events.line(0, 4624, host="PC2"))
    detect(store, rules, full=True)
    assert hits(store, "ordered") == sorted(in_order)


def test_temporal_ordered_of_one_rule_twice_needs_two_events(
    store: Store, tmp_path: Path, events: Events
) -> None:
    twice = correlation(
        "twice",
        """
  type: temporal_ordered
  rules: [new_service, new_service]
  group-by: [Computer]
  timespan: 2m
""",
    )
    rules = ruleset(tmp_path, NEW_SERVICE, twice)
    events.add(events.line(0, 7045, "System", host="PC1"))
    pair = events.add(
        events.line(0, 7045, "System", host="PC2"), events.line(30, 7045, "System", host="PC2")
    )
    detect(store, rules, full=True)
    assert hits(store, "twice") == sorted(pair)


# a correlation of correlations, and aliases --------------------------------------------------


def test_a_correlation_can_refer_to_another(store: Store, tmp_path: Path, events: Events) -> None:
    followed = correlation(
        "brute-force-then-success",
        """
  type: temporal_ordered
  rules: [brute-force, good_logon]
  group-by: [TargetUserName]
  timespan: 15m
""",
    )
    rules = ruleset(tmp_path, FAILED_LOGON, GOOD_LOGON, BRUTE_FORCE, followed)
    attack = events.add(
        *(events.line(i * 10, 4625, TargetUserName="alice") for i in range(3)),
        events.line(120, 4624, TargetUserName="alice"),
    )
    # a success with too few failures before it, and failures with no success after them
    events.add(
        events.line(0, 4625, TargetUserName="bob"),
        events.line(50, 4624, TargetUserName="bob"),
        *(events.line(i, 4625, TargetUserName="carol") for i in range(3)),
    )
    report = detect(store, rules, full=True)
    assert not report.failures
    assert hits(store, "brute-force-then-success") == sorted(attack)


def test_generate_false_hides_a_referenced_correlations_hits(
    store: Store, tmp_path: Path, events: Events
) -> None:
    followed = correlation(
        "brute-force-then-success",
        """
  type: temporal_ordered
  rules: [brute-force, good_logon]
  group-by: [TargetUserName]
  timespan: 15m
""",
    )
    rules = ruleset(tmp_path, FAILED_LOGON, GOOD_LOGON, BRUTE_FORCE, followed)
    events.add(
        *(events.line(i * 10, 4625, TargetUserName="alice") for i in range(3)),
        events.line(120, 4624, TargetUserName="alice"),
    )
    detect(store, rules, full=True)
    assert len(hits(store, "brute-force-then-success")) == 4
    assert hits(store, "brute-force") == []


def test_aliases_group_fields_named_differently(
    store: Store, tmp_path: Path, events: Events
) -> None:
    aliased = correlation(
        "failed-then-service-by-user",
        """
  type: temporal
  rules: [failed_logon, new_service]
  group-by: [account]
  timespan: 5m
  aliases:
    account:
      failed_logon: TargetUserName
      new_service: AccountName
""",
    )
    rules = ruleset(tmp_path, FAILED_LOGON, NEW_SERVICE, aliased)
    same = events.add(
        events.line(0, 4625, TargetUserName="svc_backup"),
        events.line(60, 7045, "System", AccountName="SVC_BACKUP"),
    )
    events.add(
        events.line(0, 4625, TargetUserName="alice"),
        events.line(60, 7045, "System", AccountName="bob"),
    )
    detect(store, rules, full=True)
    assert hits(store, "failed-then-service-by-user") == sorted(same)


def test_value_count_field_can_be_an_alias(store: Store, tmp_path: Path, events: Events) -> None:
    aliased = correlation(
        "many-accounts",
        """
  type: value_count
  rules: [failed_logon, good_logon]
  group-by: [IpAddress]
  timespan: 5m
  aliases:
    account:
      failed_logon: TargetUserName
      good_logon: TargetUserName
  condition:
    field: account
    gte: 2
""",
    )
    rules = ruleset(tmp_path, FAILED_LOGON, GOOD_LOGON, aliased)
    ids = events.add(
        events.line(0, 4625, IpAddress="10.0.0.9", TargetUserName="alice"),
        events.line(10, 4624, IpAddress="10.0.0.9", TargetUserName="bob"),
    )
    report = detect(store, rules, full=True)
    assert not report.failures
    assert hits(store, "many-accounts") == sorted(ids)


# incremental runs --------------------------------------------------------------------------


def test_new_events_complete_a_group_and_nothing_is_counted_twice(
    store: Store, tmp_path: Path, events: Events
) -> None:
    rules = ruleset(tmp_path, FAILED_LOGON, BRUTE_FORCE)
    first = events.add(
        events.line(0, 4625, TargetUserName="alice"), events.line(60, 4625, TargetUserName="alice")
    )
    assert detect(store, rules).new_hits == 0
    assert hits(store, "brute-force") == []

    second = events.add(
        events.line(120, 4625, TargetUserName="alice"),
        events.line(9000, 4625, TargetUserName="alice"),
    )
    report = detect(store, rules)
    assert hits(store, "brute-force") == sorted([*first, second[0]])
    assert report.new_hits == 3

    third = detect(store, rules)
    assert third.new_hits == 0
    assert hits(store, "brute-force") == sorted([*first, second[0]])

    events.add(events.line(180, 4625, TargetUserName="alice"))
    fourth = detect(store, rules)
    assert fourth.new_hits == 1
    assert len(hits(store, "brute-force")) == 4
    assert detect(store, rules, full=True).new_hits == 4
    assert len(hits(store, "brute-force")) == 4


def test_incremental_run_reaches_back_through_a_nested_correlation(
    store: Store, tmp_path: Path, events: Events
) -> None:
    followed = correlation(
        "brute-force-then-success",
        """
  type: temporal_ordered
  rules: [brute-force, good_logon]
  group-by: [TargetUserName]
  timespan: 15m
""",
    )
    rules = ruleset(tmp_path, FAILED_LOGON, GOOD_LOGON, BRUTE_FORCE, followed)
    # the failures end 14 minutes before the success, and began 9 minutes before that
    failures = events.add(
        events.line(0, 4625, TargetUserName="alice"),
        events.line(300, 4625, TargetUserName="alice"),
        events.line(540, 4625, TargetUserName="alice"),
    )
    detect(store, rules)
    success = events.add(events.line(540 + 14 * 60, 4624, TargetUserName="alice"))
    detect(store, rules)
    # the last failure is a brute force (with the two before it) 14 minutes before success
    assert hits(store, "brute-force-then-success") == sorted([failures[-1], *success])
