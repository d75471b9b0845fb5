"""The Hits view as a user meets it: detection after an import, filters, details, tuning,
the hunt again, and hit markers on the timeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from tests.ui.window_helpers import settle, write_auth_log

from watchkeeper.core import settings as settings_file
from watchkeeper.core.settings import Settings
from watchkeeper.storage import detection_views, hits
from watchkeeper.storage.store import Store
from watchkeeper.ui import theme
from watchkeeper.ui.hits.detection_model import DetectionRow
from watchkeeper.ui.hits.dialogs import SuppressDialog
from watchkeeper.ui.main_window import EVENTS, HITS, MainWindow

MakeWindow = Callable[..., MainWindow]
FAILED = "5f0e2a51-1c7e-4d0a-9d55-0c6a3b1f2e01"
ACCEPTED = "5f0e2a51-1c7e-4d0a-9d55-0c6a3b1f2e02"
HOSTILE = "<script>alert(1)</script><b>bold</b> & <img src=x onerror=y()>"

FAILED_RULE = f"""\
title: SSH password guessing
id: {FAILED}
status: stable
level: high
author: Jane Doe <jane@example.org>
description: |
  Repeated failed SSH passwords. {HOSTILE}
references:
  - https://attack.mitre.org/techniques/T1110/001/
  - javascript:alert(2)
falsepositives:
  - A user who forgot their password <i>twice</i>
tags:
  - attack.credential-access
  - attack.t1110.001
logsource:
  product: linux
  service: sshd
detection:
  keywords:
    - 'Failed password'
  condition: keywords
"""
ACCEPTED_RULE = f"""\
title: SSH password logon
id: {ACCEPTED}
status: stable
level: low
description: A password (not a key) was accepted.
tags:
  - attack.initial-access
logsource:
  product: linux
  service: sshd
detection:
  keywords:
    - 'Accepted password'
  condition: keywords
"""


def _rules(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ssh_failed.yml").write_text(FAILED_RULE)
    (folder / "ssh_accepted.yml").write_text(ACCEPTED_RULE)
    return folder


def _import(qtbot: QtBot, window: MainWindow, path: Path) -> None:
    window.import_paths([path])
    settle(qtbot, window)
    if window.summary_dialog is not None:
        window.summary_dialog.close()


def _window(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    hosts: tuple[str, ...] = ("web01", "files01"),
) -> MainWindow:
    """A window whose rule folder holds the two SSH rules, after importing 60 auth.log lines:
    40 failed passwords for root (high rule) and 20 accepted for bob (low rule)."""
    rules = _rules(tmp_path / "rules")
    window = make_window(Settings(time_display="utc", rule_folders=[str(rules)]))
    _import(qtbot, window, write_auth_log(tmp_path / "auth.log", 60, hosts=hosts))
    window.show_view(HITS)
    settle(qtbot, window)
    return window


def _stored_hits(store: Store) -> dict[str, int]:
    """Hits per rule in the store, suppressed or not."""
    return {
        str(r[0]): int(r[1])
        for r in store.fetch_all("SELECT rule_id, count(*) FROM hits GROUP BY 1")
    }


def _rows(window: MainWindow) -> dict[str, list[DetectionRow]]:
    """The detections listed, stories' members included, by rule."""
    found: dict[str, list[DetectionRow]] = {}
    for row in window.hits_view.model.rows():
        found.setdefault(row.rule_id, []).append(row)
    return found


def _events(window: MainWindow, rule_id: str) -> int:
    return sum(row.detection.events for row in _rows(window)[rule_id])


def _cell(window: MainWindow, rule_id: str, column: int, host: str = "") -> str:
    """A cell of the rule's first detection listed (on `host`, if given)."""
    model = window.hits_view.model
    row = next(r for r in _rows(window)[rule_id] if not host or r.detection.host == host)
    return str(model.data(model.index_of(row, column)))


def _select(qtbot: QtBot, window: MainWindow, rule_id: str) -> None:
    assert window.hits_view.select_rule(rule_id)
    settle(qtbot, window)


def _answer(
    qtbot: QtBot,
    window: MainWindow,
    dialog: SuppressDialog | None,
    reason: str,
    value: str | None = None,
) -> None:
    assert dialog is not None and dialog.isVisible()
    if value is not None:
        dialog.value.setEditText(value)
    dialog.reason.setText(reason)
    assert dialog.ok_button.isEnabled()
    dialog.ok_button.click()
    settle(qtbot, window)


def test_detection_runs_after_an_import_and_the_hits_view_lists_the_rule(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = _window(qtbot, make_window, tmp_path)
    assert window.current_view() == HITS
    rows = _rows(window)
    assert FAILED in rows and ACCEPTED not in rows  # the low-level rule is not what matters
    # one detection per host: 20 failed passwords on each
    by_host = {row.detection.host: row.detection for row in rows[FAILED]}
    assert {host: d.events for host, d in by_host.items()} == {"files01": 20, "web01": 20}
    assert by_host["web01"].users == ["root"] and by_host["web01"].state == "new"
    assert _cell(window, FAILED, 1) == "new"
    assert _cell(window, FAILED, 2) == "High"
    assert _cell(window, FAILED, 5, "web01") == "20"
    assert _cell(window, FAILED, 7, "files01") == "2026-11-03 08:59:59"
    assert _cell(window, FAILED, 8) == "credential-access"
    assert _cell(window, FAILED, 9) == "T1110.001"
    # the status bar tells what the run found after the import (the shipped rules run too)
    found = _stored_hits(store)
    assert found[FAILED] == 40 and found[ACCEPTED] == 20
    counts, new = detection_views.counts(store)
    news = ", ".join(
        f"{counts[level]} {level}" for level in ("critical", "high") if counts.get(level)
    )
    # every detection is new after the first import; the severe ones are counted first
    severe = sum(counts.get(level, 0) for level in ("critical", "high"))
    lower = sum(counts.values()) - severe
    said = f"{severe} new detection{'s' if severe != 1 else ''} ({news})"
    assert window.hits_label.text() == said + (f" and {lower} of lower levels" if lower else "")
    # the navigation counts the new ones the view opens on: high and critical
    assert new == sum(counts.get(level, 0) for level in ("critical", "high"))
    assert window.navigation.item(HITS).text() == f"Hits\n({new} new)"
    assert "60 events imported" in window.statusBar().currentMessage()
    # Ctrl+5 is the Hits view; the overview's card counts the serious hits and clicks through
    window.show_view(0)
    settle(qtbot, window)
    assert counts["high"] >= 2 and counts["low"] >= 2
    severe = counts.get("critical", 0) + counts["high"]
    assert window.overview.hits_value.text() == str(severe)
    assert window.overview.hits_note.text().startswith(
        f"{counts.get('critical', 0)} critical, {counts['high']} high; "
    )
    window.overview.hits_card.clicked.emit()
    assert window.current_view() == HITS
    window.show_view(0)
    shortcuts = {a.shortcut().toString(): a for a in window.actions() if not a.shortcut().isEmpty()}
    shortcuts["Ctrl+5"].trigger()
    assert window.current_view() == HITS


def test_show_all_hits_shows_the_low_level_rule(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = _window(qtbot, make_window, tmp_path)
    view = window.hits_view
    assert "more detection" in view.summary.text() and "hidden" in view.summary.text()
    view.show_all.setChecked(True)
    settle(qtbot, window)
    shown = list(_rows(window))
    assert shown.index(FAILED) < shown.index(ACCEPTED)  # most severe first
    assert _events(window, ACCEPTED) == 20
    assert view.level.currentText() == "Any level" and view.status.currentText() == "Any status"
    assert view.summary.text() == ""
    # a tactic narrows to the rules tagged with it
    view.tactic.setCurrentIndex(view.tactic.findData("initial-access"))
    settle(qtbot, window)
    assert ACCEPTED in _rows(window) and FAILED not in _rows(window)
    view.tactic.setCurrentIndex(0)
    view.level.setCurrentIndex(view.level.findText("Low"))
    settle(qtbot, window)
    assert {row.detection.level for rows in _rows(window).values() for row in rows} == {"low"}
    assert not view.show_all.isChecked()
    view.show_all.setChecked(True)
    view.show_all.setChecked(False)
    settle(qtbot, window)
    assert FAILED in _rows(window) and ACCEPTED not in _rows(window)
    assert view.level.currentText() == "High and critical"


def test_host_filter_keeps_the_rules_that_hit_there(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = _window(qtbot, make_window, tmp_path)
    view = window.hits_view
    assert [view.host.itemText(n) for n in range(view.host.count())] == [
        "Any host",
        "files01",
        "web01",
    ]
    view.show_all.setChecked(True)
    view.host.setCurrentIndex(view.host.findData("web01"))
    settle(qtbot, window)
    assert {FAILED, ACCEPTED} <= set(_rows(window))
    assert all("web01" in row.detection.hosts for rows in _rows(window).values() for row in rows)


def test_the_selected_rule_shows_its_description_escaped_and_its_yaml(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = _window(qtbot, make_window, tmp_path)
    view = window.hits_view
    _select(qtbot, window, FAILED)
    text = view.info.toPlainText()
    assert "SSH password guessing" in text
    assert HOSTILE in text  # shown as written, not rendered
    assert "A user who forgot their password <i>twice</i>" in text
    row = view.selected_row()
    assert row is not None and row.rule_id == FAILED
    item = row.detection
    assert f"{item.events} events from" in text and f"on {item.host}, user root" in text
    assert "State: new" in text
    assert "by Jane Doe <jane@example.org>" in text  # the rule's author, as its licence asks
    rendered = view.info.toHtml()
    assert "<script>" not in rendered and "<img" not in rendered
    assert 'href="https://attack.mitre.org/techniques/T1110/001/"' in rendered
    assert 'href="javascript' not in rendered  # shown, but not a link
    assert "javascript:alert(2)" in text
    assert view.info.openExternalLinks()
    assert view.yaml.toPlainText() == FAILED_RULE
    assert view.yaml.isReadOnly()


def test_open_events_shows_the_rules_events_in_the_explorer(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = _window(qtbot, make_window, tmp_path)
    view = window.hits_view
    _select(qtbot, window, FAILED)
    chosen = view.selected_row()
    assert chosen is not None
    view.open_button.click()
    settle(qtbot, window)
    assert window.current_view() == EVENTS
    assert window.explorer.filter_bar.text == f"rule:{FAILED} host:{chosen.detection.host}"
    assert window.explorer.model.rowCount() == 20
    # a double-click (activation) on the low rule does the same
    window.show_view(HITS)
    view.show_all.setChecked(True)
    settle(qtbot, window)
    low = _rows(window)[ACCEPTED][0]
    view.table.activated.emit(view.model.index_of(low, 1))
    settle(qtbot, window)
    assert window.current_view() == EVENTS
    assert window.explorer.filter_bar.text == f"rule:{ACCEPTED} host:{low.detection.host}"
    assert window.explorer.model.rowCount() == 10


def test_suppress_for_a_host_needs_a_reason_hides_the_row_and_undo_brings_it_back(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = _window(qtbot, make_window, tmp_path, hosts=("web01",))
    view = window.hits_view
    _select(qtbot, window, FAILED)
    dialog = view.suppress("host")
    assert dialog is not None
    assert [dialog.value.itemData(n) for n in range(dialog.value.count())] == ["web01"]
    assert dialog.chosen_value() == "web01"
    # no reason, or only spaces: the dialog will not suppress
    assert not dialog.ok_button.isEnabled()
    dialog.reason.setText("   ")
    assert not dialog.ok_button.isEnabled()
    dialog.accept()
    assert dialog.isVisible()
    assert "reason is required" in dialog.hint.text()
    _answer(qtbot, window, dialog, "web01 is the SSH honeypot")
    assert FAILED not in _rows(window)
    assert (
        "Suppressed “SSH password guessing” for host web01" in window.statusBar().currentMessage()
    )
    # shown again, marked, with Show suppressed
    view.show_suppressed.setChecked(True)
    settle(qtbot, window)
    assert _cell(window, FAILED, 10) == "1 suppression"
    _select(qtbot, window, FAILED)
    assert "host web01: web01 is the SSH honeypot" in view.info.toPlainText()
    view.show_suppressed.setChecked(False)
    settle(qtbot, window)
    # the Suppressions list says what, why and when; Undo brings the hits back
    window.suppressions_action.trigger()
    settle(qtbot, window)
    listing = view.suppressions_dialog
    assert listing is not None and listing.isVisible()
    assert listing.model.rowCount() == 1
    values = [str(listing.model.data(listing.model.index(0, c))) for c in range(4)]
    assert values[:2] == ["SSH password guessing", "host web01"]
    assert values[2]  # the date
    assert values[3] == "web01 is the SSH honeypot"
    listing.undo_button.click()
    settle(qtbot, window)
    assert listing.model.rowCount() == 0
    assert _events(window, FAILED) == 40
    assert hits.list_suppressions(store) == []


def test_suppress_for_a_field_value_offers_the_hits_values(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = _window(qtbot, make_window, tmp_path)
    view = window.hits_view
    _select(qtbot, window, FAILED)
    dialog = view.suppress("field")
    assert dialog is not None
    dialog.field.setEditText("user")
    settle(qtbot, window)
    assert dialog.value.itemData(0) == "root"
    assert "40 hits" in dialog.value.itemText(0)
    dialog.value.setCurrentIndex(0)
    _answer(qtbot, window, dialog, "root logons are refused anyway")
    assert FAILED not in _rows(window)
    listing = view.show_suppressions()
    settle(qtbot, window)
    assert str(listing.model.data(listing.model.index(0, 1))) == "user = root"


def test_disabling_a_rule_hides_it_and_later_runs_skip_it(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = _window(qtbot, make_window, tmp_path)
    view = window.hits_view
    _select(qtbot, window, FAILED)
    dialog = view.disable_rule()
    assert dialog is not None and dialog.windowTitle() == "Disable rule"
    assert not dialog.ok_button.isEnabled()
    _answer(qtbot, window, dialog, "we only allow keys; the firewall drops the rest")
    assert FAILED not in _rows(window)
    assert hits.disabled_rules(store) == {FAILED}
    # another day's log: the disabled rule does not run, the other one does
    _import(qtbot, window, write_auth_log(tmp_path / "day5.log", 30, day=5))
    report = window.detection.last
    assert report is not None
    assert FAILED not in report.report.hits_by_rule
    assert report.report.hits_by_rule[ACCEPTED] == 10
    made = sum(report.report.new_detections.values())
    assert made and window.hits_label.text().startswith(f"{made} new detection")
    everything = {
        r.rule_id: r.count for r in hits.rule_hits(store, hits.HitFilter(show_suppressed=True))
    }
    assert everything[FAILED] == 40 and everything[ACCEPTED] == 30
    view.show_suppressed.setChecked(True)
    settle(qtbot, window)
    assert _cell(window, FAILED, 10) == "disabled"
    _select(qtbot, window, FAILED)
    assert not view.disable_button.isEnabled()


def test_hunt_again_replaces_the_hits_without_duplicates(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = _window(qtbot, make_window, tmp_path)
    before = _stored_hits(store)
    window.hunt_action.trigger()
    settle(qtbot, window)
    result = window.detection.last
    assert result is not None and result.report.full
    assert _stored_hits(store) == before
    total = sum(before.values())
    assert result.report.new_hits == total
    # the same detections as before: none is new
    assert window.hits_label.text().startswith("Hunt finished: 0 new detections from ")
    assert window.hits_label.text().endswith(" over 60 events")
    assert _events(window, FAILED) == 40
    row = store.fetch_one("SELECT count(*), count(DISTINCT (rule_id, event)) FROM hits")
    assert row == (total, total)


def test_rule_folders_are_saved_and_a_removed_folder_stops_hitting(
    qtbot: QtBot, make_window: MakeWindow, store: Store, tmp_path: Path
) -> None:
    window = _window(qtbot, make_window, tmp_path)
    first = window.detection.last
    assert first is not None
    dialog = window.edit_rule_folders()
    assert dialog.folders() == [str(tmp_path / "rules")]
    assert f"The last run loaded {first.rules_loaded:,} rules" in dialog.loaded.text()
    assert not dialog.hunt.isChecked()
    dialog.list.setCurrentRow(1)
    dialog.remove_button.click()
    assert dialog.folders() == [] and dialog.hunt.isChecked()
    dialog.add_folder(str(tmp_path / "elsewhere"))
    dialog.accept()
    settle(qtbot, window)
    assert settings_file.load().rule_folders == [str(tmp_path / "elsewhere")]
    # the hunt ran without the SSH rules and found nothing; a missing folder is reported
    result = window.detection.last
    assert result is not None and result.report.full
    assert result.rules_loaded == first.rules_loaded - 2  # the shipped ones only
    assert any("no longer exists" in p.reason for p in result.problems)
    assert FAILED not in _stored_hits(store) and ACCEPTED not in _stored_hits(store)
    assert FAILED not in _rows(window)


def test_timeline_marks_the_hits_of_the_filtered_events(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = _window(qtbot, make_window, tmp_path)
    window.show_view(EVENTS)
    settle(qtbot, window)
    timeline = window.explorer.timeline
    marks = timeline.marks
    ours = [m for m in marks if m.rule_id in (FAILED, ACCEPTED)]
    assert len(ours) == 40  # the high rule's; the low one is not marked
    assert {m.title for m in ours} == {"SSH password guessing"}
    assert {m.level for m in marks} <= {"high", "critical"}
    assert timeline.hits_caption.text() == f"▼ {len(marks)} rule hits"
    window.explorer.apply_filter("host:web01")
    settle(qtbot, window)
    assert len([m for m in timeline.marks if m.rule_id == FAILED]) == 20
    # a suppression takes its markers away
    window.show_view(HITS)
    _select(qtbot, window, FAILED)
    _answer(qtbot, window, window.hits_view.suppress("host"), "test box", "web01")
    assert [m for m in timeline.marks if m.rule_id == FAILED] == []


def test_high_rules_stand_out_in_the_table(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = _window(qtbot, make_window, tmp_path)
    model = window.hits_view.model
    high = model.index_of(_rows(window)[FAILED][0], 2)
    assert model.data(high, Qt.ItemDataRole.FontRole).bold()
    colour = model.data(high, Qt.ItemDataRole.ForegroundRole)
    assert colour.name() == theme.current().levels["error"]  # high, in the event table's red
    window.hits_view.show_all.setChecked(True)
    settle(qtbot, window)
    low = model.index_of(_rows(window)[ACCEPTED][0], 2)
    assert model.data(low, Qt.ItemDataRole.FontRole) is None
