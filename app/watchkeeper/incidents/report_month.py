"""The monthly security summary: a month's figures, as the sections the PDF writer prints.

The caller counts from the store (events per source, silent periods, detections, incidents,
devices, storage); this module only words and arranges them.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

from watchkeeper.incidents.report_model import (
    BarChart,
    Paragraph,
    PeriodReport,
    Section,
    Table,
    severity_words,
)
from watchkeeper.incidents.report_text import counted, listed, when

LEVELS = ("critical", "high", "medium", "low", "informational")


@dataclass(frozen=True)
class SourceFigures:
    source: str
    events: int
    silent: tuple[str, ...] = ()  # each silent period as the reader should see it


@dataclass(frozen=True)
class DetectionFigures:
    level: str  # critical, high, medium, low, informational
    state: str  # new, in review, benign, false positive, escalated
    count: int


@dataclass(frozen=True)
class IncidentLine:
    incident_id: str
    title: str
    severity: int
    status: str
    opened: datetime | None = None
    closed: datetime | None = None


@dataclass(frozen=True)
class DeviceLine:
    device: str
    state: str  # its compliance at the end of the month
    change: str = ""  # what changed in the month, if anything
    compliant: bool = True


@dataclass(frozen=True)
class MonthlyFigures:
    organisation: str
    month: date  # any day of the month
    sources: tuple[SourceFigures, ...] = ()
    detections: tuple[DetectionFigures, ...] = ()
    incidents: tuple[IncidentLine, ...] = ()
    devices: tuple[DeviceLine, ...] = ()
    stored_bytes: int = 0
    retention_days: int = 0
    oldest_event: datetime | None = None
    generated: datetime | None = None


def month_span(month: date) -> tuple[datetime, datetime]:
    """The first moment of the month and of the next one, in UTC."""
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    days = calendar.monthrange(month.year, month.month)[1]
    end = datetime(month.year, month.month, days, tzinfo=UTC)
    return start, end.replace(hour=23, minute=59, second=59)


def monthly_report(figures: MonthlyFigures) -> PeriodReport:
    start, end = month_span(figures.month)
    name = f"{figures.month:%B %Y}"
    return PeriodReport(
        organisation=figures.organisation,
        title=f"Monthly security summary, {name}",
        start=start,
        end=end,
        summary=tuple(_summary(figures, name)),
        sections=(
            _collected(figures),
            _detections(figures),
            _incidents(figures, start, end),
            _devices(figures),
            _storage(figures),
        ),
        generated=figures.generated,
    )


def _summary(figures: MonthlyFigures, name: str) -> list[str]:
    events = sum(s.events for s in figures.sources)
    silent = [s.source for s in figures.sources if s.silent]
    collected = (
        f"In {name}, Watchkeeper collected {counted(events, 'event')} from "
        f"{counted(len(figures.sources), 'source')}."
    )
    if silent:
        collected += f" Silent for a while: {listed(silent)}."
    detections = sum(d.count for d in figures.detections)
    untriaged = sum(d.count for d in figures.detections if d.state in {"new", "in review"})
    found = f"There were {counted(detections, 'detection')}"
    found += f", {untriaged:,} of them not yet triaged." if untriaged else "."
    opened = sum(1 for i in figures.incidents if i.opened and i.opened.month == figures.month.month)
    closed = sum(1 for i in figures.incidents if i.closed and i.closed.month == figures.month.month)
    outside = [d.device for d in figures.devices if not d.compliant]
    devices = (
        f"{len(outside)} of {counted(len(figures.devices), 'device')}"
        f" {'was' if len(outside) == 1 else 'were'} out of policy at the"
        f" end of the month ({listed(outside)})."
        if outside
        else f"All {counted(len(figures.devices), 'device')} were within policy."
    )
    return [
        collected,
        found,
        f"{counted(opened, 'incident')} opened and {closed:,} closed.",
        devices,
        _kept(figures),
    ]


def _kept(figures: MonthlyFigures) -> str:
    size = _size(figures.stored_bytes)
    since = f", the oldest from {when(figures.oldest_event)}" if figures.oldest_event else ""
    keep = (
        f" Events are kept for {figures.retention_days:,} days." if figures.retention_days else ""
    )
    return f"The store holds {size} of events{since}.{keep}"


def _size(count: int) -> str:
    amount = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:,.0f} {unit}" if unit == "bytes" else f"{amount:,.1f} {unit}"
        amount /= 1024
    return f"{amount:,.1f} TB"


def _collected(figures: MonthlyFigures) -> Section:
    rows = tuple(
        (s.source, f"{s.events:,}", "; ".join(s.silent) or "none")
        for s in sorted(figures.sources, key=lambda s: -s.events)
    )
    bars = tuple((s.source, s.events) for s in sorted(figures.sources, key=lambda s: -s.events))
    blocks: tuple[Paragraph | Table | BarChart, ...] = (
        Table(("Source", "Events", "Silent periods"), rows, "No source sent anything.", (1,)),
    )
    if bars:
        blocks += (BarChart("Events per source", bars[:15]),)
    return Section("What was collected", blocks)


def _detections(figures: MonthlyFigures) -> Section:
    order = {level: index for index, level in enumerate(LEVELS)}
    rows = tuple(
        (d.level, d.state, f"{d.count:,}")
        for d in sorted(figures.detections, key=lambda d: (order.get(d.level, 99), d.state))
    )
    by_level = Counter[str]()
    for d in figures.detections:
        by_level[d.level] += d.count
    bars = tuple(sorted(by_level.items(), key=lambda item: order.get(item[0], 99)))
    blocks: tuple[Paragraph | Table | BarChart, ...] = (
        Table(("Severity", "Triage state", "Detections"), rows, "No detection.", (2,)),
    )
    if bars:
        blocks += (BarChart("Detections by severity", bars),)
    return Section("Detections", blocks)


def _incidents(figures: MonthlyFigures, start: datetime, end: datetime) -> Section:
    rows = tuple(
        (
            i.incident_id,
            i.title,
            severity_words(i.severity),
            i.status,
            when(i.opened),
            when(i.closed),
        )
        for i in figures.incidents
    )
    return Section(
        "Incidents",
        (
            Table(
                ("Incident", "Title", "Severity", "Status", "Opened", "Closed"),
                rows,
                f"No incident was open between {when(start)} and {when(end)}.",
            ),
        ),
    )


def _devices(figures: MonthlyFigures) -> Section:
    rows = tuple(
        (d.device, d.state, d.change or "no change")
        for d in sorted(figures.devices, key=lambda d: (d.compliant, d.device))
    )
    return Section(
        "Devices",
        (Table(("Device", "Compliance", "What changed"), rows, "No device is recorded."),),
    )


def _storage(figures: MonthlyFigures) -> Section:
    return Section("Storage and retention", (Paragraph(_kept(figures)),))
