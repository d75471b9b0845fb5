"""Progress: each stage counts its own records."""

from __future__ import annotations

from watchkeeper.core.progress import Progress, ProgressState


def test_a_new_stage_counts_afresh_unless_told_the_count() -> None:
    shown: list[ProgressState] = []
    progress = Progress(lambda state: shown.append(state), max_rate=1e9)
    progress.update(stage="Writing a.log", records=120)
    progress.update(stage="Writing b.log", records=300)  # the writer's own running total
    assert progress.state.records == 300
    progress.update(stage="Importing", total=2, done=0)
    assert progress.state.records == 0  # the lines written are not records read
    progress.add(40)
    progress.add(2)
    progress.update(item="b.log")  # the same stage: the count goes on
    assert progress.state.records == 42


def test_the_demos_import_counts_what_it_reads_not_what_was_generated(store: object) -> None:
    from watchkeeper.scenarios.demo import load_demo
    from watchkeeper.storage.store import Store

    assert isinstance(store, Store)
    importing: list[int] = []
    progress = Progress(
        lambda state: importing.append(state.records) if state.stage == "Importing" else None,
        max_rate=1e9,
    )
    scenario, summary = load_demo(store, events=3000, progress=progress)
    progress.flush()
    read = summary.events + summary.duplicates + summary.quarantined
    assert importing and max(importing) == read  # not the generated lines on top
    assert store.event_count() == summary.events
    assert scenario.total_events >= summary.events
