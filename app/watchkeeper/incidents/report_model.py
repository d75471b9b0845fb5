"""What a PDF report says, as plain values: the caller fills them from the store.

The writer knows nothing of the store or of detection; it prints these. Event text in them is
hostile input (HTML, control characters, very long values) and is printed as literal text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

SEVERITY_WORDS = {1: "Low", 2: "Medium", 3: "High", 4: "Critical"}
# Past this many linked events the evidence appendix lists each source file with its count
# instead of one row per event, and says so.
EVIDENCE_ROW_LIMIT = 2000


def severity_words(severity: int) -> str:
    """'High (3 of 4)' for 3; a number out of range is printed as it is."""
    words = SEVERITY_WORDS.get(severity)
    return f"{words} ({severity} of 4)" if words else f"{severity} (not on the 1-4 scale)"


@dataclass(frozen=True)
class TimelineEntry:
    time: datetime
    actor: str  # who or what: a person, a rule, a host
    text: str


@dataclass(frozen=True)
class HostState:
    name: str
    compliance: str = (
        ""  # the device's compliance at the time, e.g. "compliant", "disk not encrypted"
    )


@dataclass(frozen=True)
class DetectionSummary:
    rule_title: str
    level: str
    description: str = ""
    techniques: tuple[str, ...] = ()  # ATT&CK technique ids, e.g. ("T1059.001",)
    author: str = ""
    first: datetime | None = None
    last: datetime | None = None
    events: int = 0
    host: str = ""


@dataclass(frozen=True)
class KeyEvent:
    time: datetime
    host: str
    source: str
    event_id: str
    fields: tuple[tuple[str, str], ...] = ()  # the important fields, (name, value)


@dataclass(frozen=True)
class Action:
    what: str
    who: str
    when: datetime | None = None


@dataclass(frozen=True)
class Notification:
    to: str
    when: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class EvidenceEvent:
    """One linked event: where it came from, so a reader can find it in the original file."""

    time: datetime
    host: str
    source_file: str
    record: str  # record number (EVTX), line or offset in the file


@dataclass(frozen=True)
class EvidenceFile:
    """One source file as the import ledger recorded it."""

    path: str
    sha256: str
    events: int = 0


@dataclass(frozen=True)
class IncidentReport:
    organisation: str
    title: str
    severity: int
    status: str
    incident_id: str = ""
    resolution: str = ""
    owner: str = ""
    opened: datetime | None = None
    closed: datetime | None = None
    summary: str = ""
    impact: str = ""
    timeline: tuple[TimelineEntry, ...] = ()
    hosts: tuple[HostState, ...] = ()
    users: tuple[str, ...] = ()
    detections: tuple[DetectionSummary, ...] = ()
    key_events: tuple[KeyEvent, ...] = ()
    actions: tuple[Action, ...] = ()
    notifications: tuple[Notification, ...] = ()
    lessons: str = ""
    evidence_events: tuple[EvidenceEvent, ...] = ()
    evidence_files: tuple[EvidenceFile, ...] = ()
    generated: datetime | None = None  # when the report was made, printed on the cover


# The monthly summary: the same writer, a period instead of an incident. Its sections are
# blocks the writer knows how to print.


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str = "None."  # printed instead of an empty table
    numeric: tuple[int, ...] = ()  # columns aligned right


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per label: drawn, not a table."""

    title: str
    bars: tuple[tuple[str, int], ...]


Block = Paragraph | Table | BarChart


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class PeriodReport:
    organisation: str
    title: str  # e.g. "Monthly security summary, November 2026"
    start: datetime
    end: datetime
    summary: tuple[str, ...] = ()  # the executive summary, one paragraph each
    sections: tuple[Section, ...] = field(default_factory=tuple)
    generated: datetime | None = None
