"""Running the retention policy from the window: an hour after the last run (checked every
ten minutes, and a minute after the window opens), in the background, said in the status line;
and the Storage and retention dialog's actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QDialog, QWidget

from watchkeeper import integrity
from watchkeeper.core import settings as settings_file
from watchkeeper.core.progress import Progress
from watchkeeper.core.settings import Settings
from watchkeeper.core.text import counted
from watchkeeper.integrity.sealing import seal_due
from watchkeeper.retention import policy
from watchkeeper.retention.policy import RetentionRun
from watchkeeper.storage import archive, archive_deletions
from watchkeeper.storage.store import Store
from watchkeeper.ui.retention.dialog import StorageDialog
from watchkeeper.ui.tasks import Task, TaskRunner

CHECK_EVERY_MS = 10 * 60 * 1000
# what the dialog shows: the archive, the events in the store, the deletions waiting, the seals
Holding = tuple[archive.ArchiveSummary, int, list[archive_deletions.Pending], str]
FIRST_CHECK_MS = 60 * 1000


class Retention(QObject):
    def __init__(
        self,
        parent: QWidget,
        store: Store,
        settings: Settings,
        runner: TaskRunner,
        say: Callable[[str], None],
        on_store_changed: Callable[[], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(parent)
        self.window = parent
        self.store = store
        self.settings = settings
        self.runner = runner
        self.say = say
        self.on_store_changed = on_store_changed
        self.clock = clock
        self.dialog: StorageDialog | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_EVERY_MS)
        self.timer.timeout.connect(lambda: self.run(force=False))

    def start(self) -> None:
        """Check now and then whether retention is due (the store is read-only: never)."""
        if self.store.read_only:
            return
        self.timer.start()
        # a timer of this object's (not QTimer.singleShot): it goes with the window
        first = QTimer(self)
        first.setSingleShot(True)
        first.timeout.connect(lambda: self.run(force=False))
        first.start(FIRST_CHECK_MS)

    def run(self, force: bool = True) -> Task | None:
        """Archive what is due (and mark and delete past retention) in the background."""
        if self.store.read_only:
            return None
        months, hot_days, now = self.settings.retention_months, self.settings.hot_days, self.clock()

        def work(progress: Progress) -> RetentionRun | None:
            done: RetentionRun | None
            if force:
                done = policy.run(self.store, months, hot_days, now, progress)
            else:
                done = policy.run_if_due(self.store, months, hot_days, now, progress)
            seal_due(self.store, now)  # the days that ended, and the archive files written
            return done

        return self.runner.run(
            work,
            title="Archiving closed days",
            key="retention",
            dialog=force,
            quiet=not force,
            on_success=self._on_done,
        )

    def _on_done(self, result: RetentionRun | None) -> None:
        if result is None:
            return
        said = []
        if result.archived:
            days = len({(f.day, f.source) for f in result.archived})
            said.append(
                f"Archived {counted(result.archived_events, 'event')} of "
                f"{counted(days, 'closed day and source', 'closed days and sources')}"
            )
        if result.marked:
            first = (
                min(p.delete_after for p in result.pending if p.delete_after)
                if result.pending
                else None
            )
            when = f" after {first:%d %b %H:%M} UTC" if first else ""
            said.append(
                f"{counted(len(result.marked), 'archived day')} past retention will be deleted"
                f"{when} (File ▸ Storage and retention keeps them)"
            )
        if result.deleted:
            said.append(
                f"deleted {counted(sum(p.events for p in result.deleted), 'event')} past "
                f"retention ({self.settings.retention_months} months); recorded"
            )
        if said:
            self.say("; ".join(said) + ".")
        if result.archived or result.deleted:
            self.on_store_changed()
        if self.dialog is not None:
            self.refresh_dialog()

    # the dialog ---------------------------------------------------------------------------

    def show_dialog(self) -> StorageDialog:
        dialog = StorageDialog(
            self.settings,
            str(archive.folder(self.store.path)),
            on_archive_now=lambda: self.run(force=True),
            on_keep=self._keep,
            on_release=self._release,
            on_verify=self.verify,
            parent=self.window,
        )
        dialog.archive_now.setEnabled(not self.store.read_only)
        self.dialog = dialog
        dialog.finished.connect(self._on_dialog_finished)
        self.refresh_dialog()
        dialog.open()
        return dialog

    def refresh_dialog(self) -> None:
        now = self.clock()

        def read(_progress: Progress) -> Holding:
            seals = integrity.summary(self.store, now)
            return (
                archive.summary(self.store),
                archive.hot_events(self.store),
                archive_deletions.pending(self.store),
                str(seals["summary"]),
            )

        def show(found: Holding) -> None:
            if self.dialog is not None:
                self.dialog.show_archive(found[0], found[1])
                self.dialog.show_pending(found[2], now)
                self.dialog.show_integrity(found[3])

        self.runner.run(
            read,
            title="Reading the archive",
            key="archive-summary",
            dialog=False,
            quiet=True,
            on_success=show,
        )

    def verify(self) -> Task:
        """Hash the stored and archived events again against the seals, in the background."""
        now = self.clock()

        def work(progress: Progress) -> tuple[str, list[str]]:
            from watchkeeper.integrity.signing import load_key
            from watchkeeper.integrity.verify import verify

            report = verify(self.store, now, load_key(create=False).public_text, progress)
            return str(integrity.summary(self.store, now)["summary"]), [
                p.text for p in report.problems
            ]

        def show(found: tuple[str, list[str]]) -> None:
            line, problems = found
            if self.dialog is not None:
                self.dialog.show_integrity(line, problems)
            self.say(
                f"Verify: {counted(len(problems), 'problem')} found; see File ▸ Storage and "
                "retention."
                if problems
                else "Verify: every sealed event is as it was written."
            )

        return self.runner.run(work, title="Verifying the stored events", on_success=show)

    def _keep(self, ids: list[int]) -> None:
        if ids:
            kept = archive_deletions.cancel(self.store, ids)
            self.say(f"Kept {counted(kept, 'archived day')} from deletion, until you let them go.")
        self.refresh_dialog()

    def _release(self) -> None:
        released = archive_deletions.release(self.store)
        self.say(f"{counted(released, 'kept day')} may be deleted again once past retention.")
        self.refresh_dialog()

    def _on_dialog_finished(self, result: int) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None and result == QDialog.DialogCode.Accepted:
            dialog.apply()
            settings_file.save(self.settings)
            self.say(
                f"Retention: {self.settings.retention_months} months, the newest "
                f"{self.settings.hot_days} days in the store."
            )
