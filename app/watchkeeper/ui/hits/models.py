"""The Hits view's rows and texts: the table model, the jobs that read hits, the rule's HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import yaml
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont

from watchkeeper.core.progress import Progress
from watchkeeper.core.text import counted
from watchkeeper.core.timeparse import shown_time
from watchkeeper.storage import hit_views, hits
from watchkeeper.storage.hit_views import HitFacets
from watchkeeper.storage.hits import HitFilter, RuleHits, RuleRow, Suppression
from watchkeeper.storage.store import Store
from watchkeeper.ui import theme
from watchkeeper.ui.rows_model import Column, Index, RowsModel

if TYPE_CHECKING:
    from watchkeeper.detection.report import DetectReport
    from watchkeeper.detection.rules import LoadProblem

LEVELS = ("critical", "high", "medium", "low", "informational")
SEVERE = ("critical", "high")
# Sigma levels in the colours the event table gives Windows event levels.
_EVENT_LEVEL = {
    "critical": "critical",
    "high": "error",
    "medium": "warning",
    "low": "information",
    "informational": "verbose",
}
# Fields a suppression is most often about, offered after the fields the rule itself reads.
COMMON_FIELDS = (
    "host",
    "user",
    "process",
    "command_line",
    "parent_process",
    "src_ip",
    "dst_ip",
    "event_id",
)


def level_colour(level: str) -> str:
    return theme.current().levels.get(_EVENT_LEVEL.get(level, "information"), theme.current().text)


def level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


@dataclass
class HitRow:
    """One rule's hits, and how the user tuned the rule."""

    hits: RuleHits
    suppressions: list[Suppression] = field(default_factory=list)

    @property
    def rule_id(self) -> str:
        return self.hits.rule_id

    @property
    def disabled(self) -> bool:
        return any(s.kind == "rule" for s in self.suppressions)

    def tuning(self) -> str:
        if self.disabled:
            return "disabled"
        count = len(self.suppressions)
        return counted(count, "suppression") if count else ""


COLUMNS = (
    Column(
        "Level",
        lambda r: r.hits.level.capitalize(),
        "Critical and high hits are the ones to look at first",
    ),
    Column("Rule", lambda r: r.hits.title),
    Column("Hits", lambda r: r.hits.count, "Events the rule matched"),
    Column("Hosts", lambda r: r.hits.hosts),
    Column("Users", lambda r: r.hits.users),
    Column("First seen", lambda r: r.hits.first),
    Column("Last seen", lambda r: r.hits.last),
    Column("Tactics", lambda r: r.hits.tactics, "MITRE ATT&CK tactics the rule is tagged with"),
    Column("Techniques", lambda r: r.hits.techniques, "MITRE ATT&CK techniques"),
    Column("Tuning", lambda r: r.tuning(), "Whether the rule is disabled or suppressed"),
)
LEVEL_COLUMN, TITLE_COLUMN = 0, 1
# widest a column starts, in pixels (None: as wide as its contents); titles get the most room
WIDEST: tuple[int | None, ...] = (None, 300, None, 160, 130, None, None, 180, 120, None)


class HitsModel(RowsModel):
    """Rows of HitRow; the level is a coloured swatch and word, bold for critical and high."""

    def __init__(self, utc: bool = False) -> None:
        super().__init__(COLUMNS, utc)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        styling = (
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.FontRole,
            Qt.ItemDataRole.DecorationRole,
        )
        if role not in styling:
            return super().data(index, role)
        row = self.row_object(index.row())
        if not index.isValid() or not isinstance(row, HitRow):
            return None
        level = row.hits.level
        column = index.column()
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.disabled or (row.suppressions and column == len(COLUMNS) - 1):
                return QColor(theme.current().muted)
            return QColor(level_colour(level)) if column == LEVEL_COLUMN else None
        if role == Qt.ItemDataRole.DecorationRole:
            return QColor(level_colour(level)) if column == LEVEL_COLUMN else None
        if level in SEVERE and (
            column == LEVEL_COLUMN or (column == TITLE_COLUMN and level == "critical")
        ):
            font = QFont()
            font.setBold(True)
            return font
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if column != LEVEL_COLUMN:
            super().sort(column, order)
            return
        # by severity, not by the alphabet; ascending puts critical first
        self.layoutAboutToBeChanged.emit()
        self._rows.sort(
            key=lambda r: (level_rank(r.hits.level), r.hits.title.lower()),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        self.layoutChanged.emit()

    def row_of(self, rule_id: str) -> int | None:
        for number in range(self.rowCount()):
            row = self.row_object(number)
            if isinstance(row, HitRow) and row.rule_id == rule_id:
                return number
        return None


# jobs ----------------------------------------------------------------------------------


@dataclass
class HitsPage:
    """What the Hits view shows for one filter."""

    rows: list[HitRow]
    facets: HitFacets
    rules_with_hits: int  # under no filter at all: how many the filter hides
    where: HitFilter


def load_page(store: Store, where: HitFilter, progress: Progress) -> HitsPage:
    """The rules with hits under `where`, each with its suppressions, and the filters' choices."""
    found = hits.rule_hits(store, where, progress)
    everything = hits.rule_hits(store, HitFilter(show_suppressed=where.show_suppressed), progress)
    by_rule: dict[str, list[Suppression]] = {}
    for item in hits.list_suppressions(store):
        by_rule.setdefault(item.rule_id, []).append(item)
    rows = [HitRow(r, by_rule.get(r.rule_id, [])) for r in found]
    return HitsPage(rows, hit_views.facets(store, progress), len(everything), where)


@dataclass
class RuleDetail:
    rule_id: str
    rule: RuleRow | None
    suppressions: list[Suppression]


def load_detail(store: Store, rule_id: str, progress: Progress) -> RuleDetail:
    suppressions = [s for s in hits.list_suppressions(store) if s.rule_id == rule_id]
    return RuleDetail(rule_id, hits.rule_row(store, rule_id), suppressions)


# texts ---------------------------------------------------------------------------------


def _text(value: str) -> str:
    """Rule text as HTML that shows it as written: escaped, line breaks kept."""
    return html.escape(value.strip()).replace("\n", "<br>")


def _link(reference: str) -> str:
    text = html.escape(reference.strip())
    if reference.strip().lower().startswith(("https://", "http://")):
        return f'<a href="{html.escape(reference.strip(), quote=True)}">{text}</a>'
    return text


def detail_html(detail: RuleDetail, row: RuleHits | None, utc: bool) -> str:
    """The rule's description, ATT&CK tags, references and tuning, every rule text escaped."""
    rule = detail.rule
    title = rule.title if rule is not None else (row.title if row else detail.rule_id)
    level = rule.level if rule is not None else (row.level if row else "")
    status = rule.status if rule is not None else (row.status if row else "")
    parts = [f"<h3 style='margin:0'>{_text(title)}</h3>"]
    facts = [
        f"<b style='color:{level_colour(level)}'>{html.escape(level.capitalize())}</b>"
        if level
        else "",
        html.escape(status) + " rule" if status else "",
        f"id <code>{html.escape(detail.rule_id)}</code>",
    ]
    parts.append("<p>" + " · ".join(f for f in facts if f) + "</p>")
    if row is not None:
        when = (
            f" from {html.escape(shown_time(row.first, utc))} to "
            f"{html.escape(shown_time(row.last, utc))}"
            if row.first and row.last
            else ""
        )
        hosts = ", ".join(html.escape(h) for h in row.hosts[:10])
        more = f" and {len(row.hosts) - 10} more" if len(row.hosts) > 10 else ""
        parts.append(
            f"<p>{counted(row.count, 'hit')}{when}"
            + (f" on {hosts}{more}" if hosts else "")
            + ".</p>"
        )
    if rule is not None and rule.description.strip():
        parts.append(f"<p>{_text(rule.description)}</p>")
    tags = row.tactics + row.techniques if row is not None else []
    if tags:
        parts.append("<p><b>ATT&amp;CK:</b> " + ", ".join(html.escape(t) for t in tags) + "</p>")
    if rule is not None and rule.falsepositives:
        items = "".join(f"<li>{_text(f)}</li>" for f in rule.falsepositives if f.strip())
        if items:
            parts.append(f"<p><b>False positives</b></p><ul style='margin-top:0'>{items}</ul>")
    if rule is not None and rule.references:
        items = "".join(f"<li>{_link(r)}</li>" for r in rule.references if r.strip())
        parts.append(f"<p><b>References</b></p><ul style='margin-top:0'>{items}</ul>")
    if detail.suppressions:
        items = "".join(
            f"<li>{html.escape(s.describe())}: {_text(s.reason)} "
            f"<span style='color:{theme.current().muted}'>"
            f"({html.escape(shown_time(s.created, utc))})</span></li>"
            for s in detail.suppressions
        )
        parts.append(f"<p><b>Tuning</b></p><ul style='margin-top:0'>{items}</ul>")
    if rule is not None and rule.path:
        parts.append(f"<p style='color:{theme.current().muted}'>From {html.escape(rule.path)}</p>")
    return "\n".join(parts)


def rule_fields(yaml_text: str) -> list[str]:
    """The field names a Sigma rule's detection reads (CommandLine from CommandLine|contains)."""
    try:
        document = yaml.safe_load(yaml_text)
    except yaml.YAMLError:
        return []
    detection = document.get("detection") if isinstance(document, dict) else None
    names: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                name = str(key).split("|")[0]
                if isinstance(value, dict):
                    walk(value)  # a named selection
                elif name:
                    names.append(name)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    if isinstance(detection, dict):
        for key, value in detection.items():
            if key not in ("condition", "timeframe"):
                walk(value)
    return list(dict.fromkeys(names))


def suppression_fields(yaml_text: str) -> list[str]:
    """Fields offered for a value suppression: the rule's own, then the common ones."""
    return list(dict.fromkeys([*rule_fields(yaml_text), *COMMON_FIELDS]))


def detection_note(report: DetectReport, levels: dict[str, str]) -> str:
    """What a run found, in a few words for the status bar: '3 new rule hits (1 high)'."""
    if report.full:
        rules = len(report.hits_by_rule)
        text = (
            f"Hunt finished: {counted(report.new_hits, 'rule hit')} from "
            f"{counted(rules, 'rule')} over {counted(report.events, 'event')}"
        )
    elif not report.new_hits:
        text = "No new rule hits"
    else:
        severe: dict[str, int] = {}
        for rule_id, count in report.hits_by_rule.items():
            level = levels.get(rule_id, "")
            if level in SEVERE:
                severe[level] = severe.get(level, 0) + count
        detail = ", ".join(f"{severe[level]:,} {level}" for level in SEVERE if level in severe)
        text = counted(report.new_hits, "new rule hit") + (f" ({detail})" if detail else "")
    if report.failures:
        text += f"; {counted(len(report.failures), 'rule')} failed"
    return text


@dataclass
class DetectionResult:
    """A detection run as the window reports it."""

    report: DetectReport
    rules_loaded: int
    problems: list[LoadProblem]
    levels: dict[str, str]
    finished: datetime = field(default_factory=datetime.now)
    # how many of SigmaHQ's rules each profile runs (detection.bundle)
    profile_counts: dict[str, int] = field(default_factory=dict)

    def note(self) -> str:
        return detection_note(self.report, self.levels)
