"""File ▸ Monthly summary…: the month's security summary as a PDF, written in the background."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from watchkeeper.core.settings import Settings
from watchkeeper.storage.store import Store
from watchkeeper.ui.tasks import Task, TaskRunner


def last_month(now: datetime) -> date:
    return (now.date().replace(day=1) - timedelta(days=1)).replace(day=1)


def parse_month(text: str) -> date | None:
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def export_monthly_summary(
    parent: QWidget,
    store: Store,
    settings: Settings,
    runner: TaskRunner,
    say: Callable[[str], None],
    month: date | None = None,
    path: Path | None = None,
    now: datetime | None = None,
) -> Task | None:
    """Ask for the month (the last one by default) and the file, then write the summary."""
    now = now or datetime.now(UTC)
    if month is None:
        text, chosen = QInputDialog.getText(
            parent, "Monthly summary", "Month (YYYY-MM):", text=f"{last_month(now):%Y-%m}"
        )
        if not chosen:
            return None
        month = parse_month(text)
        if month is None:
            say(f"'{text[:40]}' is not a month such as 2026-11; no summary written.")
            return None
    if path is None:
        name, _ = QFileDialog.getSaveFileName(
            parent, "Monthly summary", f"security-summary-{month:%Y-%m}.pdf", "PDF (*.pdf)"
        )
        if not name:
            return None
        path = Path(name)
    organisation, page_size, target = settings.organisation, settings.page_size, path

    def write(_progress: object) -> int:
        from watchkeeper.incidents.month import write_monthly_summary

        return write_monthly_summary(store, month, target, now, organisation, page_size)

    return runner.run(
        write,
        title=f"Writing the summary of {month:%B %Y}",
        on_success=lambda pages: say(
            f"The summary of {month:%B %Y} written to {target.name} ({pages:,} pages)."
        ),
    )
