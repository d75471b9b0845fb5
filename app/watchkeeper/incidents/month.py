"""A month's figures from the store, for the monthly security summary (report_month words
and arranges them): events per source and the days each source was silent, detections by
level and triage state, incidents opened or closed, the devices' compliance at the month's
end, and how much is stored."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from watchkeeper.incidents.report_month import (
    DetectionFigures,
    DeviceLine,
    IncidentLine,
    MonthlyFigures,
    SourceFigures,
    month_span,
)
from watchkeeper.storage.incident_views import list_incidents
from watchkeeper.storage.incidents import label
from watchkeeper.storage.store import Store


def monthly_figures(
    store: Store, month: date, now: datetime, organisation: str = ""
) -> MonthlyFigures:
    start, last = month_span(month)
    begin, end = _naive(start), _naive(last) + timedelta(seconds=1)
    return MonthlyFigures(
        organisation=organisation,
        month=month,
        sources=_sources(store, begin, end),
        detections=_detections(store, begin, end),
        incidents=_incidents(store, begin, end),
        devices=_devices(store, min(now, last)),
        stored_bytes=store.size_bytes(),
        oldest_event=_oldest(store),
        generated=now,
    )


def write_monthly_summary(
    store: Store,
    month: date,
    path: Path,
    now: datetime,
    organisation: str = "",
    page_size: str = "A4",
) -> int:
    """Write the month's summary as a PDF at `path`; the number of pages."""
    from watchkeeper.incidents.pdf import headless_app
    from watchkeeper.incidents.report import write_period_pdf
    from watchkeeper.incidents.report_month import monthly_report

    report = monthly_report(monthly_figures(store, month, now, organisation))
    headless_app()
    return write_period_pdf(report, path, page_size=page_size)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _sources(store: Store, begin: datetime, end: datetime) -> tuple[SourceFigures, ...]:
    """Each source's events, and the runs of whole days inside its first and last day of the
    month with none (a source that stops for a day is worth a look)."""
    rows = store.fetch_all(
        "SELECT coalesce(source, '(none)'), time::DATE, count(*) FROM events "
        "WHERE time >= ? AND time < ? GROUP BY ALL ORDER BY 1, 2",
        [begin, end],
    )
    days: dict[str, dict[date, int]] = {}
    for source, day, count in rows:
        days.setdefault(str(source), {})[day] = int(count)
    found = [
        SourceFigures(source, sum(counts.values()), _silent_runs(sorted(counts)))
        for source, counts in days.items()
    ]
    return tuple(sorted(found, key=lambda s: (-s.events, s.source)))


def _silent_runs(seen: list[date]) -> tuple[str, ...]:
    runs: list[str] = []
    for before, after in pairwise(seen):
        gap = (after - before).days - 1
        if gap >= 1:
            first, final = before + timedelta(days=1), after - timedelta(days=1)
            runs.append(
                f"{first:%d %b}" if gap == 1 else f"{first:%d %b} to {final:%d %b} ({gap} days)"
            )
    return tuple(runs)


def _detections(store: Store, begin: datetime, end: datetime) -> tuple[DetectionFigures, ...]:
    rows = store.fetch_all(
        "SELECT coalesce(r.level, ''), d.state, count(*) FROM detections d "
        "LEFT JOIN detection_rules r USING (rule_id) WHERE d.first >= ? AND d.first < ? "
        "GROUP BY ALL ORDER BY 1, 2",
        [begin, end],
    )
    return tuple(DetectionFigures(str(level), str(state), int(n)) for level, state, n in rows)


def _incidents(store: Store, begin: datetime, end: datetime) -> tuple[IncidentLine, ...]:
    lines = []
    for item in list_incidents(store):
        opened, closed = item.opened, item.closed
        if (opened and begin <= opened < end) or (closed and begin <= closed < end):
            lines.append(
                IncidentLine(label(item.id), item.title, item.severity, item.status, opened, closed)
            )
    return tuple(lines)


def _devices(store: Store, when: datetime) -> tuple[DeviceLine, ...]:
    from watchkeeper.compliance.policy import load_policy
    from watchkeeper.compliance.report import compliance_report
    from watchkeeper.core import settings as settings_module
    from watchkeeper.core.errors import WatchkeeperError

    try:
        policy = load_policy(None, settings_module.load().compliance_thresholds)
    except WatchkeeperError:
        return ()
    lines = []
    for row in compliance_report(store, policy, when).rows:
        if not any(source != "logs" for source in row.sources):
            continue  # known from the logs alone: no inventory says what it is
        failing = [name for name, result in row.checks.items() if result.status == "fail"]
        state = row.overall + (f": {', '.join(failing)}" if failing else "")
        lines.append(DeviceLine(row.name, state, compliant=not failing))
    return tuple(lines)


def _oldest(store: Store) -> datetime | None:
    row = store.fetch_one("SELECT min(time) FROM events")
    return row[0] if row and row[0] is not None else None
