"""The Hits view's texts and jobs: reading detections and a rule, the detail's HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import yaml

from watchkeeper.core.progress import Progress
from watchkeeper.core.text import counted
from watchkeeper.core.timeparse import shown_time
from watchkeeper.storage import detection_views, detections, hit_views, hits
from watchkeeper.storage.detection_views import Detection, DetectionFilter
from watchkeeper.storage.detections import HistoryEntry
from watchkeeper.storage.hit_views import HitFacets
from watchkeeper.storage.hits import RuleRow, Suppression
from watchkeeper.storage.store import Store
from watchkeeper.ui import theme
from watchkeeper.ui.hits.detection_model import SEVERE as SEVERE  # the overview reads them here
from watchkeeper.ui.hits.detection_model import DetectionRow, build_tree
from watchkeeper.ui.hits.detection_model import level_colour as level_colour

if TYPE_CHECKING:
    from watchkeeper.detection.report import DetectReport
    from watchkeeper.detection.rules import LoadProblem

LEVELS = ("critical", "high", "medium", "low", "informational")
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


def level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


# jobs ----------------------------------------------------------------------------------


@dataclass
class HitsPage:
    """What the Hits view shows for one filter."""

    rows: list[DetectionRow]  # each story's lead, the rest of the story its children
    facets: HitFacets
    detections: int  # under no filter at all: how many the filter hides
    where: DetectionFilter

    @property
    def shown(self) -> int:
        return sum(1 + len(row.children) for row in self.rows)


def load_page(store: Store, where: DetectionFilter, progress: Progress) -> HitsPage:
    """The detections under `where` as a tree of stories, and the filters' choices."""
    found = detection_views.list_detections(store, where, progress)
    everything = detection_views.list_detections(
        store, DetectionFilter(show_suppressed=where.show_suppressed), progress
    )
    rows = build_tree(found, hits.list_suppressions(store))
    return HitsPage(rows, hit_views.facets(store, progress), len(everything), where)


@dataclass
class RuleDetail:
    rule_id: str
    rule: RuleRow | None
    suppressions: list[Suppression]
    detection_id: int = 0
    history: list[HistoryEntry] = field(default_factory=list)


def load_detail(store: Store, rule_id: str, detection_id: int, progress: Progress) -> RuleDetail:
    suppressions = [s for s in hits.list_suppressions(store) if s.rule_id == rule_id]
    return RuleDetail(
        rule_id,
        hits.rule_row(store, rule_id),
        suppressions,
        detection_id,
        detections.history(store, detection_id),
    )


# texts ---------------------------------------------------------------------------------


def _text(value: str) -> str:
    """Rule text as HTML that shows it as written: escaped, line breaks kept."""
    return html.escape(value.strip()).replace("\n", "<br>")


def _link(reference: str) -> str:
    text = html.escape(reference.strip())
    if reference.strip().lower().startswith(("https://", "http://")):
        return f'<a href="{html.escape(reference.strip(), quote=True)}">{text}</a>'
    return text


def detail_html(detail: RuleDetail, row: DetectionRow | None, utc: bool) -> str:
    """The detection and its triage history, then its rule: author, description, ATT&CK
    tags, false positives, references and tuning; every rule and user text escaped."""
    rule = detail.rule
    item = row.detection if row is not None else None
    title = rule.title if rule is not None else (item.title if item else detail.rule_id)
    level = rule.level if rule is not None else (item.level if item else "")
    status = rule.status if rule is not None else (item.status if item else "")
    parts = [f"<h3 style='margin:0'>{_text(title)}</h3>"]
    facts = [
        f"<b style='color:{level_colour(level)}'>{html.escape(level.capitalize())}</b>"
        if level
        else "",
        html.escape(status) + " rule" if status else "",
        f"by {html.escape(rule.author.strip())}" if rule is not None and rule.author else "",
        f"id <code>{html.escape(detail.rule_id)}</code>",
    ]
    parts.append("<p>" + " · ".join(f for f in facts if f) + "</p>")
    if item is not None:
        parts.append(_detection_html(item, utc))
    if detail.history:
        items = "".join(
            f"<li>{html.escape(shown_time(h.at, utc))}: "
            + (f"{html.escape(h.old_state)} → " if h.old_state != h.new_state else "")
            + f"<b>{html.escape(h.new_state)}</b>"
            + (f" by {html.escape(h.by)}" if h.by else "")
            + (f": {_text(h.reason)}" if h.reason else "")
            + "</li>"
            for h in detail.history
        )
        parts.append(f"<p><b>History</b></p><ul style='margin-top:0'>{items}</ul>")
    if rule is not None and rule.description.strip():
        parts.append(f"<p>{_text(rule.description)}</p>")
    tags = item.tactics + item.techniques if item is not None else []
    if tags:
        parts.append("<p><b>ATT&amp;CK:</b> " + ", ".join(html.escape(t) for t in tags) + "</p>")
    if rule is not None and rule.falsepositives:
        items = "".join(f"<li>{_text(f)}</li>" for f in rule.falsepositives if f.strip())
        if items:
            parts.append(f"<p><b>False positives</b></p><ul style='margin-top:0'>{items}</ul>")
    if rule is not None and rule.references:
        items = "".join(f"<li>{_link(r)}</li>" for r in rule.references if r.strip())
        parts.append(f"<p><b>References</b></p><ul style='margin-top:0'>{items}</ul>")
    muted = theme.current().muted
    if detail.suppressions:
        items = "".join(
            f"<li>{html.escape(s.describe())}: {_text(s.reason)} "
            f"<span style='color:{muted}'>({html.escape(shown_time(s.created, utc))})</span></li>"
            for s in detail.suppressions
        )
        parts.append(f"<p><b>Tuning</b></p><ul style='margin-top:0'>{items}</ul>")
    if rule is not None and rule.path:
        parts.append(f"<p style='color:{muted}'>From {html.escape(rule.path)}</p>")
    return "\n".join(parts)


def _detection_html(item: Detection, utc: bool) -> str:
    """What the detection covers and its triage state, as a paragraph."""
    when = (
        f" from {html.escape(shown_time(item.first, utc))} to "
        f"{html.escape(shown_time(item.last, utc))}"
        if item.first and item.last
        else ""
    )
    hosts = ", ".join(html.escape(h) for h in item.hosts[:10])
    more = f" and {len(item.hosts) - 10} more" if len(item.hosts) > 10 else ""
    users = ", ".join(html.escape(u) for u in item.users[:10])
    text = (
        f"<p>Detection {item.id}: {counted(item.events, 'event')}{when}"
        + (f" on {hosts}{more}" if hosts else "")
        + (f", user {users}" if users else "")
        + f". State: <b>{html.escape(item.state)}</b>"
    )
    said = [item.state_by, shown_time(item.state_at, utc) if item.state_at else ""]
    if any(said):
        text += " (" + html.escape(" ".join(s for s in said if s)) + ")"
    if item.reason:
        text += f": {_text(item.reason)}"
    if item.story_size > 1:
        text += f". One of {item.story_size} detections in its story"
    return text + ".</p>"


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
    """What a run found, in a few words for the status bar: '3 new detections (1 high)'."""
    made = report.new_detections
    if report.full:
        rules = len(report.hits_by_rule)
        text = (
            f"Hunt finished: {counted(sum(made.values()), 'new detection')} from "
            f"{counted(rules, 'rule')} over {counted(report.events, 'event')}"
        )
    elif not report.new_hits:
        text = "No new detections"
    elif not made:
        text = f"{counted(report.new_hits, 'new rule hit')}, in detections already listed"
    else:
        detail = ", ".join(f"{made[level]:,} {level}" for level in SEVERE if made.get(level))
        severe = sum(made.get(level, 0) for level in SEVERE)
        lower = sum(made.values()) - severe
        if severe:
            text = f"{counted(severe, 'new detection')} ({detail})"
            text += f" and {lower:,} of lower levels" if lower else ""
        else:
            text = f"{counted(lower, 'new detection')} of lower levels"
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
