"""The Hits view's filters: the level and status choices, what they hide, and the explorer
filter that shows a rule's hit events."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from watchkeeper.core.errors import FilterSyntaxError
from watchkeeper.core.filterlang import exact_term, parse_filter
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
ANY_LEVEL, ANY_STATUS = len(LEVEL_CHOICES) - 1, len(STATUS_CHOICES) - 1


def rule_filter(rule_id: str) -> str:
    """The explorer filter for a rule's hit events: rule:<id>, quoted only when it must be."""
    plain = f"rule:{rule_id}"
    try:
        root = parse_filter(plain).root
    except FilterSyntaxError:
        root = None
    if root is not None and getattr(root, "value", None) == rule_id:
        return plain
    return exact_term("rule", rule_id)


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
    shown, everything = len(page.rows), page.rules_with_hits
    if not everything:
        return (
            "No rule has hit yet. Rules run after every import; add folders of Sigma "
            "rules in Detection ▸ Rule folders."
        )
    hidden = everything - shown
    if not hidden:
        return ""
    what = ("No rule hits match these filters. " if not shown else "") + (
        f"{hidden:,} more rule{'s' if hidden != 1 else ''} with hits "
        f"{'are' if hidden != 1 else 'is'} hidden by the filters"
    )
    return what + (
        "; tick Show all hits to see them." if page.where.levels or page.where.statuses else "."
    )
