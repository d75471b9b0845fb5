"""The Hits view's filters: the level and status choices, what they hide, and the explorer
filter that shows a rule's hit events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from watchkeeper.core.errors import FilterSyntaxError
from watchkeeper.core.filterlang import exact_term, parse_filter
from watchkeeper.storage.detection_views import Detection, DetectionFilter
from watchkeeper.storage.hits import DEFAULT_LEVELS, DEFAULT_STATUSES
from watchkeeper.ui.hits.models import HitsPage

LEVEL_CHOICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("High and critical", DEFAULT_LEVELS),
    ("Critical", ("critical",)),
    ("High", ("high",)),
    ("Medium and above", ("medium", "high", "critical")),
    ("Medium", ("medium",)),
    ("Low", ("low",)),
    ("Informational", ("informational",)),
    ("Any level", ()),
)
STATUS_CHOICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Stable and test", DEFAULT_STATUSES),
    ("Stable", ("stable",)),
    ("Test", ("test",)),
    ("Experimental", ("experimental",)),
    ("Any status", ()),
)
# what still needs a look comes first: the view opens on it
STATE_CHOICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("New and in review", ("new", "in review")),
    ("New", ("new",)),
    ("In review", ("in review",)),
    ("Benign", ("benign",)),
    ("False positive", ("false positive",)),
    ("Escalated", ("escalated",)),
    ("Any state", ()),
)
ANY_LEVEL, ANY_STATUS = len(LEVEL_CHOICES) - 1, len(STATUS_CHOICES) - 1


def rule_filter(rule_id: str) -> str:
    """The explorer filter for a rule's hit events: rule:<id>, quoted only when it must be."""
    return plain_term("rule", rule_id)


def plain_term(name: str, value: str) -> str:
    """name:value for the explorer's filter, quoted only when it must be."""
    plain = f"{name}:{value}"
    try:
        root = parse_filter(plain).root
    except FilterSyntaxError:
        root = None
    if root is not None and getattr(root, "value", None) == value:
        return plain
    return exact_term(name, value)


def detection_filter(
    level: int, status: int, state: int, tactic: str, host: str, show_suppressed: bool
) -> DetectionFilter:
    """The filter the drop-downs' chosen positions (and the host and tactic) make."""
    return DetectionFilter(
        levels=LEVEL_CHOICES[level][1],
        statuses=STATUS_CHOICES[status][1],
        states=STATE_CHOICES[state][1],
        tactic=tactic,
        host=host,
        show_suppressed=show_suppressed,
    )


def events_filter(item: Detection) -> tuple[str, datetime | None, datetime | None]:
    """The explorer filter and time range that show a detection's events: its rule's hits
    on its host (and user) between its first and last time."""
    text = rule_filter(item.rule_id)
    if item.host and len(item.hosts) == 1:
        text += " " + plain_term("host", item.host)
    if item.user:
        text += " " + plain_term("user", item.user)
    until = item.last + timedelta(seconds=1) if item.last else None
    return text, item.first, until


def count_text(states: Sequence[str], stories: int) -> str:
    """'12 detections in 9 stories · 4 new' for the list's states."""
    shown = len(states)
    new = sum(1 for state in states if state == "new")
    grouped = f" in {stories:,} stor{'ies' if stories != 1 else 'y'}" if stories != shown else ""
    return f"{shown:,} detection{'s' if shown != 1 else ''}{grouped} · {new:,} new"


def choice_combo(tip: str, labels: Sequence[str]) -> QComboBox:
    combo = filter_combo(tip)
    combo.addItems(list(labels))
    return combo


def filter_combo(tip: str) -> QComboBox:
    """A drop-down of one filter's choices, with a tip saying what it narrows."""
    combo = QComboBox()
    combo.setToolTip(tip)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    # as wide as its longest choice when there is room; a narrow window may squeeze it
    combo.setMinimumWidth(70)
    return combo


def summary_text(page: HitsPage) -> str:
    """What the filters hide, and how to see it; empty when they hide nothing."""
    shown, everything = page.shown, page.detections
    if not everything:
        return (
            "Nothing detected yet. Rules run after every import; add folders of Sigma "
            "rules in Detection ▸ Rule folders."
        )
    hidden = everything - shown
    if not hidden:
        return ""
    what = ("No detections match these filters. " if not shown else "") + (
        f"{hidden:,} more detection{'s' if hidden != 1 else ''} "
        f"{'are' if hidden != 1 else 'is'} hidden by the filters"
    )
    if page.where.levels or page.where.statuses:
        return what + "; tick Show all to see every level, status and state."
    return what + "."


def labelled_row(widgets: dict[str, QWidget]) -> QHBoxLayout:
    """Each widget after its label, in one row."""
    row = QHBoxLayout()
    for label, widget in widgets.items():
        row.addWidget(QLabel(label))
        row.addWidget(widget)
        row.addSpacing(6)
    row.addStretch(1)
    return row
