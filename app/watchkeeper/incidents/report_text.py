"""The words of a report: hostile text made printable, times and the executive summary."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

from watchkeeper.incidents.report_model import IncidentReport, severity_words

# Characters that would change how text reads without being seen: controls, bidirectional
# overrides and isolates, zero-width characters. They are printed as their escapes.
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"}
_KEPT = {"\n", "\t"}


def visible(text: str) -> str:
    """`text` with every invisible or control character written as an escape (\\x1b, \\u202e)."""
    if text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if char in _KEPT or unicodedata.category(char) not in _INVISIBLE:
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
    return "".join(out)


def escaped(text: str | None) -> str:
    """Event or user text as literal HTML: markup escaped, invisible characters shown, lines kept."""
    printable = visible(text or "").replace("\t", "    ")
    return html.escape(printable).replace("\n", "<br>")


def when(moment: datetime | None) -> str:
    """'18 Nov 2026 12:25:03 UTC'; an empty text for no time."""
    if moment is None:
        return ""
    return f"{moment.day} {moment:%b %Y %H:%M:%S} {_zone(moment)}".strip()


def day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def _zone(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() == timedelta(0):
        return "UTC"
    return moment.strftime("%z")


def listed(names: Iterable[str], most: int = 4) -> str:
    """'a, b and c'; past `most`, 'a, b, c, d and 3 more'."""
    items = [visible(name) for name in names if name]
    if len(items) > most:
        return f"{', '.join(items[:most])} and {len(items) - most} more"
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def counted(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _span(report: IncidentReport) -> tuple[datetime, datetime] | None:
    """From the first to the last thing seen: events and detections, not the response to them."""
    moments = [e.time for e in report.evidence_events]
    for detection in report.detections:
        moments += [t for t in (detection.first, detection.last) if t is not None]
    return (min(moments), max(moments)) if moments else None


def what_happened(report: IncidentReport) -> str:
    """The first sentence: when, to what, what was seen."""
    span = _span(report)
    hosts = listed(h.name for h in report.hosts) or "no recorded device"
    events = counted(len(report.evidence_events), "event")
    if span is None:
        return f"No events are linked to this incident yet. Devices named: {hosts}."
    first, last = span
    if first.date() == last.date():
        period = f"On {day(first)} between {first:%H:%M} and {last:%H:%M} {_zone(first)}"
    else:
        period = f"Between {when(first)} and {when(last)}"
    rules = listed((d.rule_title for d in report.detections), most=3)
    seen = (
        f", which matched {counted(len(report.detections), 'detection')} ({rules})" if rules else ""
    )
    return f"{period}, Watchkeeper recorded {events} on {hosts}{seen}."


def executive_summary(report: IncidentReport) -> list[str]:
    """Plain sentences: what happened, when, to what, how bad, what was done, what is open."""
    sentences = [what_happened(report)]
    if report.summary:
        sentences.append(visible(report.summary))
    how_bad = f"The incident is rated {severity_words(report.severity)}."
    if report.impact:
        how_bad += f" Affected: {visible(report.impact)}"
    sentences.append(how_bad)
    if report.users:
        sentences.append(f"Accounts involved: {listed(report.users, most=6)}.")
    done = [a.what for a in report.actions]
    sentences.append(
        f"What was done: {listed(done, most=5)}." if done else "No action is recorded yet."
    )
    if report.notifications:
        sentences.append(f"Notified: {listed((n.to for n in report.notifications), most=5)}.")
    sentences.append(_still_open(report))
    return sentences


def _still_open(report: IncidentReport) -> str:
    status = visible(report.status) or "unknown"
    if report.closed is not None:
        resolution = f" as {visible(report.resolution)}" if report.resolution else ""
        return f"The incident was closed{resolution} on {when(report.closed)}."
    owner = f", with {visible(report.owner)}" if report.owner else ""
    return f"Still open: the incident's status is {status}{owner}."
