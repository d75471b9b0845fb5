"""Triage from the Hits view: a key per state, the reason asked for benign and false
positive, the state saved with who and when, and the suppression or tuning offered after."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from watchkeeper.core.progress import Progress
from watchkeeper.storage import detections
from watchkeeper.storage.detections import REASON_NEEDED, HistoryEntry
from watchkeeper.storage.store import Store
from watchkeeper.ui.hits.detection_model import (
    STATE_COLUMN,
    WIDEST,
    DetectionRow,
    DetectionsModel,
)
from watchkeeper.ui.tasks import TaskRunner

# One key per state, and the keys that move to the next and the previous detection.
STATE_KEYS = {
    Qt.Key.Key_N: "new",
    Qt.Key.Key_R: "in review",
    Qt.Key.Key_B: "benign",
    Qt.Key.Key_F: "false positive",
    Qt.Key.Key_E: "escalated",
}
MOVE_KEYS = {Qt.Key.Key_J: 1, Qt.Key.Key_K: -1}
KEYS_HELP = (
    "J/K or ↓/↑: next/previous · N new · R in review · B benign · F false positive · "
    "E escalate to an incident"
)
_OFFERS = {
    "benign": "Then hide this rule's hits on {host} from now on (a suppression)",
    "false positive": "Then tune the rule: hide its hits where a field has a value, or disable it",
}


def os_user() -> str:
    """Who is triaging: the user logged in to this computer."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


class DetectionsTree(QTreeView):
    """The tree of detections; triage keys become signals, J and K move like the arrows."""

    state_key_pressed = Signal(str)
    move_requested = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        key = Qt.Key(event.key())
        if plain and key in STATE_KEYS:
            self.state_key_pressed.emit(STATE_KEYS[key])
        elif plain and key in MOVE_KEYS:
            self.move_requested.emit(MOVE_KEYS[key])
        else:
            super().keyPressEvent(event)


def make_tree(model: DetectionsModel) -> DetectionsTree:
    """The tree over `model`: whole rows selected one at a time, nothing editable."""
    tree = DetectionsTree()
    tree.setModel(model)
    tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    tree.setAlternatingRowColors(True)
    tree.setUniformRowHeights(True)
    tree.setAllColumnsShowFocus(True)
    tree.setToolTip(f"Double-click a detection to see its events. {KEYS_HELP}")
    tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    return tree


def size_columns(tree: QTreeView) -> None:
    """Columns as wide as their contents, up to a width that suits each."""
    header = tree.header()
    for column, widest in enumerate(WIDEST[:-1]):
        tree.resizeColumnToContents(column)
        if widest is not None:
            header.resizeSection(column, min(header.sectionSize(column), widest))
    # room for the longest state, which the list may not hold yet
    roomy = tree.fontMetrics().horizontalAdvance("false positive") + 24
    header.resizeSection(STATE_COLUMN, max(header.sectionSize(STATE_COLUMN), roomy))


class ReasonDialog(QDialog):
    """Asks why a detection is benign or a false positive, and offers the tuning after."""

    def __init__(self, state: str, row: DetectionRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setWindowTitle("Benign" if state == "benign" else "False positive")
        self.setMinimumWidth(520)
        item = row.detection
        where = f" on {item.host}" if item.host else ""
        intro = QLabel(
            f"Why is “{item.title}”{where} {state}? Whoever looks at this detection later "
            "will read your reason."
        )
        intro.setTextFormat(Qt.TextFormat.PlainText)  # rule titles and hosts are not markup
        intro.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(
            "For example: the backup server does this every night"
            if state == "benign"
            else "For example: the rule mistakes our deployment tool for an attack"
        )
        self.offer = QCheckBox(_OFFERS[state].format(host=item.host or "this host"))
        self.offer.setChecked(state == "false positive")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(f"Mark {state}")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.reason)
        layout.addWidget(self.offer)
        layout.addWidget(self.buttons)
        self.reason.textChanged.connect(self._update_ok)
        self._update_ok()
        self.reason.setFocus()

    def chosen_reason(self) -> str:
        return self.reason.text().strip()

    def accept(self) -> None:
        if self.ok_button.isEnabled():
            super().accept()

    def _update_ok(self, *_: object) -> None:
        self.ok_button.setEnabled(bool(self.chosen_reason()))


class Triage(QObject):
    """Saves triage states as jobs; `changed` says which row changed once it is stored."""

    changed = Signal(object)  # the DetectionRow, its detection's state updated

    def __init__(
        self,
        store: Store,
        runner: TaskRunner,
        owner: QWidget,
        offer: Callable[[str, DetectionRow, str], object],
    ) -> None:
        super().__init__(owner)
        self._store = store
        self._runner = runner
        self._owner = owner
        self._offer = offer  # (suppression kind, row, reason): opens the tuning dialog
        self.who: Callable[[], str] = os_user
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.dialog: ReasonDialog | None = None
        # asks which incident, and escalates (the window sets it); unset, E just marks it
        self.escalate: Callable[[DetectionRow], object] | None = None

    def set_state(self, row: DetectionRow, state: str) -> ReasonDialog | None:
        """Mark a detection; benign and false positive first ask why, escalated asks which
        incident."""
        if state == "escalated" and self.escalate is not None:
            self.escalate(row)
            return None
        if state not in REASON_NEEDED:
            self._save(row, state, "", offer=False)
            return None
        dialog = ReasonDialog(state, row, self._owner)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(partial(self._on_dialog_accepted, dialog, row))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_dialog_accepted(self, dialog: ReasonDialog, row: DetectionRow) -> None:
        self.dialog = None
        self._save(row, dialog.state, dialog.chosen_reason(), dialog.offer.isChecked())

    def _save(self, row: DetectionRow, state: str, reason: str, offer: bool) -> None:
        who, now = self.who(), self.clock()

        def work(_progress: Progress) -> HistoryEntry:
            return detections.set_state(self._store, row.id, state, who, now, reason)

        self._runner.run(
            work,
            title="Saving the state",
            dialog=False,
            on_success=partial(self._on_saved, row, offer),
        )

    def show_saved(self, row: DetectionRow, entry: HistoryEntry) -> None:
        """A state saved elsewhere (escalated to an incident): show it as if set here."""
        self._on_saved(row, False, entry)

    def _on_saved(self, row: DetectionRow, offer: bool, entry: HistoryEntry) -> None:
        item = row.detection
        item.state, item.state_by, item.state_at = entry.new_state, entry.by, entry.at
        item.reason = entry.reason
        self.changed.emit(row)
        if offer:
            self._offer("host" if entry.new_state == "benign" else "field", row, entry.reason)
