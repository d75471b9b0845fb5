"""The demo office goes through the real importers, and its attack stories can be found."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from watchkeeper.ingest.importer import import_paths
from watchkeeper.ingest.summary import ImportSummary
from watchkeeper.scenarios import ScenarioSummary, generate
from watchkeeper.storage.filters import compile_filter
from watchkeeper.storage.queries import search
from watchkeeper.storage.store import Store

Demo = tuple[Store, ScenarioSummary, ImportSummary]  # the store, what was generated, what came in


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    work = tmp_path_factory.mktemp("demo")
    scenario = generate(work / "logs", events=20_000, seed=3)
    with Store(work / "demo.duckdb") as store:
        summary = import_paths(store, [work / "logs"])
        yield store, scenario, summary


def _count(store: Store, text: str) -> int:
    compiled = compile_filter(text, store)
    return search(store, compiled.where, compiled.params, limit=0).total


def test_every_generated_file_imports_cleanly(demo: Demo) -> None:
    _, scenario, summary = demo
    assert isinstance(summary, ImportSummary) and isinstance(scenario, ScenarioSummary)
    assert summary.count("imported") == len(scenario.files)
    assert summary.count("failed") == 0 and summary.quarantined == 0
    formats = {f.format for f in summary.files}
    assert formats == {"nxlog", "syslog", "auditd", "json"}
    # auditd groups several lines into one event; every other line is one event
    assert summary.events <= scenario.total_events
    assert summary.events > scenario.total_events * 0.9


def test_password_spray_then_success_can_be_found(demo: Demo) -> None:
    store, scenario, _ = demo
    story = scenario.story("password_spray")
    ip = story.source_ips[0]
    assert _count(store, f"event_id:4625 src_ip:{ip} host:DC01*") >= 50
    assert _count(store, f"event_id:4624 src_ip:{ip}") >= 1
    assert _count(store, "event_id:1102") >= 1
    assert _count(store, "event_id:4720") >= 1


def test_ssh_brute_force_then_sudo_can_be_found(demo: Demo) -> None:
    store, scenario, _ = demo
    story = scenario.story("ssh_brute_force")
    ip = story.source_ips[0]
    assert _count(store, f"src_ip:{ip} outcome:failure process:sshd") >= 100
    assert _count(store, f"src_ip:{ip} outcome:success user:deploy") == 1
    assert _count(store, "user:deploy sudo.target_user:root") >= 1


def test_macro_powershell_can_be_found(demo: Demo) -> None:
    store, _, _ = demo
    assert _count(store, "ParentImage:*WINWORD.EXE Image:*powershell.exe CommandLine:*-enc*") >= 1


def test_each_attack_story_is_one_detection_group_and_nothing_else_is_severe(demo: Demo) -> None:
    """With the shipped rules under the default profile, the detections a person sees first
    (high and critical, new) are the four attack stories, each one group on its own hosts
    and inside its own time."""
    from watchkeeper.detection import service
    from watchkeeper.storage.detection_views import list_detections

    store, scenario, _ = demo
    service.run(store)
    groups: dict[int, list[tuple[str, datetime]]] = {}
    for item in list_detections(store):
        assert item.first is not None
        groups.setdefault(item.lead, []).append((item.host.split(".")[0], item.first))
    assert len(scenario.stories) == 4
    assert len(groups) == 4, groups
    for story in scenario.stories:
        # events keep whole seconds; a story's times have milliseconds
        start = story.start.replace(tzinfo=None, microsecond=0)
        end = story.end.replace(tzinfo=None) + timedelta(seconds=1)
        matching = [
            lead
            for lead, members in groups.items()
            if all(host in story.hosts and start <= first <= end for host, first in members)
        ]
        assert len(matching) == 1, (story.key, groups)
