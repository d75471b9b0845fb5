"""What parsers produce: events in normal form, Windows events in EVTX shape, rejected records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class Event:
    """One parsed event.

    `common` holds values for the columns in `fields.PARSED_COLUMNS` (a `time` is an aware
    datetime in the source's own offset); `fields` holds every original field, flat, under
    its original name; `raw` is the original record as text.
    """

    record_no: int
    raw: str
    common: dict[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class WindowsEvent:
    """A Windows event as JSON in the shape the `evtx` parser writes.

    EVTX files, Event Viewer XML, Winlogbeat and NXLog all come to this shape, so one
    projection in SQL turns all of them into columns.
    """

    record_no: int
    raw: str
    event_json: str
    source: str = "evtx"
    # forwarded events: when the collector received it, from which address, how
    received: datetime | None = None
    sender: str | None = None
    transport: str | None = None


@dataclass(slots=True)
class Rejected:
    """A record that could not be parsed; kept in quarantine with its bytes and the reason."""

    record_no: int
    raw: bytes
    reason: str
    records: int = 1  # how many records it stands for: a corrupt EVTX chunk holds many


Parsed = Event | WindowsEvent | Rejected
