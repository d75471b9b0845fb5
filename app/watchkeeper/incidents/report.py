"""The incident summary and the monthly summary as PDF files: model in, pages out."""

from __future__ import annotations

from pathlib import Path

from watchkeeper.incidents.chart import activity_chart, bar_chart
from watchkeeper.incidents.pdf import write_pdf
from watchkeeper.incidents.report_html import ACTIVITY_CHART, chart_name, incident_html, period_html
from watchkeeper.incidents.report_model import (
    EVIDENCE_ROW_LIMIT,
    BarChart,
    IncidentReport,
    PeriodReport,
)
from watchkeeper.incidents.report_text import visible


def write_incident_pdf(
    report: IncidentReport,
    path: Path,
    page_size: str = "A4",
    evidence_rows: int = EVIDENCE_ROW_LIMIT,
) -> int:
    """Write the incident's summary to `path` (A4 or Letter); returns the number of pages.

    Past `evidence_rows` linked events, the evidence appendix counts them per source file.
    """
    events = [(e.time, e.host) for e in report.evidence_events]
    spans = [
        (d.first or d.last, d.last or d.first, d.host)
        for d in report.detections
        if d.first is not None or d.last is not None
    ]
    chart = activity_chart(events, [(a, b, h) for a, b, h in spans if a and b])
    title = visible(report.title)
    name = f"Incident {visible(report.incident_id)}: {title}" if report.incident_id else title
    return write_pdf(
        incident_html(report, evidence_rows),
        path,
        title=name,
        author=visible(report.organisation) or "Watchkeeper",
        subject="Incident summary",
        header=f"{visible(report.organisation)} · {name}",
        page_size=page_size,
        images={ACTIVITY_CHART: chart},
    )


def write_period_pdf(report: PeriodReport, path: Path, page_size: str = "A4") -> int:
    """Write a period's summary (the monthly report) to `path`; returns the number of pages."""
    charts = [
        block
        for section in report.sections
        for block in section.blocks
        if isinstance(block, BarChart)
    ]
    title = visible(report.title)
    return write_pdf(
        period_html(report),
        path,
        title=title,
        author=visible(report.organisation) or "Watchkeeper",
        subject="Security summary",
        header=f"{visible(report.organisation)} · {title}",
        page_size=page_size,
        images={chart_name(i): bar_chart(c.bars, c.title) for i, c in enumerate(charts)},
    )
