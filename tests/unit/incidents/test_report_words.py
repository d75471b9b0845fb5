"""The words of the reports, without Qt: plain sentences, hostile text made visible."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.incident_samples import sample_incident

from watchkeeper.incidents.report_html import incident_html
from watchkeeper.incidents.report_model import BarChart, Table
from watchkeeper.incidents.report_month import (
    DetectionFigures,
    DeviceLine,
    IncidentLine,
    MonthlyFigures,
    SourceFigures,
    monthly_report,
)
from watchkeeper.incidents.report_text import escaped, executive_summary, visible


def test_invisible_characters_are_shown_as_escapes() -> None:
    assert visible("a\x1b[31m\u202eb\u200bc\x00") == "a\\x1b[31m\\u202eb\\u200bc\\x00"
    assert visible("Zoë Иван 王小明\tok\n") == "Zoë Иван 王小明\tok\n"
    assert escaped("<script>&\nx") == "&lt;script&gt;&amp;<br>x"


def test_the_executive_summary_says_what_when_how_bad_and_what_is_open() -> None:
    sentences = executive_summary(sample_incident(50))
    assert sentences[0].startswith(
        "On 18 November 2026 between 12:25 and 12:34 UTC, Watchkeeper recorded 50 events on"
        " PC-RECEPTION, SRV-FILES and LAPTOP-ZOË, which matched 2 detections"
    )
    assert "The incident is rated High (3 of 4). Affected: The reception PC" in " ".join(sentences)
    assert sentences[-1] == "Still open: the incident's status is contained, with Ana Müller."
    closed = executive_summary(
        sample_incident(1, closed=datetime(2026, 11, 20, 9, 0, tzinfo=UTC), resolution="benign")
    )
    assert closed[-1] == "The incident was closed as benign on 20 Nov 2026 09:00:00 UTC."


def test_events_that_span_days_are_dated_both_ends() -> None:
    report = sample_incident(3, detections=())
    late = report.evidence_events[-1].__class__(
        datetime(2026, 11, 19, 8, 0, tzinfo=UTC), "PC-RECEPTION", "x.evtx", "9"
    )
    sentence = executive_summary(
        sample_incident(3, evidence_events=(late, *report.evidence_events))
    )
    assert sentence[0].startswith(
        "Between 18 Nov 2026 12:25:00 UTC and 19 Nov 2026 08:00:00 UTC, Watchkeeper recorded 4 events"
    )


def test_no_raw_json_or_markup_reaches_the_page() -> None:
    report = sample_incident(2, users=("<img src=x onerror=alert(1)>",))
    html = incident_html(report)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_month_becomes_sections_with_plain_sentences() -> None:
    figures = MonthlyFigures(
        organisation="Ōkami Bakery Ltd",
        month=date(2026, 11, 1),
        sources=(
            SourceFigures("evtx", 10_000),
            SourceFigures("syslog", 2_345, ("3 Nov 02:00 to 4 Nov 09:00",)),
        ),
        detections=(
            DetectionFigures("high", "new", 3),
            DetectionFigures("medium", "benign", 5),
            DetectionFigures("high", "escalated", 1),
        ),
        incidents=(
            IncidentLine(
                "7",
                "Phishing",
                3,
                "closed",
                datetime(2026, 11, 18, tzinfo=UTC),
                datetime(2026, 11, 20, tzinfo=UTC),
            ),
        ),
        devices=(
            DeviceLine("PC-RECEPTION", "disk not encrypted", "encryption turned off", False),
            DeviceLine("SRV-FILES", "compliant"),
        ),
        stored_bytes=3 * 1024**3 // 2,
        retention_days=395,
    )
    report = monthly_report(figures)
    assert report.title == "Monthly security summary, November 2026"
    assert report.summary[0] == (
        "In November 2026, Watchkeeper collected 12,345 events from 2 sources."
        " Silent for a while: syslog."
    )
    assert report.summary[1] == "There were 9 detections, 3 of them not yet triaged."
    assert report.summary[2] == "1 incident opened and 1 closed."
    assert report.summary[3] == (
        "1 of 2 devices was out of policy at the end of the month (PC-RECEPTION)."
    )
    assert report.summary[4] == "The store holds 1.5 GB of events. Events are kept for 395 days."
    headings = [section.heading for section in report.sections]
    assert headings == [
        "What was collected",
        "Detections",
        "Incidents",
        "Devices",
        "Storage and retention",
    ]
    detections = report.sections[1].blocks
    assert isinstance(detections[0], Table) and detections[0].rows[0][0] == "high"
    assert isinstance(detections[1], BarChart) and detections[1].bars == (
        ("high", 4),
        ("medium", 5),
    )


def test_an_empty_month_says_so() -> None:
    report = monthly_report(MonthlyFigures("Ōkami", date(2026, 2, 10)))
    assert report.end.day == 28
    assert report.summary[0] == "In February 2026, Watchkeeper collected 0 events from 0 sources."
    collected = report.sections[0].blocks
    assert len(collected) == 1 and isinstance(collected[0], Table) and not collected[0].rows


def test_the_people_involved_come_before_system_accounts_groups_and_guesses() -> None:
    from watchkeeper.incidents.export import people_first

    assert people_first(
        ["admin", "SYSTEM", "CONTOSO\\bob", "PC01$", "Administrators", "alice@contoso.local"]
    ) == ("alice@contoso.local", "CONTOSO\\bob", "admin", "Administrators", "PC01$", "SYSTEM")
