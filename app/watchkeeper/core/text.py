"""Figures and dates as a person reads them: "1 event", "2 events", "3 Mar 2024"."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

# Nouns whose plural is not the noun with an "s".
_IRREGULAR = {"entry": "entries", "match": "matches", "batch": "batches", "address": "addresses",
              "process": "processes", "policy": "policies", "history": "histories"}


def plural(noun: str) -> str:
    """The plural of a noun (its last word): "event" -> "events", "more entry" -> "more entries"."""
    head, _, last = noun.rpartition(" ")
    many = _IRREGULAR.get(last, last + "s")
    return f"{head} {many}" if head else many


def counted(count: int, noun: str, many: str | None = None) -> str:
    """A count and its noun in the right number, with thousands separated: "1 event",
    "1,204 events", "0 events"; `many` when the plural is irregular."""
    return f"{count:,} {noun if count == 1 else (many or plural(noun))}"


def shown_day(value: datetime, utc: bool = True) -> str:
    """A date (naive UTC, like the store's) as "3 Mar 2024", in UTC or this machine's time."""
    if not utc:
        # outside what the platform's local time handles: show UTC
        with contextlib.suppress(OverflowError, OSError, ValueError):
            value = value.replace(tzinfo=UTC).astimezone()
    return f"{value.day} {value:%b %Y}"
