"""The Hits view's tree: detections, each story's lead at the top with the rest beneath it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from watchkeeper.core.text import counted
from watchkeeper.storage.detection_views import Detection
from watchkeeper.storage.hits import RuleHits, Suppression
from watchkeeper.ui import theme
from watchkeeper.ui.rows_model import Column, Index, column_header, display

SEVERE = ("critical", "high")
# Sigma levels in the colours the event table gives Windows event levels.
_EVENT_LEVEL = {
    "critical": "critical",
    "high": "error",
    "medium": "warning",
    "low": "information",
    "informational": "verbose",
}


def level_colour(level: str) -> str:
    return theme.current().levels.get(_EVENT_LEVEL.get(level, "information"), theme.current().text)


@dataclass(eq=False)
class DetectionRow:
    """One detection, how the user tuned its rule, and (for a story's lead) the rest."""

    detection: Detection
    suppressions: list[Suppression] = field(default_factory=list)
    children: list[DetectionRow] = field(default_factory=list)
    parent: DetectionRow | None = None

    @property
    def id(self) -> int:
        return self.detection.id

    @property
    def rule_id(self) -> str:
        return self.detection.rule_id

    @property
    def hits(self) -> RuleHits:
        """The detection's hits, as the rule's texts and the tuning dialogs read them."""
        item = self.detection
        return RuleHits(
            item.rule_id,
            item.title,
            item.level,
            item.status,
            item.tags,
            item.events,
            item.hosts,
            item.users,
            item.first,
            item.last,
        )

    @property
    def disabled(self) -> bool:
        return any(s.kind == "rule" for s in self.suppressions)

    def host_text(self) -> str:
        item = self.detection
        more = len(item.hosts) - 1
        return item.host + (f" +{more}" if more > 0 else "")

    def tuning(self) -> str:
        if self.disabled:
            return "disabled"
        count = len(self.suppressions)
        return counted(count, "suppression") if count else ""


COLUMNS = (
    Column("Rule", lambda r: r.detection.title, "Related detections sit under the most severe"),
    Column(
        "State", lambda r: r.detection.state, "new, in review, benign, false positive, escalated"
    ),
    Column("Level", lambda r: r.detection.level.capitalize(), "Look at critical and high first"),
    Column("Host", lambda r: r.host_text()),
    Column("User", lambda r: r.detection.user),
    Column("Events", lambda r: r.detection.events, "Events the rule matched in this detection"),
    Column("First seen", lambda r: r.detection.first),
    Column("Last seen", lambda r: r.detection.last),
    Column("Tactics", lambda r: r.detection.tactics, "MITRE ATT&CK tactics of the rule"),
    Column("Techniques", lambda r: r.detection.techniques, "MITRE ATT&CK techniques"),
    Column("Tuning", lambda r: r.tuning(), "Whether the rule is disabled or suppressed"),
)
TITLE_COLUMN, STATE_COLUMN, LEVEL_COLUMN = 0, 1, 2
# widest a column starts, in pixels (None: as wide as its contents); titles get the most room
WIDEST: tuple[int | None, ...] = (360, None, None, 160, 120, None, None, None, 180, 120, None)


def build_tree(
    found: Sequence[Detection], suppressions: Sequence[Suppression]
) -> list[DetectionRow]:
    """Rows for the tree: each story's lead with the rest of its story as children; a
    detection whose lead is not among `found` (filtered out) stands on its own."""
    by_rule: dict[str, list[Suppression]] = {}
    for suppression in suppressions:
        by_rule.setdefault(suppression.rule_id, []).append(suppression)
    rows = {d.id: DetectionRow(d, by_rule.get(d.rule_id, [])) for d in found}
    top: list[DetectionRow] = []
    for item in found:
        row = rows[item.id]
        lead = rows.get(item.lead)
        if lead is None or lead is row:
            top.append(row)
        else:
            row.parent = lead
            lead.children.append(row)
    return top


class DetectionsModel(QAbstractItemModel):
    """Two levels of DetectionRow; the level is a coloured swatch and word."""

    def __init__(self, utc: bool = False) -> None:
        super().__init__()
        self._top: list[DetectionRow] = []
        self.utc = utc

    def set_rows(self, rows: Sequence[DetectionRow]) -> None:
        self.beginResetModel()
        self._top = list(rows)
        self.endResetModel()

    def set_utc(self, utc: bool) -> None:
        self.utc = utc
        self.layoutChanged.emit()  # repaints every row

    def top_rows(self) -> list[DetectionRow]:
        return list(self._top)

    def rows(self) -> list[DetectionRow]:
        """Every row in the order shown: a lead, then its story."""
        return [r for top in self._top for r in (top, *top.children)]

    def row_object(self, index: Index) -> DetectionRow | None:
        if not index.isValid():
            return None
        found = index.internalPointer()
        return found if isinstance(found, DetectionRow) else None

    def index_of(self, row: DetectionRow, column: int = 0) -> QModelIndex:
        siblings = row.parent.children if row.parent is not None else self._top
        return self.createIndex(siblings.index(row), column, row)

    def find(self, detection_id: int) -> DetectionRow | None:
        return next((r for r in self.rows() if r.id == detection_id), None)

    def refresh_row(self, row: DetectionRow) -> None:
        self.dataChanged.emit(self.index_of(row, 0), self.index_of(row, len(COLUMNS) - 1))

    # Qt's side ---------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not 0 <= column < len(COLUMNS):
            return QModelIndex()
        owner = self.row_object(parent)
        siblings = owner.children if owner is not None else self._top
        if (parent.isValid() and owner is None) or not 0 <= row < len(siblings):
            return QModelIndex()
        return self.createIndex(row, column, siblings[row])

    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        row = self.row_object(child)
        if row is None or row.parent is None:
            return QModelIndex()
        return self.index_of(row.parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._top)
        if parent.column() != 0:
            return 0
        row = self.row_object(parent)
        return len(row.children) if row is not None else 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return column_header(COLUMNS, section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_object(index)
        if row is None:
            return None
        value = COLUMNS[index.column()].value(row)
        if role == Qt.ItemDataRole.DisplayRole:
            return display(value, self.utc)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = display(value, self.utc)
            return text if len(text) > 40 else None
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return self._styling(row, index.column(), role)

    def _styling(self, row: DetectionRow, column: int, role: int) -> Any:
        level = row.detection.level
        settled = row.detection.state in ("benign", "false positive")
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.disabled or settled:
                return QColor(theme.current().muted)
            return QColor(level_colour(level)) if column == LEVEL_COLUMN else None
        if role == Qt.ItemDataRole.DecorationRole:
            return QColor(level_colour(level)) if column == LEVEL_COLUMN else None
        if role == Qt.ItemDataRole.FontRole:
            bold = (column == LEVEL_COLUMN and level in SEVERE) or (
                column == STATE_COLUMN and row.detection.state == "new"
            )
            if bold:
                font = QFont()
                font.setBold(True)
                return font
        return None
