"""A report as the rich text the PDF writer lays out: every value escaped, nothing raw.

Plain strings in, HTML out; no Qt. The charts are named here (`<img src="...">`) and drawn
by `incidents.chart`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from watchkeeper.incidents.report_model import (
    EVIDENCE_ROW_LIMIT,
    BarChart,
    IncidentReport,
    Paragraph,
    PeriodReport,
    Section,
    Table,
    severity_words,
)
from watchkeeper.incidents.report_text import counted, escaped, executive_summary, when

ACTIVITY_CHART = "chart-activity"
BREAK = " style='page-break-before: always'"
# The width of a chart on the page, in points (the layout's unit): the page less its margins.
CHART_POINTS = 470
MONO = "font-family: 'DejaVu Sans Mono'; font-size: 7pt;"


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    empty: str = "None recorded.",
    numeric: Sequence[int] = (),
    widths: Sequence[int] = (),
    small: bool = False,
) -> str:
    """A table whose heading repeats on every page; cells are escaped here."""
    size = "font-size: 8pt;" if small else ""
    styles = [f" style='{size}'" if size else ""] * len(columns)
    cells = [
        "<tr>"
        + "".join(
            f"<td{' align=right' if index in numeric else ''}{styles[index]}>{escaped(value)}</td>"
            for index, value in enumerate(row)
        )
        + "</tr>"
        for row in rows
    ]
    if not cells:
        return f"<p class=note>{escaped(empty)}</p>"
    heads = "".join(
        f"<th{f' width={widths[i]}%' if i < len(widths) else ''}>{escaped(name)}</th>"
        for i, name in enumerate(columns)
    )
    return _framed(heads, "".join(cells))


def _framed(heads: str, rows: str) -> str:
    """A bordered table of rows under a heading row that is repeated on every page."""
    return (
        "<table width=100% border=1 cellspacing=0 cellpadding=3>"
        f"<thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _cover(title: str, organisation: str, lines: Sequence[tuple[str, str]]) -> str:
    facts = "".join(
        f"<tr><td><b>{escaped(name)}</b></td><td>{escaped(value)}</td></tr>"
        for name, value in lines
        if value
    )
    return (
        f"<p style='font-size: 12pt; color: #555555'>{escaped(organisation)}</p>"
        f"<h1>{escaped(title)}</h1><br><table cellpadding=4>{facts}</table>"
        "<p class=note>Confidential: for the people named in the organisation's incident"
        " procedure, its insurer and the authorities it reports to.</p>"
    )


def incident_html(report: IncidentReport, evidence_rows: int = EVIDENCE_ROW_LIMIT) -> str:
    """The whole summary; past `evidence_rows` linked events the appendix counts them per file."""
    cover = _cover(
        report.title,
        report.organisation,
        [
            ("Incident", report.incident_id),
            ("Severity", severity_words(report.severity)),
            ("Status", report.status),
            ("Resolution", report.resolution),
            ("Owner", report.owner),
            ("Opened", when(report.opened)),
            ("Closed", when(report.closed)),
            ("Report made", when(report.generated)),
        ],
    )
    summary = "".join(f"<p>{escaped(sentence)}</p>" for sentence in executive_summary(report))
    return "".join(
        [
            cover,
            f"<h2{BREAK}>Executive summary</h2>{summary}",
            f"<p><img src='{ACTIVITY_CHART}' width={CHART_POINTS}></p>",
            _timeline(report),
            _hosts_and_users(report),
            _detections(report),
            _key_events(report),
            _response(report),
            _evidence(report, evidence_rows),
        ]
    )


def _timeline(report: IncidentReport) -> str:
    rows = [(when(e.time), e.actor, e.text) for e in sorted(report.timeline, key=lambda e: e.time)]
    return f"<h2{BREAK}>Timeline</h2>" + table(
        ("Time", "Who or what", "What"), rows, widths=(22, 18, 60)
    )


def _hosts_and_users(report: IncidentReport) -> str:
    hosts = [(h.name, h.compliance or "not known") for h in report.hosts]
    # accounts in one paragraph, people first (the caller's order): a row each took pages
    users = " &middot; ".join(escaped(user) for user in report.users)
    return (
        "<h2>Affected devices</h2>"
        + table(("Device", "Compliance at the time"), hosts, widths=(40, 60))
        + "<h2>Accounts involved</h2>"
        + (f"<p>{users}</p>" if users else "<p class=note>None recorded.</p>")
    )


def _detections(report: IncidentReport) -> str:
    rows = [
        (d.rule_title, d.level, d.host.split(".")[0], when(d.first), when(d.last), f"{d.events:,}")
        for d in report.detections
    ]
    about = "".join(
        f"<h3>{escaped(d.rule_title)}</h3>"
        f"<p>{escaped(d.description) or '<i>The rule has no description.</i>'}</p>"
        f"<p class=note>ATT&amp;CK: {escaped(', '.join(d.techniques)) or 'none named'}"
        f" &middot; Rule author: {escaped(d.author) or 'not named'}</p>"
        for d in report.detections
    )
    return (
        "<h2>Detections</h2>"
        + table(
            ("Rule", "Level", "Host", "First", "Last", "Events"),
            rows,
            numeric=(5,),
            widths=(27, 10, 17, 17, 17, 12),
        )
        + about
    )


def _key_events(report: IncidentReport) -> str:
    if not report.key_events:
        return "<h2>Key events</h2><p class=note>No key event is marked.</p>"
    # one row an event, its fields in a line each: a table per event took a page per three
    rows = [
        (
            when(e.time),
            e.host,
            f"{e.source} {e.event_id}".strip(),
            "\n".join(f"{name}: {value}" for name, value in e.fields) or "No fields kept.",
        )
        for e in report.key_events
    ]
    return "<h2>Key events</h2>" + table(
        ("When", "Host", "Source", "Fields"), rows, widths=(17, 16, 12, 55), small=True
    )


def _response(report: IncidentReport) -> str:
    actions = [(a.what, a.who, when(a.when)) for a in report.actions]
    notices = [(n.to, when(n.when), n.note) for n in report.notifications]
    lessons = escaped(report.lessons) or "<i>None recorded yet.</i>"
    return (
        "<h2>Actions taken</h2>"
        + table(("What", "Who", "When"), actions, widths=(55, 20, 25))
        + "<h2>Notifications made</h2>"
        + table(("To", "When", "Note"), notices, widths=(30, 25, 45))
        + f"<h2>Lessons learned</h2><p>{lessons}</p>"
    )


def _evidence(report: IncidentReport, most: int) -> str:
    intro = (
        "<h2>Appendix: evidence</h2><p>Each source file as it was imported, with its SHA-256."
        " A reader can check that a copy is unchanged by computing its SHA-256"
        " (for example <i>certutil -hashfile FILE SHA256</i> on Windows,"
        " <i>shasum -a 256 FILE</i> on macOS or Linux) and comparing.</p>"
    )
    # The hash on a line of its own, whole: a reader compares it, or copies it.
    rows = "".join(
        f"<tr><td style='font-size: 8pt'>{escaped(f.path)}<br>"
        f'<span style="{MONO}">{escaped(f.sha256)}</span></td>'
        f"<td align=right style='font-size: 8pt'>{f.events:,}</td></tr>"
        for f in sorted(report.evidence_files, key=lambda f: f.path)
    )
    heads = "<th width=88%>Source file and its SHA-256</th><th width=12%>Events</th>"
    files = _framed(heads, rows) if rows else "<p class=note>No source file is recorded.</p>"
    return intro + files + _evidence_events(report, most)


def _evidence_events(report: IncidentReport, most: int) -> str:
    events = report.evidence_events
    if len(events) > most:
        per_file = Counter(e.source_file for e in events)
        counts = [(name, f"{count:,}") for name, count in sorted(per_file.items())]
        return (
            "<h3>Linked events</h3>"
            f"<p><b>{counted(len(events), 'event')} are linked, more than the"
            f" {most:,} listed one by one: they are counted per source file"
            " instead.</b> The full list is in the incident's export from the app.</p>"
            + table(
                ("Source file", "Linked events"), counts, numeric=(1,), widths=(80, 20), small=True
            )
        )
    rows = [
        (f"{e.time:%Y-%m-%d %H:%M:%S}", e.host, e.source_file, e.record)
        for e in sorted(events, key=lambda e: (e.time, e.source_file, e.record))
    ]
    zone = "UTC" if not events else when(events[0].time).rsplit(" ", 1)[-1]
    return f"<h3>Linked events (times in {zone})</h3>" + table(
        ("Time", "Host", "Source file", "Record"),
        rows,
        empty="No event is linked.",
        widths=(27, 20, 41, 12),
        small=True,
    )


def chart_name(index: int) -> str:
    return f"chart-{index}"


def period_html(report: PeriodReport) -> str:
    cover = _cover(
        report.title,
        report.organisation,
        [
            ("From", when(report.start)),
            ("To", when(report.end)),
            ("Report made", when(report.generated)),
        ],
    )
    summary = "".join(f"<p>{escaped(text)}</p>" for text in report.summary)
    body, charts = [], 0
    for section in report.sections:
        part, charts = _section(section, charts)
        body.append(part)
    return f"{cover}<h2{BREAK}>Summary</h2>{summary}{''.join(body)}"


def _section(section: Section, charts: int) -> tuple[str, int]:
    parts = [f"<h2>{escaped(section.heading)}</h2>"]
    for block in section.blocks:
        if isinstance(block, Paragraph):
            parts.append(f"<p>{escaped(block.text)}</p>")
        elif isinstance(block, Table):
            parts.append(table(block.columns, block.rows, empty=block.empty, numeric=block.numeric))
        elif isinstance(block, BarChart):
            # the chart's title is drawn in its image, so the two stay on one page
            parts.append(f"<p><img src='{chart_name(charts)}' width={CHART_POINTS}></p>")
            charts += 1
    return "".join(parts), charts
