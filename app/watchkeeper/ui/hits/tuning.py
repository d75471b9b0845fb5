"""Tuning from the Hits view: ask what to suppress and why, save it, list and undo it."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from watchkeeper.core.progress import Progress
from watchkeeper.storage import hit_views, hits
from watchkeeper.storage.hits import Suppression
from watchkeeper.storage.store import Store
from watchkeeper.ui.hits.detection_model import DetectionRow
from watchkeeper.ui.hits.dialogs import SuppressDialog, SuppressionsDialog
from watchkeeper.ui.hits.models import suppression_fields
from watchkeeper.ui.tasks import TaskRunner


def _field_values_job(
    store: Store, rule_id: str, field_name: str, progress: Progress
) -> tuple[str, list[tuple[str, int]]]:
    return field_name, hit_views.field_values(store, rule_id, field_name, progress=progress)


class Tuning(QObject):
    """The suppress and disable dialogs and the Suppressions list; saving runs as jobs."""

    changed = Signal(str)  # a suppression was saved or undone: what happened, in words

    def __init__(self, store: Store, runner: TaskRunner, owner: QWidget) -> None:
        super().__init__(owner)
        self._store = store
        self._runner = runner
        self._owner = owner
        self.utc = False
        self.dialog: SuppressDialog | None = None
        self.suppressions_dialog: SuppressionsDialog | None = None

    def ask(
        self, kind: str, row: DetectionRow, rule_yaml: str = "", reason: str = ""
    ) -> SuppressDialog:
        """Ask how to suppress (or, `kind` 'rule', disable) a rule; saved when accepted."""
        values = {"host": row.hits.hosts, "user": row.hits.users}.get(kind, [])
        fields = suppression_fields(rule_yaml) if kind == "field" else []
        dialog = SuppressDialog(kind, row.hits.title, values, fields, self._owner)
        dialog.reason.setText(reason)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.field_chosen.connect(partial(self._on_dialog_field_chosen, dialog, row.rule_id))
        dialog.accepted.connect(partial(self._on_dialog_accepted, dialog, row))
        self.dialog = dialog
        dialog.open()
        if fields:
            self._on_dialog_field_chosen(dialog, row.rule_id, fields[0])
        return dialog

    def _on_dialog_field_chosen(
        self, dialog: SuppressDialog, rule_id: str, field_name: str
    ) -> None:
        if not field_name:
            return

        def show(result: tuple[str, list[tuple[str, int]]]) -> None:
            chosen, values = result
            if self.dialog is dialog and dialog.chosen_field() == chosen:
                dialog.set_values(values)

        self._runner.run(
            partial(_field_values_job, self._store, rule_id, field_name),
            title="Reading values",
            key="hits-field-values",
            dialog=False,
            quiet=True,
            on_success=show,
        )

    def _on_dialog_accepted(self, dialog: SuppressDialog, row: DetectionRow) -> None:
        kind, reason = dialog.kind, dialog.chosen_reason()
        value = dialog.chosen_value() if kind != "rule" else None
        field_name = dialog.chosen_field() if kind == "field" else None
        self.dialog = None
        if kind == "rule":
            said = f"Disabled “{row.hits.title}”"
        else:
            said = f"Suppressed “{row.hits.title}” for {field_name or kind} {value}"

        def work(_progress: Progress) -> Suppression:
            return hits.add_suppression(self._store, row.rule_id, kind, reason, value, field_name)

        self._runner.run(
            work,
            title="Saving the suppression",
            dialog=False,
            on_success=lambda _saved: self._after_change(said),
        )

    def _after_change(self, said: str) -> None:
        if self.suppressions_dialog is not None and self.suppressions_dialog.isVisible():
            self._load_suppressions()
        self.changed.emit(said)

    # the suppressions list ----------------------------------------------------------------

    def show_suppressions(self) -> SuppressionsDialog:
        if self.suppressions_dialog is None:
            self.suppressions_dialog = SuppressionsDialog(self._owner)
            self.suppressions_dialog.undo_requested.connect(self._on_undo_requested)
        self.suppressions_dialog.show()
        self.suppressions_dialog.raise_()
        self._load_suppressions()
        return self.suppressions_dialog

    def _load_suppressions(self) -> None:
        self._runner.run(
            lambda _progress: hits.list_suppressions(self._store),
            title="Reading suppressions",
            key="hits-suppressions",
            dialog=False,
            quiet=True,
            on_success=self._on_suppressions_loaded,
        )

    def _on_suppressions_loaded(self, found: list[Suppression]) -> None:
        if self.suppressions_dialog is not None:
            self.suppressions_dialog.set_suppressions(found, self.utc)

    def _on_undo_requested(self, suppression_id: int) -> None:
        dialog = self.suppressions_dialog
        chosen = dialog.selected() if dialog is not None else None
        said = (
            f"Undone: {chosen.describe()} for “{chosen.title}”"
            if chosen is not None
            else "Suppression undone"
        )
        self._runner.run(
            lambda _progress: hits.remove_suppression(self._store, suppression_id),
            title="Removing the suppression",
            dialog=False,
            on_success=lambda _removed: self._after_change(said),
        )
